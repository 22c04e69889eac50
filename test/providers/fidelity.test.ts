// Each vendor's wire quirks, as their API references show them, through the router end to end.
import assert from 'node:assert/strict';
import { after, describe, it } from 'node:test';
import type { ChatChunk } from '../../src/protocol/chat.ts';
import type { SwitchboardError } from '../../src/protocol/errors.ts';
import { createRouter } from '../../src/router/router.ts';
import { type ScriptEntry, startUpstream, type Upstream } from '../support/upstream.ts';

const hello = { model: 'llama-3.1-8b', messages: [{ role: 'user' as const, content: 'hi' }] };
const upstreams: Upstream[] = [];
after(() => Promise.all(upstreams.map((u) => u.close())));

async function routerOver(preset: 'groq' | 'openrouter' | 'together', script: ScriptEntry[]) {
  const upstream = await startUpstream(script);
  upstreams.push(upstream);
  const router = createRouter({
    providers: { [preset]: { preset, baseUrl: upstream.url, apiKey: 'k', models: { 'llama-3.1-8b': 'vendor-model' } } },
    routing: { maxAttemptsPerProvider: 1 },
  });
  after(() => router.close());
  return { router, upstream };
}

async function readAll(stream: AsyncIterable<ChatChunk>) {
  const chunks: ChatChunk[] = [];
  for await (const chunk of stream) chunks.push(chunk);
  return chunks;
}

const base = { id: 'chatcmpl-1', object: 'chat.completion.chunk', created: 1730241104, model: 'llama-3.1-8b-instant' };

describe('Groq', () => {
  it('keeps x_groq and usage timing fields; reads usage from the finish chunk', async () => {
    const body = {
      ...base,
      object: 'chat.completion',
      choices: [{ index: 0, message: { role: 'assistant', content: 'Fast' }, logprobs: null, finish_reason: 'stop' }],
      usage: {
        queue_time: 0.0375,
        prompt_tokens: 18,
        prompt_time: 0.0007,
        completion_tokens: 1,
        completion_time: 0.46,
        total_tokens: 19,
        total_time: 0.46,
      },
      system_fingerprint: 'fp_179b0f92c9',
      x_groq: { id: 'req_01jbd6g2qdfw2adyrt2az8hz4w' },
    };
    const finishUsage = { prompt_tokens: 18, completion_tokens: 2, total_tokens: 20, queue_time: 0.01 };
    const { router } = await routerOver('groq', [
      { json: body },
      {
        sse: [
          {
            ...base,
            x_groq: { id: 'req_1' },
            choices: [{ index: 0, delta: { role: 'assistant', content: '' }, logprobs: null, finish_reason: null }],
          },
          { ...base, choices: [{ index: 0, delta: { content: 'Fa' }, logprobs: null, finish_reason: null }] },
          { ...base, choices: [{ index: 0, delta: { content: 'st' }, logprobs: null, finish_reason: null }] },
          {
            ...base,
            choices: [{ index: 0, delta: {}, logprobs: null, finish_reason: 'stop' }],
            x_groq: { id: 'req_1', usage: finishUsage },
            usage: finishUsage,
          },
        ],
      },
    ]);
    const result = await router.complete(hello);
    // Everything Groq sent is kept, its model the provider’s own id; the `message.refusal` it leaves out comes back null (OpenAI's schema requires it).
    const message = { ...body.choices[0]!.message, refusal: null };
    assert.deepEqual(result.response, { ...body, choices: [{ ...body.choices[0]!, message }] });
    assert.equal(result.model, 'llama-3.1-8b');
    const stream = await router.stream(hello);
    const chunks = await readAll(stream);
    assert.deepEqual(chunks.at(-1)!.x_groq, { id: 'req_1', usage: finishUsage });
    assert.deepEqual(stream.usage, finishUsage);
  });
});

describe('OpenRouter', () => {
  it('ignores its SSE comment lines, keeps its provider field, and reads the final usage chunk with empty choices', async () => {
    const usage = { prompt_tokens: 10, completion_tokens: 2, total_tokens: 12, cost: 0.00001 };
    const { router } = await routerOver('openrouter', [
      {
        sse: [
          ': OPENROUTER PROCESSING\n\n',
          ': OPENROUTER PROCESSING\n\n',
          {
            ...base,
            provider: 'Lambda',
            choices: [{ index: 0, delta: { role: 'assistant', content: 'He' }, finish_reason: null, native_finish_reason: null }],
          },
          ': OPENROUTER PROCESSING\n\n',
          {
            ...base,
            provider: 'Lambda',
            choices: [{ index: 0, delta: { content: 'llo' }, finish_reason: 'stop', native_finish_reason: 'stop' }],
          },
          { ...base, provider: 'Lambda', choices: [], usage },
        ],
        crlf: true,
        splitPackets: true,
      },
    ]);
    const stream = await router.stream({ ...hello, stream_options: { include_usage: true } });
    const chunks = await readAll(stream);
    assert.equal(chunks.map((c) => c.choices[0]?.delta.content ?? '').join(''), 'Hello');
    assert.ok(chunks.every((c) => c.provider === 'Lambda'));
    assert.deepEqual(chunks.at(-1)!.choices, []);
    assert.deepEqual(stream.usage, usage);
    assert.equal(stream.skippedEvents, 0);
  });

  it('classifies its error bodies with metadata, by their numeric code', async () => {
    const raw = JSON.stringify({ error: { message: 'Rate limit exceeded', type: 'rate_limit' } });
    const { router } = await routerOver('openrouter', [
      {
        status: 429,
        json: {
          error: { message: 'Provider returned error', code: 429, metadata: { raw, provider_name: 'Together' } },
          user_id: 'user_1',
        },
      },
    ]);
    await assert.rejects(
      router.complete(hello),
      (error: SwitchboardError) => error.kind === 'rate-limited' && error.status === 429,
    );
  });

  it('an HTTP 200 carrying an error fails over like the error it carries', async () => {
    const { router } = await routerOver('openrouter', [
      { json: { error: { message: 'Upstream error', code: 502 }, user_id: 'u' } },
    ]);
    await assert.rejects(router.complete(hello), (error: SwitchboardError) => error.kind === 'server');
  });
});

describe('SSE framing', () => {
  it('reassembles multi-line data and data lines split across packets', async () => {
    const first = JSON.stringify(
      { ...base, choices: [{ index: 0, delta: { role: 'assistant', content: 'multi' }, finish_reason: null }] },
      null,
      1,
    );
    const multiLine = `data: ${first.split('\n').join('\ndata: ')}\n\n`;
    const { router } = await routerOver('together', [
      {
        sse: [multiLine, { ...base, choices: [{ index: 0, delta: { content: '-line' }, finish_reason: 'stop' }] }],
        splitPackets: true,
      },
    ]);
    const chunks = await readAll(await router.stream(hello));
    assert.equal(chunks.map((c) => c.choices[0]?.delta.content ?? '').join(''), 'multi-line');
  });
});
