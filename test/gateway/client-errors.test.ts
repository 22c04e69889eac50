// Finding 9 of issue 9: what Node's HTTP parser refused came back as Fastify's
// `{"error":"Bad Request","message":"Client Error","statusCode":400}`, and a 12 MB body got a reset
// instead of a readable 413 from a client that writes its whole body before it reads.
import assert from 'node:assert/strict';
import { once } from 'node:events';
import { connect, type Socket } from 'node:net';
import { describe, it } from 'node:test';
import type { Gateway } from '../../src/gateway/server.ts';
import { gateway, providersFor, upstream } from './helpers.ts';

const bounded = { timeout: 30_000 };

interface RawAnswer {
  status: number;
  head: string;
  body: string;
  /** Bytes of the request written before the connection failed or the whole request was written. */
  written: number;
  writeError: string | undefined;
}

/** Writes `head` then `bodyBytes` of body (as `chunked` pieces when asked), all of it before reading, like most SDKs. */
async function writeThenRead(switchboard: Gateway, head: string, bodyBytes = 0, chunked = false): Promise<RawAnswer> {
  const { port } = new URL(switchboard.url);
  const socket: Socket = connect(Number(port), '127.0.0.1');
  await once(socket, 'connect');
  const received: Buffer[] = [];
  socket.on('data', (chunk: Buffer) => received.push(chunk));
  const closed = once(socket, 'close').catch(() => {});
  socket.on('error', () => {});
  let written = 0;
  let writeError: string | undefined;
  const write = (data: string | Buffer) =>
    new Promise<void>((resolve, reject) => socket.write(data, (error) => (error ? reject(error) : resolve())));
  try {
    await write(head);
    const piece = Buffer.alloc(64 * 1024, 'x');
    while (written < bodyBytes && !socket.destroyed) {
      await write(chunked ? Buffer.concat([Buffer.from(`${piece.length.toString(16)}\r\n`), piece, Buffer.from('\r\n')]) : piece);
      written += piece.length;
    }
    if (chunked && !socket.destroyed) await write('0\r\n\r\n');
  } catch (error) {
    writeError = (error as NodeJS.ErrnoException).code ?? String(error);
  }
  // Read until the answer is complete (its content-length) or the server closes.
  const deadline = Date.now() + 10_000;
  for (;;) {
    const text = Buffer.concat(received).toString('latin1');
    const end = text.indexOf('\r\n\r\n');
    const length = /content-length: (\d+)/i.exec(text);
    if (end !== -1 && length && text.length >= end + 4 + Number(length[1])) break;
    if (socket.destroyed || Date.now() > deadline) break;
    await Promise.race([once(socket, 'data').catch(() => {}), closed, new Promise((resolve) => setTimeout(resolve, 50))]);
  }
  socket.destroy();
  const text = Buffer.concat(received).toString('utf8');
  const end = text.indexOf('\r\n\r\n');
  return {
    status: Number(/^HTTP\/1\.1 (\d{3})/.exec(text)?.[1] ?? 0),
    head: end === -1 ? text : text.slice(0, end),
    body: end === -1 ? '' : text.slice(end + 4),
    written,
    writeError,
  };
}

function assertOpenAiShape(answer: RawAnswer, name: string): { message: string; code: string | null } {
  let parsed: { error?: { message?: unknown; type?: unknown; code?: unknown; param?: unknown } };
  try {
    parsed = JSON.parse(answer.body);
  } catch {
    assert.fail(`${name}: not JSON: ${answer.head} ${answer.body.slice(0, 200)}`);
  }
  assert.deepEqual(Object.keys(parsed.error ?? {}).sort(), ['code', 'message', 'param', 'type'], `${name}: ${answer.body}`);
  assert.equal(parsed.error?.type, 'invalid_request_error', name);
  return { message: String(parsed.error?.message), code: (parsed.error?.code as string | null) ?? null };
}

describe('errors from the HTTP parser', () => {
  it('are answered in the OpenAI error shape with their status', bounded, async (t) => {
    const first = await upstream(t);
    const switchboard = await gateway(t, providersFor([first.url]));
    const cases: Array<[string, string, number]> = [
      ['a malformed request line', 'GARBAGE\r\n\r\n', 400],
      ['a header without a colon', 'GET /healthz HTTP/1.1\r\nHost: x\r\nBad Header\r\n\r\n', 400],
      ['a control character in a header', 'POST /v1/chat/completions HTTP/1.1\r\nHost: x\r\nX-A: a\x01b\r\n\r\n', 400],
      ['headers over 16 KB', `GET /healthz HTTP/1.1\r\nHost: x\r\nX-Big: ${'a'.repeat(70_000)}\r\n\r\n`, 431],
      ['a bad Content-Length', 'POST /v1/chat/completions HTTP/1.1\r\nHost: x\r\nContent-Length: abc\r\n\r\n', 400],
      [
        'Content-Length with Transfer-Encoding',
        'POST /v1/chat/completions HTTP/1.1\r\nHost: x\r\nContent-Length: 5\r\nTransfer-Encoding: chunked\r\n\r\n',
        400,
      ],
    ];
    for (const [name, bytes, status] of cases) {
      const answer = await writeThenRead(switchboard, bytes);
      assert.equal(answer.status, status, `${name}: ${answer.head}`);
      const error = assertOpenAiShape(answer, name);
      assert.ok(error.message.length > 10, `${name}: ${error.message}`);
    }
    assert.equal(first.requests.length, 0);
  });
});

describe('a body over server.bodyLimitBytes', () => {
  it('gets a readable 413 in the OpenAI shape when the client writes all 12 MB before reading', bounded, async (t) => {
    const first = await upstream(t);
    const switchboard = await gateway(t, providersFor([first.url]));
    const size = 12 * 1024 * 1024;
    for (const chunked of [false, true]) {
      const head = `POST /v1/chat/completions HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n${
        chunked ? 'Transfer-Encoding: chunked' : `Content-Length: ${size}`
      }\r\n\r\n`;
      const answer = await writeThenRead(switchboard, head, size, chunked);
      assert.equal(answer.writeError, undefined, `chunked ${chunked}: the connection was reset while the body was written`);
      assert.equal(answer.status, 413, `chunked ${chunked}: ${answer.head}`);
      assert.equal(assertOpenAiShape(answer, '413').code, 'request_too_large');
    }
    assert.equal(first.requests.length, 0);
  });

  it(
    'is read no further than four times the limit: an endless body is cut, one declared larger is not waited for',
    bounded,
    async (t) => {
      const first = await upstream(t);
      const switchboard = await gateway(t, { ...providersFor([first.url]), server: { bodyLimitBytes: 64 * 1024 } });
      const endless = await writeThenRead(
        switchboard,
        'POST /v1/chat/completions HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nTransfer-Encoding: chunked\r\n\r\n',
        64 * 1024 * 1024,
        true,
      );
      assert.ok(endless.writeError !== undefined, 'the server closed the connection');
      assert.ok(endless.written < 16 * 1024 * 1024, `${endless.written} bytes written before the server closed`);
      const declared = await writeThenRead(
        switchboard,
        `POST /v1/chat/completions HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: ${1024 * 1024 * 1024}\r\n\r\n`,
      );
      assert.equal(declared.status, 413);
      assert.match(declared.head, /connection: close/i);
    },
  );
});
