// Key check for the /v1 routes. The presented key and every configured key are hashed to the
// same length and compared with timingSafeEqual, against every key without stopping early, so
// neither the time taken nor an early exit tells how much of a guess matched.
import { createHash, timingSafeEqual } from 'node:crypto';

/** The SHA-256 of each key, computed once per config. */
export function digestKeys(keys: readonly string[]): Buffer[] {
  return keys.map(digest);
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
  if (digests.length === 0) return true;
  let key: string | undefined;
  if (authorization !== undefined) {
    if (authorization.length < 8 || authorization.slice(0, 7).toLowerCase() !== 'bearer ') return false;
    key = authorization.slice(7).trim();
  } else if (typeof apiKey === 'string') {
    key = apiKey.trim();
  }
  if (key === undefined || key === '') return false;
  const presented = digest(key);
  let matched = false;
  for (const expected of digests) matched = timingSafeEqual(presented, expected) || matched;
  return matched;
}

function digest(key: string): Buffer {
  return createHash('sha256').update(key).digest();
}
