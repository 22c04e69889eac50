// routing.timeouts.responseMs bounds a non-streamed attempt's whole answer, not only its headers:
// an upstream that sends its headers at once and then drips the body one byte at a time must fail
// over when responseMs runs out, not hold the request until the overall deadline (found by the
// reliability suite, test/chaos/hostile-upstreams.test.ts).
import assert from 'node:assert/strict';
import { after, it } from 'node:test';
import { startChaosUpstream } from '../support/chaos-upstream.ts';
import { startUnresponsiveHost } from '../support/unresponsive-host.ts';
import { completion, textChunks } from '../support/upstream.ts';
import { collect, hello, routerFor, upstream } from './helpers.ts';

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

// Found reviewing the move to undici's dispatcher: an attempt whose connection was still being made
// ignored its deadlines until the connect timeout.
it('a host that accepts no connection: a stream fails over at firstTokenMs, an answer at responseMs, not at connectMs', {
  timeout: 20_000,
}, async () => {
  const silent = await startUnresponsiveHost();
  after(() => silent.close());
  const second = await upstream([{ sse: textChunks('from b') }, { json: completion('from b') }]);
  const router = routerFor([silent.url, second.url], { timeouts: { connectMs: 8000, firstTokenMs: 300, responseMs: 300 } });
  after(() => router.close());

  let started = performance.now();
  const stream = await router.stream(hello);
  assert.equal(await collect(stream), 'from b');
  const streamMs = performance.now() - started;
  assert.equal(stream.attempts[0]!.outcome, 'timeout');

  started = performance.now();
  const result = await router.complete(hello);
  const answerMs = performance.now() - started;
  assert.equal(result.provider, 'b');
  assert.equal(result.attempts[0]!.outcome, 'timeout');
  // Generous for a loaded machine, and still far below the 8 s connect timeout.
  assert.ok(streamMs < 4000, `the stream failed over after ${Math.round(streamMs)} ms`);
  assert.ok(answerMs < 4000, `the answer failed over after ${Math.round(answerMs)} ms`);
});
