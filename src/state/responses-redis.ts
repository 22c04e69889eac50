// Stored Responses conversations in Redis, so every gateway replica can continue any of them.
// One key per response (its JSON, expiring after the retention) and one per output item (the id
// of its response, same expiry), for `item_reference`. Redis's own memory policy bounds the size.
import type { Redis } from 'ioredis';
import { SwitchboardError } from '../protocol/errors.ts';
import type { OutputItem } from '../protocol/responses.ts';
import { failFastOptions, newRedis } from './redis-client.ts';
import type { ResponseStore, StoredResponse } from './responses.ts';

export interface RedisResponseStoreOptions {
  /** How long a response is kept, in ms. */
  retentionMs: number;
  /** Prepended to every key; default `switchboard:`. */
  prefix?: string;
}

/**
 * A ResponseStore on its own connection to `url`, closed by its `close()`. A request never waits
 * for an absent Redis: commands fail at once (a 503) and the connection keeps trying to return.
 */
export function openRedisResponseStore(url: string, options: RedisResponseStoreOptions & { timeoutMs?: number }): ResponseStore {
  const timeoutMs = options.timeoutMs ?? 1000;
  const redis = newRedis(url, failFastOptions(timeoutMs));
  // Outages are logged by the state store on the same Redis; here they surface as 503s.
  redis.on('error', () => {});
  redis.connect().catch(() => {});
  const store = createRedisResponseStore(redis, options);
  let closed = false;
  return {
    ...store,
    async close() {
      if (closed) return;
      closed = true;
      redis.disconnect();
    },
  };
}

/** A ResponseStore over an ioredis client the caller owns (its `close()` leaves the client open). */
export function createRedisResponseStore(redis: Redis, options: RedisResponseStoreOptions): ResponseStore {
  const prefix = options.prefix ?? 'switchboard:';
  const responseKey = (id: string) => `${prefix}response:${id}`;
  const itemKey = (id: string) => `${prefix}response-item:${id}`;

  const read = async (id: string): Promise<StoredResponse | undefined> => {
    const text = await reach(() => redis.get(responseKey(id)));
    return text === null ? undefined : (JSON.parse(text) as StoredResponse);
  };

  return {
    async save(stored) {
      const ttl = Math.max(1, stored.storedAt + options.retentionMs - Date.now());
      const batch = redis.multi().set(responseKey(stored.id), JSON.stringify(stored), 'PX', ttl);
      for (const item of stored.output) batch.set(itemKey(item.id), stored.id, 'PX', ttl);
      await reach(() => batch.exec());
    },
    get: read,
    async item(id) {
      const owner = await reach(() => redis.get(itemKey(id)));
      if (owner === null) return undefined;
      const stored = await read(owner);
      const item = stored?.output.find((candidate: OutputItem) => candidate.id === id);
      return stored && item ? { item, owner: stored.owner } : undefined;
    },
    async delete(id) {
      const stored = await read(id);
      if (stored === undefined) return false;
      const keys = [responseKey(id), ...stored.output.map((item) => itemKey(item.id))];
      return (await reach(() => redis.del(...keys))) > 0;
    },
    async close() {},
  };
}

// An unreachable Redis is the gateway's trouble, not the caller's: a 503 to retry, never "not found".
async function reach<T>(call: () => Promise<T>): Promise<T> {
  try {
    return await call();
  } catch (error) {
    throw new SwitchboardError(
      {
        message: 'The store of Responses conversations is unreachable; retry shortly.',
        status: 503,
        type: 'server_error',
        code: 'store_unavailable',
        kind: 'server',
        retryAfterMs: 1000,
      },
      { cause: error },
    );
  }
}
