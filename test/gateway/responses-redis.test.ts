// Responses conversations shared through Redis (state.redis): a turn answered through one gateway
// replica is continued through another, at another provider; while Redis is away, a follow-up gets
// a 503 to retry, never "not found".
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import OpenAI from 'openai';
import { startRedis } from '../support/redis.ts';
import { completion, openaiError } from '../support/upstream.ts';
import { client, gateway, upstream } from './helpers.ts';
import { anthropicMessage, mixedProviders } from './responses-helpers.ts';

const bounded = { timeout: 20_000 };
const overloaded = { status: 503, json: openaiError('overloaded', 'server_error') };

describe('Responses conversations in Redis', () => {
  it('are continued through another replica, at another provider', bounded, async (t) => {
    const redis = await startRedis(t);
    const openai = await upstream(t, [{ json: completion('Oslo is the capital of Norway.') }, overloaded]);
    const anthropic = await upstream(t, [{ json: anthropicMessage('About 700,000 people.') }]);
    const config = { ...mixedProviders(openai.url, anthropic.url), state: { redis: redis.url, prefix: `test${process.pid}` } };
    const first = await gateway(t, config);
    const second = await gateway(t, config);
    const turn1 = await client(first).responses.create({ model: 'llama', input: 'Capital of Norway?' });
    const turn2 = await client(second).responses.create({
      model: 'llama',
      previous_response_id: turn1.id,
      input: 'How many live there?',
    });
    assert.equal(turn2.output_text, 'About 700,000 people.');
    assert.deepEqual(anthropic.requests[0]?.body.messages, [
      { role: 'user', content: 'Capital of Norway?' },
      { role: 'assistant', content: 'Oslo is the capital of Norway.' },
      { role: 'user', content: 'How many live there?' },
    ]);
    assert.equal((await client(first).responses.retrieve(turn2.id)).output_text, 'About 700,000 people.');
  });

  it('answer 503 while Redis is away, and no provider is called', bounded, async (t) => {
    const redis = await startRedis(t);
    const openai = await upstream(t, [{ json: completion('Stored in Redis.') }]);
    const anthropic = await upstream(t);
    const config = { ...mixedProviders(openai.url, anthropic.url), state: { redis: redis.url } };
    const switchboard = await gateway(t, config);
    const sdk = client(switchboard);
    const created = await sdk.responses.create({ model: 'llama', input: 'Keep it' });
    await redis.stop();
    const error = await sdk.responses
      .create({ model: 'llama', previous_response_id: created.id, input: 'And?' })
      .catch((thrown: unknown) => thrown);
    assert.ok(error instanceof OpenAI.APIError);
    assert.equal(error.status, 503);
    assert.equal(error.code, 'store_unavailable');
    assert.doesNotMatch(error.message, /redis:\/\//);
    assert.equal(openai.requests.length, 1);
    assert.equal(anthropic.requests.length, 0);
    // A new conversation needs nothing stored: it is answered, and only its saving fails (logged).
    openai.script.push({ json: completion('Answered without Redis.') });
    const fresh = await sdk.responses.create({ model: 'llama', input: 'New topic' });
    assert.equal(fresh.output_text, 'Answered without Redis.');
  });
});
