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
