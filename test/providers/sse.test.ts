import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { readEvents } from '../../src/providers/sse.ts';

async function events(pieces: string[]) {
  async function* body() {
    for (const piece of pieces) yield new TextEncoder().encode(piece);
  }
  const seen = [];
  for await (const event of readEvents(body())) seen.push(event);
  return seen;
}

describe('SSE decoder', () => {
  it('handles comments, CRLF, named events, multi-line data and events split across packets', async () => {
    const seen = await events([
      ': OPENROUTER PROCESSING\r\n\r\n',
      'data: {"a":',
      '1}\r\n\r\nevent: ping\ndata: {"type": "ping"}\n\n',
      'data: line one\ndata: line two\n\n',
      'event: error\ndata: {"error":{}}\n',
      '\ndata: [DONE]\n\n',
    ]);
    assert.deepEqual(seen, [
      { event: undefined, data: '{"a":1}' },
      { event: 'ping', data: '{"type": "ping"}' },
      { event: undefined, data: 'line one\nline two' },
      { event: 'error', data: '{"error":{}}' },
      { event: undefined, data: '[DONE]' },
    ]);
  });

  it('decodes a multi-byte character split between packets', async () => {
    const bytes = new TextEncoder().encode('data: héllo ✓\n\n');
    async function* body() {
      yield bytes.slice(0, 8);
      yield bytes.slice(8, 16);
      yield bytes.slice(16);
    }
    const seen = [];
    for await (const event of readEvents(body())) seen.push(event.data);
    assert.deepEqual(seen, ['héllo ✓']);
  });

  it('delivers a final event that lacks its blank line', async () => {
    assert.deepEqual(await events(['data: last']), [{ event: undefined, data: 'last' }]);
  });
});
