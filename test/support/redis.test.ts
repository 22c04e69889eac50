import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { createConnection } from 'node:net';
import { describe, it } from 'node:test';
import { Redis } from 'ioredis';
import { startRedis } from './redis.ts';

const bounded = { timeout: 30_000 };

function client(url: string): Redis {
  return new Redis(url, { maxRetriesPerRequest: 0, retryStrategy: () => null, lazyConnect: true });
}

function refused(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = createConnection({ host: '127.0.0.1', port });
    socket.on('connect', () => {
      socket.destroy();
      resolve(false);
    });
    socket.on('error', (error: NodeJS.ErrnoException) => resolve(error.code === 'ECONNREFUSED'));
  });
}

/** One inline command over a bare socket: its first reply line. */
function rawCommand(port: number, command: string): Promise<string> {
  return new Promise((resolve, reject) => {
    const socket = createConnection({ host: '127.0.0.1', port }, () => socket.write(`${command}\r\n`));
    socket.on('error', reject);
    socket.setEncoding('utf8').once('data', (text: string) => {
      socket.destroy();
      resolve(text);
    });
  });
}

describe('startRedis', () => {
  it('starts a redis-server on 127.0.0.1 that answers, without persistence', bounded, async (t) => {
    const server = await startRedis(t);
    assert.match(server.url, /^redis:\/\/127\.0\.0\.1:\d+$/);
    const redis = client(server.url);
    t.after(() => redis.disconnect());
    await redis.connect();
    assert.equal(await redis.set('greeting', 'hello'), 'OK');
    assert.equal(await redis.get('greeting'), 'hello');
    assert.deepEqual(await redis.config('GET', 'save'), ['save', '']);
    assert.deepEqual(await redis.config('GET', 'appendonly'), ['appendonly', 'no']);
  });

  it('stops and starts again on the same port, empty', bounded, async (t) => {
    const server = await startRedis(t);
    const first = client(server.url);
    await first.connect();
    await first.set('key', 'before');
    first.disconnect();

    await server.stop();
    assert.equal(server.running, false);
    assert.equal(await refused(server.port), true, 'nothing listens while stopped');

    await server.start();
    assert.equal(server.running, true);
    const second = client(server.url);
    t.after(() => second.disconnect());
    await second.connect();
    assert.equal(await second.get('key'), null, 'a restarted Redis without persistence is empty');
    assert.equal(await second.set('key', 'after'), 'OK');
  });

  it('requires the password when one is set, and close() removes its directory', bounded, async (t) => {
    const server = await startRedis(t, { password: 'hunter2 secret' });
    assert.equal(server.url, `redis://:hunter2%20secret@127.0.0.1:${server.port}`);
    assert.match(await rawCommand(server.port, 'GET x'), /^-NOAUTH/);
    const authorised = client(server.url);
    t.after(() => authorised.disconnect());
    await authorised.connect();
    assert.equal(await authorised.ping(), 'PONG');

    const directory = (await authorised.config('GET', 'dir'))[1] as string;
    assert.equal(existsSync(directory), true);
    authorised.disconnect();
    await server.close();
    assert.equal(existsSync(directory), false);
    assert.equal(await refused(server.port), true);
    await server.close();
  });
});
