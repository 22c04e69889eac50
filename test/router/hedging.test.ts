// Hedged streams, on a scaled clock: every duration below is a real-world duration times SCALE, so
// "a primary that starts after 20 s" takes 20 s × SCALE here. Assertions are on order and
// generous bounds, never tight timings: the machine may be loaded.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { setImmediate as tick } from 'node:timers/promises';
import type { ConfigInput } from '../../src/config/schema.ts';
import { createRouter } from '../../src/router/router.ts';
import { textChunks } from '../support/upstream.ts';
import { collect, hello, upstream } from './helpers.ts';

const SCALE = 1 / 20;
const seconds = (value: number) => Math.round(value * 1000 * SCALE);

type Routing = NonNullable<ConfigInput['routing']>;

function twoProviders(first: string, second: string, routing: Routing, extra: Partial<ConfigInput['providers']> = {}) {
  return createRouter({
    providers: {
      a: { baseUrl: first, priority: 1, models: { m: 'a-model' }, pricing: { m: { input: 1, output: 2 } } },
      b: { baseUrl: second, priority: 2, models: { m: 'b-model' } },
      ...extra,
    },
    routing: { retryDelayMs: 5, timeouts: { firstTokenMs: seconds(15) }, ...routing },
  });
}

describe('hedged streams', () => {
  it('a primary that starts after 20 s is beaten by the secondary within the hedge delay plus its latency; its connection is closed', async () => {
    const slow = await upstream([{ delayMs: seconds(20), sse: textChunks('late answer from a') }]);
    const fast = await upstream([{ delayMs: seconds(0.2), sse: textChunks('prompt answer from b') }]);
    const router = twoProviders(slow.url, fast.url, { hedging: { delayMs: seconds(2) } });
    const started = performance.now();
    const stream = await router.stream(hello);
    const firstContentMs = performance.now() - started;
    assert.equal(await collect(stream), 'prompt answer from b');
    assert.equal(stream.provider, 'b');
    // Hedge delay (100 ms) + b's latency (10 ms), with room for a loaded machine; far below a's 1000 ms
    // and below the 750 ms first-token deadline the old behaviour waited out.
    assert.ok(firstContentMs < seconds(12), `first content after ${firstContentMs} ms`);
    const gap = fast.requests[0]!.receivedAt - started;
    assert.ok(gap >= seconds(2) - 5, `b was started ${gap} ms after the call, not before the hedge delay`);
    await slow.waitForClose(0, 2000);
    assert.equal(slow.requests[0]!.closedEarly, true, "a's connection was closed upstream, not left to finish");
    await tick();
    const [won, lost] = stream.attempts;
    assert.deepEqual([won!.provider, won!.outcome, won!.hedge], ['b', 'ok', true]);
    assert.deepEqual([lost!.provider, lost!.outcome], ['a', 'aborted']);
    assert.match(lost!.reason!, /hedged attempt answered first/);
    assert.ok(lost!.costUsd! > 0, 'the abandoned attempt is costed at its input price');
    assert.equal(router.status().a!.consecutiveFailures, 0, 'losing a hedge race is not a health failure');
    await router.close();
  });

  it('with hedging off the old behaviour holds: the next provider only after the first-token deadline', async () => {
    const slow = await upstream([{ delayMs: seconds(20), sse: textChunks('late answer from a') }]);
    const fast = await upstream([{ sse: textChunks('answer from b') }]);
    const router = twoProviders(slow.url, fast.url, { hedging: { enabled: false } });
    const started = performance.now();
    const stream = await router.stream(hello);
    const firstContentMs = performance.now() - started;
    assert.equal(await collect(stream), 'answer from b');
    // The transport's first-byte timer is coarse (undici's), so "about the deadline" rather than to the ms.
    assert.ok(firstContentMs >= seconds(15) * 0.8, `first content after ${firstContentMs} ms, before the deadline`);
    const gap = fast.requests[0]!.receivedAt - started;
    assert.ok(gap >= seconds(15) * 0.8, `b was started ${gap} ms after the call, before a timed out`);
    assert.deepEqual(
      stream.attempts.map((attempt) => [attempt.provider, attempt.outcome, attempt.hedge]),
      [
        ['a', 'timeout', undefined],
        ['b', 'ok', undefined],
      ],
    );
    await router.close();
  });

  it('a primary on time is never hedged: the secondary sees nothing', async () => {
    const onTime = await upstream([{ sse: textChunks('on time') }]);
    const idle = await upstream();
    const router = twoProviders(onTime.url, idle.url, { hedging: { delayMs: seconds(2) } });
    const stream = await router.stream(hello);
    assert.equal(await collect(stream), 'on time');
    assert.equal(idle.requests.length, 0);
    await router.close();
  });

  it('learned delay: after fast first tokens a stall is hedged at about their 99th percentile, not the deadline', async () => {
    const primary = await upstream([], { sse: textChunks('usual') });
    const secondary = await upstream([], { sse: textChunks('hedged') });
    const router = twoProviders(primary.url, secondary.url, {
      hedging: { percentile: 0.99, minSamples: 5, minDelayMs: seconds(1) },
    });
    for (let index = 0; index < 6; index += 1) assert.equal(await collect(await router.stream(hello)), 'usual');
    assert.equal(secondary.requests.length, 0, 'no hedge while the primary is as fast as usual');
    primary.script.push({ delayMs: seconds(20), sse: textChunks('stalled') });
    const started = performance.now();
    const stream = await router.stream(hello);
    const firstContentMs = performance.now() - started;
    assert.equal(await collect(stream), 'hedged');
    assert.ok(firstContentMs < seconds(12), `answered after ${firstContentMs} ms, long before the first-token deadline`);
    assert.equal(stream.attempts.find((attempt) => attempt.provider === 'b')?.hedge, true);
    await router.close();
  });

  it('the hedge may be a fallbacks model when the model has no other deployment', async () => {
    const slow = await upstream([{ delayMs: seconds(20), sse: textChunks('late') }]);
    const other = await upstream([{ sse: textChunks('from the fallback model') }]);
    const router = createRouter({
      providers: {
        a: { baseUrl: slow.url, models: { m: 'a-model' } },
        z: { baseUrl: other.url, models: { big: 'z-model' } },
      },
      routing: { fallbacks: { m: ['big'] }, hedging: { delayMs: seconds(2) }, timeouts: { firstTokenMs: seconds(30) } },
    });
    const started = performance.now();
    const stream = await router.stream(hello);
    assert.ok(performance.now() - started < seconds(12), 'within the hedge delay, not the first-token deadline');
    assert.equal(await collect(stream), 'from the fallback model');
    assert.equal(stream.model, 'big');
    await slow.waitForClose(0, 2000);
    await router.close();
  });

  it('at most one hedge by default: a third candidate is not started when both are late', async () => {
    const first = await upstream([{ delayMs: seconds(8), sse: textChunks('first') }]);
    const second = await upstream([{ delayMs: seconds(20), sse: textChunks('second') }]);
    const third = await upstream([{ sse: textChunks('third') }]);
    const router = createRouter({
      providers: {
        a: { baseUrl: first.url, priority: 1, models: { m: 'm' } },
        b: { baseUrl: second.url, priority: 2, models: { m: 'm' } },
        c: { baseUrl: third.url, priority: 3, models: { m: 'm' } },
      },
      routing: { hedging: { delayMs: seconds(2) }, timeouts: { firstTokenMs: seconds(15) } },
    });
    const stream = await router.stream(hello);
    assert.equal(await collect(stream), 'first');
    assert.equal(third.requests.length, 0);
    await second.waitForClose(0, 2000);
    await router.close();
  });
});
