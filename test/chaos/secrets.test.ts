// The secrets sweep: credentials in every place a config holds them (providers' apiKey, custom and
// Azure-style header values, the gateway's own keys, the Redis password), upstreams that echo every
// request header back in errors, in error events mid-stream and in response headers, Redis going
// away, and then every output the gateway has scanned for any key or any 8-character piece of one:
// bodies and headers of every answer, SSE events, /status (with and without a key), /metrics,
// /usage, /v1/models, the dashboard, its logs, and `switchboard status`.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { kinds } from '../support/chaos-client.ts';
import { secret } from '../support/chaos-config.ts';
import { type ChaosTarget, startChaosTarget } from '../support/chaos-target.ts';
import type { Fault } from '../support/chaos-upstream.ts';
import { runCli } from '../support/cli.ts';
import { emptyFigures, publishFigures } from '../support/figures.ts';
import { type RedisServer, startRedis } from '../support/redis.ts';

const figures = emptyFigures();
/** Another client's prompt, which upstream 400s quote back: only a key holder may read it in /status. */
const prompt = `private prompt ${Math.random().toString(36).slice(2)}`;

/** Every 8-character piece of `secret`. */
function pieces(secret: string): string[] {
  return Array.from({ length: secret.length - 7 }, (_, start) => secret.slice(start, start + 8));
}

describe('secrets sweep: no key, nor 8 characters of one, in any output', { timeout: 180_000 }, () => {
  let target: ChaosTarget;
  const outputs: Array<{ where: string; text: string }> = [];

  let redis: RedisServer;

  before(async () => {
    // A Redis with a password holds the shared state: its URL is a credential too.
    const password = secret('rp');
    redis = await startRedis(undefined, { password });
    target = await startChaosTarget({ extra: { state: { redis: redis.url } }, extraSecrets: [password] });
  });

  after(async () => {
    if (target && !target.gateway.alive()) figures.crashes++;
    publishFigures('secrets', figures);
    await target?.dispose();
    await redis?.close();
  });

  const keep = (where: string, response: { status: number; body: string; headers: object }) => {
    figures.requests++;
    outputs.push({ where, text: `${response.status} ${JSON.stringify(response.headers)}\n${response.body}` });
  };

  it('drives every route through upstreams that echo the credentials back', async () => {
    const echoes: Array<[Fault, number]> = [
      ['echo-headers', 400],
      ['echo-headers', 500],
      ['echo-headers', 429],
      ['echo-in-stream', 200],
      ['echo-headers', 401],
    ];
    for (const [fault, status] of echoes) {
      // Every upstream echoes, so what they say is what the client would be told.
      for (const upstream of target.upstreams) {
        upstream.faults = [fault];
        upstream.echoStatus = status;
      }
      for (const kind of kinds) keep(`${fault} ${status} ${kind}`, await target.client.send(kind, { prompt }));
      for (const path of ['/v1/responses', '/v1/embeddings', '/v1/messages/count_tokens']) {
        const body = JSON.stringify({ model: 'chaos', input: 'x', max_tokens: 5, messages: [{ role: 'user', content: 'x' }] });
        keep(
          `${fault} ${status} ${path}`,
          await target.client.raw('POST', path, { headers: { 'content-type': 'application/json' }, body }),
        );
      }
    }
    // One upstream echoing, the others healthy: the answers that succeed carry nothing either.
    for (const [index, upstream] of target.upstreams.entries()) upstream.faults = index === 0 ? ['echo-headers'] : [];
    target.upstreams[0]!.echoStatus = 500;
    for (const kind of kinds) keep(`one echoing, ${kind}`, await target.client.send(kind));
    // Keys pasted where a model name goes: refused, and not kept in the log, /usage or /status.
    for (const [index, pasted] of target.secrets.all.entries()) {
      const path = index % 2 === 0 ? '/v1/chat/completions' : '/v1/messages';
      const body = JSON.stringify({ model: pasted, max_tokens: 5, messages: [{ role: 'user', content: 'x' }] });
      keep(
        `key pasted as the model on ${path}`,
        await target.client.raw('POST', path, { headers: { 'content-type': 'application/json' }, body }),
      );
    }
    // A near-miss key: the refusal must not quote it back.
    const nearMiss = `${target.secrets.gatewayKey.slice(0, -1)}!`;
    keep('near-miss key', await target.client.raw('GET', '/v1/models', { headers: { authorization: `Bearer ${nearMiss}` } }));
    // Redis goes away and comes back: whatever the gateway says about it, it says without the password.
    await redis.stop();
    for (const kind of kinds) keep(`redis away, ${kind}`, await target.client.send(kind));
    await redis.start();
    for (const upstream of target.upstreams) upstream.faults = [];
    assert.equal(outputs.length, 44 + target.secrets.all.length);
  });

  it('collects /status, /metrics, /usage, /v1/models, /healthz, the dashboard, the logs and `switchboard status`', async () => {
    for (const path of ['/status', '/metrics', '/usage', '/v1/models', '/healthz', '/']) {
      keep(`GET ${path} with the key`, await target.client.raw('GET', path));
      keep(`GET ${path} without a key`, await target.client.raw('GET', path, { headers: { authorization: '' } }));
    }
    const plain = await runCli(['status', target.gateway.url]);
    const keyed = await runCli(['status', target.gateway.url, '--json', '--api-key', target.secrets.gatewayKey]);
    outputs.push({ where: 'switchboard status', text: plain.stdout + plain.stderr });
    // The key given on its command line is the caller's own; what the gateway sent back is what counts.
    outputs.push({ where: 'switchboard status --api-key --json', text: keyed.stdout });
    await new Promise((resolve) => setTimeout(resolve, 500)); // the logger writes asynchronously
    outputs.push({ where: 'gateway logs (stdout and stderr)', text: target.gateway.output() });
    assert.ok(target.gateway.output().includes('chat completion'), 'the request log was captured');
    assert.match(target.gateway.output(), /redis/i, 'the gateway spoke of its Redis (which went away)');
  });

  it('finds no key and no 8-character piece of one anywhere', () => {
    const leaks: string[] = [];
    for (const { where, text } of outputs) {
      for (const secret of target.secrets.all) {
        const found = pieces(secret).find((piece) => text.includes(piece));
        if (found !== undefined) {
          const at = text.indexOf(found);
          leaks.push(`${where}: …${text.slice(Math.max(0, at - 60), at + 30)}…`);
        }
      }
    }
    figures.keyLeaks += leaks.length;
    console.log(`secrets sweep: ${target.secrets.all.length} credentials, ${outputs.length} outputs, ${leaks.length} leaks`);
    assert.deepEqual(leaks, []);
  });

  it('/status, /metrics and the dashboard without a key show no upstream address and no request text', () => {
    const addresses = target.upstreams.map((upstream) => new URL(upstream.url).host);
    const open = outputs.filter(
      ({ where }) => where.endsWith('without a key') && !where.includes('/v1/') && !where.includes('/usage'),
    );
    assert.equal(open.length, 4);
    for (const { where, text } of open) {
      for (const address of addresses) assert.ok(!text.includes(address), `${where} shows ${address}`);
      assert.ok(!text.includes(prompt), `${where} shows another client's prompt`);
    }
    // With a key, the texts are there: the check above is not passing for want of them.
    const keyed = outputs.find(({ where }) => where === 'GET /status with the key')!;
    assert.ok(keyed.text.includes('Incorrect API key provided'), '/status with a key tells the upstream error');
  });

  it('the sweep can fail: the echoing upstream did receive (and quote) each of its credentials', () => {
    // Guards against a sweep that passes because nothing secret was ever in play: up0's apiKey,
    // custom header and api-key header (secrets 1–3) all reached it, and its echo quotes every header.
    const seen = JSON.stringify(target.upstreams[0]!.recentHeaders);
    for (const secret of target.secrets.all.slice(1, 4)) assert.ok(seen.includes(secret), 'the upstream saw the credential');
    // And the echoes reached the outputs (scrubbed), so scrubbing, not silence, is what kept them out.
    assert.ok(
      outputs.some(({ text }) => text.includes('Incorrect API key provided')),
      'an echo reached an output',
    );
  });
});
