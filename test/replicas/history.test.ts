// Two gateway processes sharing one redis-server: the history each one's /status/stream serves
// is the fleet's. Traffic sent to A alone shows in B's stream once its 10 s step has closed; with
// traffic to both, both streams show the sum; every step in Redis expires with the hour.
import assert from 'node:assert/strict';
import { describe, it, type TestContext } from 'node:test';
import { setTimeout as delay } from 'node:timers/promises';
import { Redis } from 'ioredis';
import { startRedis } from '../support/redis.ts';
import { ask, type Replica, startReplicas } from '../support/replicas.ts';
import { completion, startUpstream } from '../support/upstream.ts';

const bounded = { timeout: 180_000 };
const deployment = 'only/llama';

interface Update {
  history: Record<string, Array<{ at: number; requests: number; latencyP50Ms: number | null }>>;
  historyScope?: string;
}

/** Follows a replica's /status/stream until the test ends, keeping the latest of each step sent. */
function follow(t: TestContext, replica: Replica) {
  const steps = new Map<number, { requests: number; latencyP50Ms: number | null }>();
  const seen = { scope: '', updates: 0 };
  const controller = new AbortController();
  t.after(() => controller.abort());
  const reading = (async () => {
    const response = await fetch(`${replica.url}/status/stream`, { signal: controller.signal });
    let buffer = '';
    for await (const text of response.body!.pipeThrough(new TextDecoderStream())) {
      buffer += text;
      for (let end = buffer.indexOf('\n\n'); end >= 0; end = buffer.indexOf('\n\n')) {
        const block = buffer.slice(0, end);
        buffer = buffer.slice(end + 2);
        const update = JSON.parse(block.slice(block.indexOf('data: ') + 6)) as Update;
        seen.scope = update.historyScope ?? 'none';
        seen.updates += 1;
        for (const point of update.history[deployment] ?? []) steps.set(point.at, point);
      }
    }
  })().catch(() => {});
  t.after(() => reading);
  return {
    get scope() {
      return seen.scope;
    },
    /** Requests over every step sent (the open one included). */
    total(): number {
      return [...steps.values()].reduce((sum, point) => sum + point.requests, 0);
    },
    latencies(): (number | null)[] {
      return [...steps.values()].map((point) => point.latencyP50Ms);
    },
  };
}

async function eventually(check: () => boolean, withinMs: number, what: () => string): Promise<void> {
  const until = Date.now() + withinMs;
  while (!check()) {
    if (Date.now() > until) throw new Error(`not within ${withinMs} ms: ${what()}`);
    await delay(50);
  }
}

describe('replicas sharing Redis: the dashboard history', () => {
  it("shows A's traffic in B's stream after a step closes, sums both, and expires steps with the window", bounded, async (t) => {
    const redis = await startRedis(t);
    const upstream = await startUpstream([], { fallback: { json: completion('hi') } });
    t.after(() => upstream.close());
    const [a, b] = (await startReplicas(
      t,
      2,
      { providers: { only: { protocol: 'openai', baseUrl: upstream.url, models: { llama: 'llama-x' } } } },
      redis.url,
    )) as [Replica, Replica];
    const streamA = follow(t, a);
    const streamB = follow(t, b);

    for (let index = 0; index < 3; index++) assert.equal((await ask(a)).status, 200);
    // A 10 s step, a second for the timer, and the settle delay: well within 30 s on a loaded machine.
    await eventually(
      () => streamB.total() === 3,
      30_000,
      () => `B shows ${streamB.total()} (${streamB.scope})`,
    );
    assert.equal(streamB.scope, 'fleet');
    assert.ok(
      streamB.latencies().some((ms) => ms !== null && ms > 0),
      'latency percentiles from the fleet bins',
    );

    for (let index = 0; index < 2; index++) assert.equal((await ask(a)).status, 200);
    for (let index = 0; index < 4; index++) assert.equal((await ask(b)).status, 200);
    await eventually(
      () => streamA.total() === 9 && streamB.total() === 9,
      30_000,
      () => `A shows ${streamA.total()}, B ${streamB.total()}`,
    );

    // Every step is one hash, expiring an hour (and a step) after it began.
    const client = new Redis(redis.url);
    t.after(() => client.disconnect());
    const keys = await client.keys('switchboard:history:10000:*');
    assert.ok(keys.length >= 1, 'the steps are in Redis');
    for (const key of keys) {
      const seconds = await client.ttl(key);
      assert.ok(seconds > 3500 && seconds <= 3610, `${key}: TTL ${seconds} s`);
    }
  });
});
