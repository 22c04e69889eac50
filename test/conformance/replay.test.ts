// Conformance: the gateway against recorded real traffic of each provider Switchboard supports,
// replayed by ../shared/conformance/replay-upstream.mjs, with the official SDKs as clients.
// Gemini is recorded there but not supported here (no Gemini adapter yet), so it is not exercised.
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { after, before, describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';
import Anthropic from '@anthropic-ai/sdk';
import OpenAI from 'openai';
import type { ConfigInput } from '../../src/config/schema.ts';
import { type Gateway, startGateway } from '../../src/gateway/server.ts';

const replayPath = fileURLToPath(new URL('../../../shared/conformance/replay-upstream.mjs', import.meta.url));
assert.ok(existsSync(replayPath), `the conformance kit must sit beside the repository: ${replayPath}`);
const { startReplayServer } = (await import(replayPath)) as {
  startReplayServer(options: { port: number }): Promise<{ url: string; close(): Promise<void> }>;
};

/** Each supported provider: its preset, where the replay serves it, and a model it was recorded with. */
const providers = {
  groq: { preset: 'groq', path: '/groq/openai/v1', model: 'llama-3.1-8b-instant' },
  together: { preset: 'together', path: '/together/v1', model: 'meta-llama/Llama-3.3-70B-Instruct-Turbo' },
  openrouter: { preset: 'openrouter', path: '/openrouter/api/v1', model: 'meta-llama/llama-3.1-8b-instruct' },
  openai: { preset: 'openai', path: '/openai/v1', model: 'gpt-4o-mini' },
  mistral: { preset: 'mistral', path: '/mistral/v1', model: 'mistral-small-latest' },
  anthropic: { preset: 'anthropic', path: '/anthropic/v1', model: 'claude-3-5-haiku-latest' },
} as const;
type Name = keyof typeof providers;
const names = Object.keys(providers) as Name[];

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

/**
 * Back to a clean replay, and no gateway left from an earlier test: an earlier gateway's recovery
 * probes (sent to a provider it took out) would use up the fault modes the next test sets.
 */
async function reset(): Promise<void> {
  await Promise.all(gateways.splice(0).map((gateway) => gateway.close(0)));
  await fetch(`${replay.url}/__reset`, { method: 'POST' });
}

/** A gateway over the given providers, in that priority order, all serving the generic model `chat`. */
async function gatewayOver(order: Name[], routing: NonNullable<ConfigInput['routing']> = {}): Promise<Gateway> {
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

const question = [{ role: 'user' as const, content: 'Say hello' }];
const weatherTool = {
  type: 'function' as const,
  function: {
    name: 'get_weather',
    description: 'Weather for a city',
    parameters: { type: 'object', properties: { city: { type: 'string' } } },
  },
};

function openai(gateway: Gateway): OpenAI {
  return new OpenAI({ baseURL: `${gateway.url}/v1`, apiKey: 'client-key', maxRetries: 0, timeout: 10_000 });
}

for (const name of names) {
  describe(`${name} through the openai SDK`, () => {
    let gateway: Gateway;
    before(async () => {
      await reset();
      gateway = await gatewayOver([name]);
    });

    it('answers a completion with text and usage, naming the provider', async () => {
      const { data, response } = await openai(gateway)
        .chat.completions.create({ model: 'chat', messages: question })
        .withResponse();
      assert.equal(response.headers.get('x-switchboard-provider'), name);
      assert.equal(response.headers.get('x-switchboard-model'), 'chat', 'the generic name asked for');
      // The model that answered, as the upstream named it (OpenAI and Anthropic answer with a dated id).
      assert.ok(
        data.model.length > 0 && data.model !== 'chat',
        `the recorded upstream's own id, not the generic name: ${data.model}`,
      );
      const message = data.choices[0]!.message;
      assert.ok(typeof message.content === 'string' && message.content.length > 0, 'text content');
      assert.ok(data.usage && data.usage.total_tokens > 0, 'usage');
    });

    it('streams text chunk by chunk to a finish', async () => {
      const stream = await openai(gateway).chat.completions.create({
        model: 'chat',
        messages: question,
        stream: true,
        stream_options: { include_usage: true },
      });
      let text = '';
      const finishes: string[] = [];
      for await (const chunk of stream) {
        text += chunk.choices[0]?.delta.content ?? '';
        for (const choice of chunk.choices) if (choice.finish_reason) finishes.push(choice.finish_reason);
      }
      assert.ok(text.length > 0, 'streamed text');
      assert.equal(finishes.length, 1, 'exactly one finish');
    });

    it('returns a tool call', async () => {
      const data = await openai(gateway).chat.completions.create({ model: 'chat', messages: question, tools: [weatherTool] });
      const calls = data.choices[0]!.message.tool_calls ?? [];
      assert.ok(calls.length > 0, 'a tool call');
      for (const call of calls) {
        assert.equal(call.type, 'function');
        assert.ok(call.type === 'function' && call.function.name.length > 0);
        assert.doesNotThrow(() => call.type === 'function' && JSON.parse(call.function.arguments));
      }
    });

    it('streams a tool call whose argument fragments assemble into JSON', async () => {
      const stream = await openai(gateway).chat.completions.create({
        model: 'chat',
        messages: question,
        tools: [weatherTool],
        stream: true,
      });
      const calls = new Map<number, { name: string; args: string }>();
      for await (const chunk of stream) {
        for (const delta of chunk.choices[0]?.delta.tool_calls ?? []) {
          const call = calls.get(delta.index) ?? { name: '', args: '' };
          call.name += delta.function?.name ?? '';
          call.args += delta.function?.arguments ?? '';
          calls.set(delta.index, call);
        }
      }
      if (name === 'openrouter') return; // its recording has no tool-call stream; the replay answers with text
      assert.ok(calls.size > 0, 'streamed tool calls');
      for (const call of calls.values()) {
        assert.ok(call.name.length > 0);
        assert.doesNotThrow(() => JSON.parse(call.args || '{}'), call.args);
      }
    });

    it('passes a bad request back as the provider’s 400 without failing over', async () => {
      await control({ provider: name, mode: '400', times: 1 });
      const error = await openai(gateway)
        .chat.completions.create({ model: 'chat', messages: question })
        .catch((thrown: unknown) => thrown);
      assert.ok(error instanceof OpenAI.APIError, String(error));
      assert.equal(error.status, 400);
    });
  });
}

describe('failover across recorded providers', () => {
  before(reset);

  for (const mode of ['429', '500', '503', 'timeout', 'reset', 'malformed-json', 'empty-200', '401'] as const) {
    it(`groq answering ${mode}: together answers, the client never sees it`, async () => {
      await reset();
      const gateway = await gatewayOver(['groq', 'together'], { timeouts: { firstTokenMs: 500, responseMs: 500 } });
      await control({ provider: 'groq', mode, times: 2 });
      const request = { model: 'chat', messages: question };
      const { data, response } = await openai(gateway).chat.completions.create(request).withResponse();
      assert.equal(response.headers.get('x-switchboard-provider'), 'together');
      // A plain 500 and a reset get one quick retry on the same provider first.
      const expected = mode === '500' || mode === 'reset' ? '3' : '2';
      assert.equal(response.headers.get('x-switchboard-attempts'), expected);
      assert.ok(data.choices[0]!.message.content);
    });
  }

  it('an in-band 400 error before any content is returned as that 400, not failed over', async () => {
    await reset();
    const gateway = await gatewayOver(['groq', 'together']);
    await control({ provider: 'groq', mode: 'mid-stream-error', times: 1 });
    const error = await openai(gateway)
      .chat.completions.create({ model: 'chat', messages: question, stream: true })
      .catch((thrown: unknown) => thrown);
    assert.ok(error instanceof OpenAI.APIError, String(error));
    assert.equal(error.status, 400);
    assert.match(error.message, /Tool call validation failed/);
  });

  it('a cut stream with recovery off ends with an error, never a clean finish', async () => {
    await reset();
    const gateway = await gatewayOver(['openai'], { streamRecovery: false });
    await control({ provider: 'openai', mode: 'mid-stream-cut', times: 1 });
    const stream = await openai(gateway).chat.completions.create({ model: 'chat', messages: question, stream: true });
    const finishes: string[] = [];
    await assert.rejects(async () => {
      for await (const chunk of stream)
        for (const choice of chunk.choices) if (choice.finish_reason) finishes.push(choice.finish_reason);
    });
    assert.deepEqual(finishes, []);
  });

  it('a 429 with rate-limit headers shows in /status', async () => {
    await reset();
    const gateway = await gatewayOver(['groq', 'together']);
    await control({ provider: 'groq', mode: '429', times: 1 });
    await openai(gateway).chat.completions.create({ model: 'chat', messages: question });
    const status = (await (await fetch(`${gateway.url}/status`)).json()) as {
      providers: Record<string, { rateLimitedUntil: number | null }>;
    };
    assert.ok(
      (status.providers.groq?.rateLimitedUntil ?? 0) > Date.now(),
      `held off after its 429: ${JSON.stringify(status.providers.groq)}`,
    );
  });
});

describe('anthropic through both SDKs', () => {
  before(reset);

  it('the anthropic SDK gets an answer from an OpenAI-compatible provider when Anthropic answers 529', async () => {
    const gateway = await gatewayOver(['anthropic', 'groq']);
    await control({ provider: 'anthropic', mode: '529', times: 1 });
    const client = new Anthropic({ baseURL: gateway.url, apiKey: 'client-key', maxRetries: 0 });
    const message = await client.messages.create({ model: 'chat', max_tokens: 64, messages: question });
    assert.equal(message.type, 'message');
    const text = message.content.find((block) => block.type === 'text');
    assert.ok(text && text.type === 'text' && text.text.length > 0);
  });

  it('the anthropic SDK streams through the gateway, from Anthropic or, when it answers 529, from Groq', async () => {
    await reset();
    const gateway = await gatewayOver(['anthropic', 'groq']);
    const client = new Anthropic({ baseURL: gateway.url, apiKey: 'client-key', maxRetries: 0 });
    for (const [mode, expected] of [
      ['ok', 'anthropic'],
      ['529', 'groq'],
    ] as const) {
      await control({ provider: 'anthropic', mode, times: 1 });
      const stream = client.messages.stream({ model: 'chat', max_tokens: 64, messages: question });
      const final = await stream.finalMessage();
      const text = final.content.find((block) => block.type === 'text');
      assert.ok(text && text.type === 'text' && text.text.length > 0);
      const { response } = await stream.withResponse();
      assert.equal(response.headers.get('x-switchboard-provider'), expected);
    }
  });

  it('the openai SDK gets tool calls from the Anthropic upstream, streamed and not', async () => {
    await reset();
    const gateway = await gatewayOver(['anthropic']);
    const data = await openai(gateway).chat.completions.create({ model: 'chat', messages: question, tools: [weatherTool] });
    const call = data.choices[0]!.message.tool_calls?.[0];
    assert.ok(call && call.type === 'function' && call.function.name.length > 0);
    assert.equal(data.choices[0]!.finish_reason, 'tool_calls');
    const stream = await openai(gateway).chat.completions.create({
      model: 'chat',
      messages: question,
      tools: [weatherTool],
      stream: true,
    });
    let name = '';
    let args = '';
    for await (const chunk of stream) {
      for (const delta of chunk.choices[0]?.delta.tool_calls ?? []) {
        name += delta.function?.name ?? '';
        args += delta.function?.arguments ?? '';
      }
    }
    assert.ok(name.length > 0);
    assert.doesNotThrow(() => JSON.parse(args));
  });
});
