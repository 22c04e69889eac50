// Child processes the bench starts: each one tracked, its output kept (the last lines, for
// errors), and every one killed at the end, on error and on Ctrl-C alike.
import { type ChildProcess, spawn } from 'node:child_process';
import { once } from 'node:events';
import { closeSync, openSync } from 'node:fs';
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

export interface ChildOptions {
  env?: NodeJS.ProcessEnv;
  /** Working directory (default: the bench's). */
  cwd?: string;
  /**
   * A file its stdout goes to, opened here and handed over as the descriptor, as a shell's `> FILE`
   * does: the child writes to a file, not to a pipe the bench drains. Only stderr is then kept for `tail`.
   */
  stdoutFile?: string;
}

/** Starts `node ARGS...` (or another command), tracked for `stopAll`. */
export function startChild(name: string, command: string, args: string[], options: ChildOptions = {}): Child {
  const stdoutFd = options.stdoutFile === undefined ? undefined : openSync(options.stdoutFile, 'w');
  let child: ChildProcess;
  try {
    child = spawn(command, args, {
      env: { ...process.env, ...options.env },
      cwd: options.cwd,
      stdio: ['ignore', stdoutFd ?? 'pipe', 'pipe'],
    });
  } finally {
    // The child holds its own copy of the descriptor.
    if (stdoutFd !== undefined) closeSync(stdoutFd);
  }
  if (child.pid === undefined) throw new Error(`${name}: could not start ${command}`);
  const lines: string[] = [];
  const keep = (data: Buffer) => {
    for (const line of data.toString('utf8').split('\n')) if (line.trim() !== '') lines.push(line);
    if (lines.length > tailLines) lines.splice(0, lines.length - tailLines);
  };
  // Always drained, so a chatty child never blocks on a full pipe.
  child.stdout?.on('data', keep);
  child.stderr?.on('data', keep);
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
