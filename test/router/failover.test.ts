// One test per row of DESIGN.md's failover table, against real emulated upstreams.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { SwitchboardError } from '../../src/protocol/errors.ts';
import { createRouter } from '../../src/router/router.ts';
import { completion, openaiError, refusingUrl, type ScriptEntry, textChunks } from '../support/upstream.ts';
import { hello, routerFor, upstream as startTracked } from './helpers.ts';

const upstream = (...script: ScriptEntry[]) => startTracked(script);

async function rejection(promise: Promise<unknown>): Promise<SwitchboardError> {
  try {
    await promise;
  } catch (error) {
    assert.ok(error instanceof SwitchboardError, `expected a SwitchboardError, got ${error}`);
    return error;
  }
  assert.fail('expected the call to fail');
}

describe('failover table', () => {
  it('connection refused: no retry on the same port, counts a failure, answers from the next', async () => {
    const second = await upstream({ json: completion('from b') });
    const router = routerFor([await refusingUrl(), second.url]);
    const result = await router.complete(hello);
    assert.equal(result.provider, 'b');
    assert.deepEqual(
      result.attempts.map((a) => [a.provider, a.outcome]),
      [
        ['a', 'connect'],
        ['b', 'ok'],
      ],
    );
    assert.equal(router.status().a!.consecutiveFailures, 1);
    assert.equal(second.requests.length, 1);
    await router.close();
  });

  it('reset before any byte: one quick retry on the same provider, then the next', async () => {
    const first = await upstream('reset', 'reset');
    const second = await upstream({ json: completion('from b') });
    const router = routerFor([first.url, second.url]);
    const result = await router.complete(hello);
    assert.equal(result.provider, 'b');
    assert.equal(first.requests.length, 2, 'the reset provider is tried exactly twice');
    assert.deepEqual(
      result.attempts.map((a) => a.outcome),
      ['connect', 'connect', 'ok'],
    );
    assert.equal(router.status().a!.consecutiveFailures, 2);
    await router.close();
  });

  it('transient 500: the quick retry succeeds on the same provider', async () => {
    const first = await upstream({ status: 500, json: openaiError('boom', 'server_error') }, { json: completion('second try') });
    const second = await upstream();
    const router = routerFor([first.url, second.url]);
    const result = await router.complete(hello);
    assert.equal(result.provider, 'a');
    assert.equal(result.response.choices[0]!.message.content, 'second try');
    assert.equal(first.requests.length, 2);
    assert.equal(second.requests.length, 0);
    await router.close();
  });

  it('timeout: counted, never waited on twice, the next answers within the deadline', async () => {
    const silent = await upstream('hang', 'hang');
    const second = await upstream({ sse: textChunks('from b') });
    const router = routerFor([silent.url, second.url], { timeouts: { firstTokenMs: 100, totalMs: 2000 } });
    // Non-streaming requests wait for headers until the deadline; a stream gives up at firstTokenMs.
    const stream = await router.stream(hello);
    assert.equal(stream.provider, 'b');
    for await (const _ of stream);
    assert.equal(silent.requests.length, 1, 'the silent provider got one request only');
    assert.deepEqual(
      stream.attempts.map((a) => [a.provider, a.outcome]),
      [
        ['a', 'timeout'],
        ['b', 'ok'],
      ],
    );
    assert.equal(router.status().a!.consecutiveFailures, 1);
    await silent.waitForClose(0);
    await router.close();
  });

  it('429 with Retry-After: provider held off until the reset, not a health failure', async () => {
    const limited = await upstream({
      status: 429,
      headers: { 'retry-after': '30' },
      json: openaiError('Rate limit reached', 'requests', 'rate_limit_exceeded'),
    });
    const second = await upstream({ json: completion('from b') }, { json: completion('again b') });
    const router = routerFor([limited.url, second.url]);
    const before = Date.now();
    assert.equal((await router.complete(hello)).provider, 'b');
    const status = router.status().a!;
    assert.equal(status.consecutiveFailures, 0);
    assert.ok(status.rateLimitedUntil! >= before + 29_000, 'held off for the Retry-After');
    assert.equal((await router.complete(hello)).provider, 'b');
    assert.equal(limited.requests.length, 1, 'not asked again while rate-limited');
    await router.close();
  });

  it('429 when nothing else can answer: waits for Retry-After within the deadline', async () => {
    const limited = await upstream(
      { status: 429, headers: { 'retry-after': '0.2' }, json: openaiError('slow down', 'requests', 'rate_limit_exceeded') },
      { json: completion('after the wait') },
    );
    const router = routerFor([limited.url]);
    const result = await router.complete(hello);
    assert.equal(result.response.choices[0]!.message.content, 'after the wait');
    const gapMs = limited.requests[1]!.receivedAt - limited.requests[0]!.receivedAt;
    assert.ok(gapMs >= 190, `waited ${gapMs} ms for Retry-After 0.2 s`);
    await router.close();
  });

  for (const status of [500, 502, 503, 529]) {
    it(`${status}: counts a failure, tries the next`, async () => {
      const failing = await upstream(
        { status, json: openaiError('unavailable', 'server_error') },
        { status, json: openaiError('unavailable', 'server_error') },
      );
      const second = await upstream({ json: completion('from b') });
      const router = routerFor([failing.url, second.url]);
      const result = await router.complete(hello);
      assert.equal(result.provider, 'b');
      assert.equal(router.status().a!.consecutiveFailures, failing.requests.length);
      assert.equal(failing.requests.length, status === 500 ? 2 : 1, 'only a plain 500 gets the quick retry');
      await router.close();
    });
  }

  for (const [label, entry] of [
    ['malformed JSON', { text: '{"id":"x","choices":[' }],
    ['empty body', { text: '' }],
    ['no choices', { json: { id: 'x', object: 'chat.completion' } }],
  ] as const) {
    it(`${label}: counts a failure, tries the next`, async () => {
      const broken = await upstream(entry);
      const second = await upstream({ json: completion('from b') });
      const router = routerFor([broken.url, second.url]);
      const result = await router.complete(hello);
      assert.equal(result.provider, 'b');
      assert.equal(result.attempts[0]!.outcome, 'malformed');
      assert.equal(router.status().a!.consecutiveFailures, 1);
      await router.close();
    });
  }

  for (const status of [401, 403]) {
    it(`${status}: the provider is taken out at once`, async () => {
      const rejected = await upstream({
        status,
        json: openaiError('Incorrect API key provided: sk-abc***xyz', 'invalid_request_error', 'invalid_api_key'),
      });
      const second = await upstream({ json: completion('from b') }, { json: completion('again') });
      const router = routerFor([rejected.url, second.url]);
      assert.equal((await router.complete(hello)).provider, 'b');
      const health = router.status().a!;
      assert.equal(health.state, 'open');
      assert.ok(!health.lastError!.includes('sk-abc'), 'the echoed key is redacted');
      assert.equal((await router.complete(hello)).provider, 'b');
      const callers = rejected.requests.filter((request) => request.body.max_tokens !== 1);
      assert.equal(callers.length, 1, 'an open circuit gets no caller traffic (only its probes)');
      await router.close();
    });
  }

  it('404 model not found at this provider: tries the next, counts against that deployment only', async () => {
    const missing = await startTracked([], {
      status: 404,
      json: openaiError('The model `x` does not exist', 'invalid_request_error', 'model_not_found'),
    });
    const second = await startTracked([{ json: completion('from b') }]);
    const router = createRouter({
      providers: {
        a: { baseUrl: missing.url, priority: 1, models: { m: 'a-model', other: 'a-other' } },
        b: { baseUrl: second.url, priority: 2, models: { m: 'b-model' } },
      },
    });
    assert.equal((await router.complete(hello)).provider, 'b');
    const [sick, well] = router.status().a!.deployments;
    assert.equal(sick!.id, 'a/m');
    assert.equal(sick!.consecutiveFailures, 1);
    assert.equal(well!.id, 'a/other');
    assert.equal(well!.consecutiveFailures, 0, 'its other model is untouched');
    await router.close();
  });

  it('400 context length: never resent to the same deployment; another of the model with an unknown window answers', async () => {
    const tooLong = await upstream({
      status: 400,
      json: openaiError(
        "This model's maximum context length is 8192 tokens.",
        'invalid_request_error',
        'context_length_exceeded',
        'messages',
      ),
    });
    const second = await upstream({ json: completion('from the second provider') });
    const router = routerFor([tooLong.url, second.url]);
    const result = await router.complete(hello);
    assert.equal(result.provider, 'b');
    assert.equal(tooLong.requests.length, 1, 'not resent to the deployment that refused it');
    assert.deepEqual(
      result.attempts.map((attempt) => attempt.outcome),
      ['context-length', 'ok'],
    );
    await router.close();
  });

  it('400 context length from every deployment of the model, no fallback: the refusal is returned', async () => {
    const refusal = {
      status: 400,
      json: openaiError('maximum context length exceeded', 'invalid_request_error', 'context_length_exceeded', 'messages'),
    };
    const first = await upstream(refusal);
    const second = await upstream(refusal);
    const router = routerFor([first.url, second.url]);
    const error = await rejection(router.complete(hello));
    assert.equal(error.status, 400);
    assert.equal(error.kind, 'context-length');
    assert.equal(error.code, 'context_length_exceeded');
    assert.equal(first.requests.length + second.requests.length, 2, 'each deployment asked once');
    await router.close();
  });

  it('400 context length: a configured larger-context fallback model answers', async () => {
    const small = await upstream({
      status: 400,
      json: openaiError('maximum context length exceeded', 'invalid_request_error', 'context_length_exceeded'),
    });
    const large = await upstream({ json: completion('from the big model') });
    const { createRouter } = await import('../../src/router/router.ts');
    const router = createRouter({
      providers: {
        small: { baseUrl: small.url, models: { m: 'small-8k' } },
        large: { baseUrl: large.url, models: { big: 'large-128k' } },
      },
      routing: { fallbacks: { m: ['big'] } },
    });
    const result = await router.complete(hello);
    assert.equal(result.provider, 'large');
    assert.equal(result.model, 'big');
    assert.equal(result.response.model, 'gpt-4o-mini', 'the answer names the model that answered, as its provider calls it');
    assert.equal(large.requests[0]!.body.model, 'large-128k');
    await router.close();
  });

  it('400 content policy: never resent to the same model; the provider reason is returned', async () => {
    const refused = await upstream({
      status: 400,
      json: openaiError(
        'Your request was rejected as a result of our safety system.',
        'invalid_request_error',
        'content_policy_violation',
      ),
    });
    const second = await upstream();
    const router = routerFor([refused.url, second.url]);
    const error = await rejection(router.complete(hello));
    assert.equal(error.kind, 'content-policy');
    assert.match(error.message, /safety system/);
    assert.equal(second.requests.length, 0);
    await router.close();
  });

  it('other 4xx: returned to the caller unchanged in meaning, no failover', async () => {
    const bad = await upstream({
      status: 400,
      json: openaiError("Invalid value for 'temperature'", 'invalid_request_error', 'invalid_value', 'temperature'),
    });
    const second = await upstream();
    const router = routerFor([bad.url, second.url]);
    const error = await rejection(router.complete(hello));
    assert.equal(error.status, 400);
    assert.equal(error.type, 'invalid_request_error');
    assert.equal(error.param, 'temperature');
    assert.equal(second.requests.length, 0);
    assert.equal(router.status().a!.consecutiveFailures, 0);
    await router.close();
  });

  it('every candidate failed: the most telling status, with every attempt listed', async () => {
    const a = await upstream({ status: 503, json: openaiError('overloaded', 'server_error') });
    const b = await upstream({ status: 502, text: 'Bad Gateway' });
    const router = routerFor([a.url, b.url, await refusingUrl()], { maxAttemptsPerProvider: 1 });
    const error = await rejection(router.complete(hello));
    assert.equal(error.status, 503);
    assert.equal(error.code, 'all_providers_failed');
    assert.deepEqual(
      error.attempts.map((attempt) => [attempt.provider, attempt.status]),
      [
        ['a', 503],
        ['b', 502],
        ['c', 0],
      ],
    );
    assert.match(error.message, /a \(503: a: overloaded\); b \(502: b: HTTP 502: Bad Gateway\); c \(connect/);
    await router.close();
  });

  it('every candidate rate-limited beyond the deadline: 429 with the attempts', async () => {
    const a = await upstream({
      status: 429,
      headers: { 'retry-after': '60' },
      json: openaiError('slow down', 'requests', 'rate_limit_exceeded'),
    });
    const router = routerFor([a.url], { timeouts: { totalMs: 1000 } });
    const error = await rejection(router.complete(hello));
    assert.equal(error.status, 429);
    assert.equal(error.attempts.length, 1);
    assert.ok(error.retryAfterMs! > 58_000 && error.retryAfterMs! <= 60_000, `come back in ${error.retryAfterMs} ms`);
    await router.close();
  });
});
