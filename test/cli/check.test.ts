import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { cleanEnv, runCli, tempDir } from '../support/cli.ts';
import { completion, openaiError, refusingUrl, startUpstream, type Upstream } from '../support/upstream.ts';

const goodKey = 'sk-check-good-key-0123456789';
const badKey = 'sk-check-bad-key-9876543210';

function provider(name: string, url: string, key: string, model: string, extra: string[] = []): string[] {
  return [
    `  ${name}:`,
    '    protocol: openai',
    `    baseUrl: ${url}`,
    `    apiKey: ${key}`,
    `    models: { m: ${model} }`,
    ...extra,
  ];
}

const routing = ['routing:', '  healthCheck: { timeoutMs: 2000 }', ''];

describe('switchboard check', () => {
  let dir: Awaited<ReturnType<typeof tempDir>>;
  let healthy: Upstream;
  let rejecting: Upstream;
  let refusing: string;

  before(async () => {
    dir = await tempDir();
    healthy = await startUpstream([], { fallback: { json: completion('pong') } });
    // An upstream that echoes the key back in its error, as OpenAI's 401 does.
    rejecting = await startUpstream([], {
      fallback: {
        status: 401,
        json: openaiError(`Incorrect API key provided: ${badKey}`, 'invalid_request_error', 'invalid_api_key'),
      },
    });
    refusing = await refusingUrl();
  });
  after(async () => {
    await Promise.all([healthy.close(), rejecting.close(), dir.remove()]);
  });

  it('prints a row per provider and exits 0 when one is healthy', async () => {
    const file = await dir.write(
      'mixed.yaml',
      [
        'providers:',
        ...provider('good', healthy.url, goodKey, 'model-a'),
        ...provider('down', refusing, badKey, 'model-b'),
        ...routing,
      ].join('\n'),
    );
    const result = await runCli(['check', '--config', file]);
    assert.equal(result.code, 0, result.stderr);
    const lines = result.stdout.trim().split('\n');
    assert.match(lines[0]!, /^PROVIDER\s+MODEL\s+HEALTHY\s+LATENCY\s+ERROR$/);
    assert.match(result.stdout, /^good\s+model-a\s+yes\s+\d+ ms\s*$/m);
    assert.match(result.stdout, /^down\s+model-b\s+no\s+\d+ ms\s+.*ECONNREFUSED/m);
    assert.equal(lines.at(-1), '1 of 2 providers healthy');
    // The probe is the smallest request there is, sent with the provider's own model name.
    assert.equal(healthy.requests.length, 1);
    assert.equal(healthy.requests[0]!.body.max_tokens, 1);
    assert.equal(healthy.requests[0]!.body.model, 'model-a');
  });

  it('exits 1 when none is healthy, and never prints a key, even one an upstream echoes', async () => {
    const file = await dir.write(
      'none.yaml',
      [
        'providers:',
        ...provider('down', refusing, goodKey, 'model-b'),
        ...provider('rejected', rejecting.url, badKey, 'model-c'),
        ...routing,
      ].join('\n'),
    );
    const result = await runCli(['check', '--config', file]);
    assert.equal(result.code, 1);
    assert.match(result.stdout, /^rejected\s+model-c\s+no\s+\d+ ms\s+.*Incorrect API key provided/m);
    assert.match(result.stdout, /^0 of 2 providers healthy$/m);
    assert.doesNotMatch(result.stdout + result.stderr, new RegExp(`${goodKey}|${badKey}`));
  });

  it('lists a provider whose key variable is unset as skipped', async () => {
    const file = await dir.write(
      'keyless.yaml',
      [
        'providers:',
        ...provider('good', healthy.url, goodKey, 'model-a'),
        ...provider('nokey', refusing, '${SWITCHBOARD_TEST_NO_SUCH_KEY:-}', 'model-d'),
        ...routing,
      ].join('\n'),
    );
    const result = await runCli(['check', '--config', file]);
    assert.equal(result.code, 0, result.stderr);
    assert.match(result.stdout, /^nokey\s+model-d\s+skipped\s+-\s+SWITCHBOARD_TEST_NO_SUCH_KEY is not set$/m);
    assert.match(result.stdout, /^1 of 1 provider healthy$/m);
  });

  it('reads ./switchboard.yaml by default, and says how to get one when there is none', async () => {
    const empty = await tempDir();
    try {
      const missing = await runCli(['check'], { cwd: empty.path });
      assert.equal(missing.code, 1);
      assert.match(missing.stderr, /no switchboard\.yaml in/);
      assert.match(missing.stderr, /switchboard demo/);
      assert.match(missing.stderr, /set one or more of GROQ_API_KEY, .*\n.*switchboard init/);

      await empty.write('switchboard.yaml', ['providers:', ...provider('good', healthy.url, goodKey, 'model-a'), ''].join('\n'));
      const found = await runCli(['check'], { cwd: empty.path, env: cleanEnv() });
      assert.equal(found.code, 0, found.stderr);
      assert.match(found.stdout, /^good\s+model-a\s+yes/m);
    } finally {
      await empty.remove();
    }
  });

  it('reports an invalid config and exits 1', async () => {
    const file = await dir.write('invalid.yaml', 'providers: {}\n');
    const result = await runCli(['check', '--config', file]);
    assert.equal(result.code, 1);
    assert.match(result.stderr, /providers: configure at least one provider/);
  });
});
