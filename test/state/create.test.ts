import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { ConfigError, parseConfig } from '../../src/config/schema.ts';
import { createStateStore, redisUrlOf } from '../../src/state/create.ts';
import { MemoryStore } from '../../src/state/memory.ts';
import { RedisStore } from '../../src/state/redis.ts';

const providers = { a: { baseUrl: 'http://127.0.0.1:1/v1', models: { m: 'm' } } };

describe('state config', () => {
  it('defaults to memory, takes state.redis, else REDIS_URL', async () => {
    const memory = parseConfig({ providers }).state;
    assert.deepEqual(memory, { prefix: 'switchboard' });
    assert.equal(redisUrlOf(memory, {}), undefined);
    const created = createStateStore(memory, { env: {} });
    assert.ok(created.store instanceof MemoryStore);
    assert.equal(created.location, 'memory');

    assert.equal(redisUrlOf(memory, { REDIS_URL: ' redis://10.0.0.2:6379 ' }), 'redis://10.0.0.2:6379');
    const configured = parseConfig({ providers, state: { redis: 'redis://:pa%40ss@127.0.0.1:1/2', prefix: 'sb' } }).state;
    assert.equal(redisUrlOf(configured, { REDIS_URL: 'redis://elsewhere:6379' }), 'redis://:pa%40ss@127.0.0.1:1/2');
    const redis = createStateStore(configured, { env: {} });
    try {
      assert.ok(redis.store instanceof RedisStore);
      assert.equal(redis.location, 'redis://***@127.0.0.1:1/2', 'no password where it is shown');
    } finally {
      await redis.store.close();
    }
  });

  it('rejects a URL that is not Redis without repeating it', () => {
    try {
      parseConfig({ providers, state: { redis: 'http://:hunter2@127.0.0.1:6379' } });
      assert.fail('expected a ConfigError');
    } catch (error) {
      assert.ok(error instanceof ConfigError);
      assert.deepEqual(error.problems, ['state.redis: expected a redis:// or rediss:// URL']);
    }
    assert.throws(
      () => createStateStore({ prefix: 'x' }, { env: { REDIS_URL: 'memcached://:hunter2@host' } }),
      (error: Error) => /REDIS_URL: expected a redis/.test(error.message) && !error.message.includes('hunter2'),
    );
  });
});
