// embed and embedMany through `switchboard/ai-sdk`: failover between deployments of one embedding
// model (the same vectors from another provider), and never to another model's vector space.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { APICallError, NoSuchModelError } from '@ai-sdk/provider';
import { embed, embedMany } from 'ai';
import type { ConfigInput } from '../../src/config/schema.ts';
import { embeddingsAnswer, vectorFor } from '../support/embeddings.ts';
import { openaiError } from '../support/upstream.ts';
import { attemptsIn, bounded, switchboard, upstream } from './helpers.ts';

const overloaded = { status: 503, json: openaiError('overloaded', 'server_error') };
const space = 'text-embedding-3-small';

/** `small` at two providers (one vector space under two names), and `large`, another space, at a third. */
function config(first: string, second: string, other: string): ConfigInput {
  return {
    providers: {
      first: { baseUrl: first, apiKey: 'sk-first-secret', priority: 1, embeddings: { small: 'text-embedding-3-small' } },
      second: { baseUrl: second, priority: 2, embeddings: { small: 'openai/text-embedding-3-small' } },
      other: { baseUrl: other, priority: 0, embeddings: { large: 'text-embedding-3-large' } },
    },
    routing: { retryDelayMs: 1 },
  };
}

describe('embed and embedMany with a Switchboard embedding model', () => {
  it('embed fails over to the same model at another provider; providerMetadata shows both attempts', bounded, async (t) => {
    const first = await upstream(t, [overloaded], embeddingsAnswer({ space }));
    const second = await upstream(t, [], embeddingsAnswer({ space }));
    const other = await upstream(t, [], embeddingsAnswer());
    const sb = switchboard(t, config(first.url, second.url, other.url));
    const result = await embed({ model: sb.embeddingModel('small'), value: 'sunny day at the beach', dimensions: 6 });
    assert.deepEqual(result.embedding, vectorFor(space, 'sunny day at the beach', 6));
    assert.deepEqual(attemptsIn(result.providerMetadata), [
      ['first', 'server'],
      ['second', 'ok'],
    ]);
    assert.ok(result.usage.tokens > 0);
    assert.equal(second.requests[0]?.body.model, 'openai/text-embedding-3-small');
    assert.equal(second.requests[0]?.body.dimensions, 6);
    assert.equal(other.requests.length, 0, 'another embedding model is never asked');
  });

  it('embedMany keeps the input order across a failover', bounded, async (t) => {
    const first = await upstream(t, ['reset', 'reset'], embeddingsAnswer({ space }));
    const second = await upstream(t, [], embeddingsAnswer({ space }));
    const other = await upstream(t, [], embeddingsAnswer());
    const sb = switchboard(t, config(first.url, second.url, other.url));
    const values = ['alpha', 'beta', 'gamma', 'delta'];
    const result = await embedMany({ model: sb.textEmbeddingModel('small'), values });
    assert.deepEqual(
      result.embeddings,
      values.map((value) => vectorFor(space, value, 8)),
    );
    assert.deepEqual(second.requests[0]?.body.input, values);
    assert.equal(other.requests.length, 0);
  });

  it(
    'when every deployment of the model is down: an APICallError listing them, no vectors from another model',
    bounded,
    async (t) => {
      const first = await upstream(t, [], overloaded);
      const second = await upstream(t, [], overloaded);
      const other = await upstream(t, [], embeddingsAnswer());
      const sb = switchboard(t, config(first.url, second.url, other.url));
      const error = await embedMany({ model: sb.embeddingModel('small'), values: ['a', 'b'] }).then(
        () => assert.fail('expected an error'),
        (thrown: unknown) => thrown,
      );
      assert.ok(APICallError.isInstance(error), String(error));
      assert.equal(error.statusCode, 503);
      assert.equal(error.isRetryable, false);
      assert.match(error.message, /first/);
      assert.match(error.message, /second/);
      assert.doesNotMatch(error.message, /sk-first-secret/);
      assert.equal(other.requests.length, 0);
    },
  );

  it('an embedding model is not a language model, and an unknown name is neither', (t) => {
    const sb = switchboard(t, config('http://127.0.0.1:9/v1', 'http://127.0.0.1:9/v1', 'http://127.0.0.1:9/v1'));
    const noSuch = (type: string) => (error: unknown) => NoSuchModelError.isInstance(error) && error.modelType === type;
    assert.throws(() => sb('small'), noSuch('languageModel'));
    assert.throws(() => sb.embeddingModel('smal'), noSuch('embeddingModel'));
    assert.throws(() => sb.textEmbeddingModel('smal'), /embedding models: small, large/);
    assert.equal(sb.embeddingModel('large').modelId, 'large');
  });
});
