// The history every replica shows when the state is in Redis: two routers sharing a real
// redis-server, each with its own observer. Traffic counted by one shows in the other once its
// step closes, both replicas' counts add up, steps leave Redis with the window, and while Redis
// is away each shows its own history and says so once.
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { describe, it, type TestContext } from 'node:test';
import { Redis } from 'ioredis';
import { createRouter, type Router } from '../../src/router/router.ts';
import { RedisStore } from '../../src/state/redis.ts';
import { until } from '../gateway/helpers.ts';
import { hello, upstream } from '../router/helpers.ts';
import { startRedis } from '../support/redis.ts';
import { completion } from '../support/upstream.ts';

const stepMs = 1000;
const windowMs = 3000;

/** Requests of deployment `id` over every step a router shows, and whose history it is. */
function shown(router: Router, id = 'a/m'): { requests: number; scope: string; p50: (number | null)[] } {
  const { history, historyScope } = router.observer.read();
  const points = history[id] ?? [];
  return {
    requests: points.reduce((sum, point) => sum + point.requests, 0),
    scope: historyScope,
    p50: points.map((point) => point.latencyP50Ms),
  };
}

/** Two routers sharing one real redis-server (under a fresh prefix) and one upstream, with short history steps. */
async function twoReplicas(t: TestContext, historyWindowMs: number) {
  const server = await startRedis(t);
  const prefix = `fleet-${randomUUID()}`;
  const answering = await upstream([], { json: completion('hi') });
  const stores = [0, 1].map(() => new RedisStore({ url: server.url, prefix, flushMs: 20, timeoutMs: 300 }));
  t.after(() => Promise.all(stores.map((store) => store.close())));
  await Promise.all(stores.map((store) => store.ready()));
  const config = { providers: { a: { baseUrl: answering.url, apiKey: 'sk-test-fleet-0000', models: { m: 'a-model' } } } };
  const [first, second] = stores.map((store) =>
    createRouter(config, { store, history: { stepMs, windowMs: historyWindowMs, fleetSettleMs: 200 } }),
  ) as [Router, Router];
  t.after(() => Promise.all([first.close(), second.close()]));
  return { server, prefix, first, second };
}

describe('fleet history', () => {
  it('shows one replica the steps another counted, sums both, and drops steps past the window', {
    timeout: 60_000,
  }, async (t) => {
    const { server, prefix, first, second } = await twoReplicas(t, windowMs);

    // Traffic through the first alone shows in the second once its step has closed.
    for (let index = 0; index < 3; index++) await first.complete(hello);
    await until(() => shown(second).requests === 3, 10_000);
    assert.equal(shown(second).scope, 'fleet');
    assert.equal(second.observer.history.read()['a/m'], undefined, 'the second counted nothing itself');
    assert.ok(
      shown(second).p50.some((p50) => p50 !== null && p50 > 0),
      'latency percentiles from the fleet bins',
    );

    // Both get traffic: each shows the sum.
    for (let index = 0; index < 2; index++) await first.complete(hello);
    for (let index = 0; index < 4; index++) await second.complete(hello);
    await until(() => shown(first).requests === 9 && shown(second).requests === 9, 10_000);

    // One hash per step, expiring with the window; gone once the step is older than it.
    const redis = new Redis(server.url);
    t.after(() => redis.disconnect());
    const keys = await redis.keys(`${prefix}:history:${stepMs}:*`);
    assert.ok(keys.length >= 2, `steps in Redis: ${keys.join(', ')}`);
    for (const key of keys) {
      const ttlMs = await redis.pttl(key);
      assert.ok(ttlMs > 0 && ttlMs <= windowMs + stepMs, `${key} expires in ${ttlMs} ms`);
    }
    await until(async () => (await redis.exists(...keys)) === 0, (windowMs + stepMs) * 3);
    await until(() => shown(first).requests === 0 && shown(second).requests === 0, 10_000);
  });

  it('shows its own history while Redis is away, says so once, and the fleet again after', { timeout: 60_000 }, async (t) => {
    const { server, first, second } = await twoReplicas(t, 60_000);

    await first.complete(hello);
    await second.complete(hello);
    await until(() => shown(second).requests === 2, 10_000);

    await server.stop();
    await until(() => shown(second).scope === 'replica', 10_000);
    assert.equal(shown(second).requests, 1, 'its own request alone');
    await second.complete(hello);
    const lost = () => second.observer.events.since().filter((event) => event.kind === 'store-lost');
    await until(() => lost().length === 1, 5000);
    assert.match(lost()[0]!.message, /the history shows this replica alone/);

    // Redis comes back empty; what each counts from now on is the fleet's again.
    await server.start();
    await until(() => shown(second).scope === 'fleet', 15_000);
    const back = Math.floor(Date.now() / stepMs) * stepMs;
    for (let index = 0; index < 5; index++) await first.complete(hello);
    const since = () => {
      const { history, historyScope } = second.observer.read();
      const points = (history['a/m'] ?? []).filter((point) => point.at >= back);
      return historyScope === 'fleet' ? points.reduce((sum, point) => sum + point.requests, 0) : -1;
    };
    await until(() => since() === 5, 10_000);
    assert.equal(lost().length, 1, 'said once');
  });
});
