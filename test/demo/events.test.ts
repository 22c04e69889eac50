import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { circuitEvents, type RequestOutcome, RouteWatch, readAttempts, requestEvent } from '../../src/demo/events.ts';
import { describeStep, stepAt, timelineFor } from '../../src/demo/script.ts';
import type { ProviderStatus } from '../../src/router/router.ts';

const now = 1_700_000_000_000;

function status(name: string, state: ProviderStatus['state'], extra: Partial<ProviderStatus> = {}): ProviderStatus {
  return {
    name,
    healthy: state === 'closed',
    state,
    consecutiveFailures: 0,
    latencyEmaMs: 20,
    requests: 0,
    errors: 0,
    lastError: null,
    lastErrorAt: null,
    cooldownUntil: null,
    rateLimitedUntil: null,
    rateLimit: null,
    headroom: 1,
    priority: 1,
    models: ['m'],
    deployments: [],
    ...extra,
  };
}

function outcome(extra: Partial<RequestOutcome>): RequestOutcome {
  return { id: 1, streamed: false, status: 200, ok: true, provider: 'fast', attempts: 1, latencyMs: 25, ...extra };
}

describe('demo events', () => {
  it('tells a provider with one model out and the others in service as such, not as recovered', () => {
    const deployment = (model: string, healthy: boolean) =>
      ({ model, healthy, state: healthy ? 'closed' : 'open' }) as ProviderStatus['deployments'][number];
    const degraded = status('multi', 'degraded', {
      healthy: true,
      lastError: 'multi: overloaded',
      deployments: [deployment('x', false), deployment('y', true)],
    });
    const [event] = circuitEvents({ multi: status('multi', 'closed') }, { multi: degraded }, now);
    assert.equal(event?.kind, 'circuit-open');
    assert.equal(event?.message, 'multi: x out, its other models in service (overloaded)');
  });

  it('tells a trip, a probe, a failed probe and a recovery from successive snapshots', () => {
    const open = status('fast', 'open', {
      consecutiveFailures: 3,
      lastError: 'fast: connect ECONNREFUSED 127.0.0.1:1',
      cooldownUntil: now + 3000,
    });
    const [trip] = circuitEvents({ fast: status('fast', 'closed') }, { fast: open }, now);
    assert.equal(trip?.kind, 'circuit-open');
    assert.equal(
      trip?.message,
      'fast: circuit open after 3 consecutive failures (connect ECONNREFUSED 127.0.0.1:1); next probe in 3 s',
    );

    const [half] = circuitEvents({ fast: open }, { fast: status('fast', 'half-open') }, now);
    assert.equal(half?.kind, 'circuit-half-open');
    const [again] = circuitEvents({ fast: status('fast', 'half-open') }, { fast: open }, now);
    assert.match(again?.message ?? '', /^fast: probe failed .*circuit still open/);
    const [recovered] = circuitEvents({ fast: open }, { fast: status('fast', 'closed', { latencyEmaMs: 21.4 }) }, now);
    assert.equal(recovered?.kind, 'circuit-close');
    assert.equal(recovered?.message, 'fast: recovered, circuit closed, back in rotation (latency EMA 21 ms)');
  });

  it('says nothing when no state changed or a provider is new', () => {
    assert.deepEqual(
      circuitEvents({ fast: status('fast', 'closed') }, { fast: status('fast', 'closed', { requests: 9 }) }, now),
      [],
    );
    assert.deepEqual(circuitEvents({}, { fast: status('fast', 'open') }, now), []);
  });

  it('tells a failover from the attempts header, and a failed request, but not a plain answer', () => {
    assert.equal(requestEvent(outcome({}), now), undefined);
    const failover = requestEvent(outcome({ id: 7, streamed: true, attempts: 2, provider: 'slower', latencyMs: 96.4 }), now);
    assert.equal(failover?.kind, 'request-failover');
    assert.match(failover?.message ?? '', /^request #7 \(stream\): 1 failed attempt, then slower answered \(96 ms in all\)/);
    const failed = requestEvent(outcome({ ok: false, status: 503, error: 'every provider failed' }), now);
    assert.equal(failed?.kind, 'request-fail');
    assert.equal(failed?.message, 'request #1 failed: status 503: every provider failed');
  });

  it('follows the answering provider, ignoring outcomes older than the last one counted', () => {
    const routes = new RouteWatch();
    assert.equal(routes.observe(outcome({ id: 1, provider: 'fast' }), now), undefined);
    assert.equal(
      routes.observe(outcome({ id: 2, provider: 'slower' }), now)?.message,
      'traffic now answered by slower (was fast)',
    );
    assert.equal(routes.observe(outcome({ id: 1, provider: 'fast' }), now), undefined); // a late, older one
    assert.equal(routes.observe(outcome({ id: 3, provider: 'slower' }), now), undefined);
    assert.equal(routes.observe(outcome({ id: 4, ok: false, provider: null }), now), undefined);
  });

  it('reads the attempts header', () => {
    assert.equal(readAttempts('3'), 3);
    assert.equal(readAttempts(null), 1);
    assert.equal(readAttempts('many'), 1);
    assert.equal(readAttempts('0'), 1);
  });
});

describe('demo script', () => {
  it('goes down after ~5 s for ~10 s, up for 15 s, and cycles through the outages', () => {
    const timeline = timelineFor();
    assert.deepEqual(
      [0, 1, 2, 3, 4, 6].map((index) => {
        const step = stepAt(index, timeline);
        return [step.atMs, step.action, step.outage.providers.join('+'), step.outage.mode];
      }),
      [
        [5000, 'down', 'fast', 'refuse'],
        [15_000, 'up', 'fast', 'refuse'],
        [30_000, 'down', 'fast', '503'],
        [40_000, 'up', 'fast', '503'],
        [55_000, 'down', 'fast+slower', 'refuse'],
        [80_000, 'down', 'fast', 'refuse'],
      ],
    );
    assert.equal(describeStep(stepAt(0, timeline), timeline), 'fast goes down (refusing connections) for 10 s');
    assert.equal(describeStep(stepAt(5, timeline), timeline), 'fast and slower come back');
  });

  it('fits the first outage and the recovery after it into a short --duration', () => {
    const timeline = timelineFor(8000);
    const up = stepAt(1, timeline);
    assert.equal(stepAt(0, timeline).atMs, 1600);
    // Back up with time left for a 2 s health check interval, or a 3 s cooldown, to see it.
    assert.equal(up.atMs, 4000);
  });
});
