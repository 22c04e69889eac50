// What order to try the candidate deployments in. A strategy is a pure function,
// registered by name; a request may ask for any of them.
import { ownValue } from '../protocol/own-value.ts';
import type { DeploymentRecord } from '../state/store.ts';
import type { Deployment } from './deployment.ts';

export interface StrategyContext {
  /** The generic model asked for. */
  model: string;
  /** Epoch ms. */
  now: number;
  /** A deployment's record, by deployment id. */
  health(id: string): Readonly<DeploymentRecord>;
}

export type Strategy = (candidates: readonly Deployment[], context: StrategyContext) => Deployment[];

function byPriority(a: Deployment, b: Deployment): number {
  return a.provider.priority - b.provider.priority;
}

function sortBy(candidates: readonly Deployment[], key: (deployment: Deployment) => number): Deployment[] {
  // Array#sort is stable, so equal keys keep priority order.
  return [...candidates].sort(byPriority).sort((a, b) => key(a) - key(b));
}

function price(deployment: Deployment, model: string): number {
  const pricing = ownValue(deployment.provider.pricing, model);
  return pricing === undefined ? Number.POSITIVE_INFINITY : pricing.input + pricing.output;
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
  /** Lowest latency EMA first; providers not yet measured after the measured ones. */
  fastest: (candidates, context) =>
    sortBy(candidates, (deployment) => context.health(deployment.id).latencyEmaMs ?? Number.POSITIVE_INFINITY),
  /** Lowest price (input + output per million tokens) for the model first; unpriced last. */
  cheapest: (candidates, context) => sortBy(candidates, (deployment) => price(deployment, context.model)),
  /** Most rate-limit headroom first. */
  headroom: (candidates, context) => sortBy(candidates, (deployment) => -headroom(context.health(deployment.id), context.now)),
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
