// The errors that end a request when no deployment answered, and failures told without upstream text.
import { errorTypeFor, SwitchboardError } from '../protocol/errors.ts';
import type { Run } from './run.ts';

type Routed = Run<{ model: string }>;

/**
 * A failure in words that carry no upstream or caller text: its kind, the upstream's status and a
 * code that looks like an identifier (`server (HTTP 503, overloaded)`, `timeout (upstream_timeout)`).
 * An upstream's message can quote a request (a 400 naming the prompt) or an address; this cannot.
 */
export function summarize(error: SwitchboardError): string {
  const details: string[] = [];
  if (error.kind !== 'connect' && error.kind !== 'timeout' && error.status > 0) details.push(`HTTP ${error.status}`);
  if (error.code !== null && /^[A-Za-z0-9_.-]{1,64}$/.test(error.code)) details.push(error.code);
  return details.length > 0 ? `${error.kind} (${details.join(', ')})` : error.kind;
}

/** A wait hint only when it is one: positive and finite. */
function hint(retryAfterMs: number | undefined): { retryAfterMs?: number } {
  return retryAfterMs !== undefined && retryAfterMs > 0 && Number.isFinite(retryAfterMs) ? { retryAfterMs } : {};
}

export function noProvider(model: string, run: Routed, retryAfterMs?: number): SwitchboardError {
  return new SwitchboardError({
    message: `no provider for "${model}" is available now (all cooling down or rate-limited)`,
    status: 503,
    type: 'server_error',
    code: 'no_provider_available',
    kind: 'server',
    attempts: run.attempts,
    ...hint(retryAfterMs),
  });
}

const kindOfStatus = { 404: 'model-not-found', 429: 'rate-limited', 503: 'server', 504: 'timeout' } as const;

/**
 * The error for "every candidate failed": the most telling status (404 or 504 when every attempt
 * failed that way, 429 when any was rate-limited, else 503), every attempt listed, and when to
 * come back if that is known.
 */
export function allFailed(run: Routed, retryAfterMs?: number): SwitchboardError {
  const attempts = run.attempts;
  if (attempts.length === 0) return noProvider(run.request.model, run, retryAfterMs);
  const kinds = new Set(attempts.map((attempt) => attempt.outcome));
  const only = kinds.size === 1 ? [...kinds][0] : undefined;
  const status = only === 'model-not-found' ? 404 : only === 'timeout' ? 504 : kinds.has('rate-limited') ? 429 : 503;
  const list = attempts.map(
    (attempt) => `${attempt.provider} (${attempt.status || attempt.outcome}: ${attempt.reason ?? attempt.outcome})`,
  );
  return new SwitchboardError({
    message: `every provider failed for "${run.request.model}": ${list.join('; ')}`,
    status,
    type: errorTypeFor(status),
    code: 'all_providers_failed',
    kind: kindOfStatus[status],
    attempts,
    ...hint(retryAfterMs),
  });
}
