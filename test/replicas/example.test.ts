// examples/replicas.yaml as its header says to run it: two `switchboard serve` processes and one
// Redis, here with emulated providers in place of Groq and Together.
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { it, type TestContext } from 'node:test';
import type { UsageReport } from '../../src/gateway/usage.ts';
import { cleanEnv, runCli, tempDir } from '../support/cli.ts';
import { startRedis } from '../support/redis.ts';
import { ask, getJson, type Replica, serveReplica } from '../support/replicas.ts';
import { completion, openaiError, startUpstream } from '../support/upstream.ts';

function serveExample(t: TestContext, name: string, env: NodeJS.ProcessEnv): Promise<Replica> {
  return serveReplica(t, name, ['--config', 'examples/replicas.yaml', '--port', '0'], env);
}

it('examples/replicas.yaml: two gateways and one Redis share what they learn and what they spend', {
  timeout: 180_000,
}, async (t) => {
  const redis = await startRedis(t);
  const groq = await startUpstream([], { fallback: { status: 503, json: openaiError('over capacity', 'server_error') } });
  t.after(() => groq.close());
  const together = await startUpstream([], { fallback: { json: completion('hello from together') } });
  t.after(() => together.close());
  const directory = await tempDir();
  t.after(() => directory.remove());
  const env = (replica: string) =>
    cleanEnv({
      REDIS_URL: redis.url,
      GROQ_API_KEY: 'gsk-example',
      TOGETHER_API_KEY: 'tg-example',
      GROQ_BASE_URL: groq.url,
      TOGETHER_BASE_URL: together.url,
      USAGE_DB: join(directory.path, `replica-${replica}.db`),
    });
  const [a, b] = await Promise.all([serveExample(t, 'a', env('a')), serveExample(t, 'b', env('b'))]);

  // Groq fails three times through A (failureThreshold: 3): its circuit opens, for B too.
  for (let index = 0; index < 3; index += 1) {
    const answer = await ask(a, { model: 'llama-3.1-8b' });
    assert.equal(answer.status, 200);
    assert.equal(answer.provider, 'together');
  }
  const groqCalls = groq.requests.filter((request) => request.body?.messages?.[0]?.content === 'hi').length;
  const deadline = Date.now() + 1000;
  for (;;) {
    const status = await getJson<{ providers: { name: string; healthy: boolean }[] }>(b, '/status');
    if (!Object.values(status.providers).find((provider) => provider.name === 'groq')!.healthy) break;
    assert.ok(Date.now() < deadline, 'B saw the trip within 1 s');
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
  assert.equal((await ask(b, { model: 'llama-3.1-8b' })).provider, 'together');
  assert.equal(
    groq.requests.filter((request) => request.body?.messages?.[0]?.content === 'hi').length,
    groqCalls,
    'B sent Groq no caller request',
  );

  // Either replica gives the fleet's spend: A's three answers and B's one.
  const deadlineSpend = Date.now() + 5000;
  let report: UsageReport;
  do {
    report = await getJson<UsageReport>(b, '/usage?since=1h');
    if (report.shared?.provider.together?.requests === 4) break;
    await new Promise((resolve) => setTimeout(resolve, 50));
  } while (Date.now() < deadlineSpend);
  assert.equal(report.shared?.provider.together?.requests, 4);
  assert.equal(report.total.requests, 1, "B's own ledger has its one request");

  const usage = await runCli(['usage', '--url', b.url, '--since', '1h'], { env: cleanEnv() });
  assert.equal(usage.code, 0, usage.stderr);
  assert.match(usage.stdout, /^total {2}1 requests/m);
  assert.match(usage.stdout, /^shared by every replica \(Redis\), since it began counting:$/m);
  assert.match(usage.stdout, /^together +4 +\d+ +\d+ +\$/m);

  const metrics = async () => (await fetch(`${b.url}/metrics`, { signal: AbortSignal.timeout(5000) })).text();
  assert.match(await metrics(), /^switchboard_state_connected\{backend="redis"\} 1$/m);

  const status = await runCli(['status', b.url], { env: cleanEnv() });
  assert.equal(status.code, 0, status.stderr);
  assert.match(status.stdout, /^state {4}redis:\/\/127\.0\.0\.1:\d+\/?, shared with the other replicas$/m);
  await redis.stop();
  const deadlineDown = Date.now() + 10_000;
  let down = '';
  do {
    down = (await runCli(['status', b.url], { env: cleanEnv() })).stdout;
    if (/UNREACHABLE/.test(down)) break;
  } while (Date.now() < deadlineDown);
  assert.match(down, /^state {4}redis:\/\/127\.0\.0\.1:\d+\/? UNREACHABLE: serving from local state/m);
  assert.equal((await ask(b, { model: 'llama-3.1-8b' })).status, 200, 'B answers without Redis');
  assert.match(await metrics(), /^switchboard_state_connected\{backend="redis"\} 0$/m);
});
