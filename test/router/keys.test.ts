// Several keys for one provider: each key × model is a deployment; traffic spreads by weight,
// skipping keys that are rate-limited or tripped; a rejected key takes out only its own deployments.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { ChatRequest } from '../../src/protocol/chat.ts';
import { createRouter } from '../../src/router/router.ts';
import { completion, openaiError, type RecordedRequest } from '../support/upstream.ts';
import { upstream } from './helpers.ts';

const ask = (model: string): ChatRequest => ({ model, messages: [{ role: 'user', content: 'hi' }] });
const keyOf = (request: RecordedRequest) => String(request.headers.authorization).replace('Bearer ', '');

describe('several keys per provider', () => {
  it('spreads traffic by weight, and skips a rate-limited key without a failed attempt after the first', async () => {
    let limited = false;
    const server = await upstream([], (request) =>
      limited && keyOf(request) === 'sk-heavy-1111'
        ? {
            status: 429,
            headers: { 'retry-after': '30' },
            json: openaiError('Rate limit reached', 'requests', 'rate_limit_exceeded'),
          }
        : { json: completion('ok') },
    );
    const router = createRouter({
      providers: {
        p: {
          baseUrl: server.url,
          models: { m: 'p-m' },
          keys: [
            { key: 'sk-heavy-1111', weight: 3 },
            { key: 'sk-light-2222', weight: 1 },
          ],
        },
      },
    });
    try {
      for (let index = 0; index < 400; index++) await router.complete(ask('m'));
      const heavy = server.requests.filter((request) => keyOf(request) === 'sk-heavy-1111').length;
      // Binomial(400, 0.75): mean 300, sd 8.7; ±40 is more than four sd.
      assert.ok(heavy >= 260 && heavy <= 340, `${heavy} of 400 on the key of weight 3`);
      assert.deepEqual(
        router.status().p!.deployments.map((deployment) => [deployment.id, deployment.key, deployment.requests > 0]),
        [
          ['p/m#1', 1, true],
          ['p/m#2', 2, true],
        ],
      );

      limited = true;
      server.requests.length = 0;
      const results = [];
      for (let index = 0; index < 40; index++) results.push(await router.complete(ask('m')));
      assert.ok(
        results.every((result) => result.deployment === 'p/m#2'),
        'every answer from the free key',
      );
      const failed = results.filter((result) => result.attempts.length > 1).length;
      assert.ok(failed <= 1, `at most the first request met the 429 (${failed})`);
      assert.ok(server.requests.filter((request) => keyOf(request) === 'sk-heavy-1111').length <= 1);
      const [heavyKey, lightKey] = router.status().p!.deployments;
      assert.ok(heavyKey!.rateLimitedUntil !== null && lightKey!.rateLimitedUntil === null);
      assert.equal(heavyKey!.state, 'closed', 'a rate limit is not a health failure');
      const shown = JSON.stringify(router.status());
      assert.ok(!shown.includes('sk-heavy') && !shown.includes('sk-light'), 'no key in the status');
    } finally {
      await router.close();
    }
  });

  it('a rejected key (401) takes out its own deployments for every model, not the other key’s', async () => {
    const server = await upstream([], (request) =>
      keyOf(request) === 'sk-revoked-1111'
        ? { status: 401, json: openaiError('Incorrect API key provided', 'invalid_request_error', 'invalid_api_key') }
        : { json: completion('ok') },
    );
    const router = createRouter({
      providers: {
        p: { baseUrl: server.url, models: { m: 'p-m', n: 'p-n' }, apiKeys: ['sk-revoked-1111', 'sk-valid-2222'] },
      },
      routing: { recovery: { probeDelaysMs: [60_000], probeJitter: 0 } },
    });
    try {
      // Equal weights: within a few requests the revoked key is drawn once and trips.
      for (let index = 0; index < 20; index++) {
        const result = await router.complete(ask('m'));
        assert.equal(result.deployment, 'p/m#2');
      }
      const states = Object.fromEntries(router.status().p!.deployments.map((deployment) => [deployment.id, deployment.state]));
      assert.deepEqual(states, { 'p/m#1': 'open', 'p/m#2': 'closed', 'p/n#1': 'open', 'p/n#2': 'closed' });
      const beforeN = server.requests.length;
      const result = await router.complete(ask('n'));
      assert.equal(result.deployment, 'p/n#2');
      assert.equal(result.attempts.length, 1, 'model n never tried the revoked key');
      assert.equal(server.requests.length, beforeN + 1);
      assert.equal(router.status().p!.state, 'degraded');
    } finally {
      await router.close();
    }
  });

  it('refuses apiKey together with apiKeys or keys, naming the field', () => {
    assert.throws(
      () =>
        createRouter({ providers: { p: { baseUrl: 'http://127.0.0.1:1/v1', apiKey: 'a', apiKeys: ['b'], models: { m: 'm' } } } }),
      /providers\.p\.apiKeys: set one of apiKey, apiKeys, keys/,
    );
  });
});
