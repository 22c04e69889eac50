// generateText through `switchboard/ai-sdk`: failover per call, the settings each call sends,
// warnings for what cannot be sent, and router errors as the AI SDK's APICallError.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { APICallError, NoSuchModelError } from '@ai-sdk/provider';
import { generateText } from 'ai';
import { createSwitchboard } from '../../src/ai-sdk/index.ts';
import { createRouter } from '../../src/router/router.ts';
import { completion, openaiError } from '../support/upstream.ts';
import { attemptsIn, bounded, providersFor, switchboard, upstream } from './helpers.ts';

const overloaded = { status: 503, json: openaiError('overloaded', 'server_error') };

describe('generateText with a Switchboard model', () => {
  it('fails over from a 503 to the next provider and lists both in providerMetadata', bounded, async (t) => {
    const first = await upstream(t, [overloaded]);
    const second = await upstream(t, [{ json: completion('Hello from the second provider') }]);
    const sb = switchboard(t, providersFor([first.url, second.url]));
    const result = await generateText({ model: sb('llama'), prompt: 'Say hello' });
    assert.equal(result.text, 'Hello from the second provider');
    assert.equal(result.finishReason, 'stop');
    assert.deepEqual(attemptsIn(result.providerMetadata), [
      ['first', 'server'],
      ['second', 'ok'],
    ]);
    const record = result.providerMetadata?.switchboard as { provider: string; model: string };
    assert.equal(record.provider, 'second');
    assert.equal(record.model, 'llama');
    assert.equal(result.usage.inputTokens, 5);
    assert.equal(result.usage.outputTokens, 5);
    assert.equal(second.requests[0]?.body.model, 'llama-1', 'the provider gets its own model name');
    assert.deepEqual(second.requests[0]?.body.messages, [{ role: 'user', content: 'Say hello' }]);
  });

  it('fails over per call: the next call starts from the first provider again', bounded, async (t) => {
    const first = await upstream(t, [overloaded, { json: completion('first is back') }]);
    const second = await upstream(t, [{ json: completion('second helps out') }]);
    const sb = switchboard(t, providersFor([first.url, second.url]));
    const model = sb('llama');
    const one = await generateText({ model, prompt: 'one' });
    const two = await generateText({ model, prompt: 'two' });
    assert.equal(one.text, 'second helps out');
    assert.equal(two.text, 'first is back');
    assert.deepEqual(attemptsIn(two.providerMetadata), [['first', 'ok']]);
  });

  it('sends the call settings and prompt parts as Chat Completions fields', bounded, async (t) => {
    const only = await upstream(t, [{ json: completion('ok') }]);
    const sb = switchboard(t, providersFor([only.url]));
    const pixel = new Uint8Array([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a, 0, 0, 0, 13]);
    const result = await generateText({
      model: sb('llama'),
      system: 'You are terse.',
      messages: [
        {
          role: 'user',
          content: [
            { type: 'text', text: 'What is in these?' },
            { type: 'image', image: new URL('https://example.com/cat.png') },
            { type: 'image', image: pixel, mediaType: 'image/png' },
          ],
        },
      ],
      maxOutputTokens: 64,
      temperature: 0.2,
      topP: 0.9,
      topK: 40,
      stopSequences: ['END'],
      seed: 7,
      presencePenalty: 0.1,
      frequencyPenalty: 0.3,
      headers: { 'x-trace': 'abc' },
    });
    const body = only.requests[0]?.body;
    assert.equal(body.max_tokens, 64);
    assert.equal(body.temperature, 0.2);
    assert.equal(body.top_p, 0.9);
    assert.deepEqual(body.stop, ['END']);
    assert.equal(body.seed, 7);
    assert.equal(body.presence_penalty, 0.1);
    assert.equal(body.frequency_penalty, 0.3);
    assert.equal(body.top_k, undefined, 'top_k is not sent: OpenAI would refuse it');
    assert.equal(body.stream, undefined);
    assert.deepEqual(body.messages, [
      { role: 'system', content: 'You are terse.' },
      {
        role: 'user',
        content: [
          { type: 'text', text: 'What is in these?' },
          { type: 'image_url', image_url: { url: 'https://example.com/cat.png' } },
          { type: 'image_url', image_url: { url: `data:image/png;base64,${Buffer.from(pixel).toString('base64')}` } },
        ],
      },
    ]);
    assert.deepEqual(
      result.warnings?.map((warning) => ('feature' in warning ? warning.feature : warning.type)),
      ['topK', 'headers'],
    );
  });

  it('takes a routing strategy per call from providerOptions.switchboard, and prices the answer', bounded, async (t) => {
    const pricey = await upstream(t, [{ json: completion('from the pricey one') }]);
    const cheap = await upstream(t, [{ json: completion('from the cheap one') }]);
    const config = providersFor([pricey.url, cheap.url]);
    config.providers!.first!.pricing = { llama: { input: 5, output: 15 } };
    config.providers!.second!.pricing = { llama: { input: 0.05, output: 0.08 } };
    const sb = switchboard(t, config);
    const result = await generateText({
      model: sb('llama'),
      prompt: 'hi',
      providerOptions: { switchboard: { strategy: 'cheapest' } },
    });
    assert.equal(result.text, 'from the cheap one');
    assert.equal(pricey.requests.length, 0);
    const record = result.providerMetadata?.switchboard as { costUsd: number };
    assert.ok(record.costUsd > 0 && record.costUsd < 0.001, `costUsd ${record.costUsd}`);
  });

  it("returns a provider's reasoning_content as reasoning, apart from the text", bounded, async (t) => {
    const answer = completion('4');
    Object.assign(answer.choices[0]!.message, { reasoning_content: 'Two plus two.' });
    const only = await upstream(t, [{ json: answer }]);
    const sb = switchboard(t, providersFor([only.url]));
    const result = await generateText({ model: sb('llama'), prompt: '2+2?' });
    assert.equal(result.text, '4');
    assert.equal(result.reasoningText, 'Two plus two.');
  });

  it('takes a router made elsewhere, and leaves it open on close()', bounded, async (t) => {
    const only = await upstream(t, [{ json: completion('one') }, { json: completion('two') }]);
    const router = createRouter(providersFor([only.url]));
    t.after(() => router.close());
    const sb = createSwitchboard(router);
    assert.equal(sb.router, router);
    assert.equal((await generateText({ model: sb('llama'), prompt: 'hi' })).text, 'one');
    await sb.close();
    assert.equal(
      (await router.complete({ model: 'llama', messages: [{ role: 'user', content: 'hi' }] })).response.choices[0]?.message
        .content,
      'two',
    );
  });

  it('throws NoSuchModelError for a model no provider serves', (t) => {
    const sb = switchboard(t, providersFor(['http://127.0.0.1:9/v1']));
    assert.throws(
      () => sb('gpt-9'),
      (error) => NoSuchModelError.isInstance(error) && /chat models: llama/.test(error.message),
    );
  });
});

describe('router errors in the AI SDK', () => {
  it('every provider down: an APICallError listing the attempts, not retried by the AI SDK', bounded, async (t) => {
    const first = await upstream(t, [], overloaded);
    const second = await upstream(t, [], overloaded);
    const sb = switchboard(t, providersFor([first.url, second.url]));
    const error = await generateText({ model: sb('llama'), prompt: 'hi' }).then(
      () => assert.fail('expected an error'),
      (thrown: unknown) => thrown,
    );
    assert.ok(APICallError.isInstance(error), String(error));
    assert.equal(error.statusCode, 503);
    assert.equal(error.isRetryable, false, 'the router already retried and failed over');
    assert.match(error.message, /every provider failed/);
    assert.doesNotMatch(String(error.responseBody), /sk-upstream/);
    assert.deepEqual(
      (error.data as { attempts: Array<{ provider: string }> }).attempts.map((attempt) => attempt.provider),
      ['first', 'second'],
    );
    // No second round from the AI SDK's default maxRetries: 2.
    assert.equal(first.requests.length, 1);
    assert.equal(second.requests.length, 1);
  });

  it('a request the provider refuses (400) is returned at once, without failover or retry', bounded, async (t) => {
    const first = await upstream(t, [
      { status: 400, json: openaiError('temperature must be at most 2', 'invalid_request_error', null, 'temperature') },
    ]);
    const second = await upstream(t, [{ json: completion('unused') }]);
    const sb = switchboard(t, providersFor([first.url, second.url]));
    await assert.rejects(generateText({ model: sb('llama'), prompt: 'hi', temperature: 3 }), (error) => {
      assert.ok(APICallError.isInstance(error));
      assert.equal(error.statusCode, 400);
      assert.equal(error.isRetryable, false);
      return true;
    });
    assert.equal(second.requests.length, 0);
  });

  it(
    'rate-limited everywhere past the deadline: retryable, and the AI SDK waits the reset the router names',
    bounded,
    async (t) => {
      const limited = { status: 429, headers: { 'retry-after': '1' }, json: openaiError('slow down', 'rate_limit_error') };
      const first = await upstream(t, [limited, { json: completion('after the reset') }]);
      const sb = switchboard(t, providersFor([first.url], { timeouts: { totalMs: 400 } }));
      const started = performance.now();
      const result = await generateText({ model: sb('llama'), prompt: 'hi', maxRetries: 1 });
      const elapsedMs = performance.now() - started;
      assert.equal(result.text, 'after the reset');
      assert.equal(first.requests.length, 2);
      assert.ok(elapsedMs >= 900, `the retry waited for the reset (${Math.round(elapsedMs)} ms)`);
    },
  );

  it('a caller abort rejects with the AbortError it gave', bounded, async (t) => {
    const hanging = await upstream(t, ['hang']);
    const sb = switchboard(t, providersFor([hanging.url]));
    const controller = new AbortController();
    setTimeout(() => controller.abort(), 50);
    await assert.rejects(generateText({ model: sb('llama'), prompt: 'hi', abortSignal: controller.signal }), {
      name: 'AbortError',
    });
    await hanging.waitForClose(0);
  });
});
