// The transport against hostile upstreams on 127.0.0.1: answers written byte for byte on raw sockets
// (resets, lying lengths, floods after the end), a host that accepts no connection, a pool that is
// full. What failover depends on is checked here: when an attempt settles and how its failure is
// classified.
import assert from 'node:assert/strict';
import { getEventListeners } from 'node:events';
import { createServer, type Socket } from 'node:net';
import { describe, it, type TestContext } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import { SwitchboardError } from '../../src/protocol/errors.ts';
import { type Endpoint, parseEndpoint, type SendOptions, Transport } from '../../src/providers/transport.ts';
import { startUnresponsiveHost } from '../support/unresponsive-host.ts';
import { startUpstream } from '../support/upstream.ts';

const wire = { path: '/chat/completions', headers: { 'content-type': 'application/json' }, body: '{}' };

function optionsFor(extra: Partial<SendOptions> = {}): SendOptions {
  return { provider: 'p', firstByteMs: 10_000, idleMs: 10_000, ...extra };
}

interface RawUpstream {
  endpoint: Endpoint;
  /** Requests read so far. */
  requests: () => number;
  /** Connections accepted so far, and closed so far. */
  connections: () => number;
  closed: () => number;
  /** Bytes written to the client so far, counted by `send`. */
  sent: () => number;
  /** Writes bytes to a socket and counts them; resolves when the socket can take more (or closed). */
  send: (socket: Socket, bytes: string | Buffer) => Promise<void>;
}

/** A server that reads each request (headers and a Content-Length body) and calls `answer` with its socket. */
async function rawUpstream(
  t: TestContext,
  answer: (socket: Socket, index: number) => void | Promise<void>,
): Promise<RawUpstream> {
  let requests = 0;
  let connections = 0;
  let closed = 0;
  let sent = 0;
  const sockets = new Set<Socket>();
  const server = createServer((socket) => {
    connections++;
    sockets.add(socket);
    socket.on('close', () => {
      closed++;
      sockets.delete(socket);
    });
    socket.on('error', () => {});
    let pending = '';
    socket.on('data', (data: Buffer) => {
      pending += data.toString('latin1');
      for (let end = pending.indexOf('\r\n\r\n'); end >= 0; end = pending.indexOf('\r\n\r\n')) {
        const length = Number(/\r\ncontent-length: *(\d+)/i.exec(pending.slice(0, end))?.[1] ?? 0);
        if (pending.length < end + 4 + length) return;
        pending = pending.slice(end + 4 + length);
        void answer(socket, requests++);
      }
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  t.after(() => {
    for (const socket of sockets) socket.destroy();
    server.close();
  });
  const { port } = server.address() as { port: number };
  return {
    endpoint: parseEndpoint(`http://127.0.0.1:${port}/v1`),
    requests: () => requests,
    connections: () => connections,
    closed: () => closed,
    sent: () => sent,
    async send(socket, bytes) {
      if (socket.destroyed) return;
      sent += Buffer.byteLength(bytes);
      if (socket.write(bytes)) return;
      await new Promise<void>((resolve) => {
        const done = () => {
          socket.off('drain', done).off('close', done);
          resolve();
        };
        socket.on('drain', done).on('close', done);
      });
    },
  };
}

const chunk = (text: string) => `${Buffer.byteLength(text).toString(16)}\r\n${text}\r\n`;
const chunkedHead = 'HTTP/1.1 200 OK\r\ncontent-type: text/event-stream\r\ntransfer-encoding: chunked\r\n\r\n';

function transport(t: TestContext, options: ConstructorParameters<typeof Transport>[0] = {}): Transport {
  const made = new Transport(options);
  t.after(() => made.close().catch(() => {}));
  return made;
}

async function failure(promise: Promise<unknown>): Promise<{ error: SwitchboardError; ms: number }> {
  const started = performance.now();
  const error = await promise.then(
    () => assert.fail('expected a failure'),
    (thrown: unknown) => thrown,
  );
  assert.ok(error instanceof SwitchboardError, `not a SwitchboardError: ${String(error)}`);
  return { error, ms: performance.now() - started };
}

describe('an attempt aborted before its request started settles at once', () => {
  it('while the connection is still being made (a host that accepts nothing): the abort, not the connect timeout', async (t) => {
    const host = await startUnresponsiveHost();
    t.after(host.close);
    const caller = new AbortController();
    setTimeout(() => caller.abort(), 100);
    const pool = transport(t, { connectMs: 8000 });
    const { error, ms } = await failure(pool.open(parseEndpoint(host.url), wire, optionsFor({ signal: caller.signal })));
    assert.equal(error.kind, 'aborted');
    assert.ok(ms < 4000, `settled after ${Math.round(ms)} ms; the connect timeout is 8000`);
    // Nothing waits for that connection any more: it is given up, so closing does not wait for it.
    const started = performance.now();
    await pool.close();
    const closeMs = performance.now() - started;
    assert.ok(closeMs < 4000, `close() took ${Math.round(closeMs)} ms`);
  });

  it('while queued behind a full pool: the abort and the answer deadline both end it, and nothing is sent', async (t) => {
    const upstream = await startUpstream(['hang']);
    t.after(() => upstream.close());
    const endpoint = parseEndpoint(upstream.url);
    const pool = transport(t, { connectionsPerOrigin: 1 });
    // The one connection is held by an answer that never comes (until the upstream closes).
    const holder = pool.open(endpoint, wire, optionsFor()).catch((error: unknown) => error);
    while (upstream.requests.length === 0) await sleep(5);

    const caller = new AbortController();
    setTimeout(() => caller.abort(), 50);
    const aborted = await failure(pool.open(endpoint, wire, optionsFor({ signal: caller.signal })));
    assert.equal(aborted.error.kind, 'aborted');
    assert.ok(aborted.ms < 4000, `the abort settled after ${Math.round(aborted.ms)} ms`);

    const late = await failure(pool.send(endpoint, wire, optionsFor({ answerMs: 100 })));
    assert.equal(late.error.kind, 'timeout');
    assert.equal(late.error.code, 'upstream_timeout');
    assert.ok(late.ms < 4000, `the answer deadline settled after ${Math.round(late.ms)} ms`);

    // Once the connection is free, neither abandoned request goes out on it.
    await upstream.close();
    await holder;
    await sleep(100);
    assert.equal(upstream.requests.length, 1);
  });
});

describe('release() lets go of the rest of a body', () => {
  it('what is left arrives later: dropped, and the connection serves the next request with its own body', async (t) => {
    let firstDone = false;
    const upstream = await rawUpstream(t, async (socket, index) => {
      if (index > 0) return upstream.send(socket, 'HTTP/1.1 200 OK\r\ncontent-length: 6\r\n\r\nsecond');
      await upstream.send(socket, chunkedHead + chunk('data: [DONE]\n\n'));
      await sleep(30);
      await upstream.send(socket, chunk(': left over from the first answer\n\n'));
      await sleep(30);
      await upstream.send(socket, '0\r\n\r\n');
      firstDone = true;
    });
    const pool = transport(t);
    const response = await pool.open(upstream.endpoint, wire, optionsFor());
    await response.body[Symbol.asyncIterator]().next();
    response.release();
    while (!firstDone) await sleep(5);
    await sleep(50);
    const next = await pool.send(upstream.endpoint, wire, optionsFor());
    assert.equal(next.body, 'second');
    assert.equal(upstream.connections(), 1);
    assert.equal(upstream.closed(), 0);
  });

  it('an upstream that keeps sending after the end of its stream is cut off soon, not drained forever', async (t) => {
    const flood = Buffer.alloc(16 * 1024, 'y').toString();
    const upstream = await rawUpstream(t, async (socket) => {
      await upstream.send(socket, chunkedHead + chunk('data: [DONE]\n\n'));
      for (let piece = 0; piece < 4000 && !socket.destroyed; piece++) await upstream.send(socket, chunk(flood));
    });
    const response = await transport(t).open(upstream.endpoint, wire, optionsFor());
    const first = await response.body[Symbol.asyncIterator]().next();
    assert.match(Buffer.from(first.value ?? []).toString(), /\[DONE\]/);
    const sentAtRelease = upstream.sent();
    response.release();
    // What is let go of is dropped up to a bound, then the connection is closed. (Before: all 64 MB drained.)
    for (let waited = 0; upstream.closed() === 0 && waited < 3000; waited += 20) await sleep(20);
    const drained = upstream.sent() - sentAtRelease;
    assert.equal(upstream.closed(), 1, `the connection is still open; ${drained} bytes written after release()`);
    assert.ok(drained < 16 * 1024 * 1024, `the upstream wrote ${drained} bytes after release()`);
  });

  it('an upstream that drips after the end of its stream (never idle for idleMs) is cut off after about idleMs', async (t) => {
    const upstream = await rawUpstream(t, async (socket) => {
      await upstream.send(socket, chunkedHead + chunk('data: [DONE]\n\n'));
      for (let drop = 0; drop < 200 && !socket.destroyed; drop++) {
        await sleep(50);
        await upstream.send(socket, chunk(' '));
      }
    });
    const response = await transport(t).open(upstream.endpoint, wire, optionsFor({ idleMs: 300 }));
    await response.body[Symbol.asyncIterator]().next();
    response.release();
    const started = performance.now();
    for (let waited = 0; upstream.closed() === 0 && waited < 5000; waited += 20) await sleep(20);
    const closedMs = performance.now() - started;
    assert.equal(upstream.closed(), 1, 'the connection is still open 5 s after release()');
    assert.ok(closedMs < 3000, `closed ${Math.round(closedMs)} ms after release()`);
  });
});

describe('failures after the headers are classified as before the dispatcher change', () => {
  it("a whole body (text()) cut by a reset: 'connect', upstream_unreachable, its cause kept", async (t) => {
    const upstream = await rawUpstream(t, async (socket) => {
      await upstream.send(socket, 'HTTP/1.1 200 OK\r\ncontent-type: application/json\r\ncontent-length: 100\r\n\r\n{"id":');
      await sleep(20);
      socket.resetAndDestroy();
    });
    const { error } = await failure(transport(t).send(upstream.endpoint, wire, optionsFor()));
    assert.equal(error.kind, 'connect');
    assert.equal(error.code, 'upstream_unreachable');
    assert.equal((error.cause as { code?: string }).code, 'ECONNRESET');
  });

  it("a streamed body cut by a reset: 'connect', body_interrupted", async (t) => {
    const upstream = await rawUpstream(t, async (socket) => {
      await upstream.send(socket, chunkedHead + chunk('data: {}\n\n'));
      await sleep(20);
      socket.resetAndDestroy();
    });
    const response = await transport(t).open(upstream.endpoint, wire, optionsFor());
    const pieces: string[] = [];
    const { error } = await failure(
      (async () => {
        for await (const piece of response.body) pieces.push(Buffer.from(piece).toString());
      })(),
    );
    assert.deepEqual(pieces, ['data: {}\n\n']);
    assert.equal(error.kind, 'connect');
    assert.equal(error.code, 'body_interrupted');
    assert.equal((error.cause as { code?: string }).code, 'ECONNRESET');
  });
});

describe('a whole answer read as text', () => {
  it('in one-byte chunks holds about its size, not a hundred times it (one object per chunk)', async (t) => {
    const bodyBytes = 2 * 1024 * 1024;
    const piece = Buffer.from('1\r\nx\r\n'.repeat(64 * 1024));
    const upstream = await rawUpstream(t, async (socket) => {
      await upstream.send(socket, 'HTTP/1.1 200 OK\r\ntransfer-encoding: chunked\r\n\r\n');
      for (let sent = 0; sent < bodyBytes && !socket.destroyed; sent += 64 * 1024) await upstream.send(socket, piece);
      await upstream.send(socket, '0\r\n\r\n');
    });
    const before = process.memoryUsage().heapUsed;
    let peak = before;
    const sampler = setInterval(() => {
      peak = Math.max(peak, process.memoryUsage().heapUsed);
    }, 5);
    const { body } = await transport(t).send(upstream.endpoint, wire, optionsFor());
    clearInterval(sampler);
    peak = Math.max(peak, process.memoryUsage().heapUsed);
    assert.equal(body.length, bodyBytes);
    // Before: about 120 bytes of heap per one-byte chunk (a 32 MiB answer took 4 GB and the process).
    const grownMb = (peak - before) / 1024 / 1024;
    assert.ok(grownMb < 100, `the heap grew ${Math.round(grownMb)} MB reading a 2 MB answer`);
  });

  it("starts after a UTF-8 byte order mark, as request()'s text() did (JSON.parse fails on one)", async (t) => {
    const bom = Buffer.from([0xef, 0xbb, 0xbf]);
    const json = Buffer.from('{"text":"né"}');
    const upstream = await rawUpstream(t, (socket, index) => {
      const head =
        index === 0
          ? `HTTP/1.1 200 OK\r\ncontent-length: ${bom.length + json.length}\r\n\r\n`
          : 'HTTP/1.1 200 OK\r\ntransfer-encoding: chunked\r\n\r\n';
      const body =
        index === 0
          ? [bom, json]
          : [Buffer.from('3\r\n'), bom, Buffer.from(`\r\n${json.length.toString(16)}\r\n`), json, Buffer.from('\r\n0\r\n\r\n')];
      return upstream.send(socket, Buffer.concat([Buffer.from(head), ...body]));
    });
    const pool = transport(t);
    for (const framing of ['content-length', 'chunked']) {
      const { body } = await pool.send(upstream.endpoint, wire, optionsFor());
      assert.deepEqual(JSON.parse(body), { text: 'né' }, framing);
    }
  });
});

describe('what held through the dispatcher change', () => {
  it('an abort after the answer ended changes nothing (its connection stays pooled); 2,000 answers on one signal leave no listener', async (t) => {
    const upstream = await rawUpstream(t, (socket) => upstream.send(socket, 'HTTP/1.1 200 OK\r\ncontent-length: 2\r\n\r\nok'));
    const pool = transport(t);
    const shared = new AbortController();
    for (let count = 0; count < 2000; count++) {
      const response = await pool.open(upstream.endpoint, wire, optionsFor({ signal: shared.signal }));
      assert.equal(await response.text(), 'ok');
    }
    assert.equal(getEventListeners(shared.signal, 'abort').length, 0);
    const connections = upstream.connections();
    const caller = new AbortController();
    const answer = await pool.send(upstream.endpoint, wire, optionsFor({ signal: caller.signal }));
    caller.abort();
    assert.equal(answer.body, 'ok');
    assert.equal((await pool.send(upstream.endpoint, wire, optionsFor())).body, 'ok');
    assert.equal(upstream.connections(), connections);
    assert.equal(upstream.closed(), 0);
  });

  it('informational answers (103 Early Hints) before the 200 are skipped', async (t) => {
    const upstream = await rawUpstream(t, async (socket) => {
      await upstream.send(socket, 'HTTP/1.1 103 Early Hints\r\nlink: </x>; rel=preload\r\n\r\n');
      await sleep(20);
      await upstream.send(socket, 'HTTP/1.1 200 OK\r\nset-cookie: a=1\r\nset-cookie: b=2\r\ncontent-length: 2\r\n\r\nok');
    });
    const answer = await transport(t).send(upstream.endpoint, wire, optionsFor());
    assert.equal(answer.status, 200);
    assert.equal(answer.body, 'ok');
    assert.equal(answer.headers['set-cookie'], 'a=1, b=2');
  });

  it('a declared length over the cap fails as malformed before the body is read, and the connection is closed', async (t) => {
    const upstream = await rawUpstream(t, (socket) =>
      upstream.send(socket, `HTTP/1.1 200 OK\r\ncontent-length: 5000\r\n\r\n${'x'.repeat(100)}`),
    );
    const { error } = await failure(transport(t).send(upstream.endpoint, wire, optionsFor({ maxBodyBytes: 1000 })));
    assert.equal(error.kind, 'malformed');
    assert.match(error.message, /answer larger than 1000 bytes/);
    for (let waited = 0; upstream.closed() === 0 && waited < 2000; waited += 10) await sleep(10);
    assert.equal(upstream.closed(), 1);
  });

  it('an abort while the reader is behind (the socket paused) fails the read as aborted and closes the connection', async (t) => {
    const piece = chunk('y'.repeat(16 * 1024));
    const upstream = await rawUpstream(t, async (socket) => {
      await upstream.send(socket, chunkedHead);
      for (let count = 0; count < 64 && !socket.destroyed; count++) await upstream.send(socket, piece);
    });
    const caller = new AbortController();
    const response = await transport(t).open(upstream.endpoint, wire, optionsFor({ signal: caller.signal }));
    const body = response.body[Symbol.asyncIterator]();
    await body.next();
    await sleep(100); // the reader falls behind: the transport holds 64 KB and pauses the socket
    caller.abort();
    const { error } = await failure(
      (async () => {
        for (let read = 0; read < 1000; read++) if ((await body.next()).done) return;
      })(),
    );
    assert.equal(error.kind, 'aborted');
    for (let waited = 0; upstream.closed() === 0 && waited < 2000; waited += 10) await sleep(10);
    assert.equal(upstream.closed(), 1);
  });
});
