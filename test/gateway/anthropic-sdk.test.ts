// POST /v1/messages: the Anthropic SDK served by OpenAI-compatible upstreams through the gateway.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import Anthropic from '@anthropic-ai/sdk';
import type { Gateway } from '../../src/gateway/server.ts';
import { completion, openaiError, textChunks } from '../support/upstream.ts';
import { events, gateway, providersFor, upstream } from './helpers.ts';

const bounded = { timeout: 5000 };
const question = [{ role: 'user' as const, content: 'Say hi' }];

function anthropic(switchboard: Gateway, apiKey = 'unused'): Anthropic {
  return new Anthropic({ baseURL: switchboard.url, apiKey, maxRetries: 0, timeout: 5000 });
}

describe('the gateway with the Anthropic SDK', () => {
  it('answers a message, failing over behind the scenes', bounded, async (t) => {
    const first = await upstream(t, [{ status: 503, json: openaiError('overloaded', 'server_error') }]);
    const second = await upstream(t, [{ json: completion('Hi from OpenAI-compatible') }]);
    const switchboard = await gateway(t, providersFor([first.url, second.url]));
    const { data, response } = await anthropic(switchboard)
      .messages.create({ model: 'llama', max_tokens: 64, system: 'Be brief.', messages: question })
      .withResponse();
    assert.equal(data.type, 'message');
    assert.equal(data.model, 'llama');
    assert.deepEqual(data.content, [{ type: 'text', text: 'Hi from OpenAI-compatible' }]);
    assert.equal(data.stop_reason, 'end_turn');
    assert.equal(response.headers.get('x-switchboard-provider'), 'second');
    assert.equal(response.headers.get('x-switchboard-attempts'), '2');
    const sent = second.requests[0]?.body;
    assert.deepEqual(sent.messages, [
      { role: 'system', content: 'Be brief.' },
      { role: 'user', content: 'Say hi' },
    ]);
    assert.equal(sent.max_tokens, 64);
  });

  it('streams Anthropic events and a final message', bounded, async (t) => {
    const first = await upstream(t, [{ sse: textChunks('Streamed through', { usage: true }) }]);
    const switchboard = await gateway(t, providersFor([first.url]));
    const stream = anthropic(switchboard).messages.stream({ model: 'llama', max_tokens: 64, messages: question });
    let text = '';
    stream.on('text', (delta) => {
      text += delta;
    });
    const final = await stream.finalMessage();
    assert.equal(text, 'Streamed through');
    assert.deepEqual(final.content, [{ type: 'text', text: 'Streamed through' }]);
    assert.equal(final.usage.output_tokens, 2);
    assert.deepEqual(first.requests[0]?.body.stream_options, { include_usage: true });
  });

  it('ends a stream cut mid-way with an Anthropic error event', bounded, async (t) => {
    const first = await upstream(t, [{ sse: textChunks('one two three'), cutAfter: 2 }]);
    const switchboard = await gateway(t, providersFor([first.url], { routing: { streamRecovery: false } }));
    const response = await fetch(`${switchboard.url}/v1/messages`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ model: 'llama', max_tokens: 64, messages: question, stream: true }),
    });
    const text = await response.text();
    assert.match(text, /^event: message_start\n/);
    assert.ok(!text.includes('message_stop'), 'a truncated stream is never presented as complete');
    const last = JSON.parse(events(text.replace(/^event: .*\n/gm, '')).at(-1)!) as { type: string; error: { type: string } };
    assert.equal(last.type, 'error');
  });

  it('answers bad input with an Anthropic error body and no upstream request', bounded, async (t) => {
    const first = await upstream(t);
    const switchboard = await gateway(t, providersFor([first.url]));
    const error = await anthropic(switchboard)
      .messages.create({ model: 'llama', messages: question } as never)
      .catch((thrown: unknown) => thrown);
    assert.ok(error instanceof Anthropic.APIError);
    assert.equal(error.status, 400);
    assert.equal((error.error as { type: string; error: { type: string } }).error.type, 'invalid_request_error');
    assert.match(error.message, /max_tokens/);
    const unknown = await anthropic(switchboard)
      .messages.create({ model: 'claude-9', max_tokens: 8, messages: question })
      .catch((thrown: unknown) => thrown);
    assert.ok(unknown instanceof Anthropic.NotFoundError);
    assert.equal(first.requests.length, 0);
  });

  it('takes the key from x-api-key, as the Anthropic SDK sends it', bounded, async (t) => {
    const first = await upstream(t);
    const switchboard = await gateway(t, providersFor([first.url], { server: { apiKeys: ['sb-key'] } }), { host: '127.0.0.1' });
    const refused = await anthropic(switchboard, 'wrong')
      .messages.create({ model: 'llama', max_tokens: 8, messages: question })
      .catch((thrown: unknown) => thrown);
    assert.ok(refused instanceof Anthropic.AuthenticationError);
    assert.equal((refused.error as { error: { type: string } }).error.type, 'authentication_error');
    const answer = await anthropic(switchboard, 'sb-key').messages.create({ model: 'llama', max_tokens: 8, messages: question });
    assert.equal(answer.content[0]?.type, 'text');
    assert.equal(first.requests.length, 1);
  });
});
