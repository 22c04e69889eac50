// The rest of the surface a client touches: GET /v1/models/{id}, unknown URLs, the legacy
// completions endpoint, and Anthropic's error shape on every /v1/messages* path.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import Anthropic from '@anthropic-ai/sdk';
import { NotFoundError } from 'openai';
import { client, gateway, upstream } from './helpers.ts';

const bounded = { timeout: 10_000 };

async function setUp(t: Parameters<typeof upstream>[0], apiKeys: string[] = []) {
  const first = await upstream(t);
  const switchboard = await gateway(t, {
    server: { apiKeys },
    providers: {
      first: { baseUrl: first.url, models: { 'llama-3.1-8b': 'l', 'meta-llama/llama-3.3-70b': 'm' }, embeddings: { small: 'e' } },
    },
  });
  return { first, switchboard };
}

describe('the rest of the surface', () => {
  it('GET /v1/models/{id} answers a Model through the openai SDK, slashes in ids included', bounded, async (t) => {
    const { switchboard } = await setUp(t);
    const openai = client(switchboard);
    const model = await openai.models.retrieve('llama-3.1-8b');
    assert.deepEqual(
      { id: model.id, object: model.object, created: model.created, owned_by: model.owned_by },
      { id: 'llama-3.1-8b', object: 'model', created: 0, owned_by: 'switchboard' },
    );
    assert.equal((await openai.models.retrieve('meta-llama/llama-3.3-70b')).id, 'meta-llama/llama-3.3-70b');
    assert.equal((await openai.models.retrieve('small')).id, 'small');
    const raw = await fetch(`${switchboard.url}/v1/models/meta-llama/llama-3.3-70b`);
    assert.equal(((await raw.json()) as { id: string }).id, 'meta-llama/llama-3.3-70b');
  });

  it('an unknown model id is a 404 in OpenAI’s shape with a bounded excerpt of the id', bounded, async (t) => {
    const { switchboard } = await setUp(t);
    const error = await client(switchboard)
      .models.retrieve('gpt-9')
      .catch((thrown: unknown) => thrown);
    assert.ok(error instanceof NotFoundError, String(error));
    assert.equal(error.code, 'model_not_found');
    assert.equal(error.message, "404 The model 'gpt-9' does not exist");
    const long = `x${'y'.repeat(5000)}\u0001`;
    const response = await fetch(`${switchboard.url}/v1/models/${encodeURIComponent(long)}`);
    assert.equal(response.status, 404);
    const body = (await response.json()) as { error: { message: string; type: string; param: string } };
    assert.ok(body.error.message.length < 200, body.error.message);
    assert.equal(body.error.type, 'invalid_request_error');
    assert.equal(body.error.param, 'model');
  });

  it('an unknown URL is a 404 listing every endpoint served', bounded, async (t) => {
    const { switchboard } = await setUp(t);
    const response = await fetch(`${switchboard.url}/v1/audio/speech?key=secret-in-query`, { method: 'POST', body: '{}' });
    assert.equal(response.status, 404);
    const { error } = (await response.json()) as { error: { message: string; code: string } };
    assert.equal(error.code, 'unknown_url');
    assert.match(error.message, /^Invalid URL \(POST \/v1\/audio\/speech\)\. This gateway serves: /);
    for (const endpoint of [
      'POST /v1/chat/completions',
      'POST /v1/messages',
      'POST /v1/messages/count_tokens',
      'POST /v1/embeddings',
      'GET /v1/models',
      'GET /v1/models/{id}',
      'POST /v1/responses',
      'GET /v1/responses/{id}',
      'DELETE /v1/responses/{id}',
      'GET /healthz',
    ]) {
      assert.ok(error.message.includes(`${endpoint},`) || error.message.includes(`${endpoint}.`), endpoint);
    }
    assert.doesNotMatch(error.message, /secret-in-query|HEAD |\/v1\/completions/);
  });

  it('the legacy /v1/completions says it is not served and what to use instead', bounded, async (t) => {
    const { first, switchboard } = await setUp(t);
    const error = await client(switchboard)
      .completions.create({ model: 'llama-3.1-8b', prompt: 'Once upon a time' })
      .catch((thrown: unknown) => thrown);
    assert.ok(error instanceof NotFoundError, String(error));
    assert.equal(error.code, 'unsupported_endpoint');
    assert.match(error.message, /not served by this gateway.*POST \/v1\/chat\/completions/);
    assert.equal(first.requests.length, 0);
  });

  it('every error on /v1/messages* is in Anthropic’s shape', bounded, async (t) => {
    const { switchboard } = await setUp(t, ['gateway-key']);
    const shapes: Array<[string, RequestInit, number, string]> = [
      ['/v1/messages/batches', { method: 'POST', body: '{}' }, 404, 'not_found_error'],
      ['/v1/messages/count_tokens', { method: 'GET' }, 405, 'invalid_request_error'],
      ['/v1/messages/count_tokens', { method: 'POST', body: '{}' }, 401, 'authentication_error'],
      ['/v1/messages', { method: 'POST', body: '{}' }, 401, 'authentication_error'],
      [
        '/v1/messages/count_tokens',
        { method: 'POST', body: '{"model":', headers: { 'x-api-key': 'gateway-key', 'content-type': 'application/json' } },
        400,
        'invalid_request_error',
      ],
    ];
    for (const [path, init, status, type] of shapes) {
      const response = await fetch(`${switchboard.url}${path}`, init);
      assert.equal(response.status, status, `${init.method} ${path}`);
      const body = (await response.json()) as { type: string; error: { type: string; message: string } };
      assert.equal(body.type, 'error', `${init.method} ${path}`);
      assert.equal(body.error.type, type, `${init.method} ${path}`);
    }
    const sdk = new Anthropic({ baseURL: switchboard.url, apiKey: 'wrong', maxRetries: 0 });
    const error = await sdk.messages.countTokens({ model: 'llama-3.1-8b', messages: [] }).catch((thrown: unknown) => thrown);
    assert.ok(error instanceof Anthropic.AuthenticationError, String(error));
  });
});
