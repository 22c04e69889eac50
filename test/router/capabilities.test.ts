// Capabilities and context windows: a request goes only where it can be served, its tokens are
// compared with each window before any call, a context-length 400 moves on to a larger window,
// and a content-policy refusal goes to another model only where configured.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { ConfigInput } from '../../src/config/schema.ts';
import type { ChatRequest } from '../../src/protocol/chat.ts';
import { SwitchboardError } from '../../src/protocol/errors.ts';
import { createRouter } from '../../src/router/router.ts';
import { completion, openaiError, textChunks } from '../support/upstream.ts';
import { collect, hello, upstream } from './helpers.ts';

type Providers = NonNullable<ConfigInput['providers']>;

async function rejection(promise: Promise<unknown>): Promise<SwitchboardError> {
  try {
    await promise;
  } catch (error) {
    assert.ok(error instanceof SwitchboardError, `expected a SwitchboardError, got ${error}`);
    return error;
  }
  assert.fail('expected the call to fail');
}

/** About `tokens` tokens of prose (one token per word under o200k). */
function longRequest(tokens: number, model = 'm'): ChatRequest {
  return { model, messages: [{ role: 'user', content: ' word'.repeat(tokens) }] };
}

const tooLong = {
  status: 400,
  json: openaiError("This model's maximum context length is 8192 tokens.", 'invalid_request_error', 'context_length_exceeded'),
};

describe('context windows', () => {
  it('before the call: a request estimated too large for A goes to B, and A never sees it', async () => {
    const small = await upstream();
    const large = await upstream([{ json: completion('from the large window') }]);
    const providers: Providers = {
      small: { baseUrl: small.url, priority: 1, models: { m: 'm-8k' }, capabilities: { m: { contextTokens: 8192 } } },
      large: { baseUrl: large.url, priority: 2, models: { m: 'm-128k' }, capabilities: { m: { contextTokens: 131_072 } } },
    };
    const router = createRouter({ providers });
    const result = await router.complete(longRequest(20_000));
    assert.equal(result.provider, 'large');
    assert.equal(small.requests.length, 0, 'the small window was never sent the request');
    assert.deepEqual(
      result.attempts.map((attempt) => attempt.provider),
      ['large'],
    );
    // A short request still goes to the first by priority: the window check does not reorder.
    const short = await router.complete(hello);
    assert.equal(short.provider, 'small');
    await router.close();
  });

  it('the requested output counts too: max_tokens past the window rules a deployment out', async () => {
    const small = await upstream();
    const large = await upstream([{ json: completion('room for the answer') }]);
    const providers: Providers = {
      small: { baseUrl: small.url, priority: 1, models: { m: 'm-8k' }, capabilities: { m: { contextTokens: 8192 } } },
      large: { baseUrl: large.url, priority: 2, models: { m: 'm-32k' }, capabilities: { m: { contextTokens: 32_768 } } },
    };
    const router = createRouter({ providers });
    const result = await router.complete({ ...longRequest(100), max_tokens: 16_000 });
    assert.equal(result.provider, 'large');
    assert.equal(small.requests.length, 0);
    await router.close();
  });

  it('after a context-length 400: on to a larger window of the same model, never a window no larger', async () => {
    const first = await upstream([tooLong]);
    const same = await upstream();
    const larger = await upstream([{ json: completion('from the larger window') }]);
    const providers: Providers = {
      first: { baseUrl: first.url, priority: 1, models: { m: 'm' }, capabilities: { m: { contextTokens: 8192 } } },
      same: { baseUrl: same.url, priority: 2, models: { m: 'm' }, capabilities: { m: { contextTokens: 8192 } } },
      larger: { baseUrl: larger.url, priority: 3, models: { m: 'm' }, capabilities: { m: { contextTokens: 32_768 } } },
    };
    const router = createRouter({ providers });
    // The estimate (a few tokens) fits everywhere: only the provider knows its tokenizer says otherwise.
    const result = await router.complete(hello);
    assert.equal(result.provider, 'larger');
    assert.equal(first.requests.length, 1, 'asked once');
    assert.equal(same.requests.length, 0, 'a window no larger than the one that refused is not tried');
    assert.deepEqual(
      result.attempts.map((attempt) => [attempt.provider, attempt.outcome]),
      [
        ['first', 'context-length'],
        ['larger', 'ok'],
      ],
    );
    await router.close();
  });

  it('streams too: a context-length 400 moves on before any content', async () => {
    const first = await upstream([tooLong]);
    const second = await upstream([{ sse: textChunks('streamed from the second') }]);
    const providers: Providers = {
      first: { baseUrl: first.url, priority: 1, models: { m: 'm' } },
      second: { baseUrl: second.url, priority: 2, models: { m: 'm' } },
    };
    const router = createRouter({ providers });
    const stream = await router.stream(hello);
    assert.equal(await collect(stream), 'streamed from the second');
    assert.equal(stream.provider, 'second');
    await router.close();
  });

  it('when nothing fits: a 400 that says why, and no upstream call', async () => {
    const small = await upstream();
    const medium = await upstream();
    const providers: Providers = {
      small: { baseUrl: small.url, models: { 'llama-3.1-8b': 'a' }, capabilities: { 'llama-3.1-8b': { contextTokens: 8192 } } },
      medium: {
        baseUrl: medium.url,
        models: { 'llama-3.1-8b': 'b' },
        capabilities: { 'llama-3.1-8b': { contextTokens: 16_384 } },
      },
    };
    const router = createRouter({ providers });
    const error = await rejection(router.complete(longRequest(20_000, 'llama-3.1-8b')));
    assert.equal(error.status, 400);
    assert.equal(error.code, 'context_length_exceeded');
    assert.equal(error.kind, 'context-length');
    assert.match(error.message, /needs ~20k tokens; largest window configured for llama-3\.1-8b is 16k/);
    assert.equal(small.requests.length + medium.requests.length, 0);
    await router.close();
  });

  it('windows come from the model catalog: llama-3.1-8b at Groq is 131k, so ~140k tokens is a clear 400', async () => {
    const groq = await upstream();
    const router = createRouter({
      providers: {
        groq: { preset: 'groq', baseUrl: groq.url, apiKey: 'gsk-test', models: { 'llama-3.1-8b': 'llama-3.1-8b-instant' } },
      },
    });
    const error = await rejection(router.complete(longRequest(140_000, 'llama-3.1-8b')));
    assert.match(error.message, /needs ~140k tokens; largest window configured for llama-3\.1-8b is 131k/);
    assert.equal(groq.requests.length, 0);
    await router.close();
  });

  it('when nothing of the model fits: its fallbacks model with a larger window answers', async () => {
    const small = await upstream();
    const big = await upstream([{ json: completion('from the fallback') }]);
    const router = createRouter({
      providers: {
        small: { baseUrl: small.url, models: { m: 'm-8k' }, capabilities: { m: { contextTokens: 8192 } } },
        big: { baseUrl: big.url, models: { big: 'big-200k' }, capabilities: { big: { contextTokens: 200_000 } } },
      },
      routing: { fallbacks: { m: ['big'] } },
    });
    const result = await router.complete(longRequest(20_000));
    assert.equal(result.model, 'big');
    assert.equal(small.requests.length, 0);
    await router.close();
  });
});

describe('capabilities', () => {
  const tool = { type: 'function' as const, function: { name: 'lookup', parameters: { type: 'object' } } };
  const image: ChatRequest = {
    model: 'm',
    messages: [{ role: 'user', content: [{ type: 'image_url', image_url: { url: 'https://example.com/cat.png' } }] }],
  };

  it('a request with tools skips a deployment without tools; a plain one does not', async () => {
    const plain = await upstream();
    const tooled = await upstream([{ json: completion('called') }]);
    const router = createRouter({
      providers: {
        plain: { baseUrl: plain.url, priority: 1, models: { m: 'm' }, capabilities: { m: { tools: false } } },
        tooled: { baseUrl: tooled.url, priority: 2, models: { m: 'm' }, capabilities: { m: { tools: true } } },
      },
    });
    const result = await router.complete({ ...hello, tools: [tool] });
    assert.equal(result.provider, 'tooled');
    assert.equal(plain.requests.length, 0);
    assert.equal((await router.complete(hello)).provider, 'plain');
    await router.close();
  });

  it('images nobody can see: a 400 naming the feature, no upstream call', async () => {
    const blind = await upstream();
    const router = createRouter({
      providers: { blind: { baseUrl: blind.url, models: { m: 'm' }, capabilities: { m: { vision: false } } } },
    });
    const error = await rejection(router.complete(image));
    assert.equal(error.status, 400);
    assert.equal(error.code, 'unsupported_capability');
    assert.match(error.message, /no deployment of m supports images/);
    assert.equal(blind.requests.length, 0);
    await router.close();
  });

  it('max_tokens above every max output: a 400 naming it', async () => {
    const capped = await upstream();
    const router = createRouter({
      providers: { capped: { baseUrl: capped.url, models: { m: 'm' }, capabilities: { m: { maxOutputTokens: 4096 } } } },
    });
    const error = await rejection(router.complete({ ...hello, max_tokens: 8000 }));
    assert.equal(error.code, 'max_tokens_too_large');
    assert.equal(capped.requests.length, 0);
    await router.close();
  });
});

describe('content-policy refusals', () => {
  const refusal = {
    status: 400,
    json: openaiError('Your request was rejected by our safety system.', 'invalid_request_error', 'content_policy_violation'),
  };

  it('are returned after exactly one attempt, even with fallbacks models configured', async () => {
    const refuses = await upstream([refusal]);
    const sibling = await upstream();
    const other = await upstream();
    const router = createRouter({
      providers: {
        refuses: { baseUrl: refuses.url, priority: 1, models: { m: 'm' } },
        sibling: { baseUrl: sibling.url, priority: 2, models: { m: 'm' } },
        other: { baseUrl: other.url, models: { big: 'big' } },
      },
      routing: { fallbacks: { m: ['big'] } },
    });
    const error = await rejection(router.complete(hello));
    assert.equal(error.kind, 'content-policy');
    assert.match(error.message, /safety system/);
    assert.equal(error.attempts.length, 1);
    assert.equal(sibling.requests.length + other.requests.length, 0);
    await router.close();
  });

  it('go to a contentPolicyFallbacks model when one is configured for the model', async () => {
    const refuses = await upstream([refusal]);
    const lenient = await upstream([{ json: completion('an answer') }]);
    const router = createRouter({
      providers: {
        refuses: { baseUrl: refuses.url, models: { m: 'm' } },
        lenient: { baseUrl: lenient.url, models: { lenient: 'l' } },
      },
      routing: { contentPolicyFallbacks: { m: ['lenient'] } },
    });
    const result = await router.complete(hello);
    assert.equal(result.model, 'lenient');
    assert.deepEqual(
      result.attempts.map((attempt) => attempt.outcome),
      ['content-policy', 'ok'],
    );
    await router.close();
  });
});
