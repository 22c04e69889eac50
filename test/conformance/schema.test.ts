// Every answer, chunk and error the gateway sends, for each recorded provider (plain, streamed,
// tool calls, their variants and error modes), checked against the required fields and types of
// OpenAI's published schemas (test/support/openai-schemas.ts). Bodies are read raw, not through
// an SDK, which would smooth over what a strict client rejects.
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { after, before, describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';
import type { ConfigInput } from '../../src/config/schema.ts';
import { type Gateway, startGateway } from '../../src/gateway/server.ts';
import { embeddingsAnswer } from '../support/embeddings.ts';
import {
  CreateChatCompletionResponse,
  CreateChatCompletionStreamResponse,
  CreateEmbeddingResponse,
  deviations,
  ErrorResponse,
  ListModelsResponse,
  Model,
} from '../support/openai-schemas.ts';
import { openaiError, startUpstream, type Upstream } from '../support/upstream.ts';

const replayPath = fileURLToPath(new URL('../../../shared/conformance/replay-upstream.mjs', import.meta.url));
assert.ok(existsSync(replayPath), `the conformance kit must sit beside the repository: ${replayPath}`);
const { startReplayServer } = (await import(replayPath)) as {
  startReplayServer(options: { port: number }): Promise<{ url: string; close(): Promise<void> }>;
};

/** Each supported provider, where the replay serves it, a recorded model, its variants, and whether it records an in-band stream error. */
const providers = {
  groq: { preset: 'groq', path: '/groq/openai/v1', model: 'llama-3.1-8b-instant', variants: ['long'], streamError: true },
  together: {
    preset: 'together',
    path: '/together/v1',
    model: 'meta-llama/Llama-3.3-70B-Instruct-Turbo',
    variants: ['eos'],
    streamError: false,
  },
  openrouter: {
    preset: 'openrouter',
    path: '/openrouter/api/v1',
    model: 'meta-llama/llama-3.1-8b-instruct',
    variants: ['fallback', 'reasoning'],
    streamError: true,
  },
  openai: { preset: 'openai', path: '/openai/v1', model: 'gpt-4o-mini', variants: ['long'], streamError: false },
  mistral: { preset: 'mistral', path: '/mistral/v1', model: 'mistral-small-latest', variants: ['thinking'], streamError: false },
  anthropic: {
    preset: 'anthropic',
    path: '/anthropic/v1',
    model: 'claude-3-5-haiku-latest',
    variants: ['thinking'],
    streamError: true,
  },
} as const;
type Name = keyof typeof providers;
const names = Object.keys(providers) as Name[];

let replay: { url: string; close(): Promise<void> };
let embeddings: Upstream;
let gateway: Gateway;
before(async () => {
  replay = await startReplayServer({ port: 0 });
  embeddings = await startUpstream([], { fallback: embeddingsAnswer() });
  // One gateway; each provider serves the generic model named after it, so answers come from it alone.
  const config: ConfigInput = {
    providers: {
      vectors: { baseUrl: embeddings.url, embeddings: { vectors: 'text-embedding-3-small' } },
    },
    routing: { retryDelayMs: 1, timeouts: { responseMs: 2000, firstTokenMs: 2000 } },
  };
  for (const name of names) {
    const { preset, path, model } = providers[name];
    config.providers[name] = { preset, baseUrl: `${replay.url}${path}`, apiKey: `test-key-${name}`, models: { [name]: model } };
  }
  gateway = await startGateway({ config, port: 0, logger: false });
});
/** A gateway over one recorded provider, serving the generic model named after it. */
async function gatewayOver(name: Name): Promise<Gateway> {
  const { preset, path, model } = providers[name];
  const config: ConfigInput = {
    providers: { [name]: { preset, baseUrl: `${replay.url}${path}`, apiKey: `test-key-${name}`, models: { [name]: model } } },
    routing: { retryDelayMs: 1, timeouts: { responseMs: 2000, firstTokenMs: 2000, totalMs: 5000 } },
  };
  return startGateway({ config, port: 0, logger: false });
}

after(async () => {
  await gateway.close(0);
  await embeddings.close();
  await replay.close();
});

async function control(body: Record<string, unknown>): Promise<void> {
  const response = await fetch(`${replay.url}/__control`, { method: 'POST', body: JSON.stringify(body) });
  assert.equal(response.status, 200, await response.text());
}

const question = [{ role: 'user', content: 'Say hello' }];
const tools = [
  {
    type: 'function',
    function: { name: 'get_weather', parameters: { type: 'object', properties: { city: { type: 'string' } } } },
  },
];

/** POSTs to the gateway and checks every body it sends back (each SSE event of a stream) against the schemas. */
async function check(label: string, path: string, body: unknown, problems: string[], to = gateway): Promise<number> {
  const response = await fetch(`${to.url}${path}`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify(body),
    signal: AbortSignal.timeout(10_000),
  });
  const text = await response.text();
  const note = (kind: string, found: string[]) => {
    for (const problem of found) problems.push(`${label} ${kind}: ${problem}`);
  };
  if (!(response.headers.get('content-type') ?? '').startsWith('text/event-stream')) {
    const json = JSON.parse(text) as Record<string, unknown>;
    if (response.status !== 200) note('error', deviations(ErrorResponse, json));
    else if (path === '/v1/embeddings') note('answer', deviations(CreateEmbeddingResponse, json));
    else note('answer', deviations(CreateChatCompletionResponse, json));
    return response.status;
  }
  let events = 0;
  for (const block of text.split('\n\n')) {
    const data = block
      .split('\n')
      .filter((line) => line.startsWith('data: '))
      .map((line) => line.slice(6))
      .join('\n');
    if (data === '' || data === '[DONE]') continue;
    events += 1;
    const json = JSON.parse(data) as Record<string, unknown>;
    if ('error' in json) note(`event ${events} (error)`, deviations(ErrorResponse, json));
    else note(`chunk ${events}`, deviations(CreateChatCompletionStreamResponse, json));
  }
  assert.ok(events > 0, `${label}: no events`);
  return response.status;
}

describe('OpenAI schema conformance of everything the gateway sends', () => {
  for (const name of names) {
    const { variants, streamError } = providers[name];
    it(`${name}: answers, chunks and tool calls, plain and variant, with 0 deviations`, async () => {
      await fetch(`${replay.url}/__reset`, { method: 'POST' });
      const problems: string[] = [];
      const model = name;
      for (const variant of [null, ...variants]) {
        await control({ provider: name, variant });
        const tag = `${name}${variant ? `/${variant}` : ''}`;
        assert.equal(await check(`${tag} plain`, '/v1/chat/completions', { model, messages: question }, problems), 200);
        const streamed = { model, messages: question, stream: true, stream_options: { include_usage: true } };
        assert.equal(await check(`${tag} stream`, '/v1/chat/completions', streamed, problems), 200);
        assert.equal(await check(`${tag} tools`, '/v1/chat/completions', { model, messages: question, tools }, problems), 200);
        const toolStream = { model, messages: question, tools, stream: true };
        assert.equal(await check(`${tag} tools stream`, '/v1/chat/completions', toolStream, problems), 200);
      }
      await control({ provider: name, variant: null });
      assert.deepEqual(problems, []);
    });

    it(`${name}: errors, before and inside a stream, with 0 deviations`, async () => {
      const problems: string[] = [];
      const model = name;
      const cases: Array<[string, boolean]> = [
        ['400', false],
        ['401', false],
        ['429', false],
        ['500', false],
        ['malformed-json', false],
        ['mid-stream-cut', true],
      ];
      if (streamError) cases.push(['mid-stream-error', true]);
      for (const [mode, stream] of cases) {
        // A gateway of its own per case: what one fault leaves behind (a key taken out, a rate
        // limit held, recovery probes) must not decide what the next case sees.
        await fetch(`${replay.url}/__reset`, { method: 'POST' });
        const own = await gatewayOver(name);
        try {
          await control({ provider: name, mode, times: 3 });
          const status = await check(
            `${name} ${mode}`,
            '/v1/chat/completions',
            { model, messages: question, stream },
            problems,
            own,
          );
          if (!stream) assert.ok(status >= 400, `${name} ${mode}: ${status}`);
        } finally {
          await own.close(0);
        }
      }
      await fetch(`${replay.url}/__reset`, { method: 'POST' });
      assert.deepEqual(problems, []);
    });
  }

  it('models, embeddings and the errors the gateway makes itself, with 0 deviations', async () => {
    const problems: string[] = [];
    const get = async (path: string) => (await fetch(`${gateway.url}${path}`)).json();
    problems.push(...deviations(ListModelsResponse, await get('/v1/models')).map((problem) => `models: ${problem}`));
    for (const id of [...names, 'vectors']) {
      problems.push(...deviations(Model, await get(`/v1/models/${id}`)).map((problem) => `model ${id}: ${problem}`));
    }
    for (const path of ['/v1/models/unknown', '/v1/unknown']) {
      problems.push(...deviations(ErrorResponse, await get(path)).map((problem) => `${path}: ${problem}`));
    }
    await check('embeddings float', '/v1/embeddings', { model: 'vectors', input: ['a', 'b'] }, problems);
    await check('embeddings base64', '/v1/embeddings', { model: 'vectors', input: 'a', encoding_format: 'base64' }, problems);
    await check('embeddings bad input', '/v1/embeddings', { model: 'vectors', input: [] }, problems);
    embeddings.script.push({ status: 503, json: openaiError('overloaded', 'server_error') });
    embeddings.script.push({ status: 503, json: openaiError('overloaded', 'server_error') });
    embeddings.script.push({ status: 503, json: openaiError('overloaded', 'server_error') });
    assert.equal(await check('embeddings down', '/v1/embeddings', { model: 'vectors', input: 'a' }, problems), 503);
    await check('chat bad body', '/v1/chat/completions', { model: 'groq', messages: [] }, problems);
    await check('chat unknown model', '/v1/chat/completions', { model: 'nope', messages: question }, problems);
    assert.deepEqual(problems, []);
  });
});
