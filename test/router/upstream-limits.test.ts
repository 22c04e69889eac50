// Finding 2 of issue 9: one upstream could take the process down. An SSE line that never ended grew
// the parser's buffer until the heap ran out; a body that never ended was read to gigabytes; a 10 MB
// error message became a 10 MB client error. Now each is capped (routing.limits), the attempt fails
// as malformed and fails over, and the hostile upstream's connection is closed soon after the cap.
import assert from 'node:assert/strict';
import { once } from 'node:events';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { after, describe, it } from 'node:test';
import { SwitchboardError } from '../../src/protocol/errors.ts';
import { completion, textChunks } from '../support/upstream.ts';
import { collect, hello, routerFor, upstream } from './helpers.ts';

interface Hostile {
  url: string;
  /** Bytes of body written before the client went away (or the whole body). */
  sent: () => number;
  /** True once the client closed the connection before the body was complete. */
  cut: () => boolean;
}

/**
 * A server that answers every request with `head` and then `totalBytes` of `filler`, written as fast
 * as the client reads, and records how much it wrote before the client hung up.
 */
async function hostile(status: number, headers: Record<string, string>, head: string, totalBytes: number): Promise<Hostile> {
  let sent = 0;
  let cut = false;
  const piece = Buffer.alloc(64 * 1024, 'x');
  const server = createServer(async (request: IncomingMessage, response: ServerResponse) => {
    for await (const _ of request);
    response.writeHead(status, headers);
    response.write(head);
    response.on('close', () => {
      if (!response.writableFinished) cut = true;
    });
    while (sent < totalBytes && !response.destroyed) {
      sent += piece.length;
      if (!response.write(piece)) await Promise.race([once(response, 'drain'), once(response, 'close')]);
    }
    if (!response.destroyed) response.end();
  });
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  after(() => {
    server.closeAllConnections();
    server.close();
  });
  return { url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/v1`, sent: () => sent, cut: () => cut };
}

const limits = { responseBytes: 256 * 1024, eventBytes: 64 * 1024, errorBodyBytes: 16 * 1024 };
const eightMb = 8 * 1024 * 1024;

describe('upstream size limits', () => {
  it('an SSE line that never ends fails the attempt as malformed, fails over, and is cut near the cap', {
    timeout: 20_000,
  }, async () => {
    const endless = await hostile(200, { 'content-type': 'text/event-stream' }, 'data: ', eightMb);
    const second = await upstream([{ sse: textChunks('from b') }]);
    const router = routerFor([endless.url, second.url], { limits });
    const stream = await router.stream(hello);
    assert.equal(await collect(stream), 'from b');
    assert.deepEqual(
      stream.attempts.map((attempt) => [attempt.provider, attempt.outcome]),
      [
        ['a', 'malformed'],
        ['b', 'ok'],
      ],
    );
    assert.match(stream.attempts[0]!.reason ?? '', /stream event longer than 65536 bytes/);
    await router.close();
    assert.ok(endless.cut(), 'the endless stream was closed by the router');
    assert.ok(endless.sent() < eightMb / 2, `${endless.sent()} bytes read of an endless line`);
  });

  it('a non-streamed body over routing.limits.responseBytes fails over as malformed', { timeout: 20_000 }, async () => {
    const endless = await hostile(200, { 'content-type': 'application/json' }, '{"id":"', eightMb);
    const second = await upstream([{ json: completion('from b') }]);
    const router = routerFor([endless.url, second.url], { limits });
    const result = await router.complete(hello);
    assert.equal(result.provider, 'b');
    assert.equal(result.attempts[0]!.outcome, 'malformed');
    assert.match(result.attempts[0]!.reason ?? '', /answer larger than 262144 bytes/);
    await router.close();
    assert.ok(endless.cut(), 'the endless body was closed by the router');
    assert.ok(endless.sent() < eightMb / 2, `${endless.sent()} bytes read of an endless body`);
  });

  it('an error body over routing.limits.errorBodyBytes fails over as malformed without being read', {
    timeout: 20_000,
  }, async () => {
    const huge = `{"error":{"message":"${'x'.repeat(1024 * 1024)}"}}`;
    const first = await upstream([{ status: 400, text: huge, headers: { 'content-type': 'application/json' } }]);
    const second = await upstream([{ json: completion('from b') }]);
    const router = routerFor([first.url, second.url], { limits });
    const result = await router.complete(hello);
    assert.equal(result.provider, 'b');
    assert.equal(result.attempts[0]!.outcome, 'malformed');
    await router.close();
  });

  it('a 10 MB upstream error message reaches the caller and the status as a short excerpt', { timeout: 20_000 }, async () => {
    const message = `overloaded ${'y'.repeat(10 * 1024 * 1024)}`;
    const first = await upstream([{ status: 503, json: { error: { message, type: 'server_error' } } }]);
    // The default limits: the 10 MB body is refused by its size, not quoted.
    const router = routerFor([first.url], { maxAttemptsPerProvider: 1 });
    const error = await router.complete(hello).catch((thrown: unknown) => thrown);
    assert.ok(error instanceof SwitchboardError);
    assert.ok(error.message.length < 1000, `message of ${error.message.length} characters`);
    assert.ok((router.status().a!.lastError ?? '').length <= 301);
    await router.close();
  });

  it('a long upstream error message within the limits is cut to 300 characters', { timeout: 10_000 }, async () => {
    const first = await upstream([
      { status: 400, json: { error: { message: `bad ${'z'.repeat(50_000)}`, type: 'invalid_request_error' } } },
    ]);
    const router = routerFor([first.url]);
    const error = await router.complete(hello).catch((thrown: unknown) => thrown);
    assert.ok(error instanceof SwitchboardError);
    assert.equal(error.status, 400);
    assert.ok(error.message.length <= 301, `message of ${error.message.length} characters`);
    assert.match(error.message, /^a: bad z+…$/);
    await router.close();
  });
});
