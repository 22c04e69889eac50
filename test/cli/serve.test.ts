import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import { cleanEnv, type RunningCli, runCli, startCli, tempDir } from '../support/cli.ts';
import { completion, startUpstream, type Upstream } from '../support/upstream.ts';

function config(upstream: Upstream, models: string[], extra: string[] = []): string {
  return [
    'server:',
    '  drainMs: 5000',
    'providers:',
    '  up:',
    '    protocol: openai',
    `    baseUrl: ${upstream.url}`,
    '    apiKey: sk-serve-test-key-000000',
    `    models: { ${models.map((model) => `${model}: ${model}`).join(', ')} }`,
    ...extra,
    '',
  ].join('\n');
}

async function modelIds(url: string): Promise<string[]> {
  const response = await fetch(`${url}/v1/models`, { signal: AbortSignal.timeout(3000) });
  const body = (await response.json()) as { data: Array<{ id: string }> };
  return body.data.map((model) => model.id).sort();
}

function chat(url: string, model: string): Promise<Response> {
  return fetch(`${url}/v1/chat/completions`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ model, messages: [{ role: 'user', content: 'hi' }] }),
    signal: AbortSignal.timeout(8000),
  });
}

/** Polls `probe` every 25 ms until it returns true; fails after `timeoutMs`. */
async function eventually(probe: () => boolean | Promise<boolean>, timeoutMs = 5000): Promise<void> {
  const until = Date.now() + timeoutMs;
  while (!(await probe())) {
    if (Date.now() > until) throw new Error(`condition not met after ${timeoutMs} ms`);
    await sleep(25);
  }
}

describe('switchboard serve', () => {
  let dir: Awaited<ReturnType<typeof tempDir>>;
  let upstream: Upstream;
  const children: RunningCli[] = [];

  async function serve(file: string, extra: string[] = []): Promise<{ cli: RunningCli; url: string }> {
    const cli = startCli(['serve', '--config', file, '--port', '0', ...extra]);
    children.push(cli);
    const [, url] = await cli.waitFor(/listening on (http:\/\/127\.0\.0\.1:\d+)/);
    return { cli, url: url! };
  }

  before(async () => {
    dir = await tempDir();
    upstream = await startUpstream([], { fallback: { json: completion('hello') } });
  });
  after(async () => {
    for (const child of children) child.kill();
    await Promise.all([upstream.close(), dir.remove()]);
  });

  it('starts, answers /healthz and chat, reloads on SIGHUP, keeps the old config when the new one is invalid', async () => {
    const file = await dir.write('hup.yaml', config(upstream, ['m1']));
    const { cli, url } = await serve(file, ['--no-watch']);

    const health = await fetch(`${url}/healthz`, { signal: AbortSignal.timeout(3000) });
    assert.equal(health.status, 200);
    const answer = await chat(url, 'm1');
    assert.equal(answer.status, 200);
    assert.equal(answer.headers.get('x-switchboard-provider'), 'up');
    assert.deepEqual(await modelIds(url), ['m1']);

    await dir.write('hup.yaml', config(upstream, ['m1', 'm2']));
    cli.child.kill('SIGHUP');
    await cli.waitFor(/config reloaded \(SIGHUP\): providers up/);
    assert.deepEqual(await modelIds(url), ['m1', 'm2']);

    await dir.write('hup.yaml', config(upstream, ['m3'], ['    priority: first']));
    cli.child.kill('SIGHUP');
    await cli.waitFor(
      /config not reloaded \(SIGHUP\): .*hup\.yaml is invalid; keeping the old config\n\s+providers\.up\.priority: /,
    );
    assert.deepEqual(await modelIds(url), ['m1', 'm2']);
    assert.equal((await chat(url, 'm2')).status, 200);
    assert.doesNotMatch(cli.stdout + cli.stderr, /sk-serve-test-key-000000/);
  });

  it('reloads when the file changes, and ignores a save that changes nothing', async () => {
    const file = await dir.write('watched.yaml', config(upstream, ['w1']));
    const { cli, url } = await serve(file);
    await dir.write('watched.yaml', config(upstream, ['w1', 'w2']));
    await cli.waitFor(/config reloaded \(file change\)/);
    await eventually(async () => (await modelIds(url)).includes('w2'));

    await dir.write('watched.yaml', config(upstream, ['w1', 'w2'])); // same text: no reload
    await dir.write('watched.yaml', 'providers: [not, a, map]\n');
    await cli.waitFor(/config not reloaded \(file change\)/);
    assert.equal(cli.stderr.match(/config reloaded \(file change\)/g)?.length, 1);
    assert.deepEqual(await modelIds(url), ['w1', 'w2']);
  });

  it('lets a request in flight finish across a reload', async () => {
    const slow = await startUpstream([{ delayMs: 600, json: completion('across the reload') }]);
    try {
      const file = await dir.write('inflight.yaml', config(slow, ['m']));
      const { cli, url } = await serve(file, ['--no-watch']);
      const pending = chat(url, 'm');
      await eventually(() => slow.requests.length === 1);
      await dir.write('inflight.yaml', config(slow, ['m', 'n']));
      cli.child.kill('SIGHUP');
      await cli.waitFor(/config reloaded \(SIGHUP\)/);
      const response = await pending;
      assert.equal(response.status, 200);
      const body = (await response.json()) as { choices: Array<{ message: { content: string } }> };
      assert.equal(body.choices[0]!.message.content, 'across the reload');
      assert.deepEqual(await modelIds(url), ['m', 'n']);
    } finally {
      await slow.close();
    }
  });

  it('drains a request in flight on SIGTERM, then exits 0', async () => {
    const slow = await startUpstream([{ delayMs: 700, json: completion('slow answer') }]);
    try {
      const file = await dir.write('drain.yaml', config(slow, ['m']));
      const { cli, url } = await serve(file);
      const pending = chat(url, 'm');
      await eventually(() => slow.requests.length === 1);
      cli.child.kill('SIGTERM');
      await cli.waitFor(/SIGTERM: draining requests in flight \(up to 5000 ms\)/);
      const response = await pending;
      assert.equal(response.status, 200);
      const body = (await response.json()) as { choices: Array<{ message: { content: string } }> };
      assert.equal(body.choices[0]!.message.content, 'slow answer');
      const result = await cli.exited(8000);
      assert.equal(result.code, 0, result.stderr);
      assert.match(result.stderr, /stopped/);
    } finally {
      await slow.close();
    }
  });

  it('exits 1 with the problems when the config is invalid at start', async () => {
    const file = await dir.write('bad.yaml', 'providers:\n  x: { models: { m: m } }\n');
    const result = await runCli(['serve', '--config', file, '--port', '0']);
    assert.equal(result.code, 1);
    assert.match(result.stderr, /providers\.x\.baseUrl: set baseUrl, or a preset that has one/);
  });

  it('exits 1 naming the variables when no provider has its key', async () => {
    const result = await runCli(['serve', '--config', 'examples/switchboard.yaml', '--port', '0'], { env: cleanEnv() });
    assert.equal(result.code, 1);
    assert.match(result.stderr, /groq: GROQ_API_KEY is not set/);
    assert.match(result.stderr, /switchboard demo/);
  });

  it('says how to get a config when there is none', async () => {
    const result = await runCli(['serve'], { cwd: dir.path });
    assert.equal(result.code, 1);
    assert.match(result.stderr, /no switchboard\.yaml in .*\n.*switchboard demo/);
  });

  it('rejects a port that is not one', async () => {
    const result = await runCli(['serve', '--port', 'eighty']);
    assert.equal(result.code, 1);
    assert.match(result.stderr, /expected a port number/);
  });
});
