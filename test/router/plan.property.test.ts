// Whatever a strategy prefers, what it is given to order has been filtered: no strategy ever puts
// an unhealthy, rate-limited, incapable or too-small deployment first (or anywhere), even a
// pinned one, and every deployment that can take the request is in the plan.
import { describe, it } from 'node:test';
import fc from 'fast-check';
import type { Capabilities, Feature, Needs } from '../../src/router/capabilities.ts';
import type { Deployment } from '../../src/router/deployment.ts';
import { planCandidates } from '../../src/router/plan.ts';
import { type StrategyContext, strategies, strategyNames } from '../../src/router/strategies.ts';
import { SmoothWeights } from '../../src/router/weighted.ts';
import { type DeploymentRecord, freshRecord } from '../../src/state/store.ts';

const features: Feature[] = ['tools', 'vision', 'jsonSchema', 'audioInput', 'audioOutput'];
const now = 1_800_000_000_000;

interface Case {
  id: string;
  priority: number;
  weight: number;
  price: number | null;
  open: boolean;
  rateLimited: boolean;
  capabilities: Capabilities;
  latencyEmaMs: number | null;
  inflight: number;
  remainingShare: number | null;
}

const capabilitiesArb: fc.Arbitrary<Capabilities> = fc.record(
  {
    tools: fc.boolean(),
    vision: fc.boolean(),
    jsonSchema: fc.boolean(),
    audioInput: fc.boolean(),
    audioOutput: fc.boolean(),
    contextTokens: fc.integer({ min: 1000, max: 200_000 }),
    maxOutputTokens: fc.integer({ min: 100, max: 32_000 }),
  },
  { requiredKeys: [] },
);

const caseArb = (id: string): fc.Arbitrary<Case> =>
  fc.record({
    id: fc.constant(id),
    priority: fc.integer({ min: 0, max: 5 }),
    weight: fc.integer({ min: 1, max: 5 }),
    price: fc.option(fc.integer({ min: 0, max: 30 })),
    open: fc.boolean(),
    rateLimited: fc.boolean(),
    capabilities: capabilitiesArb,
    latencyEmaMs: fc.option(fc.integer({ min: 1, max: 5000 })),
    inflight: fc.integer({ min: 0, max: 20 }),
    remainingShare: fc.option(fc.double({ min: 0, max: 1, noNaN: true })),
  });

const casesArb = fc
  .integer({ min: 1, max: 7 })
  .chain((count) => fc.tuple(...Array.from({ length: count }, (_, index) => caseArb(`p${index}/m`))));

const needsArb: fc.Arbitrary<Needs> = fc.record({
  features: fc.subarray(features),
  outputTokens: fc.oneof(fc.constant(0), fc.integer({ min: 1, max: 40_000 })),
});

function deploymentOf(entry: Case): Deployment {
  const name = entry.id.split('/')[0]!;
  return {
    id: entry.id,
    model: 'm',
    providerModel: 'm',
    embedding: false,
    key: { apiKey: undefined, weight: 1, index: 0 },
    target: { provider: name, apiKey: undefined, auth: 'none', headers: {}, defaultMaxTokens: 4096, model: 'm' },
    capabilities: entry.capabilities,
    weight: entry.weight,
    provider: {
      name,
      priority: entry.priority,
      pricing: entry.price === null ? {} : { m: { input: entry.price, output: entry.price * 2 } },
    },
  } as unknown as Deployment;
}

function recordOf(entry: Case): DeploymentRecord {
  const record = freshRecord();
  record.latencyEmaMs = entry.latencyEmaMs;
  record.inflight = entry.inflight;
  if (entry.open) {
    record.health.circuit = {
      state: 'open',
      failures: 3,
      trips: 1,
      openedAt: now,
      probes: 0,
      nextProbeAt: now + 500,
      trialUntil: 0,
    };
  }
  if (entry.rateLimited) record.health.rateLimitedUntil = now + 1000;
  if (entry.remainingShare !== null) {
    record.health.rateLimit = {
      limitRequests: 100,
      remainingRequests: Math.round(entry.remainingShare * 100),
      resetRequestsAt: now + 60_000,
    };
  }
  return record;
}

/** The rules the plan must keep, stated independently of its code. */
function canTake(entry: Case, needs: Needs, inputTokens: number): boolean {
  const { capabilities } = entry;
  if (entry.open || entry.rateLimited) return false;
  if (needs.features.some((feature) => capabilities[feature] === false)) return false;
  if (capabilities.maxOutputTokens !== undefined && needs.outputTokens > capabilities.maxOutputTokens) return false;
  return capabilities.contextTokens === undefined || inputTokens + needs.outputTokens <= capabilities.contextTokens;
}

describe('planCandidates', () => {
  it('never orders an unhealthy, rate-limited, incapable or too-small deployment, under any strategy, pinned or not', () => {
    fc.assert(
      fc.property(
        casesArb,
        needsArb,
        fc.integer({ min: 1, max: 250_000 }),
        fc.constantFrom(...strategyNames),
        fc.option(fc.nat(6)),
        fc.double({ min: 0, max: 0.999, noNaN: true }),
        (cases, needs, inputTokens, name, pinnedIndex, random) => {
          const records = new Map(cases.map((entry) => [entry.id, recordOf(entry)]));
          const context: StrategyContext = {
            model: 'm',
            now,
            health: (id) => records.get(id)!,
            random: () => random,
            exploreShare: 0.5,
            weights: new SmoothWeights(),
          };
          const pinned = pinnedIndex === null ? undefined : cases[pinnedIndex % cases.length]!.id;
          const { ordered } = planCandidates({
            candidates: cases.map(deploymentOf),
            strategy: strategies[name]!,
            context,
            needs,
            inputTokens,
            available: (id) => {
              const health = records.get(id)!.health;
              return health.circuit.state === 'closed' && health.rateLimitedUntil <= now;
            },
            headroomLimit: 0.05,
            pinned,
          });
          const byId = new Map(cases.map((entry) => [entry.id, entry]));
          const expected = cases.filter((entry) => canTake(entry, needs, inputTokens)).map((entry) => entry.id);
          const got = ordered.map((deployment) => deployment.id);
          if (got.some((id) => !canTake(byId.get(id)!, needs, inputTokens))) return false;
          if (got.length !== new Set(got).size) return false;
          if (pinned !== undefined && expected.includes(pinned) && got[0] !== pinned) return false;
          return [...expected].sort().join() === [...got].sort().join();
        },
      ),
      { numRuns: 500 },
    );
  });
});
