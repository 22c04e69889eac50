// POST /v1/embeddings with the official clients: the openai SDK and LangChain's OpenAIEmbeddings.
import assert from 'node:assert/strict';
import { describe, it, type TestContext } from 'node:test';
import { OpenAIEmbeddings } from '@langchain/openai';
import { APIError } from 'openai';
import type { ConfigInput } from '../../src/config/schema.ts';
import { base64ToFloats, embeddingsAnswer, vectorFor } from '../support/embeddings.ts';
import { openaiError } from '../support/upstream.ts';
import { client, gateway, upstream } from './helpers.ts';

const bounded = { timeout: 10_000 };
const space = 'text-embedding-3-small';
const overloaded = { status: 503, json: openaiError('The server is overloaded', 'server_error') };

/** `small` at two OpenAI-compatible providers declared to give the same vectors; `large` and a chat model elsewhere. */
async function setUp(t: TestContext, firstScript: unknown[] = []) {
  const first = await upstream(t, firstScript as never, embeddingsAnswer({ space }));
  const second = await upstream(t, [], embeddingsAnswer({ space }));
  const other = await upstream(t, [], embeddingsAnswer());
  const config: ConfigInput = {
    providers: {
      first: {
        baseUrl: first.url,
        apiKey: 'sk-first-secret',
        priority: 1,
        embeddings: { small: space },
        pricing: { small: { input: 0.02, output: 0 } },
      },
      second: { baseUrl: second.url, apiKey: 'sk-second-secret', priority: 2, embeddings: { small: `openai/${space}` } },
      other: { baseUrl: other.url, priority: 0, models: { chat: 'llama' }, embeddings: { large: 'text-embedding-3-large' } },
    },
    routing: { retryDelayMs: 1 },
  };
  return { first, second, other, switchboard: await gateway(t, config) };
}

describe('POST /v1/embeddings', () => {
  it('openai SDK default (base64 on the wire, floats to the caller) fails over inside the same space', bounded, async (t) => {
    const { first, second, other, switchboard } = await setUp(t, [overloaded, overloaded]);
    const { data, response } = await client(switchboard)
      .embeddings.create({ model: 'small', input: 'The quick brown fox' })
      .withResponse();
    assert.equal(response.headers.get('x-switchboard-provider'), 'second');
    assert.equal(response.headers.get('x-switchboard-attempts'), '2');
    assert.equal(second.requests[0]!.body.encoding_format, 'base64');
    assert.equal(data.model, 'openai/text-embedding-3-small', 'the model that answered, as its provider names it');
    assert.deepEqual(Array.from(data.data[0]!.embedding), vectorFor(space, 'The quick brown fox', 8));
    assert.equal(first.requests.length, 1);
    assert.equal(other.requests.length, 0);
  });

  it('float, base64, a batch and dimensions pass through; usage and cost are reported', bounded, async (t) => {
    const { first, switchboard } = await setUp(t);
    const openai = client(switchboard);
    const texts = ['alpha', 'beta', 'gamma'];
    const { data: floats, response } = await openai.embeddings
      .create({ model: 'small', input: texts, encoding_format: 'float', dimensions: 4 })
      .withResponse();
    assert.deepEqual(
      floats.data.map((item) => [item.index, item.embedding]),
      texts.map((text, index) => [index, vectorFor(space, text, 4)]),
    );
    assert.equal(floats.object, 'list');
    assert.deepEqual(floats.usage, { prompt_tokens: 5, total_tokens: 5 }); // the emulator counts a token per 4 characters
    assert.equal(response.headers.get('x-switchboard-cost-usd'), String((5 * 0.02) / 1e6));
    assert.deepEqual(first.requests[0]!.body, {
      model: space,
      input: texts,
      encoding_format: 'float',
      dimensions: 4,
    });
    const encoded = await openai.embeddings.create({ model: 'small', input: texts, encoding_format: 'base64', dimensions: 4 });
    for (const [index, item] of encoded.data.entries()) {
      assert.equal(typeof item.embedding, 'string');
      assert.deepEqual(base64ToFloats(item.embedding as unknown as string), vectorFor(space, texts[index]!, 4));
    }
    const tokens = await openai.embeddings.create({ model: 'small', input: [[1, 2, 3], [4]], encoding_format: 'float' });
    assert.equal(tokens.data.length, 2);
  });

  it('when the only same-space deployments are down: 503 listing them, never vectors from another model', bounded, async (t) => {
    const { first, second, other, switchboard } = await setUp(t);
    first.fallback = overloaded;
    second.fallback = { status: 500, json: openaiError('internal', 'server_error') };
    const error = await client(switchboard)
      .embeddings.create({ model: 'small', input: 'x' })
      .catch((thrown: unknown) => thrown);
    assert.ok(error instanceof APIError, String(error));
    assert.equal(error.status, 503);
    assert.equal(error.code, 'embedding_model_unavailable');
    assert.match(error.message, /every deployment of embedding model "small" is unavailable: first \(503: .*; second \(500: /);
    assert.doesNotMatch(error.message, /sk-(first|second)-secret/);
    assert.equal(other.requests.length, 0);
  });

  it('LangChain OpenAIEmbeddings embeds documents and a query through the gateway, failing over', bounded, async (t) => {
    const { first, second, switchboard } = await setUp(t, [overloaded, overloaded]);
    const embeddings = new OpenAIEmbeddings({
      model: 'small',
      apiKey: 'unused',
      maxRetries: 0,
      configuration: { baseURL: `${switchboard.url}/v1` },
    });
    const documents = await embeddings.embedDocuments(['first document', 'second document']);
    assert.deepEqual(documents, [vectorFor(space, 'first document', 8), vectorFor(space, 'second document', 8)]);
    const query = await embeddings.embedQuery('a question');
    assert.deepEqual(query, vectorFor(space, 'a question', 8));
    assert.ok([...first.requests, ...second.requests].every((request) => request.path === '/v1/embeddings'));
    // Each call: the first answered 503, the second (same space) gave the vectors.
    assert.equal(first.requests.length, 2);
    assert.equal(second.requests.length, 2);
  });

  it('bad bodies get a 400 in OpenAI’s shape and reach no provider', bounded, async (t) => {
    const { first, second, other, switchboard } = await setUp(t);
    for (const [body, param] of [
      [{ model: 'small', input: [] }, 'input'],
      [{ model: 'small', input: 'x', encoding_format: 'hex' }, 'encoding_format'],
      [{ input: 'x' }, 'model'],
      [[1, 2], null],
    ] as const) {
      const response = await fetch(`${switchboard.url}/v1/embeddings`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify(body),
      });
      assert.equal(response.status, 400);
      const json = (await response.json()) as { error: { type: string; param: string | null; message: string } };
      assert.equal(json.error.type, 'invalid_request_error');
      assert.equal(json.error.param, param);
    }
    const chat = await fetch(`${switchboard.url}/v1/embeddings`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ model: 'chat', input: 'x' }),
    });
    assert.equal(chat.status, 400);
    assert.equal(first.requests.length + second.requests.length + other.requests.length, 0);
  });
});
