// Router errors in the AI SDK's terms. `ai` retries a call when it gets an APICallError with
// `isRetryable: true`, waiting `retry-after-ms` from its response headers when they have one
// (see retryWithExponentialBackoffRespectingRetryHeaders in the `ai` package). By the time the
// router gives up it has already retried and failed over across every candidate, so a blind
// retry two seconds later would mostly meet the same open circuits. The error is retryable only
// when the router knows when a provider takes requests again, and that wait travels as the header.
import { APICallError } from '@ai-sdk/provider';
import type { FailureKind } from '../protocol/errors.ts';
import { SwitchboardError } from '../protocol/errors.ts';

/** Failures that another try may cure once their wait is over; the rest are the request's own doing. */
const transient: ReadonlySet<FailureKind> = new Set(['connect', 'timeout', 'server', 'malformed', 'rate-limited']);

/**
 * The error a model method throws for what the router threw: an APICallError for a SwitchboardError
 * (the caller's abort reason when it aborted), anything else unchanged.
 */
export function toAiSdkError(thrown: unknown, model: string, requestBody: unknown, abortSignal?: AbortSignal): unknown {
  if (!(thrown instanceof SwitchboardError)) return thrown;
  // The AI SDK recognises its caller's own abort reason (an AbortError) and stops quietly on it.
  if (thrown.kind === 'aborted' && abortSignal?.aborted) return abortSignal.reason;
  const waitMs = thrown.retryAfterMs;
  const isRetryable = transient.has(thrown.kind) && waitMs !== undefined;
  return new APICallError({
    message: thrown.message,
    // There is no single URL: the router may have tried several providers.
    url: `switchboard:${model}`,
    requestBodyValues: requestBody,
    statusCode: thrown.status,
    ...(isRetryable && { responseHeaders: { 'retry-after-ms': String(Math.ceil(waitMs)) } }),
    responseBody: JSON.stringify(thrown.toJSON()),
    cause: thrown,
    isRetryable,
    data: {
      kind: thrown.kind,
      code: thrown.code,
      type: thrown.type,
      attempts: thrown.attempts.map((attempt) => ({ ...attempt })),
    },
  });
}
