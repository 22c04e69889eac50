// What order to try the candidate deployments in. A strategy is a pure function,
// registered by name; a request may ask for any of them.
import { ownValue } from '../protocol/own-value.ts';
import type { DeploymentRecord } from '../state/store.ts';
import type { Deployment } from './deployment.ts';
import { SmoothWeights } from './weighted.ts';

export interface StrategyContext {
  /** The generic model asked for. */
  model: string;
  /** Epoch ms. */
  now: number;
  /** A deployment's record, by deployment id. */
  health(id: string): Readonly<DeploymentRecord>;
  /** Numbers in [0, 1); `Math.random` unless a test passes its own. */
  random?: () => number;
  /** Under `fastest`, the share of requests that try an unmeasured deployment first (default 0). */
  exploreShare?: number;
  /** The running weights of `weighted` (one per router); a fresh rotation when absent. */
  weights?: SmoothWeights;
  /** The share of a deployment's recent input tokens read from its prompt cache (0 to 1), when reported. */
  cachedShare?(id: string): number | undefined;
}

export type Strategy = (candidates: readonly Deployment[], context: StrategyContext) => Deployment[];

function byPriority(a: Deployment, b: Deployment): number {
  return a.provider.priority - b.provider.priority;
}

function sortBy(candidates: readonly Deployment[], key: (deployment: Deployment) => number): Deployment[] {
  // Array#sort is stable, so equal keys keep priority order.
  return [...candidates].sort(byPriority).sort((a, b) => key(a) - key(b));
}

/**
 * USD per million input plus per million output tokens: the input price blended with the cached
 * price by the share of input the deployment has recently served from its cache.
 */
export function price(deployment: Deployment, model: string, cachedShare = 0): number {
  const pricing = ownValue(deployment.provider.pricing, model);
  if (pricing === undefined) return Number.POSITIVE_INFINITY;
  const cached = pricing.cachedInput ?? pricing.input;
  return pricing.input * (1 - cachedShare) + cached * cachedShare + pricing.output;
}

/** Lowest latency EMA first, unmeasured last; now and then (`exploreShare`) an unmeasured one first, so it gets measured. */
function fastest(candidates: readonly Deployment[], context: StrategyContext): Deployment[] {
  const latency = (deployment: Deployment) => context.health(deployment.id).latencyEmaMs ?? Number.POSITIVE_INFINITY;
  const ordered = sortBy(candidates, latency);
  const share = context.exploreShare ?? 0;
  const last = ordered.at(-1);
  if (share <= 0 || last === undefined || latency(last) !== Number.POSITIVE_INFINITY || latency(ordered[0]!) === latency(last)) {
    return ordered;
  }
  if ((context.random ?? Math.random)() >= share) return ordered;
  const unmeasured = ordered.filter((deployment) => latency(deployment) === Number.POSITIVE_INFINITY);
  return [...unmeasured, ...ordered.filter((deployment) => !unmeasured.includes(deployment))];
}

/** Remaining share of the tighter of the request and token buckets; 1 when unknown or past its reset. */
export function headroom(record: Readonly<DeploymentRecord>, now: number): number {
  const limits = record.health.rateLimit;
  if (limits === null) return 1;
  let share = 1;
  if (limits.limitRequests && limits.remainingRequests !== undefined && !(limits.resetRequestsAt! <= now)) {
    share = Math.min(share, limits.remainingRequests / limits.limitRequests);
  }
  if (limits.limitTokens && limits.remainingTokens !== undefined && !(limits.resetTokensAt! <= now)) {
    share = Math.min(share, limits.remainingTokens / limits.limitTokens);
  }
  return share;
}

export const strategies: Readonly<Record<string, Strategy>> = {
  /** Lowest priority number first. */
  priority: (candidates) => [...candidates].sort(byPriority),
  /** Lowest latency EMA first; deployments not yet measured after the measured ones, except now and then. */
  fastest,
  /** Lowest price (input, cache-blended, + output per million tokens) for the model first; unpriced last. */
  cheapest: (candidates, context) =>
    sortBy(candidates, (deployment) => price(deployment, context.model, context.cachedShare?.(deployment.id) ?? 0)),
  /** Most rate-limit headroom first. */
  headroom: (candidates, context) => sortBy(candidates, (deployment) => -headroom(context.health(deployment.id), context.now)),
  /** Fewest requests in flight first (every replica's, with a shared store). */
  'least-busy': (candidates, context) => sortBy(candidates, (deployment) => context.health(deployment.id).inflight),
  /** Smooth weighted round-robin over deployments by `weight` (the provider's times the key's). */
  weighted: (candidates, context) => (context.weights ?? new SmoothWeights()).order(candidates),
};

export const strategyNames = Object.keys(strategies);

/**
 * Spreads traffic across a provider's keys by weight: within each run of deployments of one
 * provider in `ordered`, the order is drawn at random with chances proportional to the keys'
 * weights (a weighted shuffle), at the place where that provider's first deployment stood.
 * `random` returns numbers in [0, 1).
 */
export function spreadByWeight(ordered: readonly Deployment[], random: () => number): Deployment[] {
  const groups = new Map<string, Deployment[]>();
  for (const deployment of ordered) {
    const group = groups.get(deployment.provider.name);
    if (group === undefined) groups.set(deployment.provider.name, [deployment]);
    else group.push(deployment);
  }
  if (groups.size === ordered.length) return [...ordered];
  const spread: Deployment[] = [];
  for (const group of groups.values()) {
    const left = [...group];
    while (left.length > 0) {
      const total = left.reduce((sum, deployment) => sum + deployment.key.weight, 0);
      let point = random() * total;
      let index = 0;
      while (index < left.length - 1 && point >= (left[index] as Deployment).key.weight) {
        point -= (left[index] as Deployment).key.weight;
        index += 1;
      }
      spread.push(...left.splice(index, 1));
    }
  }
  return spread;
}
