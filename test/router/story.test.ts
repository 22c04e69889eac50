// The basic failover story end to end: three providers, the first goes down and comes back.
import assert from 'node:assert/strict';
import { after, describe, it } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import { completion, openaiError, startUpstream } from '../support/upstream.ts';
import { hello, routerFor } from './helpers.ts';

describe('failover story', () => {
  it('keeps answering while the first provider is down, takes it out after 3 failures, and lets it back in', async () => {
    let firstDown = false;
    const first = await startUpstream([], {
      fallback: () =>
        firstDown ? { status: 503, json: openaiError('overloaded', 'server_error') } : { json: completion('first') },
    });
    const second = await startUpstream([], { fallback: { json: completion('second') } });
    const third = await startUpstream([], { fallback: { json: completion('third') } });
    after(() => Promise.all([first.close(), second.close(), third.close()]));
    const router = routerFor([first.url, second.url, third.url], { failureThreshold: 3, cooldownMs: 150 });
    after(() => router.close());

    assert.equal((await router.complete(hello)).provider, 'a');

    firstDown = true;
    for (let i = 1; i <= 3; i += 1) {
      const result = await router.complete(hello);
      assert.equal(result.provider, 'b', 'the caller is answered by the second provider');
      assert.equal(router.status().a!.consecutiveFailures, i);
    }
    assert.equal(router.status().a!.state, 'open', 'taken out after 3 failures');
    const seenWhileOpen = first.requests.length;
    for (let i = 0; i < 5; i += 1) assert.equal((await router.complete(hello)).provider, 'b');
    assert.equal(first.requests.length, seenWhileOpen, 'no traffic while its circuit is open');

    firstDown = false;
    await sleep(200);
    assert.equal(router.status().a!.state, 'half-open');
    const trial = await router.complete(hello);
    assert.equal(trial.provider, 'a', 'the half-open trial goes to the recovered provider');
    assert.equal(router.status().a!.state, 'closed');
    for (let i = 0; i < 3; i += 1) assert.equal((await router.complete(hello)).provider, 'a', 'traffic returns to it');
    assert.equal(third.requests.length, 0, 'the third was never needed');
  });

  it('a failed half-open trial opens the circuit again for longer', async () => {
    const first = await startUpstream([], { fallback: { status: 503, json: openaiError('down', 'server_error') } });
    const second = await startUpstream([], { fallback: { json: completion('second') } });
    after(() => Promise.all([first.close(), second.close()]));
    const router = routerFor([first.url, second.url], { failureThreshold: 1, cooldownMs: 100 });
    after(() => router.close());
    await router.complete(hello);
    const firstTrip = router.status().a!;
    assert.equal(firstTrip.state, 'open');
    await sleep(120);
    assert.equal((await router.complete(hello)).provider, 'b');
    const secondTrip = router.status().a!;
    assert.equal(secondTrip.state, 'open');
    assert.ok(secondTrip.cooldownUntil! - secondTrip.lastErrorAt! >= 200, 'the second cooldown is twice the first');
  });
});
