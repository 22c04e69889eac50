// A real redis-server (Debian's package) for tests: on 127.0.0.1, a free port, no persistence, its
// own temp dir. It can be stopped and started again on the same port, so a test can take Redis
// away under load and bring it back (empty, as a restarted Redis without persistence is).
import { type ChildProcess, spawn } from 'node:child_process';
import { once } from 'node:events';
import { mkdtemp, rm } from 'node:fs/promises';
import { createConnection, createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { TestContext } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';

export interface RedisServerOptions {
  /** Sets `requirepass`; the URL then carries it as `redis://:password@…`. */
  password?: string;
  /** How long to wait for the server to answer PING (default 10 s). */
  readyTimeoutMs?: number;
}

export interface RedisServer {
  /** `redis://127.0.0.1:<port>` (with the password when one is set). */
  readonly url: string;
  readonly port: number;
  /** Whether the process is running. */
  readonly running: boolean;
  /** Stops the server (SIGTERM, then SIGKILL after 2 s); its data is gone. Safe to call twice. */
  stop(): Promise<void>;
  /** Starts it again on the same port and resolves once it answers PING. */
  start(): Promise<void>;
  /** Stops it and removes its directory; safe to call twice. */
  close(): Promise<void>;
}

/** Starts a redis-server; with a test context, it is closed after the test. */
export async function startRedis(t?: TestContext, options: RedisServerOptions = {}): Promise<RedisServer> {
  const directory = await mkdtemp(join(tmpdir(), 'switchboard-redis-'));
  const readyTimeoutMs = options.readyTimeoutMs ?? 10_000;
  let port = 0;
  let child: ChildProcess | undefined;
  let output = '';

  const launch = async (): Promise<void> => {
    output = '';
    const args = ['--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no', '--dir', directory];
    args.push('--daemonize', 'no', '--logfile', '', '--protected-mode', 'yes');
    if (options.password !== undefined) args.push('--requirepass', options.password);
    const started = spawn('redis-server', args, { stdio: ['ignore', 'pipe', 'pipe'] });
    child = started;
    started.stdout!.setEncoding('utf8').on('data', (text: string) => {
      output = (output + text).slice(-4000);
    });
    started.stderr!.setEncoding('utf8').on('data', (text: string) => {
      output = (output + text).slice(-4000);
    });
    const exited = once(started, 'exit');
    const deadline = Date.now() + readyTimeoutMs;
    while (Date.now() < deadline) {
      if (started.exitCode !== null || started.signalCode !== null) break;
      if (await answersPing(port, options.password)) return;
      await sleep(20);
    }
    started.kill('SIGKILL');
    await exited;
    child = undefined;
    throw new Error(`redis-server on port ${port} did not answer PING within ${readyTimeoutMs} ms:\n${output}`);
  };

  const stop = async (): Promise<void> => {
    const running = child;
    child = undefined;
    if (running === undefined || running.exitCode !== null || running.signalCode !== null) return;
    const exited = once(running, 'exit');
    running.kill('SIGTERM');
    const timer = setTimeout(() => running.kill('SIGKILL'), 2000);
    await exited;
    clearTimeout(timer);
  };

  // A free port can be taken between our probe and redis-server's bind: try a few.
  let lastError: unknown;
  for (let tries = 0; tries < 5; tries += 1) {
    port = await freePort();
    try {
      await launch();
      lastError = undefined;
      break;
    } catch (error) {
      lastError = error;
    }
  }
  if (lastError !== undefined) {
    await rm(directory, { recursive: true, force: true });
    throw lastError;
  }

  const auth = options.password === undefined ? '' : `:${encodeURIComponent(options.password)}@`;
  let closed: Promise<void> | undefined;
  const server: RedisServer = {
    url: `redis://${auth}127.0.0.1:${port}`,
    port,
    get running() {
      return child !== undefined && child.exitCode === null && child.signalCode === null;
    },
    stop,
    start: async () => {
      if (server.running) return;
      await launch();
    },
    close() {
      closed ??= stop().then(() => rm(directory, { recursive: true, force: true }));
      return closed;
    },
  };
  t?.after(() => server.close());
  return server;
}

async function freePort(): Promise<number> {
  const probe = createServer();
  probe.listen(0, '127.0.0.1');
  await once(probe, 'listening');
  const address = probe.address();
  const port = typeof address === 'object' && address !== null ? address.port : 0;
  probe.close();
  await once(probe, 'close');
  return port;
}

/** One PING over a fresh connection (AUTH first when a password is set); false on any error or after 500 ms. */
function answersPing(port: number, password: string | undefined): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = createConnection({ host: '127.0.0.1', port });
    let received = '';
    const done = (answer: boolean) => {
      clearTimeout(timer);
      socket.destroy();
      resolve(answer);
    };
    const timer = setTimeout(() => done(false), 500);
    socket.on('error', () => done(false));
    socket.on('connect', () => {
      const auth = password === undefined ? '' : `AUTH ${JSON.stringify(password)}\r\n`;
      socket.write(`${auth}PING\r\n`);
    });
    socket.setEncoding('utf8').on('data', (text: string) => {
      received += text;
      if (received.includes('+PONG')) done(true);
      else if (received.includes('-')) done(false);
    });
  });
}
