import assert from 'node:assert/strict';
import { after, describe, it } from 'node:test';
import { createRouter } from '../../src/router/router.ts';
import { completion, openaiError, refusingUrl, startUpstream } from '../support/upstream.ts';
import { routerFor } from './helpers.ts';

describe('active health checks', () => {
  it('probes every provider at once with a 1-token request and cuts a hung probe at the timeout', async () => {
    const healthy = await startUpstream([{ json: completion('.') }]);
    const hung = await startUpstream(['hang']);
    const broken = await startUpstream([{ status: 500, json: openaiError('boom', 'server_error') }]);
    after(() => Promise.all([healthy.close(), hung.close(), broken.close()]));
    const router = routerFor([healthy.url, hung.url, broken.url, await refusingUrl()], { healthCheck: { timeoutMs: 600 } });
    after(() => router.close());
    const started = performance.now();
    const results = await router.checkHealth();
    const elapsedMs = performance.now() - started;
    assert.ok(elapsedMs < 1500, `all probes ran concurrently and the hang was cut (${elapsedMs} ms)`);
    assert.deepEqual(
      results.map((r) => [r.provider, r.healthy, r.error?.kind]),
      [
        ['a', true, undefined],
        ['b', false, 'timeout'],
        ['c', false, 'server'],
        ['d', false, 'connect'],
      ],
    );
    assert.equal(healthy.requests[0]!.body.max_tokens, 1);
    assert.equal(healthy.requests[0]!.body.model, 'a-model');
    const status = router.status();
    assert.equal(status.a!.latencyEmaMs! > 0, true, 'probe latency feeds the EMA');
    assert.equal(status.b!.consecutiveFailures, 1);
    await hung.waitForClose(0);
  });

  it('a successful probe lets an open provider back in', async () => {
    const upstream = await startUpstream([{ status: 503, json: openaiError('down', 'server_error') }, { json: completion('.') }]);
    after(() => upstream.close());
    const router = routerFor([upstream.url], {
      failureThreshold: 1,
      maxAttemptsPerProvider: 1,
      recovery: { probeDelaysMs: [60_000] },
    });
    after(() => router.close());
    await assert.rejects(router.complete({ model: 'm', messages: [{ role: 'user', content: 'x' }] }));
    assert.equal(router.status().a!.state, 'open');
    await router.checkHealth();
    assert.equal(router.status().a!.state, 'closed');
  });

  it('background checks run on the interval without keeping the process alive', async () => {
    const upstream = await startUpstream([], { fallback: { json: completion('.') } });
    after(() => upstream.close());
    const router = routerFor([upstream.url], { healthCheck: { intervalMs: 30, timeoutMs: 100 } });
    after(() => router.close());
    for (let i = 0; i < 50 && upstream.requests.length < 2; i += 1) await new Promise((resolve) => setTimeout(resolve, 10));
    assert.ok(upstream.requests.length >= 2, 'probed at least twice');
  });

  it('background checks cover every configured model, spread over the interval, not all at once', async () => {
    const upstream = await startUpstream([], { fallback: { json: completion('.') } });
    after(() => upstream.close());
    const models = { m1: 'a-1', m2: 'a-2', m3: 'a-3', m4: 'a-4' };
    const router = createRouter({
      providers: { a: { baseUrl: upstream.url, models } },
      routing: { healthCheck: { intervalMs: 400, timeoutMs: 200 } },
    });
    after(() => router.close());
    for (let i = 0; i < 100 && upstream.requests.length < 4; i += 1) await new Promise((resolve) => setTimeout(resolve, 10));
    const checks = upstream.requests.slice(0, 4);
    assert.deepEqual(checks.map((request) => request.body.model).sort(), ['a-1', 'a-2', 'a-3', 'a-4'], 'every model once');
    assert.ok(checks.every((request) => request.body.max_tokens === 1));
    for (let index = 1; index < checks.length; index++) {
      const gap = checks[index]!.receivedAt - checks[index - 1]!.receivedAt;
      assert.ok(gap >= 60, `checks ${Math.round(gap)} ms apart: one every 100 ms, not a burst`);
    }
  });
});
