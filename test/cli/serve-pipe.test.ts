// `switchboard serve | head -1` and `serve 2>&1 | head -1`: once the reader of the log pipe
// exits, the gateway keeps serving and still stops on SIGTERM within server.drainMs.
import assert from 'node:assert/strict';
import { type ChildProcess, spawn } from 'node:child_process';
import { once } from 'node:events';
import { createServer } from 'node:net';
import { after, before, describe, it } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import { cleanEnv, mainPath, repoRoot, tempDir } from '../support/cli.ts';
import { completion, startUpstream, type Upstream } from '../support/upstream.ts';

const drainMs = 3000;

async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as { port: number };
  await new Promise((resolve) => server.close(resolve));
  return port;
}

/** Resolves with true once `probe` does, false after `timeoutMs`. */
async function eventually(probe: () => Promise<boolean>, timeoutMs: number): Promise<boolean> {
  const until = Date.now() + timeoutMs;
  while (Date.now() < until) {
    if (await probe().catch(() => false)) return true;
    await sleep(50);
  }
  return false;
}

async function healthy(url: string): Promise<boolean> {
  const response = await fetch(`${url}/healthz`, { signal: AbortSignal.timeout(2000) });
  return response.status === 200;
}

async function chat(url: string): Promise<number> {
  const response = await fetch(`${url}/v1/chat/completions`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ model: 'm', messages: [{ role: 'user', content: 'hi' }] }),
    signal: AbortSignal.timeout(3000),
  });
  await response.arrayBuffer();
  return response.status;
}

/** Reads `stream` until its first complete line, then closes it the way `head -1` exits. */
async function readOneLineAndClose(stream: NodeJS.ReadableStream & { destroy(): void }): Promise<string> {
  let text = '';
  for await (const piece of stream) {
    text += String(piece);
    if (text.includes('\n')) break; // leaving the loop destroys the stream: our end of the pipe closes
  }
  stream.destroy();
  return text.slice(0, text.indexOf('\n'));
}

describe('serve with a log reader that goes away', () => {
  let dir: Awaited<ReturnType<typeof tempDir>>;
  let upstream: Upstream;
  const children: ChildProcess[] = [];

  before(async () => {
    dir = await tempDir();
    upstream = await startUpstream([], { fallback: { json: completion('hello') } });
  });
  after(async () => {
    for (const child of children) if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
    await Promise.all([upstream.close(), dir.remove()]);
  });

  async function start(name: string, shell: string): Promise<{ child: ChildProcess; url: string }> {
    const port = await freePort();
    const file = await dir.write(
      name,
      [
        'server:',
        `  port: ${port}`,
        `  drainMs: ${drainMs}`,
        'providers:',
        '  up:',
        '    protocol: openai',
        `    baseUrl: ${upstream.url}`,
        '    apiKey: sk-pipe-test-key-000000',
        '    models: { m: m }',
        '',
      ].join('\n'),
    );
    // `exec` so that the child's pid is the gateway's, and the signals reach it.
    const child = spawn(
      '/bin/sh',
      ['-c', `exec "$0" "$@" ${shell}`, process.execPath, mainPath, 'serve', '--config', file, '--no-watch'],
      {
        cwd: repoRoot,
        env: cleanEnv(),
        stdio: ['ignore', 'pipe', 'pipe'],
      },
    );
    children.push(child);
    return { child, url: `http://127.0.0.1:${port}` };
  }

  async function assertServesThenStops(child: ChildProcess, url: string): Promise<void> {
    assert.ok(await eventually(() => healthy(url), 15_000), '/healthz answers after the reader left');
    // Each request writes a log line into the closed pipe.
    for (let index = 0; index < 20; index++) assert.equal(await chat(url), 200);
    assert.ok(await healthy(url), '/healthz still answers after 20 logged requests');

    const exited = once(child, 'exit');
    const sentAt = Date.now();
    child.kill('SIGTERM');
    const outcome = await Promise.race([exited, sleep(drainMs + 5000).then(() => 'timeout' as const)]);
    assert.notEqual(outcome, 'timeout', `still running ${drainMs + 5000} ms after SIGTERM`);
    const [code, signal] = outcome as [number | null, NodeJS.Signals | null];
    assert.deepEqual({ code, signal }, { code: 0, signal: null });
    assert.ok(Date.now() - sentAt < drainMs + 2000, `stopped within drainMs (took ${Date.now() - sentAt} ms)`);
  }

  it('serve 2>&1 | head -1: keeps serving, exits on SIGTERM', async () => {
    const { child, url } = await start('merged.yaml', '2>&1');
    const first = await readOneLineAndClose(child.stdout!);
    assert.ok(first.length > 0, 'read one line before closing');
    await assertServesThenStops(child, url);
  });

  it('serve | head -1: reports the lost log output once on stderr, keeps serving, exits on SIGTERM', async () => {
    const { child, url } = await start('stdout.yaml', '');
    let stderr = '';
    child.stderr!.setEncoding('utf8').on('data', (text: string) => {
      stderr += text;
    });
    await readOneLineAndClose(child.stdout!);
    await assertServesThenStops(child, url);
    const notices = stderr.match(/request log output failed/g) ?? [];
    assert.equal(notices.length, 1, `one notice on stderr:\n${stderr}`);
    assert.match(stderr, /SIGTERM: draining/);
    assert.match(stderr, /stopped/);
    assert.doesNotMatch(stderr, /sk-pipe-test-key/);
  });
});
