// Signals while `switchboard serve` drains: SIGHUP is ignored (and said so), a second SIGTERM or
// SIGINT ends the process at once.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import { type RunningCli, startCli, tempDir } from '../support/cli.ts';
import { completion, startUpstream, type Upstream } from '../support/upstream.ts';

const drainMs = 20_000;

function config(upstream: Upstream): string {
  return [
    'server:',
    `  drainMs: ${drainMs}`,
    'providers:',
    '  up:',
    '    protocol: openai',
    `    baseUrl: ${upstream.url}`,
    '    apiKey: sk-signal-test-key-000000',
    '    models: { m: m }',
    '',
  ].join('\n');
}

function chat(url: string): Promise<Response> {
  return fetch(`${url}/v1/chat/completions`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ model: 'm', messages: [{ role: 'user', content: 'hi' }] }),
    signal: AbortSignal.timeout(15_000),
  });
}

async function eventually(probe: () => boolean, timeoutMs = 5000): Promise<void> {
  const until = Date.now() + timeoutMs;
  while (!probe()) {
    if (Date.now() > until) throw new Error(`condition not met after ${timeoutMs} ms`);
    await sleep(25);
  }
}

describe('serve: signals during a drain', () => {
  let dir: Awaited<ReturnType<typeof tempDir>>;
  let upstream: Upstream;
  const children: RunningCli[] = [];

  before(async () => {
    dir = await tempDir();
    upstream = await startUpstream([], { fallback: { json: completion('hello') } });
  });
  after(async () => {
    for (const child of children) child.kill();
    await Promise.all([upstream.close(), dir.remove()]);
  });

  async function serveDraining(name: string, entry: Parameters<Upstream['script']['push']>[0]) {
    upstream.script.push(entry);
    const file = await dir.write(name, config(upstream));
    const cli = startCli(['serve', '--config', file, '--port', '0', '--no-watch']);
    children.push(cli);
    const [, url] = await cli.waitFor(/listening on (http:\/\/127\.0\.0\.1:\d+)/);
    const seen = upstream.requests.length;
    const pending = chat(url!);
    pending.catch(() => {}); // cut on purpose in some tests; read below where it matters
    await eventually(() => upstream.requests.length > seen);
    cli.child.kill('SIGTERM');
    await cli.waitFor(/SIGTERM: draining requests in flight/);
    return { cli, pending };
  }

  it('SIGHUP during a drain is ignored and logged; the request in flight still finishes', async () => {
    const { cli, pending } = await serveDraining('hup.yaml', { delayMs: 1500, json: completion('finished in the drain') });
    cli.child.kill('SIGHUP');
    await cli.waitFor(/SIGHUP ignored/);
    const response = await pending;
    assert.equal(response.status, 200);
    const body = (await response.json()) as { choices: Array<{ message: { content: string } }> };
    assert.equal(body.choices[0]!.message.content, 'finished in the drain');
    const result = await cli.exited(10_000);
    assert.deepEqual({ code: result.code, signal: result.signal }, { code: 0, signal: null }, result.stderr);
    assert.match(result.stderr, /stopped/);
  });

  for (const second of ['SIGTERM', 'SIGINT'] as const) {
    it(`a second ${second} during a drain exits at once, without waiting drainMs`, async () => {
      const { cli, pending } = await serveDraining(`${second}.yaml`, 'hang');
      const sentAt = Date.now();
      cli.child.kill(second);
      const result = await cli.exited(10_000);
      assert.ok(Date.now() - sentAt < drainMs / 4, `exited after ${Date.now() - sentAt} ms`);
      assert.deepEqual({ code: result.code, signal: result.signal }, { code: 1, signal: null }, result.stderr);
      assert.match(result.stderr, new RegExp(`${second} again: exiting without waiting`));
      await assert.rejects(pending);
    });
  }
});
