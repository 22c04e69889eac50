// Key check for the /v1 routes. The presented key and every configured key are hashed to the
// same length and compared with timingSafeEqual, against every key without stopping early, so
// neither the time taken nor an early exit tells how much of a guess matched.
import { createHash, timingSafeEqual } from 'node:crypto';

/** The SHA-256 of each key, computed once per config. */
export function digestKeys(keys: readonly string[]): Buffer[] {
  return keys.map(digest);
}

/**
 * A short id for a gateway key, safe to store and show (the usage ledger's `key`): a prefix of a
 * SHA-256 of the key under a label of its own, so it is no digest kept anywhere else.
 */
export function gatewayKeyId(key: string): string {
  return `key-${createHash('sha256').update(`switchboard gateway key id\0${key}`).digest('hex').slice(0, 10)}`;
}

/**
 * Whether a request carries one of the keys, as `Authorization: Bearer <key>` (OpenAI clients)
 * or `x-api-key: <key>` (Anthropic clients); always true when no keys are configured.
 */
export function isAuthorized(
  authorization: string | undefined,
  apiKey: string | string[] | undefined,
  digests: readonly Buffer[],
): boolean {
  return matchKey(authorization, apiKey, digests) !== undefined;
}

/** Which configured key a request carries: its index, -1 when no keys are configured, undefined when refused. */
export function matchKey(
  authorization: string | undefined,
  apiKey: string | string[] | undefined,
  digests: readonly Buffer[],
): number | undefined {
  if (digests.length === 0) return -1;
  let key: string | undefined;
  if (authorization !== undefined) {
    if (authorization.length < 8 || authorization.slice(0, 7).toLowerCase() !== 'bearer ') return undefined;
    key = authorization.slice(7).trim();
  } else if (typeof apiKey === 'string') {
    key = apiKey.trim();
  }
  if (key === undefined || key === '') return undefined;
  const presented = digest(key);
  let matched: number | undefined;
  for (const [index, expected] of digests.entries()) {
    if (timingSafeEqual(presented, expected)) matched = index;
  }
  return matched;
}

function digest(key: string): Buffer {
  return createHash('sha256').update(key).digest();
}
