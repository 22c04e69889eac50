// One test per strategy, on plain deployments and records.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { Deployment } from '../../src/router/deployment.ts';
import { type StrategyContext, strategies } from '../../src/router/strategies.ts';
import { SmoothWeights } from '../../src/router/weighted.ts';
import { type DeploymentRecord, freshRecord } from '../../src/state/store.ts';

const now = 1_800_000_000_000;

function deployment(
  name: string,
  options: { priority?: number; weight?: number; pricing?: { input: number; output: number; cachedInput?: number } } = {},
): Deployment {
  return {
    id: `${name}/m`,
    model: 'm',
    weight: options.weight ?? 1,
    capabilities: {},
    provider: { name, priority: options.priority ?? 1, pricing: options.pricing ? { m: options.pricing } : {} },
  } as unknown as Deployment;
}

function contextWith(records: Record<string, Partial<DeploymentRecord>>, extra: Partial<StrategyContext> = {}): StrategyContext {
  return {
    model: 'm',
    now,
    health: (id) => ({ ...freshRecord(), ...records[id] }),
    ...extra,
  };
}

const names = (list: Deployment[]) => list.map((entry) => entry.provider.name);

describe('strategies', () => {
  const a = deployment('a', { priority: 2 });
  const b = deployment('b', { priority: 1 });
  const c = deployment('c', { priority: 3 });

  it('priority: lowest priority number first, ties in the order given', () => {
    assert.deepEqual(names(strategies.priority!([a, b, c], contextWith({}))), ['b', 'a', 'c']);
  });

  it('fastest: lowest latency first, unmeasured last, but an unmeasured one first on the exploring share', () => {
    const records = { 'a/m': { latencyEmaMs: 300 }, 'b/m': { latencyEmaMs: 900 } };
    assert.deepEqual(names(strategies.fastest!([a, b, c], contextWith(records))), ['a', 'b', 'c']);
    const exploring = contextWith(records, { exploreShare: 0.05, random: () => 0.01 });
    assert.deepEqual(names(strategies.fastest!([a, b, c], exploring)), ['c', 'a', 'b']);
    const notThisTime = contextWith(records, { exploreShare: 0.05, random: () => 0.5 });
    assert.deepEqual(names(strategies.fastest!([a, b, c], notThisTime)), ['a', 'b', 'c']);
  });

  it('cheapest: lowest input + output price first, unpriced last; cached input counts at its cached price', () => {
    const dear = deployment('dear', { pricing: { input: 3, output: 15, cachedInput: 0.3 } });
    const cheap = deployment('cheap', { pricing: { input: 1, output: 15 } });
    const unpriced = deployment('unpriced');
    assert.deepEqual(names(strategies.cheapest!([unpriced, dear, cheap], contextWith({}))), ['cheap', 'dear', 'unpriced']);
    // 90 % of dear's input comes from its cache: 0.3 × 0.9 + 3 × 0.1 = 0.57 per million, below cheap's 1.
    const cached = contextWith({}, { cachedShare: (id) => (id === 'dear/m' ? 0.9 : undefined) });
    assert.deepEqual(names(strategies.cheapest!([unpriced, dear, cheap], cached)), ['dear', 'cheap', 'unpriced']);
  });

  it('headroom: most remaining rate limit first', () => {
    const limit = (remaining: number) => ({
      health: {
        ...freshRecord().health,
        rateLimit: { limitRequests: 100, remainingRequests: remaining, resetRequestsAt: now + 1000 },
      },
    });
    const records = { 'a/m': limit(10), 'b/m': limit(50), 'c/m': limit(90) };
    assert.deepEqual(names(strategies.headroom!([a, b, c], contextWith(records))), ['c', 'b', 'a']);
  });

  it('least-busy: fewest requests in flight first', () => {
    const records = { 'a/m': { inflight: 4 }, 'b/m': { inflight: 9 }, 'c/m': { inflight: 0 } };
    assert.deepEqual(names(strategies['least-busy']!([a, b, c], contextWith(records))), ['c', 'a', 'b']);
  });

  it('weighted: smooth weighted round-robin, picks in proportion to weight and interleaved', () => {
    const heavy = deployment('heavy', { weight: 5 });
    const x = deployment('x', { weight: 1 });
    const y = deployment('y', { weight: 1 });
    const context = contextWith({}, { weights: new SmoothWeights() });
    const picks = Array.from({ length: 14 }, () => strategies.weighted!([heavy, x, y], context)[0]!.provider.name);
    assert.deepEqual(picks.slice(0, 7), ['heavy', 'heavy', 'x', 'heavy', 'y', 'heavy', 'heavy']);
    assert.deepEqual(picks.slice(7), picks.slice(0, 7), 'the rotation repeats every 7 picks');
    const order = strategies.weighted!([heavy, x, y], context);
    assert.equal(order.length, 3, 'every candidate stays in the order, the pick first');
  });
});
