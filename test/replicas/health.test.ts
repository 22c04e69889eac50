// Three gateway processes sharing one redis-server learn from each other: a failure or a rate
// limit seen through one keeps the others off that deployment without sending it a request,
// and only one of them probes a dead deployment at a time.
import assert from 'node:assert/strict';
import { describe, it, type TestContext } from 'node:test';
import { setTimeout as delay } from 'node:timers/promises';
import type { ConfigInput } from '../../src/config/schema.ts';
import { startRedis } from '../support/redis.ts';
import { ask, getJson, type Replica, startReplicas } from '../support/replicas.ts';
import { completion, openaiError, type ScriptEntry, startUpstream, type Upstream } from '../support/upstream.ts';

const bounded = { timeout: 180_000 };

async function upstream(t: TestContext, fallback: ScriptEntry): Promise<Upstream> {
  const started = await startUpstream([], { fallback });
  t.after(() => started.close());
  return started;
}

/** Requests callers sent (probes ask for `ping` with max_tokens 1). */
function callerRequests(upstream: Upstream): number {
  return upstream.requests.filter((request) => request.body?.messages?.[0]?.content === 'hi').length;
}

function probes(upstream: Upstream): number[] {
  return upstream.requests
    .filter((request) => request.body?.messages?.[0]?.content === 'ping')
    .map((request) => request.receivedAt);
}

function twoProviders(sick: Upstream, healthy: Upstream): ConfigInput {
  return {
    providers: {
      first: { protocol: 'openai', baseUrl: sick.url, priority: 1, models: { llama: 'llama-first' } },
      second: { protocol: 'openai', baseUrl: healthy.url, priority: 2, models: { llama: 'llama-second' } },
    },
    routing: { failureThreshold: 1, retryDelayMs: 1, healthCheck: { timeoutMs: 1000 } },
  };
}

interface Status {
  providers: Record<string, { name: string; healthy: boolean; rateLimitedUntil: number | null }> | { name: string }[];
}

async function providerState(replica: Replica, name: string) {
  const status = await getJson<Status>(replica, '/status');
  const providers = Object.values(status.providers) as { name: string; healthy: boolean; rateLimitedUntil: number | null }[];
  return providers.find((provider) => provider.name === name)!;
}

/** Polls until `check` holds on every replica; returns how long it took (ms). */
async function untilAll(replicas: Replica[], check: (replica: Replica) => Promise<boolean>, withinMs: number): Promise<number> {
  const started = performance.now();
  for (;;) {
    const results = await Promise.all(replicas.map(check));
    if (results.every(Boolean)) return performance.now() - started;
    if (performance.now() - started > withinMs) throw new Error(`not within ${withinMs} ms`);
    await delay(20);
  }
}

describe('replicas sharing Redis', () => {
  it('avoid a deployment that failed through another replica within 1 s, without sending it a request', bounded, async (t) => {
    const redis = await startRedis(t);
    const sick = await upstream(t, { status: 503, json: openaiError('overloaded', 'server_error') });
    const healthy = await upstream(t, { json: completion('from second') });
    const [a, b, c] = await startReplicas(t, 3, twoProviders(sick, healthy), redis.url);

    const first = await ask(a!);
    assert.equal(first.status, 200);
    assert.equal(first.provider, 'second');
    const seenByCallers = callerRequests(sick);
    assert.ok(seenByCallers >= 1, 'the failure was seen through A');

    const tookMs = await untilAll([b!, c!], async (replica) => !(await providerState(replica, 'first')).healthy, 1000);
    t.diagnostic(`B and C saw the trip after ${tookMs.toFixed(0)} ms`);
    for (const replica of [b!, c!, b!, c!, b!, c!]) {
      const answer = await ask(replica);
      assert.equal(answer.status, 200);
      assert.equal(answer.provider, 'second');
    }
    assert.equal(callerRequests(sick), seenByCallers, 'no caller request reached the failed deployment through B or C');
  });

  it('honour a rate limit learned by one replica in the others', bounded, async (t) => {
    const redis = await startRedis(t);
    const limited = await upstream(t, {
      status: 429,
      headers: { 'retry-after': '30' },
      json: openaiError('Rate limit reached', 'rate_limit_error', 'rate_limit_exceeded'),
    });
    const healthy = await upstream(t, { json: completion('from second') });
    const [a, b, c] = await startReplicas(t, 3, twoProviders(limited, healthy), redis.url);

    assert.equal((await ask(a!)).provider, 'second');
    const seenByCallers = callerRequests(limited);
    assert.equal(seenByCallers, 1);
    const tookMs = await untilAll(
      [b!, c!],
      async (replica) => ((await providerState(replica, 'first')).rateLimitedUntil ?? 0) > Date.now() + 20_000,
      1000,
    );
    t.diagnostic(`B and C learned the rate limit after ${tookMs.toFixed(0)} ms`);
    for (const replica of [b!, c!, b!, c!]) assert.equal((await ask(replica)).provider, 'second');
    assert.equal(callerRequests(limited), seenByCallers, 'B and C held off until the reset');
  });

  it('let only one replica probe a dead deployment at a time', bounded, async (t) => {
    const redis = await startRedis(t);
    // Every answer takes 300 ms, so two probes in flight at once would overlap at the upstream.
    const dead = await upstream(t, { status: 503, delayMs: 300, json: openaiError('down', 'server_error') });
    const healthy = await upstream(t, { json: completion('from second') });
    const replicas = await startReplicas(t, 3, twoProviders(dead, healthy), redis.url);
    // Every replica is asked, so each knows the deployment is dead: through the store, or (were the
    // state not shared) by failing on it itself and then probing it on its own schedule.
    for (const replica of replicas) assert.equal((await ask(replica)).provider, 'second');

    // The schedule probes at about 0.5 s, 1.5 s and 3.5 s after the trip: three probes for one prober, nine for three.
    await delay(4500);
    const times = probes(dead).sort((x, y) => x - y);
    t.diagnostic(
      `probe gaps: ${times
        .slice(1)
        .map((time, index) => (time - times[index]!).toFixed(0))
        .join(', ')} ms`,
    );
    assert.ok(times.length >= 2, `the dead deployment was probed (${times.length})`);
    assert.ok(times.length <= 4, `one replica's schedule, not three: ${times.length} probes`);
    for (let index = 1; index < times.length; index += 1) {
      assert.ok(times[index]! - times[index - 1]! >= 300, 'no two probes in flight at once');
    }
  });
});
