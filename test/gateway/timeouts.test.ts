// Clients that hold the gateway's connections: a body sent one byte at a time, a refused request
// that keeps sending, a stream reader that stops reading. Each is cut after a bounded time.
import assert from 'node:assert/strict';
import { connect, type Socket } from 'node:net';
import { describe, it } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import type { Gateway } from '../../src/gateway/server.ts';
import { completion, textChunks } from '../support/upstream.ts';
import { gateway, post, providersFor, until, upstream } from './helpers.ts';

interface RawClient {
  socket: Socket;
  received(): string;
  /** Resolves with ms from the start once the gateway closed the connection; rejects after `timeoutMs`. */
  closed(timeoutMs: number): Promise<number>;
}

function rawClient(switchboard: Gateway, read = true): RawClient {
  const { port } = new URL(switchboard.url);
  const socket = connect(Number(port), '127.0.0.1');
  const startedAt = Date.now();
  let text = '';
  if (read) socket.on('data', (data: Buffer) => (text += data.toString('latin1')));
  socket.on('error', () => {}); // a reset once the gateway has given up on us is expected
  const closed = new Promise<number>((resolve) => socket.once('close', () => resolve(Date.now() - startedAt)));
  return {
    socket,
    received: () => text,
    closed: (timeoutMs) =>
      Promise.race([
        closed,
        sleep(timeoutMs).then(() => {
          throw new Error(`connection still open after ${timeoutMs} ms; received: ${text.slice(0, 300)}`);
        }),
      ]),
  };
}

/** Sends the headers of a chat request announcing a 1000-byte body, then one byte every 100 ms until closed. */
function dribble(client: RawClient, headers: string[] = []): () => void {
  client.socket.write(
    [
      'POST /v1/chat/completions HTTP/1.1',
      'host: 127.0.0.1',
      'content-type: application/json',
      'content-length: 1000',
      ...headers,
      '',
      '',
    ].join('\r\n'),
  );
  const timer = setInterval(() => {
    if (client.socket.writable) client.socket.write(' ');
  }, 100);
  return () => clearInterval(timer);
}

function connections(switchboard: Gateway): Promise<number> {
  return new Promise((resolve, reject) =>
    switchboard.server.server.getConnections((error, count) => (error ? reject(error) : resolve(count))),
  );
}

function bodyOf(response: string): { error: { message: string; type: string; code: string | null; param: string | null } } {
  return JSON.parse(response.slice(response.indexOf('\r\n\r\n') + 4));
}

describe('timeouts for clients that hold connections', () => {
  it('a body sent one byte at a time is cut after server.requestTimeoutMs with a 408 in OpenAI shape', async (t) => {
    const first = await upstream(t);
    const switchboard = await gateway(t, { ...providersFor([first.url]), server: { requestTimeoutMs: 1000 } });
    const client = rawClient(switchboard);
    const stop = dribble(client);
    try {
      const ms = await client.closed(10_000);
      assert.ok(ms >= 900, `not before the limit (${ms} ms)`);
      assert.match(client.received(), /^HTTP\/1\.1 408 /);
      const body = bodyOf(client.received());
      assert.deepEqual(Object.keys(body.error).sort(), ['code', 'message', 'param', 'type']);
      assert.equal(body.error.code, 'request_timeout');
      assert.equal(body.error.type, 'invalid_request_error');
      assert.equal(first.requests.length, 0);
    } finally {
      stop();
      client.socket.destroy();
    }
  });

  it('a slow upstream is not a slow client: answers that take longer than requestTimeoutMs still arrive', async (t) => {
    const first = await upstream(t, [
      { delayMs: 2500, json: completion('worth the wait') },
      { sse: textChunks('a slow stream of words'), chunkDelayMs: 500 },
    ]);
    const switchboard = await gateway(t, { ...providersFor([first.url]), server: { requestTimeoutMs: 1000 } });
    const answer = await post(
      switchboard,
      { model: 'llama', messages: [{ role: 'user', content: 'hi' }] },
      {},
      AbortSignal.timeout(10_000),
    );
    assert.equal(answer.status, 200);
    const streamed = await post(
      switchboard,
      { model: 'llama', stream: true, messages: [{ role: 'user', content: 'hi' }] },
      {},
      AbortSignal.timeout(15_000),
    );
    const text = await streamed.text();
    assert.match(text, /data: \[DONE\]/);
  });

  it('slow request headers are cut too', async (t) => {
    const first = await upstream(t);
    const switchboard = await gateway(t, { ...providersFor([first.url]), server: { requestTimeoutMs: 1000 } });
    const client = rawClient(switchboard);
    client.socket.write('POST /v1/chat/completions HTTP/1.1\r\nhost: 127.0.0.1\r\n');
    const timer = setInterval(() => client.socket.writable && client.socket.write('x-slow: 1\r\n'), 100);
    try {
      await client.closed(10_000);
      assert.equal(first.requests.length, 0);
    } finally {
      clearInterval(timer);
      client.socket.destroy();
    }
  });

  it('a refused request (401) whose body is still coming is answered and closed, not held', async (t) => {
    const first = await upstream(t);
    // A request timeout far away, so that only the 401 can be what closes the connection.
    const switchboard = await gateway(t, {
      ...providersFor([first.url]),
      server: { apiKeys: ['sk-gateway-key-1'], requestTimeoutMs: 60_000 },
    });
    const clients = Array.from({ length: 20 }, () => rawClient(switchboard));
    const stops = clients.map((client) => dribble(client, ['authorization: Bearer sk-wrong']));
    try {
      const times = await Promise.all(clients.map((client) => client.closed(5000)));
      for (const client of clients) assert.match(client.received(), /^HTTP\/1\.1 401 /);
      assert.ok(Math.max(...times) < 5000);
      assert.equal(first.requests.length, 0);
    } finally {
      for (const stop of stops) stop();
      for (const client of clients) client.socket.destroy();
    }
  });

  /** An upstream stream of about 24 MB: more than the socket buffers between the gateway and a client hold. */
  function endless() {
    const piece = 'x'.repeat(16 * 1024);
    return { sse: textChunks(Array.from({ length: 1500 }, () => piece)) };
  }

  function startStream(client: RawClient): void {
    const body = JSON.stringify({ model: 'llama', stream: true, messages: [{ role: 'user', content: 'a lot' }] });
    client.socket.write(
      `POST /v1/chat/completions HTTP/1.1\r\nhost: 127.0.0.1\r\ncontent-type: application/json\r\ncontent-length: ${Buffer.byteLength(body)}\r\n\r\n${body}`,
    );
  }

  it('a stream whose client stopped reading is cut after server.writeTimeoutMs, and its upstream request aborted', async (t) => {
    const first = await upstream(t, [endless()]);
    const switchboard = await gateway(t, { ...providersFor([first.url]), server: { writeTimeoutMs: 500 } });
    const client = rawClient(switchboard, false); // never reads a byte
    startStream(client);
    try {
      // The client reads nothing, so it would not notice the close itself: look from the gateway's side.
      while (first.requests.length === 0) await sleep(10);
      await first.waitForClose(0, 15_000);
      assert.equal(first.requests[0]!.closedEarly, true, 'the upstream stream was aborted');
      await until(async () => (await connections(switchboard)) === 0, 5000);
    } finally {
      client.socket.destroy();
    }
  });

  it('a whole answer that a client never reads is dropped after server.writeTimeoutMs, connection and all', async (t) => {
    const first = await upstream(t, [{ json: completion('y'.repeat(24 * 1024 * 1024)) }]);
    const switchboard = await gateway(t, { ...providersFor([first.url]), server: { writeTimeoutMs: 500 } });
    const client = rawClient(switchboard, false);
    const body = JSON.stringify({ model: 'llama', messages: [{ role: 'user', content: 'a lot' }] });
    client.socket.write(
      `POST /v1/chat/completions HTTP/1.1\r\nhost: 127.0.0.1\r\ncontent-type: application/json\r\ncontent-length: ${Buffer.byteLength(body)}\r\n\r\n${body}`,
    );
    try {
      while (first.requests.length === 0) await sleep(10);
      await until(async () => (await connections(switchboard)) === 0, 15_000);
    } finally {
      client.socket.destroy();
    }
  });

  it('a drain does not wait drainMs for a client that stopped reading: writeTimeoutMs cuts it', async (t) => {
    const first = await upstream(t, [endless()]);
    const switchboard = await gateway(t, { ...providersFor([first.url]), server: { writeTimeoutMs: 1000 } });
    const client = rawClient(switchboard, false);
    startStream(client);
    try {
      while (first.requests.length === 0) await sleep(10);
      await sleep(200);
      const startedAt = Date.now();
      await switchboard.close(20_000);
      const ms = Date.now() - startedAt;
      assert.ok(ms < 10_000, `drained in ${ms} ms, not the whole 20 s`);
    } finally {
      client.socket.destroy();
    }
  });
});
