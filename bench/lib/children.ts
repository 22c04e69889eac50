// Child processes the bench starts: each one tracked, its output kept (the last lines, for
// errors), and every one killed at the end, on error and on Ctrl-C alike.
import { type ChildProcess, spawn } from 'node:child_process';
import { once } from 'node:events';
import { type AddressInfo, connect, createServer } from 'node:net';
import { setTimeout as sleep } from 'node:timers/promises';

export interface Child {
  name: string;
  process: ChildProcess;
  pid: number;
  /** The last lines it wrote, stdout and stderr mixed. */
  tail(): string;
  /** Resolves with the exit code once it has exited. */
  exited: Promise<number | null>;
}

const running = new Set<Child>();
const tailLines = 40;

/** Starts `node ARGS...` (or another command), tracked for `stopAll`. */
export function startChild(name: string, command: string, args: string[], env: NodeJS.ProcessEnv = {}): Child {
  const child = spawn(command, args, { env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
  if (child.pid === undefined) throw new Error(`${name}: could not start ${command}`);
  const lines: string[] = [];
  const keep = (data: Buffer) => {
    for (const line of data.toString('utf8').split('\n')) if (line.trim() !== '') lines.push(line);
    if (lines.length > tailLines) lines.splice(0, lines.length - tailLines);
  };
  // Always drained, so a chatty child never blocks on a full pipe.
  child.stdout.on('data', keep);
  child.stderr.on('data', keep);
  const exited = once(child, 'exit').then(([code]) => code as number | null);
  const tracked: Child = { name, process: child, pid: child.pid, tail: () => lines.join('\n'), exited };
  running.add(tracked);
  exited.then(() => running.delete(tracked));
  return tracked;
}

/** SIGTERM, then SIGKILL for whatever is still there after `graceMs`. */
export async function stopChild(child: Child, graceMs = 3000): Promise<void> {
  if (child.process.exitCode !== null || child.process.signalCode !== null) return;
  child.process.kill('SIGTERM');
  const timer = setTimeout(() => child.process.kill('SIGKILL'), graceMs);
  await child.exited;
  clearTimeout(timer);
}

export async function stopAll(): Promise<void> {
  await Promise.all([...running].map((child) => stopChild(child)));
}

/** Last resort on exit: no child outlives the bench. */
export function killAllNow(): void {
  for (const child of running) child.process.kill('SIGKILL');
}

/** A port nothing listens on right now (bound on 127.0.0.1, then released). */
export async function freePort(): Promise<number> {
  const server = createServer();
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  const { port } = server.address() as AddressInfo;
  server.close();
  await once(server, 'close');
  return port;
}

/** Waits until `port` accepts a TCP connection; throws after `timeoutMs` or if the child exits. */
export async function waitForPort(child: Child, port: number, timeoutMs = 20_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (child.process.exitCode !== null) throw new Error(`${child.name} exited (${child.process.exitCode}):\n${child.tail()}`);
    const open = await new Promise<boolean>((resolve) => {
      const socket = connect(port, '127.0.0.1');
      socket.once('connect', () => {
        socket.destroy();
        resolve(true);
      });
      socket.once('error', () => resolve(false));
    });
    if (open) return;
    await sleep(100);
  }
  throw new Error(`${child.name} did not listen on ${port} within ${timeoutMs} ms:\n${child.tail()}`);
}
