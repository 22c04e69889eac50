// What an answer cost, from the provider's configured prices (USD per million tokens).
import type { Usage } from '../protocol/chat.ts';
import { ownValue } from '../protocol/own-value.ts';
import type { Provider } from './provider.ts';

/** Input tokens read from the provider's prompt cache, as usage reports them (`prompt_tokens_details.cached_tokens`); 0 when not reported. */
export function cachedTokensOf(usage: Usage): number {
  const details = usage.prompt_tokens_details as { cached_tokens?: unknown } | null | undefined;
  const cached = details?.cached_tokens;
  return typeof cached === 'number' && cached > 0 ? Math.min(cached, usage.prompt_tokens) : 0;
}

/**
 * The price of `usage` at `provider` for the generic `model`; undefined when either is unknown.
 * Cached input tokens cost `cachedInput` where it is configured.
 */
export function costOf(provider: Provider, model: string, usage: Usage | undefined | null): number | undefined {
  const pricing = ownValue(provider.pricing, model);
  if (pricing === undefined || !usage) return undefined;
  const cached = pricing.cachedInput === undefined ? 0 : cachedTokensOf(usage);
  const input = (usage.prompt_tokens - cached) * pricing.input + cached * (pricing.cachedInput ?? 0);
  return (input + usage.completion_tokens * pricing.output) / 1e6;
}

/** Adds two costs where either may be unknown. */
export function addCost(a: number | undefined, b: number | undefined): number | undefined {
  return a === undefined ? b : b === undefined ? a : a + b;
}
