import assert from 'node:assert/strict';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import OpenAI from 'openai';
import { gatewayKeyId } from '../../src/gateway/auth.ts';
import { type Gateway, startGateway } from '../../src/gateway/server.ts';
import { cleanEnv, runCli, tempDir } from '../support/cli.ts';
import { completion, startUpstream, type Upstream } from '../support/upstream.ts';

const gatewayKey = 'sk-gateway-cli-secret';

describe('switchboard usage', () => {
  let upstream: Upstream;
  let gateway: Gateway;
  let directory: Awaited<ReturnType<typeof tempDir>>;
  let path: string;

  before(async () => {
    directory = await tempDir();
    path = join(directory.path, 'switchboard-usage.db');
    upstream = await startUpstream([], { fallback: { json: completion('hello there', { usage: { prompt_tokens: 1000 } }) } });
    gateway = await startGateway({
      config: {
        server: { apiKeys: [gatewayKey] },
        usage: { path, flushMs: 100 },
        providers: {
          groq: {
            protocol: 'openai',
            baseUrl: upstream.url,
            models: { llama: 'llama-3.1-8b-instant' },
            pricing: { llama: { input: 50, output: 80 } },
          },
        },
      },
      port: 0,
      host: '127.0.0.1',
      logger: false,
    });
    const client = new OpenAI({ baseURL: `${gateway.url}/v1`, apiKey: gatewayKey, maxRetries: 0, timeout: 5000 });
    for (let index = 0; index < 3; index += 1) {
      await client.chat.completions.create({ model: 'llama', messages: [{ role: 'user', content: 'hi' }] });
    }
  });
  after(async () => {
    await gateway.close(0);
    await upstream.close();
    await directory.remove();
  });

  it('prints totals by provider, model and key from the ledger file', async () => {
    // The gateway writes within usage.flushMs (100 ms here); the file is read by another process.
    await new Promise((resolve) => setTimeout(resolve, 1000));
    const result = await runCli(['usage', '--since', '1h', '--db', path]);
    assert.equal(result.code, 0, result.stderr);
    const lines = result.stdout.split('\n');
    assert.match(lines[0]!, /^usage {2}\d{4}-\d\d-\d\d \d\d:\d\d:\d\dZ → .* \(from .*switchboard-usage\.db\)$/);
    // 3 answers of 1000 input and 2 output tokens at $50 / $80 per million.
    assert.equal(lines[1], 'total  3 requests, 0 errors, 3000 input + 6 output tokens, $0.15');
    assert.match(result.stdout, /^PROVIDER +REQUESTS +ERRORS +INPUT TOKENS +OUTPUT TOKENS +COST +AVG LATENCY$/m);
    assert.match(result.stdout, /^groq +3 +0 +3000 +6 +\$0\.15 +\d+ ms$/m);
    assert.match(result.stdout, /^llama +3 +0 +3000 +6 +\$0\.15 /m);
    assert.match(result.stdout, new RegExp(`^${gatewayKeyId(gatewayKey)} +3 `, 'm'));
    assert.ok(!result.stdout.includes(gatewayKey));
  });

  it('asks a running gateway with --url, sending SWITCHBOARD_API_KEY', async () => {
    const result = await runCli(['usage', '--url', gateway.url, '--by', 'provider', '--json'], {
      env: cleanEnv({ SWITCHBOARD_API_KEY: gatewayKey }),
    });
    assert.equal(result.code, 0, result.stderr);
    const report = JSON.parse(result.stdout) as { total: { requests: number }; by: Record<string, unknown[]> };
    assert.equal(report.total.requests, 3);
    assert.deepEqual(Object.keys(report.by), ['provider']);

    const refused = await runCli(['usage', '--url', gateway.url]);
    assert.equal(refused.code, 1);
    assert.match(refused.stderr, /answered 401: .*set SWITCHBOARD_API_KEY/);
  });

  it('reads ./switchboard-usage.db by default, and says what is wrong with its arguments', async () => {
    const result = await runCli(['usage', '--since', '2h', '--by', 'model'], { cwd: directory.path });
    assert.equal(result.code, 0, result.stderr);
    assert.match(result.stdout, /\(from switchboard-usage\.db\)/);
    assert.match(result.stdout, /^MODEL +REQUESTS/m);
    assert.doesNotMatch(result.stdout, /^PROVIDER/m);

    const badSince = await runCli(['usage', '--since', 'last tuesday', '--db', path]);
    assert.equal(badSince.code, 1);
    assert.match(badSince.stderr, /since: expected a duration like 1h/);
    const missing = await runCli(['usage', '--db', join(directory.path, 'none.db')]);
    assert.equal(missing.code, 1);
    assert.match(missing.stderr, /no usage ledger at .*none\.db/);
  });
});
