// One error type for everything that can go wrong on the way to an answer.
// `kind` is set where the failure is first understood (the transport for connect
// and timeout errors, the adapter for statuses and bodies) and never guessed later.

/** How a failure is classified; `src/router/classify.ts` maps each kind to a failover action. */
export type FailureKind =
  | 'connect'
  | 'timeout'
  | 'server'
  | 'malformed'
  | 'rate-limited'
  | 'auth'
  | 'model-not-found'
  | 'context-length'
  | 'content-policy'
  | 'bad-request'
  | 'aborted';

/** One provider tried for one request, and what came of it. */
export interface Attempt {
  provider: string;
  /** The model name sent to the provider. */
  model: string;
  /** HTTP status from the upstream, or 0 when none arrived (refused, reset, timed out). */
  status: number;
  /** `'ok'` for the attempt that answered, otherwise the failure kind. */
  outcome: 'ok' | FailureKind;
  /** Short reason, never containing credentials. */
  reason?: string;
  latencyMs: number;
  /** True when the attempt was started as a hedge (another was late with its first content). */
  hedge?: boolean;
  /** USD estimated for an attempt abandoned after it was sent (a hedge that lost): its input tokens at the input price. */
  costUsd?: number;
}

export interface SwitchboardErrorInit {
  message: string;
  status: number;
  type: string;
  code?: string | null;
  kind: FailureKind;
  provider?: string;
  /** How long the upstream asked us to wait before trying it again. */
  retryAfterMs?: number;
  /** Every provider tried, when the error ends a whole request. */
  attempts?: Attempt[];
  /** The parameter the error is about, as OpenAI's `param`. */
  param?: string | null;
}

/** The error every Switchboard API throws. `toJSON()` gives the OpenAI error shape. */
export class SwitchboardError extends Error {
  override readonly name = 'SwitchboardError';
  readonly status: number;
  readonly type: string;
  readonly code: string | null;
  readonly kind: FailureKind;
  readonly provider: string | undefined;
  readonly retryAfterMs: number | undefined;
  readonly attempts: Attempt[];
  readonly param: string | null;

  constructor(init: SwitchboardErrorInit, options?: { cause?: unknown }) {
    super(init.message, options);
    this.status = init.status;
    this.type = init.type;
    this.code = init.code ?? null;
    this.kind = init.kind;
    this.provider = init.provider;
    this.retryAfterMs = init.retryAfterMs;
    this.attempts = init.attempts ?? [];
    this.param = init.param ?? null;
  }

  /** A copy with some fields changed; the cause is kept. */
  with(changes: Partial<SwitchboardErrorInit>): SwitchboardError {
    const init: SwitchboardErrorInit = {
      message: this.message,
      status: this.status,
      type: this.type,
      code: this.code,
      kind: this.kind,
      param: this.param,
      attempts: this.attempts,
      ...(this.provider === undefined ? {} : { provider: this.provider }),
      ...(this.retryAfterMs === undefined ? {} : { retryAfterMs: this.retryAfterMs }),
    };
    return new SwitchboardError({ ...init, ...changes }, { cause: this.cause });
  }

  toJSON(): { error: { message: string; type: string; code: string | null; param: string | null } } {
    return { error: { message: this.message, type: this.type, code: this.code, param: this.param } };
  }
}

/** OpenAI error `type` for a status, used when the upstream gave none we can pass on. */
export function errorTypeFor(status: number): string {
  if (status === 401 || status === 403) return 'authentication_error';
  if (status === 404) return 'not_found_error';
  if (status === 429) return 'rate_limit_error';
  if (status === 408 || status === 504) return 'timeout_error';
  if (status >= 500) return 'server_error';
  return 'invalid_request_error';
}

/** A request the caller got wrong: 400 unless told otherwise, never failed over. */
export function invalidRequest(message: string, param: string | null = null, code: string | null = null, status = 400) {
  return new SwitchboardError({ message, status, type: 'invalid_request_error', code, kind: 'bad-request', param });
}

/** The error for work the caller abandoned (its AbortSignal fired); a SwitchboardError reason is kept as is. */
export function abortedBy(reason: unknown, provider?: string): SwitchboardError {
  if (reason instanceof SwitchboardError) return reason;
  return new SwitchboardError(
    {
      message: 'request aborted by the caller',
      status: 499,
      type: 'request_aborted',
      kind: 'aborted',
      ...(provider === undefined ? {} : { provider }),
    },
    { cause: reason },
  );
}
