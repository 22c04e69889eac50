// Whether a request fits a deployment: its tokens estimated once a window must be compared, the
// floor raised past a window that refused it, and what an abandoned attempt's input cost.
import type { ChatRequest } from '../protocol/chat.ts';
import { ownValue } from '../protocol/own-value.ts';
import { unservable } from './capabilities.ts';
import type { Deployment } from './deployment.ts';
import type { Run } from './run.ts';
import { estimateInputTokens, inputTokenBound } from './tokens.ts';

type Routed = Run<{ model: string }>;

// Bytes of UTF-8 per token for an estimate that needs no tokenizer (English prose under o200k is about 4).
const bytesPerToken = 4;

/** What an attempt abandoned after it was sent costs: the request's input tokens at the deployment's input price. */
export function abandonedCost(run: Routed, deployment: Deployment): number | undefined {
  const pricing = ownValue(deployment.provider.pricing, deployment.model);
  if (pricing === undefined) return undefined;
  const tokens = run.tokens?.counted
    ? run.tokens.input
    : Math.ceil(inputTokenBound(run.request as unknown as ChatRequest) / bytesPerToken);
  const costUsd = (tokens * pricing.input) / 1e6;
  run.abandonedCostUsd = (run.abandonedCostUsd ?? 0) + costUsd;
  return costUsd;
}

/**
 * Estimates the request's input tokens when some deployment of `serving` states a window,
 * counting with the tokenizer only when the free bound does not fit the smallest of them.
 */
export async function estimateTokens(run: Routed, serving: readonly Deployment[]): Promise<void> {
  const needs = run.needs;
  if (needs === undefined) return;
  let smallest = Number.POSITIVE_INFINITY;
  for (const deployment of serving) smallest = Math.min(smallest, deployment.capabilities.contextTokens ?? smallest);
  if (smallest === Number.POSITIVE_INFINITY) return;
  const known = run.tokens;
  if (known !== undefined && (known.counted || known.input + needs.outputTokens <= smallest)) return;
  const { tokens, counted } = await estimateInputTokens(run.request as unknown as ChatRequest, smallest);
  run.tokens = { input: tokens, counted };
}

/** The tokens the request is taken to need: the estimate, raised past any window that refused it. */
export function inputTokensOf(run: Routed): number | undefined {
  if (run.tokens === undefined) return run.floorTokens > 0 ? run.floorTokens : undefined;
  return Math.max(run.tokens.input, run.floorTokens);
}

/** Whether the deployment can take the request as far as is known now (its features, its output, its window). */
export function fits(run: Routed, deployment: Deployment): boolean {
  return run.needs === undefined || unservable(deployment.capabilities, run.needs, inputTokensOf(run)) === undefined;
}

/**
 * A deployment said the request is too long: it is more than that deployment's window, so
 * deployments with a window no larger are left out too; an unknown window rules out only itself.
 */
export function raiseFloor(run: Routed, deployment: Deployment): void {
  const window = deployment.capabilities.contextTokens;
  if (window === undefined) return;
  const output = run.needs?.outputTokens ?? 0;
  run.floorTokens = Math.max(run.floorTokens, window - output + 1);
}
