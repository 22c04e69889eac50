// routing.timeouts.responseMs bounds a non-streamed attempt's whole answer, not only its headers:
// an upstream that sends its headers at once and then drips the body one byte at a time must fail
// over when responseMs runs out, not hold the request until the overall deadline (found by the
// reliability suite, test/chaos/hostile-upstreams.test.ts).
import assert from 'node:assert/strict';
import { after, it } from 'node:test';
import { startChaosUpstream } from '../support/chaos-upstream.ts';
import { hello, routerFor, upstream } from './helpers.ts';

it('a body dripped past responseMs fails over as a timeout, within responseMs', { timeout: 10_000 }, async () => {
  const dripping = await startChaosUpstream({ faults: ['drip'] });
  after(() => dripping.close());
  const healthy = await upstream();
  const router = routerFor([dripping.url, healthy.url], { timeouts: { responseMs: 400, idleMs: 1000, totalMs: 6000 } });
  after(() => router.close());

  const started = performance.now();
  const result = await router.complete(hello);
  const elapsedMs = performance.now() - started;

  assert.equal(result.provider, 'b');
  assert.equal(result.attempts[0]?.provider, 'a');
  assert.equal(result.attempts[0]?.outcome, 'timeout');
  assert.ok(elapsedMs < 3000, `answered after ${Math.round(elapsedMs)} ms`);
  assert.equal(dripping.requests, 1);
});
