// streamText through `switchboard/ai-sdk`: failover before the first token, a stream cut mid-answer
// and recovered on another provider (the text whole, once), an unrecoverable cut that ends in an
// error part, and the spec's part order as the model emits it.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { APICallError, type LanguageModelV4StreamPart } from '@ai-sdk/provider';
import { streamText } from 'ai';
import type { ChatChunk } from '../../src/protocol/chat.ts';
import { openaiError, type RecordedRequest, type ScriptEntry, textChunks } from '../support/upstream.ts';
import { attemptsIn, bounded, providersFor, switchboard, upstream } from './helpers.ts';

const answer = Array.from({ length: 24 }, (_, index) => `word${index + 1}`).join(' ');

/** A provider that continues a prefill: it answers with the rest of `answer` after the assistant turn it was sent. */
function continuePrefill(request: RecordedRequest): ScriptEntry {
  const last = request.body.messages.at(-1);
  assert.equal(last.role, 'assistant', 'the continuation carries the delivered text as an assistant turn');
  assert.ok(answer.startsWith(last.content), 'the prefill is exactly the text delivered');
  return { sse: textChunks(answer.slice(last.content.length), { usage: true }) };
}

async function readAll(stream: ReadableStream<LanguageModelV4StreamPart>): Promise<LanguageModelV4StreamPart[]> {
  const parts: LanguageModelV4StreamPart[] = [];
  for await (const part of stream) parts.push(part);
  return parts;
}

describe('streamText with a Switchboard model', () => {
  it('fails over before the first token, invisibly', bounded, async (t) => {
    const first = await upstream(t, [{ status: 503, json: openaiError('overloaded', 'server_error') }]);
    const second = await upstream(t, [{ sse: textChunks(answer, { usage: true }) }]);
    const sb = switchboard(t, providersFor([first.url, second.url]));
    const result = streamText({ model: sb('llama'), prompt: 'Count' });
    let text = '';
    for await (const delta of result.textStream) text += delta;
    assert.equal(text, answer);
    assert.equal(await result.finishReason, 'stop');
    assert.deepEqual(attemptsIn(await result.providerMetadata), [
      ['first', 'server'],
      ['second', 'ok'],
    ]);
    assert.equal((await result.usage).outputTokens, 24);
    assert.equal(second.requests[0]?.body.stream, true);
    assert.deepEqual(second.requests[0]?.body.stream_options, { include_usage: true });
  });

  it('a stream cut mid-answer is continued on another provider: the text is whole, once', bounded, async (t) => {
    const first = await upstream(t, [{ sse: textChunks(answer, { usage: true }), cutAfter: 9, chunkDelayMs: 2 }]);
    const second = await upstream(t, [continuePrefill]);
    const config = providersFor([first.url, second.url]);
    config.providers!.second!.prefill = true;
    const sb = switchboard(t, config);
    const result = streamText({ model: sb('llama'), prompt: 'Count' });
    const parts: string[] = [];
    let text = '';
    for await (const part of result.fullStream) {
      parts.push(part.type);
      if (part.type === 'text-delta') text += part.text;
    }
    assert.equal(text, answer);
    assert.equal(await result.text, answer);
    assert.equal(await result.finishReason, 'stop');
    assert.ok(!parts.includes('error'), `no error part: ${parts.join(', ')}`);
    const metadata = await result.providerMetadata;
    assert.deepEqual(attemptsIn(metadata), [
      ['first', 'connect'],
      ['second', 'ok'],
    ]);
    const record = metadata?.switchboard as { provider: string; recoveries: number };
    assert.equal(record.provider, 'second');
    assert.equal(record.recoveries, 1);
    assert.equal(first.requests.length, 1);
    assert.equal(second.requests.length, 1);
  });

  it(
    'a continuation that reasons again adds no second reasoning block (the router drops what is not content)',
    bounded,
    async (t) => {
      const [role, ...rest] = textChunks(answer, { usage: true });
      const thinking = { ...role!, choices: [{ index: 0, delta: { reasoning: 'Counting up.' }, finish_reason: null }] };
      const first = await upstream(t, [{ sse: [role!, thinking, ...rest], cutAfter: 8 }]);
      const second = await upstream(t, [
        (request: RecordedRequest): ScriptEntry => {
          const continued = continuePrefill(request) as { sse: object[] };
          const [again, ...words] = continued.sse as ChatChunk[];
          const reasoningAgain = {
            ...again!,
            choices: [{ index: 0, delta: { reasoning: 'Counting on.' }, finish_reason: null }],
          };
          return { sse: [again!, reasoningAgain, ...words] };
        },
      ]);
      const config = providersFor([first.url, second.url]);
      config.providers!.second!.prefill = true;
      const sb = switchboard(t, config);
      const result = streamText({ model: sb('llama'), prompt: 'Count' });
      assert.equal(await result.text, answer);
      assert.equal(await result.reasoningText, 'Counting up.');
      assert.equal(await result.finishReason, 'stop');
      assert.equal(second.requests.length, 1);
    },
  );

  it('a cut nothing can continue ends in an error part and finishReason error, never a clean stop', bounded, async (t) => {
    const only = await upstream(t, [{ sse: textChunks(answer, { usage: true }), cutAfter: 5 }]);
    const sb = switchboard(t, providersFor([only.url]));
    const errors: unknown[] = [];
    const result = streamText({ model: sb('llama'), prompt: 'Count', onError: ({ error }) => void errors.push(error) });
    const parts: string[] = [];
    for await (const part of result.fullStream) parts.push(part.type);
    assert.ok(parts.includes('error'), parts.join(', '));
    assert.equal(await result.finishReason, 'error');
    assert.equal(await result.text, 'word1 word2 word3 word4', 'the words that arrived, and nothing invented');
    assert.equal(errors.length, 1);
    const error = errors[0];
    assert.ok(APICallError.isInstance(error), String(error));
    assert.equal(error.isRetryable, false);
    assert.deepEqual(attemptsIn(await result.providerMetadata), [['first', 'connect']]);
  });
});

describe('the model’s stream parts', () => {
  it('come in the spec’s order: stream-start, response-metadata, one text block, finish with usage', bounded, async (t) => {
    const only = await upstream(t, [{ sse: textChunks('One two three', { usage: true }) }]);
    const sb = switchboard(t, providersFor([only.url]));
    const { stream } = await sb('llama').doStream({
      prompt: [{ role: 'user', content: [{ type: 'text', text: 'hi' }] }],
      topK: 3,
    });
    const parts = await readAll(stream);
    assert.deepEqual(
      parts.map((part) => part.type),
      ['stream-start', 'response-metadata', 'text-start', 'text-delta', 'text-delta', 'text-delta', 'text-end', 'finish'],
    );
    const [start, metadata, , , , , , finish] = parts;
    assert.deepEqual(start, {
      type: 'stream-start',
      warnings: [{ type: 'unsupported', feature: 'topK', details: 'Chat Completions has no top_k; it is not sent' }],
    });
    assert.equal(metadata?.type === 'response-metadata' && metadata.id, 'chatcmpl-emulator');
    assert.ok(finish?.type === 'finish');
    assert.deepEqual(finish.finishReason, { unified: 'stop', raw: 'stop' });
    assert.equal(finish.usage.inputTokens.total, 5);
    assert.equal(finish.usage.outputTokens.total, 3);
  });

  it(
    'reasoning beside the content (reasoning_content / reasoning) comes as a reasoning block before the text',
    bounded,
    async (t) => {
      const [role, ...words] = textChunks('The answer is 4.');
      const reasoningChunk = (delta: Record<string, string>) => ({
        ...role!,
        choices: [{ index: 0, delta, finish_reason: null }],
      });
      const only = await upstream(t, [
        { sse: [role!, reasoningChunk({ reasoning_content: 'Two plus ' }), reasoningChunk({ reasoning: 'two.' }), ...words] },
        { sse: [role!, reasoningChunk({ reasoning: 'Adding.' }), ...words] },
      ]);
      const sb = switchboard(t, providersFor([only.url]));
      const { stream } = await sb('llama').doStream({ prompt: [{ role: 'user', content: [{ type: 'text', text: '2+2?' }] }] });
      const parts = await readAll(stream);
      assert.deepEqual(
        parts.slice(2, 7).map((part) => part.type),
        ['reasoning-start', 'reasoning-delta', 'reasoning-delta', 'reasoning-end', 'text-start'],
      );
      const result = streamText({ model: sb('llama'), prompt: '2+2?' });
      assert.equal(await result.reasoningText, 'Adding.');
      assert.equal(await result.text, 'The answer is 4.');
    },
  );

  it('with includeRawChunks, each canonical chunk comes as a raw part too', bounded, async (t) => {
    const only = await upstream(t, [{ sse: textChunks('One two') }]);
    const sb = switchboard(t, providersFor([only.url]));
    const { stream } = await sb('llama').doStream({
      prompt: [{ role: 'user', content: [{ type: 'text', text: 'hi' }] }],
      includeRawChunks: true,
    });
    const raw = (await readAll(stream)).filter((part) => part.type === 'raw');
    assert.equal(raw.length, 4, 'role, two words, finish');
    assert.equal(
      (raw[1] as { rawValue: { choices: Array<{ delta: { content: string } }> } }).rawValue.choices[0]?.delta.content,
      'One',
    );
  });

  it('a caller abort mid-stream ends the stream and closes the upstream connection', bounded, async (t) => {
    const only = await upstream(t, [{ sse: textChunks(answer), chunkDelayMs: 20 }]);
    const sb = switchboard(t, providersFor([only.url]));
    const controller = new AbortController();
    const result = streamText({ model: sb('llama'), prompt: 'Count', abortSignal: controller.signal });
    let text = '';
    for await (const delta of result.textStream) {
      text += delta;
      if (text.length > 10) controller.abort();
    }
    assert.ok(text.length < answer.length, 'the stream stopped early');
    await only.waitForClose(0, 2000);
    assert.equal(only.requests[0]?.closedEarly, true);
  });

  it('a reader that cancels closes the upstream connection', bounded, async (t) => {
    const only = await upstream(t, [{ sse: textChunks(answer), chunkDelayMs: 20 }]);
    const sb = switchboard(t, providersFor([only.url]));
    const { stream } = await sb('llama').doStream({ prompt: [{ role: 'user', content: [{ type: 'text', text: 'hi' }] }] });
    const reader = stream.getReader();
    await reader.read();
    await reader.cancel();
    await only.waitForClose(0, 2000);
    assert.equal(only.requests[0]?.closedEarly, true);
  });
});
