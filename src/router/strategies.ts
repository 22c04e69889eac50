// What order to try the candidate providers in. A strategy is a pure function,
// registered by name; a request may ask for any of them.
import { ownValue } from '../protocol/own-value.ts';
import type { Provider } from './provider.ts';
import type { ProviderHealth } from './tracker.ts';

export interface StrategyContext {
  /** The generic model asked for. */
  model: string;
  /** Epoch ms. */
  now: number;
  health(name: string): ProviderHealth;
}

export type Strategy = (candidates: readonly Provider[], context: StrategyContext) => Provider[];

function byPriority(a: Provider, b: Provider): number {
  return a.priority - b.priority;
}

function sortBy(candidates: readonly Provider[], key: (provider: Provider) => number): Provider[] {
  // Array#sort is stable, so equal keys keep priority order.
  return [...candidates].sort(byPriority).sort((a, b) => key(a) - key(b));
}

function price(provider: Provider, model: string): number {
  const pricing = ownValue(provider.pricing, model);
  return pricing === undefined ? Number.POSITIVE_INFINITY : pricing.input + pricing.output;
}

/** Remaining share of the tighter of the request and token buckets; 1 when unknown or past its reset. */
export function headroom(health: ProviderHealth, now: number): number {
  const limits = health.rateLimit;
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
    sortBy(candidates, (provider) => context.health(provider.name).latencyEmaMs ?? Number.POSITIVE_INFINITY),
  /** Lowest price (input + output per million tokens) for the model first; unpriced last. */
  cheapest: (candidates, context) => sortBy(candidates, (provider) => price(provider, context.model)),
  /** Most rate-limit headroom first. */
  headroom: (candidates, context) => sortBy(candidates, (provider) => -headroom(context.health(provider.name), context.now)),
};

export const strategyNames = Object.keys(strategies);
