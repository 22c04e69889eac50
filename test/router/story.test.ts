// The basic failover story end to end: three providers, the first goes down and comes back,
// and it is probes, not callers, that find out when it is back.
import assert from 'node:assert/strict';
import { after, describe, it } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import { completion, openaiError, startUpstream } from '../support/upstream.ts';
import { hello, routerFor } from './helpers.ts';

const isProbe = (request: { body: { max_tokens?: unknown } }) => request.body.max_tokens === 1;

/** Waits until `check` holds, for at most `withinMs`; false if it never did. */
async function eventually(check: () => boolean, withinMs: number): Promise<boolean> {
  const until = performance.now() + withinMs;
  while (performance.now() < until) {
    if (check()) return true;
    await sleep(10);
  }
  return check();
}

describe('failover story', () => {
  it('keeps answering while the first provider is down, takes it out after 3 failures, and a probe lets it back in', async () => {
    let firstDown = false;
    const first = await startUpstream([], {
      fallback: () =>
        firstDown ? { status: 503, json: openaiError('overloaded', 'server_error') } : { json: completion('first') },
    });
    const second = await startUpstream([], { fallback: { json: completion('second') } });
    const third = await startUpstream([], { fallback: { json: completion('third') } });
    after(() => Promise.all([first.close(), second.close(), third.close()]));
    const router = routerFor([first.url, second.url, third.url], {
      failureThreshold: 3,
      recovery: { probeDelaysMs: [100, 200], probeJitter: 0 },
    });
    after(() => router.close());

    assert.equal((await router.complete(hello)).provider, 'a');

    firstDown = true;
    for (let i = 1; i <= 3; i += 1) {
      const result = await router.complete(hello);
      assert.equal(result.provider, 'b', 'the caller is answered by the second provider');
      assert.equal(router.status().a!.consecutiveFailures, i);
    }
    assert.equal(router.status().a!.state, 'open', 'taken out after 3 failures');
    const callersBefore = first.requests.filter((request) => !isProbe(request)).length;
    for (let i = 0; i < 5; i += 1) assert.equal((await router.complete(hello)).provider, 'b');
    await sleep(350);
    assert.notEqual(router.status().a!.state, 'closed', 'probes that get 503 keep it out (open, or half-open while one runs)');
    assert.ok(first.requests.filter(isProbe).length >= 1, 'it was probed while down');
    assert.equal(first.requests.filter((request) => !isProbe(request)).length, callersBefore, 'no caller was its trial');

    firstDown = false;
    assert.ok(await eventually(() => router.status().a!.state === 'closed', 2000), 'a probe closed the circuit');
    for (let i = 0; i < 3; i += 1) assert.equal((await router.complete(hello)).provider, 'a', 'traffic returns to it');
    assert.equal(third.requests.length, 0, 'the third was never needed');
  });

  it('when no other provider can answer, one caller request is the trial and brings it back', async () => {
    let down = true;
    const only = await startUpstream([], {
      fallback: () => (down ? { status: 503, json: openaiError('down', 'server_error') } : { json: completion('back') }),
    });
    after(() => only.close());
    // Probes far apart: the caller's trial is what finds it back.
    const router = routerFor([only.url], { failureThreshold: 1, recovery: { probeDelaysMs: [60_000], probeJitter: 0 } });
    after(() => router.close());
    await assert.rejects(router.complete(hello));
    assert.equal(router.status().a!.state, 'open');
    const refused = await router.complete(hello).catch((error: { code?: string; retryAfterMs?: number }) => error);
    assert.equal((refused as { code?: string }).code, 'no_provider_available', 'not sent before its probe is due');
    assert.ok((refused as { retryAfterMs: number }).retryAfterMs > 50_000, 'told when to come back');
    assert.equal(only.requests.length, 1);
    down = false;
    const health = router.tracker.health('a/m').health.circuit;
    assert.equal(health.state, 'open');
    // Make the probe due now, as if its time had come.
    router.tracker.store.update('a/m', (current) => ({ ...current, circuit: { ...health, nextProbeAt: 0 } }));
    const trial = await router.complete(hello);
    assert.equal(trial.provider, 'a', 'the caller was the trial');
    assert.equal(router.status().a!.state, 'closed');
  });
});
