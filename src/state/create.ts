// Choosing the state store from the config: Redis when a URL is given (in the config, or in
// REDIS_URL), memory otherwise.
import { MemoryStore } from './memory.ts';
import { RedisStore } from './redis.ts';
import { describeRedisUrl } from './redis-client.ts';
import type { StateStore, StoreConnection } from './store.ts';

export interface StateSettings {
  /** `redis://…`; unset, REDIS_URL is used when set. */
  redis?: string | undefined;
  prefix: string;
}

/** The Redis URL the settings and the environment ask for; undefined for memory. */
export function redisUrlOf(settings: StateSettings, env: NodeJS.ProcessEnv = process.env): string | undefined {
  const url = settings.redis ?? env.REDIS_URL?.trim();
  return url === undefined || url === '' ? undefined : url;
}

export interface CreatedStore {
  store: StateStore;
  /** Where it keeps its state, without credentials: `memory` or the Redis URL with its password hidden. */
  location: string;
}

/**
 * A new store for the settings; call `ready()` on it before use (it never rejects: an unreachable
 * Redis is reported by `connection()` and `onConnectionChange`). Throws only for a REDIS_URL that is
 * not a redis:// or rediss:// URL.
 */
export function createStateStore(
  settings: StateSettings,
  options: { env?: NodeJS.ProcessEnv; onConnectionChange?: (connection: StoreConnection) => void } = {},
): CreatedStore {
  const url = redisUrlOf(settings, options.env);
  if (url === undefined) return { store: new MemoryStore(), location: 'memory' };
  if (!/^rediss?:\/\/\S+$/.test(url)) throw new Error('REDIS_URL: expected a redis:// or rediss:// URL');
  const store = new RedisStore({
    url,
    prefix: settings.prefix,
    ...(options.onConnectionChange !== undefined && { onConnectionChange: options.onConnectionChange }),
  });
  return { store, location: describeRedisUrl(url) };
}
