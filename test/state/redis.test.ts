// The Redis store keeps the StateStore contract against a real redis-server, shared or not.
import { randomUUID } from 'node:crypto';
import { after, before } from 'node:test';
import { RedisStore } from '../../src/state/redis.ts';
import { type RedisServer, startRedis } from '../support/redis.ts';
import { describeStateStore } from './store-contract.ts';

let server: RedisServer;
before(async () => {
  server = await startRedis();
});
after(() => server.close());

// Each store gets a prefix of its own, so tests sharing the server start from nothing.
const store = (prefix: string) => new RedisStore({ url: server.url, prefix, flushMs: 20 });

describeStateStore('redis', async () => store(`test-${randomUUID()}`), {
  pair: async () => {
    const prefix = `test-${randomUUID()}`;
    return [store(prefix), store(prefix)];
  },
});
