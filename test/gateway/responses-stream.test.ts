// Streams on /v1/responses that break mid-answer: recovered on another provider (the whole answer,
// once, then response.completed), or ended with response.failed and never response.completed.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { textChunks } from '../support/upstream.ts';
import { client, gateway, upstream } from './helpers.ts';
import { anthropicStream, mixedProviders, postResponses, typedEvents } from './responses-helpers.ts';

const bounded = { timeout: 10_000 };

describe('a /v1/responses stream cut mid-answer', () => {
  it('is recovered on the Anthropic-format provider: the whole answer once, then response.completed', bounded, async (t) => {
    // The OpenAI-format provider sends "The quick" and drops the connection; the other one is asked
    // again from the start and its answer begins with the delivered text, which is skipped.
    const openai = await upstream(t, [{ sse: textChunks('The quick brown fox jumps'), cutAfter: 3 }]);
    const anthropic = await upstream(t, [{ sse: anthropicStream('The quick brown fox jumps'), done: false }]);
    const switchboard = await gateway(t, mixedProviders(openai.url, anthropic.url));
    const response = await postResponses(switchboard.url, { model: 'llama', input: 'A pangram, please', stream: true });
    assert.equal(response.status, 200);
    const events = typedEvents(await response.text());
    const types = events.map((event) => event.event);
    assert.deepEqual(
      events.map((event) => event.data.type),
      types,
    );
    const text = events
      .filter((event) => event.event === 'response.output_text.delta')
      .map((event) => event.data.delta)
      .join('');
    assert.equal(text, 'The quick brown fox jumps');
    assert.equal(types.at(-1), 'response.completed');
    assert.ok(!types.includes('response.failed'));
    const done = events.find((event) => event.event === 'response.output_text.done');
    assert.equal(done?.data.text, 'The quick brown fox jumps');
    assert.equal(events.at(-1)?.data.response.output[0].content[0].text, 'The quick brown fox jumps');
    assert.equal(response.headers.get('x-switchboard-provider'), 'openai');
    assert.equal(anthropic.requests.length, 1);
  });

  it('ends with response.failed, never response.completed, when nothing can continue it', bounded, async (t) => {
    const openai = await upstream(t, [{ sse: textChunks('The quick brown fox jumps'), cutAfter: 3 }]);
    const anthropic = await upstream(t);
    const config = mixedProviders(openai.url, anthropic.url, { routing: { streamRecovery: false } });
    const switchboard = await gateway(t, config);
    const response = await postResponses(switchboard.url, { model: 'llama', input: 'A pangram, please', stream: true });
    const events = typedEvents(await response.text());
    const types = events.map((event) => event.event);
    assert.ok(!types.includes('response.completed'), 'a broken stream is never presented as complete');
    assert.ok(!types.includes('response.output_text.done'));
    assert.equal(types.at(-1), 'response.failed');
    const failed = events.at(-1)?.data.response;
    assert.equal(failed.status, 'failed');
    assert.equal(typeof failed.error.message, 'string');
    assert.equal(typeof failed.error.code, 'string');
    assert.equal(failed.output[0].status, 'incomplete');
    assert.equal(failed.output[0].content[0].text, 'The quick');
    assert.deepEqual(
      events.map((event) => event.data.sequence_number),
      events.map((_, index) => index),
    );
    assert.equal(anthropic.requests.length, 0);
  });

  it('reaches the openai SDK as response.failed, and the stream helper ends with a failed response', bounded, async (t) => {
    const openai = await upstream(t, [
      { sse: textChunks('One two three four'), cutAfter: 2 },
      { sse: textChunks('One two three four'), cutAfter: 2 },
    ]);
    const anthropic = await upstream(t);
    const switchboard = await gateway(t, mixedProviders(openai.url, anthropic.url, { routing: { streamRecovery: false } }));
    const sdk = client(switchboard);
    const stream = await sdk.responses.create({ model: 'llama', input: 'Count', stream: true });
    const types: string[] = [];
    for await (const event of stream) types.push(event.type);
    assert.equal(types.at(-1), 'response.failed');
    assert.ok(!types.includes('response.completed'));
    const helper = sdk.responses.stream({ model: 'llama', input: 'Count' });
    let completed = false;
    helper.on('response.completed', () => {
      completed = true;
    });
    const final = await helper.finalResponse();
    assert.equal(final.status, 'failed');
    assert.equal(final.output_text, 'One');
    assert.match(final.error?.message ?? '', /openai/);
    assert.equal(completed, false);
  });
});
