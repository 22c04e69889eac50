// The pieces of an answer the AI SDK reads, in its terms: finish reasons, usage, and the
// `providerMetadata.switchboard` record of who answered after which attempts.
import type { JSONObject, LanguageModelV4FinishReason, LanguageModelV4Usage } from '@ai-sdk/provider';
import type { FinishReason, Usage } from '../protocol/chat.ts';
import type { Attempt } from '../protocol/errors.ts';

const unifiedReasons: Readonly<Record<FinishReason, LanguageModelV4FinishReason['unified']>> = {
  stop: 'stop',
  length: 'length',
  tool_calls: 'tool-calls',
  function_call: 'tool-calls',
  content_filter: 'content-filter',
};

/** Maps a Chat Completions finish_reason; an unknown one is `other`, with the raw value kept. */
export function finishReasonFor(raw: string | null | undefined): LanguageModelV4FinishReason {
  if (raw == null) return { unified: 'other', raw: undefined };
  return { unified: Object.hasOwn(unifiedReasons, raw) ? unifiedReasons[raw as FinishReason] : 'other', raw };
}

function count(value: unknown): number | undefined {
  return typeof value === 'number' && Number.isFinite(value) ? value : undefined;
}

function detail(usage: Usage, field: string, key: string): number | undefined {
  const details = usage[field];
  return details !== null && typeof details === 'object' ? count((details as Record<string, unknown>)[key]) : undefined;
}

/** The spec's usage from OpenAI's, with cached and reasoning tokens where the provider reports them. */
export function usageFor(usage: Usage | null | undefined): LanguageModelV4Usage {
  if (!usage) {
    return {
      inputTokens: { total: undefined, noCache: undefined, cacheRead: undefined, cacheWrite: undefined },
      outputTokens: { total: undefined, text: undefined, reasoning: undefined },
    };
  }
  const input = count(usage.prompt_tokens);
  const output = count(usage.completion_tokens);
  const cached = detail(usage, 'prompt_tokens_details', 'cached_tokens');
  const reasoning = detail(usage, 'completion_tokens_details', 'reasoning_tokens');
  return {
    inputTokens: {
      total: input,
      noCache: input !== undefined && cached !== undefined ? input - cached : input,
      cacheRead: cached,
      cacheWrite: undefined,
    },
    outputTokens: {
      total: output,
      text: output !== undefined && reasoning !== undefined ? output - reasoning : output,
      reasoning,
    },
    raw: JSON.parse(JSON.stringify(usage)) as JSONObject,
  };
}

/** What the router knows of one answer (a CompletionResult, StreamResult or EmbeddingResult fits). */
export interface RoutingRecord {
  provider: string;
  model: string;
  latencyMs: number;
  attempts: Attempt[];
  costUsd: number | undefined;
  recoveries?: number;
}

/** `providerMetadata.switchboard`: who answered, after which attempts, at what cost. */
export type SwitchboardMetadata = {
  /** The provider that answered (after a recovered stream, the one that finished it). */
  provider: string;
  /** The generic model that answered: the one asked for, or a fallback. */
  model: string;
  /** Until the answer was complete; for a stream, until its first content. */
  latencyMs: number;
  /** Every provider tried, in order, the answering one last. */
  attempts: Array<{ provider: string; model: string; status: number; outcome: string; reason?: string; latencyMs: number }>;
  /** USD from the answering provider's `pricing`; null when unpriced. */
  costUsd: number | null;
  /** Streams only: times a broken stream was continued on another provider. */
  recoveries?: number;
};

/** `providerMetadata` for an answer: `{ switchboard: SwitchboardMetadata }`. */
export function routingMetadata(record: RoutingRecord): { switchboard: SwitchboardMetadata } {
  const switchboard: SwitchboardMetadata = {
    provider: record.provider,
    model: record.model,
    latencyMs: Math.round(record.latencyMs),
    attempts: record.attempts.map((attempt) => ({
      provider: attempt.provider,
      model: attempt.model,
      status: attempt.status,
      outcome: attempt.outcome,
      ...(attempt.reason !== undefined && { reason: attempt.reason }),
      latencyMs: Math.round(attempt.latencyMs),
    })),
    costUsd: record.costUsd ?? null,
  };
  if (record.recoveries !== undefined) switchboard.recoveries = record.recoveries;
  return { switchboard };
}
