// What an answer cost, from the provider's configured prices (USD per million tokens).
import type { Usage } from '../protocol/chat.ts';
import { ownValue } from '../protocol/own-value.ts';
import type { Provider } from './provider.ts';

/** The price of `usage` at `provider` for the generic `model`; undefined when either is unknown. */
export function costOf(provider: Provider, model: string, usage: Usage | undefined | null): number | undefined {
  const pricing = ownValue(provider.pricing, model);
  if (pricing === undefined || !usage) return undefined;
  return (usage.prompt_tokens * pricing.input + usage.completion_tokens * pricing.output) / 1e6;
}

/** Adds two costs where either may be unknown. */
export function addCost(a: number | undefined, b: number | undefined): number | undefined {
  return a === undefined ? b : b === undefined ? a : a + b;
}
