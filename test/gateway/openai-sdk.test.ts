import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { APIError } from 'openai';
import { completion, openaiError, refusingUrl, textChunks } from '../support/upstream.ts';
import { client, gateway, hello, post, providersFor, upstream } from './helpers.ts';

const bounded = { timeout: 5000 };

describe('the gateway with the official openai SDK', () => {
  it('answers a completion with the provider, attempts and latency in headers', bounded, async (t) => {
    const first = await upstream(t, [{ json: completion('Hi there!') }]);
    const switchboard = await gateway(t, providersFor([first.url]));
    const { data, response } = await client(switchboard)
      .chat.completions.create({ model: 'llama', messages: [{ role: 'user', content: 'Say hi' }] })
      .withResponse();
    assert.equal(data.choices[0]?.message.content, 'Hi there!');
    assert.equal(data.model, 'gpt-4o-mini', 'the model that answered, as the upstream names it');
    assert.equal(response.headers.get('x-switchboard-model'), 'llama', 'the generic name asked for');
    assert.equal(response.headers.get('x-switchboard-provider'), 'first');
    assert.equal(response.headers.get('x-switchboard-attempts'), '1');
    assert.match(response.headers.get('x-switchboard-latency-ms') ?? '', /^\d+(\.\d)?$/);
    assert.equal(first.requests[0]?.body.model, 'llama-0');
    assert.equal(first.requests[0]?.headers.authorization, 'Bearer sk-upstream-0-secret');
  });

  it('streams chunk by chunk and ends with [DONE]', bounded, async (t) => {
    const first = await upstream(t, [{ sse: textChunks('One two three', { usage: true }) }]);
    const switchboard = await gateway(t, providersFor([first.url]));
    const { data: stream, response } = await client(switchboard)
      .chat.completions.create({
        ...hello,
        messages: [{ role: 'user', content: 'Count' }],
        stream: true,
        stream_options: { include_usage: true },
      })
      .withResponse();
    assert.equal(response.headers.get('content-type'), 'text/event-stream; charset=utf-8');
    assert.equal(response.headers.get('x-switchboard-provider'), 'first');
    let text = '';
    let finish: string | null = null;
    let usage: unknown;
    for await (const chunk of stream) {
      text += chunk.choices[0]?.delta.content ?? '';
      finish = chunk.choices[0]?.finish_reason ?? finish;
      usage = chunk.usage ?? usage;
    }
    assert.equal(text, 'One two three');
    assert.equal(finish, 'stop');
    assert.deepEqual(usage, { prompt_tokens: 5, completion_tokens: 3, total_tokens: 8 });
    assert.equal(first.requests[0]?.body.stream, true);
  });

  it('gives a proper APIError for a request the upstream refuses as bad', bounded, async (t) => {
    const first = await upstream(t, [
      {
        status: 400,
        json: openaiError("Invalid value for 'tool_choice'.", 'invalid_request_error', 'invalid_value', 'tool_choice'),
      },
    ]);
    const second = await upstream(t);
    const switchboard = await gateway(t, providersFor([first.url, second.url]));
    const error = await client(switchboard)
      .chat.completions.create({ ...hello, tool_choice: 'auto' })
      .then(
        () => assert.fail('expected an error'),
        (thrown: unknown) => thrown,
      );
    assert.ok(error instanceof APIError);
    assert.equal(error.status, 400);
    assert.equal(error.code, 'invalid_value');
    assert.equal(error.param, 'tool_choice');
    assert.match(error.message, /Invalid value for 'tool_choice'/);
    assert.equal(error.headers?.get('x-switchboard-attempts'), '1');
    assert.equal(second.requests.length, 0, 'a bad request is not failed over');
  });

  it('gives an APIError with status and code for a bad request it rejects itself', bounded, async (t) => {
    const first = await upstream(t);
    const switchboard = await gateway(t, providersFor([first.url]));
    const error = await client(switchboard)
      .chat.completions.create({ ...hello, model: 'gpt-nothing' })
      .then(
        () => assert.fail('expected an error'),
        (thrown: unknown) => thrown,
      );
    assert.ok(error instanceof APIError);
    assert.equal(error.status, 404);
    assert.equal(error.code, 'model_not_found');
    assert.match(error.message, /known models: llama/);
    assert.equal(first.requests.length, 0);
  });

  it('fails over a 503 without the client noticing', bounded, async (t) => {
    const first = await upstream(t, [{ status: 503, json: openaiError('overloaded', 'server_error') }]);
    const second = await upstream(t, [{ json: completion('from the second') }]);
    const switchboard = await gateway(t, providersFor([first.url, second.url]));
    const { data, response } = await client(switchboard).chat.completions.create(hello).withResponse();
    assert.equal(data.choices[0]?.message.content, 'from the second');
    assert.equal(response.headers.get('x-switchboard-provider'), 'second');
    assert.equal(response.headers.get('x-switchboard-attempts'), '2');
    assert.equal(first.requests.length, 1);
  });

  it('fails over a refused connection, streaming too', bounded, async (t) => {
    const second = await upstream(t, [{ sse: textChunks('still here') }]);
    const switchboard = await gateway(t, providersFor([await refusingUrl(), second.url]));
    const { data: stream, response } = await client(switchboard)
      .chat.completions.create({ ...hello, stream: true })
      .withResponse();
    let text = '';
    for await (const chunk of stream) text += chunk.choices[0]?.delta.content ?? '';
    assert.equal(text, 'still here');
    assert.equal(response.headers.get('x-switchboard-provider'), 'second');
    assert.equal(response.headers.get('x-switchboard-attempts'), '2');
  });

  it('answers a stream that fails before it starts with a JSON error and its status', bounded, async (t) => {
    const first = await upstream(t, [{ status: 503, json: openaiError('overloaded', 'server_error') }]);
    const switchboard = await gateway(t, providersFor([first.url]));
    const response = await post(switchboard, { ...hello, stream: true });
    assert.equal(response.status, 503);
    assert.match(response.headers.get('content-type') ?? '', /^application\/json/);
    assert.equal(response.headers.get('x-switchboard-attempts'), '1');
    const body = (await response.json()) as { error: { code: string; message: string } };
    assert.equal(body.error.code, 'all_providers_failed');
    assert.match(body.error.message, /first/);
  });

  it('passes Retry-After on when every provider is rate-limited', bounded, async (t) => {
    const limited = { status: 429, headers: { 'retry-after': '30' }, json: openaiError('slow down', 'rate_limit_error') };
    const first = await upstream(t, [limited]);
    // A deadline shorter than the wait, so the router answers instead of waiting the 30 s out.
    const switchboard = await gateway(t, providersFor([first.url], { routing: { timeouts: { totalMs: 2000 } } }));
    const response = await post(switchboard, hello);
    assert.equal(response.status, 429);
    const seconds = Number(response.headers.get('retry-after'));
    assert.ok(seconds >= 29 && seconds <= 30, `retry-after ${seconds}`);
  });

  it('takes the strategy from x-switchboard-strategy and refuses an unknown one', bounded, async (t) => {
    const first = await upstream(t);
    const switchboard = await gateway(t, providersFor([first.url]));
    const ok = await post(switchboard, hello, { 'x-switchboard-strategy': 'fastest' });
    assert.equal(ok.status, 200);
    const refused = await post(switchboard, hello, { 'x-switchboard-strategy': 'luckiest' });
    assert.equal(refused.status, 400);
    const body = (await refused.json()) as { error: { code: string; message: string } };
    assert.equal(body.error.code, 'unknown_strategy');
    assert.match(body.error.message, /priority/);
    assert.equal(first.requests.length, 1);
  });
});
