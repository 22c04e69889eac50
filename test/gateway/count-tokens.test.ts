// POST /v1/messages/count_tokens with the Anthropic SDK: Anthropic's own count through an
// Anthropic deployment of the model, else an estimate marked in x-switchboard-estimate.
import assert from 'node:assert/strict';
import { describe, it, type TestContext } from 'node:test';
import Anthropic from '@anthropic-ai/sdk';
import type { ConfigInput } from '../../src/config/schema.ts';
import type { Gateway } from '../../src/gateway/server.ts';
import type { RecordedRequest, ScriptEntry } from '../support/upstream.ts';
import { gateway, upstream } from './helpers.ts';

const bounded = { timeout: 10_000 };
const question = [{ role: 'user' as const, content: 'How many tokens is this question, roughly?' }];

function anthropic(switchboard: Gateway): Anthropic {
  return new Anthropic({ baseURL: switchboard.url, apiKey: 'unused', maxRetries: 0, timeout: 5000 });
}

/** Anthropic's count_tokens as an emulator: a count that depends on the body, like a real tokenizer's. */
const anthropicCount: ScriptEntry = (request: RecordedRequest) => {
  if (request.path !== '/v1/messages/count_tokens') {
    return { status: 404, json: { type: 'error', error: { type: 'not_found_error', message: 'Not found' } } };
  }
  return { json: { input_tokens: 1000 + JSON.stringify(request.body.messages).length } };
};
const overloaded: ScriptEntry = {
  status: 529,
  json: { type: 'error', error: { type: 'overloaded_error', message: 'Overloaded' } },
};

async function setUp(t: TestContext, options: { claude?: ScriptEntry; withAnthropic?: boolean } = {}) {
  const claude = await upstream(t, [], options.claude ?? anthropicCount);
  const compatible = await upstream(t);
  const providers: ConfigInput['providers'] = {
    compatible: { baseUrl: compatible.url, priority: 1, models: { chat: 'llama-3.1-8b' } },
  };
  if (options.withAnthropic ?? true) {
    providers.claude = {
      protocol: 'anthropic',
      baseUrl: claude.url,
      apiKey: 'sk-ant-secret',
      headers: { 'anthropic-version': '2023-06-01' },
      priority: 2,
      models: { chat: 'claude-haiku-4-5' },
    };
  }
  const switchboard = await gateway(t, { providers, routing: { retryDelayMs: 1 } });
  return { claude, compatible, switchboard };
}

describe('POST /v1/messages/count_tokens', () => {
  it('passes the count to the Anthropic deployment of the model, whatever the priorities', bounded, async (t) => {
    const { claude, compatible, switchboard } = await setUp(t);
    const { data, response } = await anthropic(switchboard)
      .messages.countTokens({ model: 'chat', system: 'Be brief.', messages: question })
      .withResponse();
    assert.equal(data.input_tokens, 1000 + JSON.stringify(question).length);
    assert.equal(response.headers.get('x-switchboard-estimate'), null);
    assert.equal(response.headers.get('x-switchboard-provider'), 'claude');
    const sent = claude.requests[0]!;
    assert.equal(sent.path, '/v1/messages/count_tokens');
    assert.equal(sent.headers['x-api-key'], 'sk-ant-secret');
    assert.deepEqual(sent.body, { model: 'claude-haiku-4-5', system: 'Be brief.', messages: question });
    assert.equal(compatible.requests.length, 0);
  });

  it('fails over between Anthropic deployments before it would estimate', bounded, async (t) => {
    const down = await upstream(t, [], overloaded);
    const up = await upstream(t, [], anthropicCount);
    const anthropicAt = (url: string, priority: number) => ({
      protocol: 'anthropic' as const,
      baseUrl: url,
      priority,
      models: { chat: 'claude-haiku-4-5' },
    });
    const switchboard = await gateway(t, {
      providers: { down: anthropicAt(down.url, 1), up: anthropicAt(up.url, 2) },
      routing: { retryDelayMs: 1 },
    });
    const { data, response } = await anthropic(switchboard)
      .messages.countTokens({ model: 'chat', messages: question })
      .withResponse();
    assert.equal(data.input_tokens, 1000 + JSON.stringify(question).length);
    assert.equal(response.headers.get('x-switchboard-provider'), 'up');
    assert.equal(response.headers.get('x-switchboard-estimate'), null);
    assert.ok(down.requests.length >= 1);
  });

  it('estimates, and says so, when the model has no Anthropic deployment', bounded, async (t) => {
    const { compatible, switchboard } = await setUp(t, { withAnthropic: false });
    const client = anthropic(switchboard);
    const { data, response } = await client.messages.countTokens({ model: 'chat', messages: question }).withResponse();
    assert.equal(response.headers.get('x-switchboard-estimate'), 'true');
    // About four characters a token for English, plus a little per message.
    assert.ok(data.input_tokens > 5 && data.input_tokens < 25, String(data.input_tokens));
    const longer = await client.messages.countTokens({
      model: 'chat',
      messages: [{ role: 'user', content: question[0]!.content.repeat(10) }],
    });
    assert.ok(longer.input_tokens > data.input_tokens * 5);
    assert.equal(compatible.requests.length, 0, 'nothing is sent to estimate');
  });

  it('estimates when every Anthropic deployment is down, listing the attempt', bounded, async (t) => {
    const { claude, switchboard } = await setUp(t, { claude: overloaded });
    const { data, response } = await anthropic(switchboard)
      .messages.countTokens({ model: 'chat', messages: question })
      .withResponse();
    assert.ok(data.input_tokens > 0);
    assert.equal(response.headers.get('x-switchboard-estimate'), 'true');
    assert.ok(claude.requests.length >= 1);
    assert.equal(response.headers.get('x-switchboard-attempts'), String(claude.requests.length));
  });

  it('errors are in Anthropic’s shape: Anthropic’s own 400, a bad body, an unknown model', bounded, async (t) => {
    const refusal: ScriptEntry = {
      status: 400,
      json: { type: 'error', error: { type: 'invalid_request_error', message: 'messages.0.content: Field required' } },
    };
    const { claude, switchboard } = await setUp(t, { claude: refusal });
    const client = anthropic(switchboard);
    const upstreamError = await client.messages
      .countTokens({ model: 'chat', messages: question })
      .catch((thrown: unknown) => thrown);
    assert.ok(upstreamError instanceof Anthropic.BadRequestError, String(upstreamError));
    assert.match(upstreamError.message, /Field required/);
    const calls = claude.requests.length;
    const unknown = await client.messages.countTokens({ model: 'nope', messages: question }).catch((thrown: unknown) => thrown);
    assert.ok(unknown instanceof Anthropic.NotFoundError, String(unknown));
    for (const body of ['{"model":"chat"}', '{"model":"chat","messages":[]}', '[1]', '{bad json']) {
      const response = await fetch(`${switchboard.url}/v1/messages/count_tokens`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body,
      });
      assert.equal(response.status, 400, body);
      const json = (await response.json()) as { type: string; error: { type: string; message: string } };
      assert.equal(json.type, 'error', body);
      assert.equal(json.error.type, 'invalid_request_error', body);
    }
    assert.equal(claude.requests.length, calls, 'bad bodies reach no provider');
  });
});
