// Both ResponseStores keep the contract; the memory one stays within its bounds, and the Redis one
// answers a 503 (never "not found") while Redis is away.
import assert from 'node:assert/strict';
import { once } from 'node:events';
import { describe, it } from 'node:test';
import { Redis } from 'ioredis';
import { SwitchboardError } from '../../src/protocol/errors.ts';
import { createMemoryResponseStore } from '../../src/state/responses.ts';
import { createRedisResponseStore } from '../../src/state/responses-redis.ts';
import { startRedis } from '../support/redis.ts';
import { describeResponseStore, storedResponse } from './responses-contract.ts';

describeResponseStore('memory', async (_t, retentionMs) =>
  createMemoryResponseStore({ retentionMs, maxStored: 100, maxBytes: 1_000_000 }),
);

describeResponseStore('Redis', async (t, retentionMs) => {
  const server = await startRedis(t);
  const redis = new Redis(server.url, { maxRetriesPerRequest: 0, lazyConnect: true });
  t.after(() => redis.disconnect());
  return createRedisResponseStore(redis, { retentionMs, prefix: `test-${Math.random()}:` });
});

describe('the memory response store', () => {
  it('expires by its clock', async () => {
    let now = 1000;
    const store = createMemoryResponseStore({ retentionMs: 100, maxStored: 10, maxBytes: 1_000_000, now: () => now });
    await store.save(storedResponse('a', now));
    now += 99;
    assert.ok(await store.get('a'));
    now += 1;
    assert.equal(await store.get('a'), undefined);
  });

  it('drops the oldest past maxStored or maxBytes', async () => {
    const store = createMemoryResponseStore({ retentionMs: 60_000, maxStored: 2, maxBytes: 1_000_000, now: () => 0 });
    for (const id of ['a', 'b', 'c']) await store.save(storedResponse(id, 0));
    assert.equal(await store.get('a'), undefined);
    assert.equal(await store.item('msg_a'), undefined);
    assert.ok(await store.get('b'));
    assert.ok(await store.get('c'));
    const size = JSON.stringify(storedResponse('x', 0)).length;
    const small = createMemoryResponseStore({ retentionMs: 60_000, maxStored: 100, maxBytes: size * 2 + 10, now: () => 0 });
    for (const id of ['x', 'y', 'z']) await small.save(storedResponse(id, 0));
    assert.equal(await small.get('x'), undefined);
    assert.ok(await small.get('y'));
    assert.ok(await small.get('z'));
  });
});

describe('the Redis response store', () => {
  it('answers 503 store_unavailable while Redis is down, and works again when it is back', async (t) => {
    const server = await startRedis(t);
    const redis = new Redis(server.url, { maxRetriesPerRequest: 0, enableOfflineQueue: false, retryStrategy: () => 20 });
    t.after(() => redis.disconnect());
    await once(redis, 'ready');
    const store = createRedisResponseStore(redis, { retentionMs: 60_000 });
    await store.save(storedResponse('r'));
    await server.stop();
    const error = await store.get('r').catch((thrown: unknown) => thrown);
    assert.ok(error instanceof SwitchboardError);
    assert.equal(error.status, 503);
    assert.equal(error.code, 'store_unavailable');
    await server.start();
    // A restarted Redis without persistence has forgotten everything: not found, no longer an error.
    const deadline = Date.now() + 5000;
    let after: unknown = error;
    while (Date.now() < deadline) {
      after = await store.get('r').catch((thrown: unknown) => thrown);
      if (!(after instanceof SwitchboardError)) break;
      await new Promise((resolve) => setTimeout(resolve, 25));
    }
    assert.equal(after, undefined);
  });
});
