// OpenAI's embeddings wire protocol, against bodies written from OpenAI's API reference
// (CreateEmbeddingResponse) and the error envelopes of OpenAI-compatible vendors.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { EmbeddingRequest } from '../../src/protocol/embeddings.ts';
import { SwitchboardError } from '../../src/protocol/errors.ts';
import type { Target } from '../../src/providers/adapter.ts';
import { inputCount, openaiEmbeddings } from '../../src/providers/openai-embeddings.ts';
import { base64ToFloats } from '../support/embeddings.ts';

const target: Target = {
  provider: 'openai',
  model: 'text-embedding-3-small',
  apiKey: 'test-key',
  auth: 'bearer',
  headers: {},
  defaultMaxTokens: 4096,
};

const request: EmbeddingRequest = { model: 'small', input: ['a', 'b'] };

function answer(data: unknown[], extra: Record<string, unknown> = {}) {
  return {
    status: 200,
    headers: {},
    body: JSON.stringify({
      object: 'list',
      data,
      model: 'text-embedding-3-small',
      usage: { prompt_tokens: 2, total_tokens: 2 },
      ...extra,
    }),
  };
}

function decodeError(response: { status: number; headers: Record<string, string>; body: string }, asked = request) {
  try {
    openaiEmbeddings.decode(response, target, asked);
  } catch (error) {
    assert.ok(error instanceof SwitchboardError, String(error));
    return error;
  }
  assert.fail('expected an error');
}

describe('openai embeddings codec', () => {
  it('encodes to /embeddings with the provider’s model name and every field passed through', () => {
    const wire = openaiEmbeddings.encode(
      { model: 'small', input: [[1, 2], [3]], dimensions: 256, encoding_format: 'base64', user: 'u1' },
      target,
    );
    assert.equal(wire.path, '/embeddings');
    assert.equal(wire.headers.authorization, 'Bearer test-key');
    assert.deepEqual(JSON.parse(wire.body), {
      model: 'text-embedding-3-small',
      input: [[1, 2], [3]],
      dimensions: 256,
      encoding_format: 'base64',
      user: 'u1',
    });
  });

  it('counts one vector per string or token list', () => {
    assert.equal(inputCount('x'), 1);
    assert.equal(inputCount(['x', 'y', 'z']), 3);
    assert.equal(inputCount([1, 2, 3]), 1);
    assert.equal(inputCount([[1], [2]]), 2);
  });

  it('decodes an answer and keeps usage', () => {
    const response = openaiEmbeddings.decode(
      answer([
        { object: 'embedding', index: 0, embedding: [0.1, 0.2] },
        { object: 'embedding', index: 1, embedding: [0.3, 0.4] },
      ]),
      target,
      request,
    );
    assert.equal(response.data.length, 2);
    assert.deepEqual(response.data[1]!.embedding, [0.3, 0.4]);
    assert.deepEqual(response.usage, { prompt_tokens: 2, total_tokens: 2 });
  });

  it('encodes floats as base64 when base64 was asked and the server ignored it', () => {
    const response = openaiEmbeddings.decode(answer([{ object: 'embedding', index: 0, embedding: [0.5, -0.25] }]), target, {
      model: 'small',
      input: 'a',
      encoding_format: 'base64',
    });
    const vector = response.data[0]!.embedding;
    assert.equal(typeof vector, 'string');
    assert.deepEqual(base64ToFloats(vector as string), [0.5, -0.25]);
  });

  it('refuses fewer vectors than inputs, and vectors of other dimensions than asked, as malformed', () => {
    const short = decodeError(answer([{ object: 'embedding', index: 0, embedding: [0.1] }]));
    assert.equal(short.kind, 'malformed');
    assert.match(short.message, /1 vectors for 2 inputs/);
    const wrongSize = decodeError(answer([{ object: 'embedding', index: 0, embedding: [0.1, 0.2, 0.3] }]), {
      model: 'small',
      input: 'a',
      dimensions: 2,
    });
    assert.equal(wrongSize.kind, 'malformed');
    const twice = decodeError(
      answer([
        { object: 'embedding', index: 0, embedding: [0.1] },
        { object: 'embedding', index: 0, embedding: [0.2] },
      ]),
    );
    assert.match(twice.message, /out of place/);
    const notVector = decodeError(answer([{ object: 'embedding', index: 0, embedding: ['x'] }]), { model: 's', input: 'a' });
    assert.match(notVector.message, /not a vector/);
  });

  it('classifies error statuses and bad bodies', () => {
    const limited = decodeError({
      status: 429,
      headers: {},
      body: JSON.stringify({ error: { message: 'Rate limit reached', type: 'requests', code: 'rate_limit_exceeded' } }),
    });
    assert.equal(limited.kind, 'rate-limited');
    const missing = decodeError({
      status: 404,
      headers: {},
      body: JSON.stringify({ error: { message: 'The model does not exist', code: 'model_not_found' } }),
    });
    assert.equal(missing.kind, 'model-not-found');
    assert.equal(decodeError({ status: 200, headers: {}, body: '' }).kind, 'malformed');
    assert.equal(decodeError({ status: 200, headers: {}, body: '{"data":' }).kind, 'malformed');
    const inside = decodeError({ status: 200, headers: {}, body: '{"error":{"message":"upstream overloaded","code":503}}' });
    assert.equal(inside.kind, 'server');
    assert.equal(decodeError({ status: 200, headers: {}, body: '{"object":"list"}' }).kind, 'malformed');
  });
});
