// What the Redis store sends: a circuit change at once, a routine rate-limit snapshot (which holds
// nothing off) with the next flush, so answers that all carry rate-limit headers do not cost every
// replica one message each.
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { it } from 'node:test';
import { setTimeout as delay } from 'node:timers/promises';
import { Redis } from 'ioredis';
import { RedisStore } from '../../src/state/redis.ts';
import type { DeploymentHealth } from '../../src/state/store.ts';
import { startRedis } from '../support/redis.ts';

async function eventually(check: () => boolean, withinMs = 3000): Promise<void> {
  const until = Date.now() + withinMs;
  while (!check()) {
    if (Date.now() > until) throw new Error(`not within ${withinMs} ms`);
    await delay(10);
  }
}

it('sends a trip at once and batches routine rate-limit snapshots', { timeout: 30_000 }, async (t) => {
  const server = await startRedis(t);
  const prefix = `p-${randomUUID()}`;
  const listener = new Redis(server.url, { maxRetriesPerRequest: 0 });
  t.after(() => listener.disconnect());
  const kinds: string[] = [];
  listener.on('message', (_channel: string, text: string) => kinds.push((JSON.parse(text) as { t: string }).t));
  await listener.subscribe(`${prefix}:events`);

  const [writer, reader] = [prefix, prefix].map((name) => new RedisStore({ url: server.url, prefix: name, flushMs: 4000 }));
  t.after(() => Promise.all([writer!.close(), reader!.close()]));
  await Promise.all([writer!.ready(), reader!.ready()]);

  // Answers arriving a few ms apart, each with its headers, as under steady traffic.
  for (let remaining = 20; remaining > 0; remaining -= 1) {
    writer!.update('p/m', (health: DeploymentHealth) => ({
      ...health,
      rateLimit: { limitRequests: 100, remainingRequests: remaining },
    }));
    await delay(10);
  }
  await eventually(() => reader!.get('p/m').health.rateLimit?.remainingRequests === 1, 8000);
  const routine = kinds.filter((kind) => kind === 'h').length;
  assert.ok(routine <= 3, `20 snapshots over 200 ms, ${routine} health messages`);

  const sentAt = performance.now();
  writer!.update('p/m', (health: DeploymentHealth) => ({
    ...health,
    circuit: { state: 'open', failures: 1, trips: 1, openedAt: 1, probes: 0, nextProbeAt: 2, trialUntil: 0 },
  }));
  await eventually(() => reader!.get('p/m').health.circuit.state === 'open');
  assert.ok(performance.now() - sentAt < 2000, 'a trip does not wait for the 4 s flush');
});

it('sends what it counted and changed last before close() resolves', { timeout: 30_000 }, async (t) => {
  const server = await startRedis(t);
  const prefix = `p-${randomUUID()}`;
  const leaving = new RedisStore({ url: server.url, prefix, flushMs: 60_000 });
  await leaving.ready();
  leaving.count('p/m', 'requests', 7);
  leaving.addSpend('key:a', { requests: 1, costUsd: 0.25 });
  leaving.update('p/m', (health: DeploymentHealth) => ({ ...health, lastError: 'boom', lastErrorAt: 5 }));
  await leaving.close();

  const joining = new RedisStore({ url: server.url, prefix });
  t.after(() => joining.close());
  await joining.ready();
  assert.equal(joining.get('p/m').requests, 7);
  assert.equal(joining.get('p/m').health.lastError, 'boom');
  assert.deepEqual(joining.spend('key:a'), { requests: 1, inputTokens: 0, outputTokens: 0, costUsd: 0.25 });
});
