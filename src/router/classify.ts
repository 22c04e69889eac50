// Which failures count, and what the router does about each: DESIGN.md's table as data.
import type { FailureKind, SwitchboardError } from '../protocol/errors.ts';

export type Action =
  /** Count a health failure and try the next provider. */
  | 'count-and-next'
  /** Not a health failure: wait for the provider's reset, try the others meanwhile. */
  | 'skip-until-reset'
  /** The provider's key is bad: open its circuit now and try the next. */
  | 'take-out'
  /** This provider lacks the model: try the next, no health penalty. */
  | 'next'
  /** Never resend to the same model: a larger-context fallback model if configured, else return it. */
  | 'larger-context'
  /** Never resend to the same model: a configured fallback model, else return the provider's reason. */
  | 'policy-fallback'
  /** The request itself is wrong (or the caller left): return the error unchanged in meaning. */
  | 'return';

export const actionFor: Readonly<Record<FailureKind, Action>> = {
  connect: 'count-and-next',
  timeout: 'count-and-next',
  server: 'count-and-next',
  malformed: 'count-and-next',
  'rate-limited': 'skip-until-reset',
  auth: 'take-out',
  'model-not-found': 'next',
  'context-length': 'larger-context',
  'content-policy': 'policy-fallback',
  'bad-request': 'return',
  aborted: 'return',
};

/** Which deployments a failure speaks for. */
export type Scope =
  /** The one deployment (provider × model × key) that failed. */
  | 'deployment'
  /** Every deployment of the provider on the same key (the key or its account is the problem). */
  | 'key'
  /** Every deployment of the provider (the host itself is unreachable). */
  | 'provider';

/** What a failure does to health: count toward the threshold, open at once, hold off until a reset, or nothing. */
export type HealthEffect = 'count' | 'trip' | 'hold' | 'none';

/**
 * Each failure kind's consequence for health and how far it reaches. A refused or reset
 * connection, DNS and TLS errors (kind `connect`) say the host is down for every model; a
 * rejected key (`auth`) says so for every model on that key; a 404 for the model, a 5xx or 529
 * on it, a malformed answer or a first-token timeout name that deployment only.
 */
export const consequenceFor: Readonly<Record<FailureKind, { health: HealthEffect; scope: Scope }>> = {
  connect: { health: 'count', scope: 'provider' },
  timeout: { health: 'count', scope: 'deployment' },
  server: { health: 'count', scope: 'deployment' },
  malformed: { health: 'count', scope: 'deployment' },
  'rate-limited': { health: 'hold', scope: 'deployment' },
  auth: { health: 'trip', scope: 'key' },
  'model-not-found': { health: 'count', scope: 'deployment' },
  'context-length': { health: 'none', scope: 'deployment' },
  'content-policy': { health: 'none', scope: 'deployment' },
  'bad-request': { health: 'none', scope: 'deployment' },
  aborted: { health: 'none', scope: 'deployment' },
};

/**
 * Error codes that say more than their kind. A `connect` failure after the response began is
 * that deployment's, not the host's; OpenAI's `insufficient_quota` is the account's, so every
 * model on that key is held off.
 */
export const scopeForCode: Readonly<Record<string, Scope>> = {
  body_interrupted: 'deployment',
  stream_incomplete: 'deployment',
  insufficient_quota: 'key',
};

/** Network causes that say more than their kind: a connect timeout is the host's, not one model's. */
export const scopeForCause: Readonly<Record<string, Scope>> = {
  UND_ERR_CONNECT_TIMEOUT: 'provider',
};

/** How far one failure reaches: its code, then its network cause, then its kind decide. */
export function failureScope(error: SwitchboardError): Scope {
  const byCode = error.code === null ? undefined : scopeForCode[error.code];
  if (byCode !== undefined) return byCode;
  const cause = (error.cause as { code?: unknown } | undefined)?.code;
  const byCause = typeof cause === 'string' ? scopeForCause[cause] : undefined;
  return byCause ?? consequenceFor[error.kind].scope;
}

/**
 * Whether one quick retry on the same provider is worth it: a reset before any byte
 * (often a keep-alive socket the upstream closed) or a plain 500. A refused connection
 * is not retried: the port is closed and will be closed a millisecond later too.
 * A timeout is never retried: a silent provider is not waited on twice.
 */
export function isQuickRetry(error: SwitchboardError): boolean {
  if (error.kind === 'server') return error.status === 500;
  if (error.kind === 'connect') {
    const code = (error.cause as { code?: string } | undefined)?.code;
    return code === 'ECONNRESET' || code === 'UND_ERR_SOCKET' || code === 'EPIPE';
  }
  return false;
}
