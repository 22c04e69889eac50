// The gateway's own body reader: a body that arrives in many chunks decodes as one UTF-8 text (a
// character split between two chunks included), and the body limit holds whether or not the
// client declares a Content-Length.
import assert from 'node:assert/strict';
import { request } from 'node:http';
import type { AddressInfo } from 'node:net';
import { after, before, describe, it } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import Fastify, { type FastifyInstance } from 'fastify';
import { installJsonParser } from '../../src/gateway/json-body.ts';

const limitBytes = 2 * 1024 * 1024;

/** POSTs `pieces` one write at a time, with a pause between them so they arrive as separate chunks. */
function post(port: number, pieces: Buffer[], headers: Record<string, string> = {}): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    const outgoing = request({ host: '127.0.0.1', port, method: 'POST', path: '/echo', headers }, (response) => {
      let body = '';
      response.setEncoding('utf8');
      response.on('data', (text: string) => {
        body += text;
      });
      response.on('end', () => resolve({ status: response.statusCode ?? 0, body }));
    });
    outgoing.on('error', reject);
    void (async () => {
      for (const piece of pieces) {
        if (outgoing.destroyed) return;
        outgoing.write(piece);
        await sleep(20);
      }
      outgoing.end();
    })();
  });
}

describe('json body reader', () => {
  let server: FastifyInstance;
  let port: number;
  const noted: number[] = [];

  before(async () => {
    server = Fastify();
    installJsonParser(
      server,
      limitBytes,
      () => 64,
      (bytes) => noted.push(bytes),
    );
    server.post('/echo', async (incoming) => ({ echoed: incoming.body }));
    await server.listen({ port: 0, host: '127.0.0.1' });
    port = (server.server.address() as AddressInfo).port;
  });

  after(() => server.close());

  it('decodes a body sent in pieces, with multi-byte characters cut between them', async () => {
    const text = JSON.stringify({ words: 'héllo wörld 😀 — ünïcode'.repeat(3) });
    const bytes = Buffer.from(text);
    // Cut inside the emoji (4 bytes) and inside an é (2 bytes).
    const emoji = bytes.indexOf(Buffer.from('😀'));
    const cuts = [0, 2, emoji + 1, emoji + 3, bytes.length];
    const pieces = cuts.slice(1).map((end, index) => bytes.subarray(cuts[index], end));
    const answer = await post(port, pieces, { 'content-type': 'application/json' });
    assert.equal(answer.status, 200, answer.body);
    assert.deepEqual(JSON.parse(answer.body), { echoed: JSON.parse(text) });
  });

  it('reads a body of a megabyte and more, and notes its size for the idle collector', async () => {
    const content = 'x'.repeat(1536 * 1024);
    const text = JSON.stringify({ content });
    const answer = await post(port, [Buffer.from(text)], { 'content-length': String(Buffer.byteLength(text)) });
    assert.equal(answer.status, 200);
    assert.equal((JSON.parse(answer.body) as { echoed: { content: string } }).echoed.content.length, content.length);
    assert.ok(noted.includes(text.length), `noted ${noted.join(', ')}`);
  });

  it('refuses a declared Content-Length over the limit with a 413', async () => {
    const answer = await post(port, [Buffer.from('{}')], { 'content-length': String(limitBytes + 1) });
    assert.equal(answer.status, 413);
  });

  it('refuses a chunked body that grows over the limit with a 413', async () => {
    const piece = Buffer.alloc(512 * 1024, 0x20);
    const answer = await post(port, [Buffer.from('{"a":1}'), piece, piece, piece, piece, piece]);
    assert.equal(answer.status, 413);
  });

  it('an empty body is an error, not an empty object', async () => {
    const answer = await post(port, [], { 'content-type': 'application/json', 'content-length': '0' });
    assert.equal(answer.status, 400);
  });

  it('refuses a key spelled __proto__ or constructor.prototype, escaped or not, and parses the rest as JSON does', async () => {
    const refused = [
      '{"model":"m","__proto__":{"admin":true}}',
      '{"model":"m","\\u005f\\u005fproto\\u005f\\u005f":{"admin":true}}',
      '{"model":"m","constructor":{"prototype":{"admin":true}}}',
      '{"model":"m","\\u0063onstructor":{"prototype":{"admin":true}}}',
    ];
    for (const text of refused) {
      const answer = await post(port, [Buffer.from(text)], { 'content-type': 'application/json' });
      assert.equal(answer.status, 400, text);
    }
    // The same letters as text, a \u escape elsewhere, a byte-order mark: parsed, not refused.
    const accepted = [
      '{"messages":[{"role":"user","content":"what does __proto__ do to a constructor?"}]}',
      '{"messages":[{"role":"user","content":"caf\\u00e9"}]}',
      '\ufeff{"messages":[]}',
    ];
    for (const text of accepted) {
      const answer = await post(port, [Buffer.from(text)], { 'content-type': 'application/json' });
      assert.equal(answer.status, 200, text);
      assert.deepEqual(JSON.parse(answer.body), { echoed: JSON.parse(text.replace(/^\ufeff/, '')) });
    }
    const invalid = await post(port, [Buffer.from('{"messages":[')], { 'content-type': 'application/json' });
    assert.equal(invalid.status, 400);
  });
});
