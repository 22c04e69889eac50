// The router's events and history, from real requests to emulated upstreams: a failover, a trip,
// a probe that brings the deployment back, the counts and percentiles of the history steps.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { History } from '../../src/observe/history.ts';
import { Observer } from '../../src/observe/observer.ts';
import { RedisStore } from '../../src/state/redis.ts';
import { until } from '../gateway/helpers.ts';
import { hello, routerFor, upstream } from '../router/helpers.ts';
import { startRedis } from '../support/redis.ts';
import { completion, openaiError } from '../support/upstream.ts';

describe('router observer', () => {
  it('tells a failover, the trip, the probe and the recovery, and counts each attempt in the history', async (t) => {
    const down = { status: 503, json: openaiError('overloaded', 'server_error') };
    const a = await upstream([], down);
    const b = await upstream();
    const router = routerFor([a.url, b.url], { failureThreshold: 1, recovery: { probeDelaysMs: [60_000], probeJitter: 0 } });
    t.after(() => router.close());

    const answer = await router.complete(hello);
    assert.equal(answer.deployment, 'b/m');
    const kinds = () => router.observer.events.since().map((event) => event.kind);
    assert.deepEqual(kinds(), ['trip', 'failover']);
    const [trip, failover] = router.observer.events.since();
    assert.equal(trip!.deployment, 'a/m');
    assert.match(trip!.message, /a\/m taken out: server \(HTTP 503/);
    assert.equal(failover!.to, 'b/m');
    assert.match(failover!.message, /^a \(a-model\) → b\/m: server \(HTTP 503\)$/);
    assert.doesNotMatch(JSON.stringify(router.observer.events.since()), /overloaded|sk-test/);

    a.fallback = { json: completion('hi') };
    const probed = await router.probeNow('a/m');
    assert.deepEqual({ ...probed, latencyMs: 0 }, { deployment: 'a/m', healthy: true, latencyMs: 0, error: null });
    assert.deepEqual(kinds(), ['trip', 'failover', 'probe', 'recovery']);
    assert.equal(await router.probeNow('nope/m'), undefined);

    const seen = router.observer.events.since(2).map((event) => event.kind);
    assert.deepEqual(seen, ['probe', 'recovery'], 'since(seq) gives only the newer events');

    const history = router.observer.read().history;
    const last = (id: string) => history[id]!.at(-1)!;
    assert.equal(last('a/m').requests, 1);
    assert.equal(last('a/m').errors, 1);
    assert.equal(last('b/m').requests, 1);
    assert.equal(last('b/m').errors, 0);
    assert.ok(last('b/m').latencyP50Ms! > 0);
  });

  it('closes steps on time, keeps a bounded window, and works out percentiles from its bins', () => {
    const start = 1_000_000;
    const history = new History({ stepMs: 1000, windowMs: 5000 }, start);
    for (let index = 1; index <= 100; index++) history.attempt('d', true, index * 10);
    history.attempt('d', false, 5);
    assert.equal(history.roll(start + 999), false);
    assert.equal(history.roll(start + 1000), true);
    const [closed, open] = history.read().d!;
    assert.equal(closed!.requests, 101);
    assert.equal(closed!.errors, 1);
    // Log bins 1.4× wide: the 500 ms median is shown within one bin of it, the 950 ms p95 likewise.
    assert.ok(closed!.latencyP50Ms! >= 500 && closed!.latencyP50Ms! <= 700, String(closed!.latencyP50Ms));
    assert.ok(closed!.latencyP95Ms! >= 950 && closed!.latencyP95Ms! <= 1330, String(closed!.latencyP95Ms));
    assert.equal(open!.requests, 0);
    for (let step = 2; step < 20; step++) history.roll(start + step * 1000);
    assert.equal(history.read().d!.length, 6, 'five closed steps and the open one');
    assert.equal(history.read(start + 17_000).d!.length, 2, 'only steps after the time asked, and the open one');
  });

  it('tells the Redis state store lost and regained, once each', { timeout: 30_000 }, async (t) => {
    const server = await startRedis(t);
    const store = new RedisStore({ url: server.url, prefix: `observer-${process.pid}`, flushMs: 20, timeoutMs: 300 });
    t.after(() => store.close());
    await store.ready();
    const observer = new Observer();
    t.after(() => observer.close());
    observer.watch(store, { providerOf: () => undefined, summaryOf: () => undefined });
    const kinds = () => observer.events.since().map((event) => event.kind);
    await server.stop();
    await until(() => kinds().includes('store-lost'), 10_000);
    await server.start();
    await until(() => kinds().includes('store-regained'), 10_000);
    assert.deepEqual(kinds(), ['store-lost', 'store-regained']);
    assert.doesNotMatch(JSON.stringify(observer.events.since()), /127\.0\.0\.1/, 'no address in the events');
  });
});
