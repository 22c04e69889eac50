// `switchboard demo` keeps its simulated failures to itself, even with REDIS_URL set.
import assert from 'node:assert/strict';
import { it } from 'node:test';
import { Redis } from 'ioredis';
import { cleanEnv, runCli } from '../support/cli.ts';
import { startRedis } from '../support/redis.ts';

it('the demo writes nothing to the Redis in REDIS_URL', { timeout: 120_000 }, async (t) => {
  const redis = await startRedis(t);
  const result = await runCli(['demo', '--duration', '3'], { env: cleanEnv({ REDIS_URL: redis.url }), timeoutMs: 90_000 });
  assert.equal(result.code, 0, result.stderr);
  assert.match(result.stdout, /fast/);
  const client = new Redis(redis.url, { maxRetriesPerRequest: 0 });
  t.after(() => client.disconnect());
  assert.equal(await client.dbsize(), 0);
});
