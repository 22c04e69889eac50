// Two routers (two replicas) sharing one Redis store agree on where a conversation is pinned.
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { after, before, describe, it } from 'node:test';
import { setTimeout as delay } from 'node:timers/promises';
import type { ChatRequest } from '../../src/protocol/chat.ts';
import { createRouter, type Router } from '../../src/router/router.ts';
import { RedisStore } from '../../src/state/redis.ts';
import { type RedisServer, startRedis } from '../support/redis.ts';
import { openaiError } from '../support/upstream.ts';
import { upstream } from './helpers.ts';

let server: RedisServer;
before(async () => {
  server = await startRedis();
});
after(() => server.close());

describe('affinity across replicas', () => {
  it('a conversation moved by one replica is followed by the other, though its old deployment is healthy again', async () => {
    const a = await upstream();
    const b = await upstream();
    const prefix = `pins-${randomUUID()}`;
    const stores = [0, 1].map(() => new RedisStore({ url: server.url, prefix, flushMs: 20 }));
    await Promise.all(stores.map((store) => store.ready()));
    const config = {
      providers: {
        a: { baseUrl: a.url, priority: 1, models: { m: 'm' } },
        b: { baseUrl: b.url, priority: 2, models: { m: 'm' } },
      },
      routing: { failureThreshold: 1, recovery: { probeDelaysMs: [20] }, retryDelayMs: 5 },
    };
    const [one, two] = stores.map((store) => createRouter(config, { store })) as [Router, Router];
    const turn = (n: number): ChatRequest => ({ model: 'm', messages: [{ role: 'user', content: `turn ${n}` }], user: 'alice' });
    assert.equal((await one.complete(turn(1))).provider, 'a');
    a.script.push({ status: 503, json: openaiError('overloaded', 'server_error') });
    assert.equal((await one.complete(turn(2))).provider, 'b', 'moved by the trip');
    const end = performance.now() + 3000;
    while (!(one.status().a!.healthy && two.status().a!.healthy) && performance.now() < end) await delay(10);
    assert.ok(two.status().a!.healthy, 'a is back in service for both');
    assert.equal((await two.complete(turn(3))).provider, 'b', 'the other replica follows the pin');
    assert.equal((await two.complete({ ...turn(1), user: 'bob' })).provider, 'a', 'another conversation goes by priority');
    await Promise.all([one.close(), two.close()]);
    await Promise.all(stores.map((store) => store.close()));
  });
});
