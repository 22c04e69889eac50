// router.embed(): failover between the deployments of one embedding model, never to another.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { ConfigInput } from '../../src/config/schema.ts';
import { SwitchboardError } from '../../src/protocol/errors.ts';
import { createRouter } from '../../src/router/router.ts';
import { embeddingsAnswer, vectorFor } from '../support/embeddings.ts';
import { openaiError } from '../support/upstream.ts';
import { upstream } from './helpers.ts';

const overloaded = { status: 503, json: openaiError('overloaded', 'server_error') };

async function rejection(promise: Promise<unknown>): Promise<SwitchboardError> {
  const error = await promise.then(
    () => assert.fail('expected a rejection'),
    (thrown: unknown) => thrown,
  );
  assert.ok(error instanceof SwitchboardError, String(error));
  return error;
}

/** `small` at two providers (one vector space, two names for it), `large` and a chat model at a third. */
async function setUp(script: { first?: unknown[]; second?: unknown[] } = {}) {
  const space = { space: 'text-embedding-3-small' };
  const first = await upstream(script.first as never, embeddingsAnswer(space));
  const second = await upstream(script.second as never, embeddingsAnswer(space));
  const other = await upstream([], embeddingsAnswer());
  const config: ConfigInput = {
    providers: {
      first: {
        baseUrl: first.url,
        apiKey: 'sk-first-secret',
        priority: 1,
        embeddings: { small: 'text-embedding-3-small' },
        pricing: { small: { input: 0.02, output: 0 } },
      },
      second: { baseUrl: second.url, priority: 2, embeddings: { small: 'openai/text-embedding-3-small' } },
      other: { baseUrl: other.url, priority: 0, models: { chat: 'llama' }, embeddings: { large: 'text-embedding-3-large' } },
    },
    routing: { retryDelayMs: 1 },
  };
  const router = createRouter(config);
  return { first, second, other, router };
}

describe('router.embed', () => {
  it('answers from the first deployment with usage, cost, the generic model name and the provider’s', async (t) => {
    const { first, router } = await setUp();
    t.after(() => router.close());
    const result = await router.embed({ model: 'small', input: ['one', 'two'], dimensions: 4 });
    assert.equal(result.provider, 'first');
    assert.equal(result.model, 'small');
    assert.equal(result.response.model, 'text-embedding-3-small');
    assert.equal(result.response.data.length, 2);
    assert.deepEqual(result.response.data[0]!.embedding, vectorFor('text-embedding-3-small', 'one', 4));
    assert.equal(result.response.usage.prompt_tokens, 2);
    assert.equal(result.costUsd, (2 * 0.02) / 1e6);
    assert.equal(first.requests[0]!.path, '/v1/embeddings');
    assert.deepEqual(first.requests[0]!.body, { model: 'text-embedding-3-small', input: ['one', 'two'], dimensions: 4 });
  });

  it('fails over to the other deployment of the same model, with the same vectors', async (t) => {
    const { first, second, other, router } = await setUp({ first: [overloaded, overloaded] });
    t.after(() => router.close());
    const result = await router.embed({ model: 'small', input: 'hello' });
    assert.equal(result.provider, 'second');
    assert.deepEqual(
      result.attempts.map((attempt) => [attempt.provider, attempt.status]),
      [
        ['first', 503],
        ['second', 200],
      ],
    );
    assert.deepEqual(result.response.data[0]!.embedding, vectorFor('text-embedding-3-small', 'hello', 8));
    assert.equal(second.requests[0]!.body.model, 'openai/text-embedding-3-small');
    assert.equal(first.requests.length, 1);
    assert.equal(other.requests.length, 0, 'another model is never asked');
  });

  it('when every deployment of the model is down: 503 listing each of them, and no other model asked', async (t) => {
    const { first, second, other, router } = await setUp();
    first.fallback = overloaded;
    second.fallback = 'reset';
    t.after(() => router.close());
    const error = await rejection(router.embed({ model: 'small', input: 'hello' }));
    assert.equal(error.status, 503);
    assert.equal(error.code, 'embedding_model_unavailable');
    assert.match(error.message, /embedding model "small"/);
    assert.match(error.message, /first \(503/);
    assert.match(error.message, /second \(/);
    assert.match(error.message, /No other model was tried/);
    assert.doesNotMatch(error.message, /sk-first-secret/);
    assert.ok(error.attempts.length >= 2);
    assert.equal(other.requests.length, 0);
  });

  it('lists a deployment held off by its open circuit without trying it', async (t) => {
    const { first, second, router } = await setUp();
    first.fallback = overloaded;
    second.fallback = overloaded;
    t.after(() => router.close());
    // Three failed requests open both circuits (failureThreshold 3).
    for (let index = 0; index < 3; index++) await rejection(router.embed({ model: 'small', input: 'x' }));
    const before = first.requests.length + second.requests.length;
    const error = await rejection(router.embed({ model: 'small', input: 'x' }));
    assert.equal(error.status, 503);
    assert.match(error.message, /first \(not tried/);
    assert.match(error.message, /second \(not tried/);
    assert.equal(first.requests.length + second.requests.length, before);
  });

  it('refuses bad bodies with a 400 naming the field, before any upstream call', async (t) => {
    const { first, router } = await setUp();
    t.after(() => router.close());
    const cases: Array<[unknown, string]> = [
      [{ input: 'x' }, 'model'],
      [{ model: 'small' }, 'input'],
      [{ model: 'small', input: '' }, 'input'],
      [{ model: 'small', input: [] }, 'input'],
      [{ model: 'small', input: ['a', 3] }, 'input'],
      [{ model: 'small', input: [[1, 2], 'a'] }, 'input'],
      [{ model: 'small', input: [1.5] }, 'input'],
      [{ model: 'small', input: 'a', dimensions: 0 }, 'dimensions'],
      [{ model: 'small', input: 'a', dimensions: '8' }, 'dimensions'],
      [{ model: 'small', input: 'a', encoding_format: 'hex' }, 'encoding_format'],
    ];
    for (const [body, param] of cases) {
      const error = await rejection(router.embed(body as never));
      assert.equal(error.status, 400, JSON.stringify(body));
      assert.equal(error.param, param, JSON.stringify(body));
    }
    assert.equal(first.requests.length, 0);
  });

  it('tells chat and embedding models apart, both ways', async (t) => {
    const { other, router } = await setUp();
    t.after(() => router.close());
    const chatAsEmbedding = await rejection(router.embed({ model: 'chat', input: 'x' }));
    assert.equal(chatAsEmbedding.status, 400);
    assert.match(chatAsEmbedding.message, /chat model, not an embedding model; embedding models: small, large/);
    const unknown = await rejection(router.embed({ model: 'nope', input: 'x' }));
    assert.equal(unknown.status, 404);
    const embeddingAsChat = await rejection(router.complete({ model: 'small', messages: [{ role: 'user', content: 'x' }] }));
    assert.equal(embeddingAsChat.status, 400);
    assert.match(embeddingAsChat.message, /embedding model; send it to POST \/v1\/embeddings/);
    assert.equal(other.requests.length, 0);
  });

  it('returns a provider’s own 400 without failing over', async (t) => {
    const tooLong = { status: 400, json: openaiError('Invalid input: too many items', 'invalid_request_error', null, 'input') };
    const { second, router } = await setUp({ first: [tooLong] });
    t.after(() => router.close());
    const error = await rejection(router.embed({ model: 'small', input: 'x' }));
    assert.equal(error.status, 400);
    assert.equal(error.param, 'input');
    assert.equal(second.requests.length, 0);
  });

  it('a server ignoring `dimensions` is skipped for one that honours it', async (t) => {
    const { first, router } = await setUp();
    first.fallback = embeddingsAnswer({ space: 'text-embedding-3-small', ignoreDimensions: true });
    t.after(() => router.close());
    const result = await router.embed({ model: 'small', input: 'x', dimensions: 3 });
    assert.equal(result.provider, 'second');
    assert.equal((result.response.data[0]!.embedding as number[]).length, 3);
  });
});

describe('health checks of embedding-only providers', () => {
  it('probe with a one-word embedding, not a chat request', async (t) => {
    const vectors = await upstream([], embeddingsAnswer());
    const router = createRouter({
      providers: { vectors: { baseUrl: vectors.url, embeddings: { small: 'text-embedding-3-small' } } },
    });
    t.after(() => router.close());
    const [result] = await router.checkHealth();
    assert.equal(result!.healthy, true, String(result!.error));
    assert.equal(vectors.requests[0]!.path, '/v1/embeddings');
    assert.deepEqual(vectors.requests[0]!.body, { model: 'text-embedding-3-small', input: 'ping' });
  });
});
