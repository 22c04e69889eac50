// Conformance of POST /v1/responses: the openai SDK's Responses calls through the gateway, served by
// the recorded real traffic of each provider (../shared/conformance/replay-upstream.mjs).
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { after, before, describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';
import OpenAI from 'openai';
import type { ConfigInput } from '../../src/config/schema.ts';
import { type Gateway, startGateway } from '../../src/gateway/server.ts';

const replayPath = fileURLToPath(new URL('../../../shared/conformance/replay-upstream.mjs', import.meta.url));
assert.ok(existsSync(replayPath), `the conformance kit must sit beside the repository: ${replayPath}`);
const { startReplayServer } = (await import(replayPath)) as {
  startReplayServer(options: { port: number }): Promise<{ url: string; close(): Promise<void> }>;
};

const providers = {
  groq: { preset: 'groq', path: '/groq/openai/v1', model: 'llama-3.1-8b-instant' },
  together: { preset: 'together', path: '/together/v1', model: 'meta-llama/Llama-3.3-70B-Instruct-Turbo' },
  openrouter: { preset: 'openrouter', path: '/openrouter/api/v1', model: 'meta-llama/llama-3.1-8b-instruct' },
  openai: { preset: 'openai', path: '/openai/v1', model: 'gpt-4o-mini' },
  mistral: { preset: 'mistral', path: '/mistral/v1', model: 'mistral-small-latest' },
  anthropic: { preset: 'anthropic', path: '/anthropic/v1', model: 'claude-3-5-haiku-latest' },
} as const;
type Name = keyof typeof providers;

let replay: { url: string; close(): Promise<void> };
before(async () => {
  replay = await startReplayServer({ port: 0 });
});
const gateways: Gateway[] = [];
after(async () => {
  await Promise.all(gateways.map((gateway) => gateway.close(0)));
  await replay.close();
});

async function control(body: Record<string, unknown>): Promise<void> {
  const response = await fetch(`${replay.url}/__control`, { method: 'POST', body: JSON.stringify(body) });
  assert.equal(response.status, 200, await response.text());
}

async function gatewayOver(order: Name[], routing: NonNullable<ConfigInput['routing']> = {}): Promise<Gateway> {
  await fetch(`${replay.url}/__reset`, { method: 'POST' });
  const config: ConfigInput = { providers: {}, routing: { retryDelayMs: 1, ...routing } };
  for (const [index, name] of order.entries()) {
    const { preset, path, model } = providers[name];
    config.providers[name] = {
      preset,
      baseUrl: `${replay.url}${path}`,
      apiKey: `test-key-${name}`,
      priority: index + 1,
      models: { chat: model },
    };
  }
  const gateway = await startGateway({ config, port: 0, logger: false });
  gateways.push(gateway);
  return gateway;
}

function client(gateway: Gateway): OpenAI {
  return new OpenAI({ baseURL: `${gateway.url}/v1`, apiKey: 'client-key', maxRetries: 0, timeout: 10_000 });
}

const tools: OpenAI.Responses.Tool[] = [
  {
    type: 'function',
    name: 'get_weather',
    description: 'Weather for a city',
    parameters: { type: 'object', properties: { city: { type: 'string' } } },
    strict: false,
  },
];

for (const name of Object.keys(providers) as Name[]) {
  describe(`${name} through client.responses`, () => {
    let gateway: Gateway;
    before(async () => {
      gateway = await gatewayOver([name]);
    });

    it('answers with a completed response, output_text and usage', async () => {
      const { data, response } = await client(gateway).responses.create({ model: 'chat', input: 'Say hello' }).withResponse();
      assert.equal(response.headers.get('x-switchboard-provider'), name);
      assert.equal(data.status, 'completed');
      assert.ok(data.output_text.length > 0);
      assert.ok(data.usage && data.usage.input_tokens > 0 && data.usage.output_tokens > 0);
      assert.equal(data.usage.total_tokens, data.usage.input_tokens + data.usage.output_tokens);
    });

    it('streams numbered events to response.completed with the same text', async () => {
      const stream = client(gateway).responses.stream({ model: 'chat', input: 'Say hello' });
      let text = '';
      const numbers: number[] = [];
      for await (const event of stream) {
        numbers.push(event.sequence_number);
        if (event.type === 'response.output_text.delta') text += event.delta;
      }
      const final = await stream.finalResponse();
      assert.equal(final.status, 'completed');
      assert.ok(text.length > 0);
      assert.equal(final.output_text, text);
      assert.deepEqual(
        numbers,
        numbers.map((_, index) => index),
      );
    });

    it('returns function calls with call ids and JSON arguments, streamed and not', async () => {
      const data = await client(gateway).responses.create({ model: 'chat', input: 'Weather in Paris?', tools });
      const calls = data.output.filter((item) => item.type === 'function_call');
      assert.ok(calls.length > 0, 'a function call');
      for (const call of calls) {
        assert.ok(call.type === 'function_call' && call.call_id.length > 0 && call.name.length > 0);
        assert.doesNotThrow(() => call.type === 'function_call' && JSON.parse(call.arguments));
      }
      const final = await client(gateway).responses.stream({ model: 'chat', input: 'Weather in Paris?', tools }).finalResponse();
      assert.equal(final.status, 'completed');
      // OpenRouter's recording has no tool-call stream; the replay answers with text.
      if (name === 'openrouter') return;
      const streamed = final.output.filter((item) => item.type === 'function_call');
      assert.ok(streamed.length > 0, 'a streamed function call');
      for (const call of streamed) assert.doesNotThrow(() => call.type === 'function_call' && JSON.parse(call.arguments || '{}'));
    });
  });
}

describe('Responses conversations across recorded providers', () => {
  it('continue with previous_response_id at Anthropic when Groq fails', async () => {
    const gateway = await gatewayOver(['groq', 'anthropic']);
    const sdk = client(gateway);
    const first = await sdk.responses.create({ model: 'chat', input: 'Say hello' });
    await control({ provider: 'groq', mode: '503', times: 2 });
    const { data, response } = await sdk.responses
      .create({ model: 'chat', previous_response_id: first.id, input: 'Again, please' })
      .withResponse();
    assert.equal(response.headers.get('x-switchboard-provider'), 'anthropic');
    assert.equal(data.status, 'completed');
    assert.equal(data.previous_response_id, first.id);
    assert.ok(data.output_text.length > 0);
  });

  it('end a stream cut with recovery off with response.failed, never response.completed', async () => {
    const gateway = await gatewayOver(['openai'], { streamRecovery: false });
    await control({ provider: 'openai', mode: 'mid-stream-cut', times: 1 });
    const stream = await client(gateway).responses.create({ model: 'chat', input: 'Say hello', stream: true });
    const types: string[] = [];
    for await (const event of stream) types.push(event.type);
    assert.equal(types.at(-1), 'response.failed');
    assert.ok(!types.includes('response.completed'));
  });
});
