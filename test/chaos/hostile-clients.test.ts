// Hostile clients: headers a byte at a time (slow-loris), bodies a byte at a time (with and without
// a key), streams never read, and streams dropped half-way. Each is cut within its bound, the
// upstream work it started is aborted, other clients are answered meanwhile, and the gateway's
// file descriptors come back to where they were.
import assert from 'node:assert/strict';
import { connect, type Socket } from 'node:net';
import { after, before, describe, it } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import { type ChaosTarget, startChaosTarget } from '../support/chaos-target.ts';
import { emptyFigures, publishFigures } from '../support/figures.ts';
import { settle } from '../support/gateway-process.ts';

const figures = emptyFigures();
// Long enough that a normal request on a loaded machine is never mistaken for a slow one.
const requestTimeoutMs = 4000;
const writeTimeoutMs = 1000;

interface SlowSocket {
  socket: Socket;
  closedAt: Promise<number>;
  received: () => string;
}

function openSocket(url: string): SlowSocket {
  const { hostname, port } = new URL(url);
  const socket = connect(Number(port), hostname);
  let received = '';
  socket.setEncoding('utf8').on('data', (text: string) => {
    received += text;
  });
  socket.on('error', () => {});
  const closedAt = new Promise<number>((resolve) => socket.once('close', () => resolve(Date.now())));
  return { socket, closedAt, received: () => received };
}

/** Writes `text` one byte every `everyMs` until it is all out or the socket closes. */
async function drip(socket: Socket, text: string, everyMs: number): Promise<void> {
  for (const byte of text) {
    if (socket.destroyed) return;
    socket.write(byte);
    await sleep(everyMs);
  }
}

describe('hostile clients are cut within their bounds, and the rest are served', { timeout: 180_000 }, () => {
  let target: ChaosTarget;

  before(async () => {
    target = await startChaosTarget({
      server: { requestTimeoutMs, writeTimeoutMs },
    });
    await target.client.send('chat-json');
    await target.client.close();
    await sleep(500);
    figures.fdsStart = target.gateway.fdCount();
    figures.rssStartMb = target.gateway.rssMb();
  });

  after(async () => {
    if (target && !target.gateway.alive()) figures.crashes++;
    publishFigures('hostile-clients', figures);
    await target?.dispose();
  });

  /** Normal requests while the hostile ones are held: each must be answered, completely, soon. */
  async function othersAnswered(count: number): Promise<void> {
    for (let index = 0; index < count; index++) {
      const started = Date.now();
      const outcome = await target.client.send(index % 2 === 0 ? 'chat-json' : 'messages-json');
      figures.requests++;
      assert.equal(outcome.verdict, 'success', `${outcome.status} ${outcome.body.slice(0, 200)}`);
      assert.ok(Date.now() - started < 10_000, `a normal request took ${Date.now() - started} ms`);
    }
  }

  /** The gateway's in-flight gauge once it reaches 0 (a request between two attempts holds no upstream), or after 10 s. */
  async function inflight(): Promise<number> {
    const read = async () => {
      const metrics = await target.client.raw('GET', '/metrics');
      return Number(/^switchboard_inflight_requests (\d+)$/m.exec(metrics.body)?.[1] ?? Number.NaN);
    };
    const deadline = Date.now() + 10_000;
    let count = await read();
    while (count !== 0 && Date.now() < deadline) {
      await sleep(250);
      count = await read();
    }
    return count;
  }

  async function fdsBack(): Promise<void> {
    await target.client.close();
    const fds = await settle(target.gateway.fdCount, (count) => count <= figures.fdsStart!, 10_000);
    figures.fdsEnd = fds;
    assert.ok(fds <= figures.fdsStart!, `fds ${figures.fdsStart} → ${fds}`);
  }

  it('200 slow-loris connections (headers a byte every 300 ms) are closed after requestTimeoutMs', async () => {
    const started = Date.now();
    const sockets = Array.from({ length: 200 }, () => openSocket(target.gateway.url));
    const head = `POST /v1/chat/completions HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer ${target.secrets.gatewayKey}\r\nX-Padding: ${'p'.repeat(200)}\r\n\r\n`;
    for (const { socket } of sockets) void drip(socket, head, 300);
    figures.requests += sockets.length;
    await othersAnswered(10);
    const closed = await Promise.all(sockets.map(({ closedAt }) => Promise.race([closedAt, sleep(requestTimeoutMs + 8000, 0)])));
    const stillOpen = closed.filter((at) => at === 0).length;
    if (stillOpen > 0) figures.hangs += stillOpen;
    assert.equal(stillOpen, 0, `${stillOpen} of 200 still open ${requestTimeoutMs + 8000} ms later`);
    const latestMs = Math.max(...closed) - started;
    assert.ok(latestMs < requestTimeoutMs + 8000, `the last closed after ${latestMs} ms`);
    await fdsBack();
  });

  it('bodies a byte every 300 ms: a 401 at once without a key, a 408 after requestTimeoutMs with one', async () => {
    const body = JSON.stringify({ model: 'chaos', messages: [{ role: 'user', content: 'x'.repeat(500) }] });
    const sockets = Array.from({ length: 100 }, (_, index) => {
      const slow = openSocket(target.gateway.url);
      const key = index % 2 === 0 ? `Authorization: Bearer ${target.secrets.gatewayKey}\r\n` : '';
      slow.socket.write(
        `POST /v1/chat/completions HTTP/1.1\r\nHost: x\r\n${key}Content-Type: application/json\r\nContent-Length: ${body.length}\r\n\r\n`,
      );
      void drip(slow.socket, body, 300);
      return { ...slow, keyed: key !== '' };
    });
    const started = Date.now();
    figures.requests += sockets.length;
    await othersAnswered(10);
    const calls = target.upstreamCalls();
    for (const { closedAt, received, keyed } of sockets) {
      const at = await Promise.race([closedAt, sleep(requestTimeoutMs + 8000, 0)]);
      if (at === 0) figures.hangs++;
      assert.ok(at > 0, `a ${keyed ? 'keyed' : 'keyless'} slow body still open`);
      assert.match(received(), keyed ? /^HTTP\/1\.1 408/ : /^HTTP\/1\.1 401/);
      if (!keyed) assert.ok(at - started < requestTimeoutMs, `a 401 held ${at - started} ms`);
    }
    assert.equal(target.upstreamCalls() - calls, 0, 'no upstream call from a body that never arrived');
    await fdsBack();
  });

  it('streams nobody reads are cut after writeTimeoutMs and their upstream requests aborted', async (t) => {
    // A long answer (megabytes), so the stream outlasts the socket buffers of a client that does not read.
    const request = JSON.stringify({ model: 'chaos', stream: true, messages: [{ role: 'user', content: '[long]' }] });
    const sockets = Array.from({ length: 20 }, () => {
      const slow = openSocket(target.gateway.url);
      slow.socket.pause(); // never read: the gateway's writes back up
      slow.socket.write(
        `POST /v1/chat/completions HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer ${target.secrets.gatewayKey}\r\nContent-Type: application/json\r\nContent-Length: ${request.length}\r\n\r\n${request}`,
      );
      return slow;
    });
    figures.requests += sockets.length;
    t.after(() => {
      for (const { socket } of sockets) socket.destroy();
    });
    await settle(
      () => target.upstreams[0]!.open,
      (count) => count === 20,
      5000,
    );
    await othersAnswered(4);
    // The gateway cuts them: upstream requests aborted, nothing in flight.
    const open = await settle(
      () => target.upstreams.reduce((sum, upstream) => sum + upstream.open, 0),
      (count) => count === 0,
      writeTimeoutMs + 10_000,
    );
    assert.equal(open, 0, `${open} upstream requests still open for unread streams`);
    assert.equal(await inflight(), 0, 'requests still in flight at the gateway');
    for (const { socket } of sockets) socket.destroy();
    await fdsBack();
  });

  it('clients that drop a stream half-way: upstream requests aborted, descriptors back', async (t) => {
    target.upstreams[0]!.faults = ['slow-drip'];
    const request = JSON.stringify({ model: 'chaos', stream: true, messages: [{ role: 'user', content: 'drop me' }] });
    const sockets = Array.from({ length: 40 }, () => {
      const slow = openSocket(target.gateway.url);
      slow.socket.write(
        `POST /v1/chat/completions HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer ${target.secrets.gatewayKey}\r\nContent-Type: application/json\r\nContent-Length: ${request.length}\r\n\r\n${request}`,
      );
      return slow;
    });
    figures.requests += sockets.length;
    t.after(() => {
      for (const { socket } of sockets) socket.destroy();
    });
    // Each leaves once some content has arrived.
    await Promise.all(
      sockets.map(async ({ socket, received }) => {
        await settle<string>(received, (text) => text.includes('"content"'), 10_000);
        socket.destroy();
      }),
    );
    const open = await settle(
      () => target.upstreams.reduce((sum, upstream) => sum + upstream.open, 0),
      (count) => count === 0,
      5000,
    );
    target.upstreams[0]!.faults = [];
    assert.equal(open, 0, `${open} upstream requests outlived their clients`);
    assert.equal(await inflight(), 0, 'requests still in flight at the gateway');
    await fdsBack();
    figures.rssIdleMb = target.gateway.rssMb();
  });
});
