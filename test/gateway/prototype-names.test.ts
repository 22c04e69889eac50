// Names that come from outside (a header, a model name, an upstream's error type, a config key)
// and happen to be Object.prototype's own (`toString`, `constructor`, `__proto__`, …) are names
// like any other: unknown unless configured, never a function found by accident.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { ConfigError, parseConfig } from '../../src/config/schema.ts';
import { createRouter } from '../../src/router/router.ts';
import { completion } from '../support/upstream.ts';
import { gateway, hello, post, providersFor, upstream } from './helpers.ts';

const prototypeNames = ['toString', '__proto__', 'valueOf', 'hasOwnProperty', 'constructor', 'isPrototypeOf'];

interface ErrorBody {
  error: { message: string; type: string; code: string | null; param: string | null };
}

describe('names that are Object.prototype keys', () => {
  for (const stream of [false, true]) {
    it(`x-switchboard-strategy: toString, __proto__, constructor… is a 400 "unknown strategy"${stream ? ' (stream)' : ''}, with no upstream call`, async (t) => {
      const first = await upstream(t);
      const switchboard = await gateway(t, providersFor([first.url]));
      for (const name of prototypeNames) {
        const response = await post(switchboard, { ...hello, stream }, { 'x-switchboard-strategy': name });
        assert.equal(response.status, 400, name);
        const body = (await response.json()) as ErrorBody;
        assert.equal(body.error.type, 'invalid_request_error', name);
        assert.equal(body.error.code, 'unknown_strategy', name);
        assert.match(body.error.message, new RegExp(`unknown strategy "${name}"`));
      }
      assert.equal(first.requests.length, 0, 'no upstream request');
      // A real strategy name still works.
      assert.equal((await post(switchboard, hello, { 'x-switchboard-strategy': 'cheapest' })).status, 200);
    });
  }

  it('routing.strategy: constructor in a config is refused when the router is built', () => {
    for (const name of prototypeNames) {
      assert.throws(
        () =>
          createRouter({
            providers: { a: { baseUrl: 'http://127.0.0.1:9/v1', models: { m: 'm' } } },
            routing: { strategy: name },
          }),
        /unknown routing\.strategy/,
        name,
      );
    }
  });

  it('a served model named like a prototype key routes normally: no fallbacks, no pricing are found by accident', async (t) => {
    const first = await upstream(t, [], { json: completion('served') });
    const models = Object.fromEntries(['constructor', 'toString', 'valueOf'].map((name) => [name, `upstream-${name}`]));
    const switchboard = await gateway(t, { providers: { first: { baseUrl: first.url, models } } });
    for (const model of Object.keys(models)) {
      for (const strategy of ['priority', 'cheapest']) {
        const response = await post(switchboard, { ...hello, model }, { 'x-switchboard-strategy': strategy });
        assert.equal(response.status, 200, `${model} with ${strategy}: ${await response.clone().text()}`);
        const body = (await response.json()) as { choices: Array<{ message: { content: string } }> };
        assert.equal(body.choices[0]!.message.content, 'served');
      }
    }
    assert.deepEqual(
      first.requests.map((request) => request.body.model),
      Object.values(models).flatMap((model) => [model, model]),
    );
  });

  it('a model name like a prototype key that is not served is a 404, with no upstream call', async (t) => {
    const first = await upstream(t);
    const switchboard = await gateway(t, providersFor([first.url]));
    for (const model of prototypeNames) {
      const response = await post(switchboard, { ...hello, model });
      assert.equal(response.status, 404, model);
      assert.equal(((await response.json()) as ErrorBody).error.code, 'model_not_found');
    }
    assert.equal(first.requests.length, 0);
  });

  it('pricing for a model named toString that is not in models is a config error', () => {
    assert.throws(
      () =>
        parseConfig({
          providers: {
            a: { baseUrl: 'http://127.0.0.1:9/v1', models: { m: 'm' }, pricing: { toString: { input: 1, output: 1 } } },
          },
        }),
      (error: unknown) =>
        error instanceof ConfigError && /priced model "toString" is not in models/.test(error.problems.join('\n')),
    );
  });

  it('an Anthropic stream error whose type is "constructor" is an upstream failure (502) that fails over', async (t) => {
    const event = { type: 'error', error: { type: 'constructor', message: 'odd upstream' } };
    const first = await upstream(t, [{ sse: [`event: error\ndata: ${JSON.stringify(event)}\n\n`], done: false }]);
    const switchboard = await gateway(t, {
      providers: { first: { protocol: 'anthropic', baseUrl: first.url, apiKey: 'sk-ant-test', models: { llama: 'claude' } } },
      routing: { retryDelayMs: 1 },
    });
    const response = await post(switchboard, { ...hello, stream: true });
    // Failed as a 502 from the provider (which fails over), not a status worked out from Object.prototype.
    assert.equal(response.status, 503);
    const body = (await response.json()) as ErrorBody;
    assert.equal(body.error.code, 'all_providers_failed');
    assert.match(body.error.message, /first \(502: first: odd upstream\)/);
  });

  it('/v1/messages: an upstream finish_reason of "constructor" (or any outside OpenAI\'s list) ends as end_turn', async (t) => {
    const first = await upstream(t, [
      { json: completion('done', { finishReason: 'constructor' }) },
      { json: completion('done', { finishReason: 'eos' }) },
    ]);
    const switchboard = await gateway(t, providersFor([first.url]));
    for (let index = 0; index < 2; index++) {
      const response = await fetch(`${switchboard.url}/v1/messages`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ model: 'llama', max_tokens: 10, messages: [{ role: 'user', content: 'hi' }] }),
        signal: AbortSignal.timeout(5000),
      });
      assert.equal(response.status, 200);
      const body = (await response.json()) as { stop_reason: unknown };
      assert.equal(body.stop_reason, 'end_turn');
    }
  });
});
