import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { createOpenAICompatible } from '@ai-sdk/openai-compatible';
import { generateText, streamText } from 'ai';
import type { Gateway } from '../../src/gateway/server.ts';
import { completion, openaiError, textChunks } from '../support/upstream.ts';
import { gateway, providersFor, upstream } from './helpers.ts';

const bounded = { timeout: 5000 };

function model(switchboard: Gateway) {
  return createOpenAICompatible({ name: 'switchboard', baseURL: `${switchboard.url}/v1`, apiKey: 'unused' })('llama');
}

describe('the gateway with the Vercel AI SDK', () => {
  it('does generateText, failing over behind the scenes', bounded, async (t) => {
    const first = await upstream(t, [{ status: 500, json: openaiError('boom', 'server_error') }, 'reset']);
    const second = await upstream(t, [{ json: completion('Hello from the AI SDK') }]);
    const switchboard = await gateway(t, providersFor([first.url, second.url]));
    const result = await generateText({ model: model(switchboard), prompt: 'Say hello', maxRetries: 0 });
    assert.equal(result.text, 'Hello from the AI SDK');
    assert.equal(result.finishReason, 'stop');
    assert.equal(result.response.headers?.['x-switchboard-provider'], 'second');
    assert.equal(second.requests[0]?.body.messages[0]?.content, 'Say hello');
  });

  it('does streamText', bounded, async (t) => {
    const first = await upstream(t, [{ sse: textChunks('Streaming through the gateway'), chunkDelayMs: 2 }]);
    const switchboard = await gateway(t, providersFor([first.url]));
    const result = streamText({ model: model(switchboard), prompt: 'Stream please', maxRetries: 0 });
    let text = '';
    for await (const delta of result.textStream) text += delta;
    assert.equal(text, 'Streaming through the gateway');
    assert.equal(await result.finishReason, 'stop');
    assert.equal(first.requests[0]?.body.stream, true);
  });
});
