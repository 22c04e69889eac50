// A replica that dies with requests in flight leaves no in-flight count behind: each replica's
// count is kept apart and summed only while that replica says it is alive.
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { once } from 'node:events';
import { it } from 'node:test';
import { setTimeout as delay } from 'node:timers/promises';
import { pathToFileURL } from 'node:url';
import { RedisStore } from '../../src/state/redis.ts';
import { startRedis } from '../support/redis.ts';

const storeModule = pathToFileURL(new URL('../../src/state/redis.ts', import.meta.url).pathname).href;

async function eventually(check: () => boolean, withinMs: number): Promise<number> {
  const started = performance.now();
  while (!check()) {
    if (performance.now() - started > withinMs) throw new Error(`not within ${withinMs} ms`);
    await delay(20);
  }
  return performance.now() - started;
}

it('drops the in-flight count of a replica that died, and keeps a live one', { timeout: 60_000 }, async (t) => {
  const server = await startRedis(t);
  const prefix = `p-${randomUUID()}`;
  const survivor = new RedisStore({ url: server.url, prefix, flushMs: 50 });
  t.after(() => survivor.close());
  await survivor.ready();
  survivor.count('p/m', 'inflight', 2);

  // Another replica, in a process of its own, starts 3 requests and dies without closing.
  const code = `
    const { RedisStore } = await import(${JSON.stringify(storeModule)});
    const store = new RedisStore({ url: ${JSON.stringify(server.url)}, prefix: ${JSON.stringify(prefix)}, flushMs: 50 });
    await store.ready();
    store.count('p/m', 'inflight', 3);
    setTimeout(() => { process.stdout.write('counted\\n'); process.exit(1); }, 500);
  `;
  const child = spawn(process.execPath, ['--input-type=module', '-e', code], { stdio: ['ignore', 'pipe', 'inherit'] });
  t.after(() => child.kill('SIGKILL'));
  const [exitCode] = await once(child, 'exit');
  assert.equal(exitCode, 1, 'it died');

  await eventually(() => survivor.get('p/m').inflight === 5, 5000);
  const tookMs = await eventually(() => survivor.get('p/m').inflight === 2, 15_000);
  t.diagnostic(`the dead replica's 3 were dropped after ${tookMs.toFixed(0)} ms`);
  await delay(3000);
  assert.equal(survivor.get('p/m').inflight, 2, "a live replica's requests stay counted");
  survivor.count('p/m', 'inflight', -2);
  await eventually(() => survivor.get('p/m').inflight === 0, 2000);
});
