// The router reads each provider's rate-limit headers: a provider at zero is skipped until
// its reset, one below the headroom is tried after the others, and status() shows it all.
// Header formats are from each provider's rate-limit documentation.
import assert from 'node:assert/strict';
import { after, describe, it } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import type { ConfigInput } from '../../src/config/schema.ts';
import { createRouter } from '../../src/router/router.ts';
import { completion } from '../support/upstream.ts';
import { hello, upstream } from './helpers.ts';

const anthropicMessage = {
  id: 'msg_01',
  type: 'message',
  role: 'assistant',
  model: 'claude-haiku',
  content: [{ type: 'text', text: 'from anthropic' }],
  stop_reason: 'end_turn',
  stop_sequence: null,
  usage: { input_tokens: 3, output_tokens: 2 },
};

type Limited = NonNullable<ConfigInput['providers']>[string];

/** The first answer reports an empty bucket that resets after `resetMs`; then the limited provider answers normally. */
async function scenario(limited: (url: string) => Limited, body: unknown, headers: Record<string, string>, resetMs: number) {
  const first = await upstream([{ json: body, headers }], { json: body });
  const second = await upstream([], { json: completion('from second') });
  const router = createRouter({
    providers: { limited: limited(first.url), second: { baseUrl: second.url, priority: 2, models: { m: 'second-model' } } },
  });
  after(() => router.close());
  assert.equal((await router.complete(hello)).provider, 'limited', 'the bucket is emptied by this answer');
  const status = router.status().limited!;
  assert.ok(status.rateLimitedUntil !== null, 'status() shows the hold');
  assert.equal(status.rateLimit?.remainingRequests, 0);
  assert.equal((await router.complete(hello)).provider, 'second', 'skipped while at zero');
  assert.equal(first.requests.length, 1);
  await sleep(resetMs + 50);
  assert.equal((await router.complete(hello)).provider, 'limited', 'back after the reset');
  assert.equal(status.consecutiveFailures, 0, 'a rate limit is not a health failure');
}

describe('rate-limit dialects', () => {
  it('OpenAI / Groq / Together: x-ratelimit-* with Go durations', async () => {
    await scenario(
      (url) => ({ preset: 'groq', baseUrl: url, apiKey: 'k', priority: 1, models: { m: 'llama-3.1-8b-instant' } }),
      completion('from groq'),
      {
        'x-ratelimit-limit-requests': '14400',
        'x-ratelimit-remaining-requests': '0',
        'x-ratelimit-reset-requests': '250ms',
        'x-ratelimit-limit-tokens': '18000',
        'x-ratelimit-remaining-tokens': '17997',
        'x-ratelimit-reset-tokens': '7.66s',
      },
      250,
    );
  });

  it('Anthropic: anthropic-ratelimit-* with RFC 3339 resets', async () => {
    const reset = new Date(Date.now() + 400).toISOString();
    await scenario(
      (url) => ({ preset: 'anthropic', baseUrl: url, apiKey: 'k', priority: 1, models: { m: 'claude-haiku' } }),
      anthropicMessage,
      {
        'anthropic-ratelimit-requests-limit': '50',
        'anthropic-ratelimit-requests-remaining': '0',
        'anthropic-ratelimit-requests-reset': reset,
        'anthropic-ratelimit-tokens-limit': '40000',
        'anthropic-ratelimit-tokens-remaining': '39000',
        'anthropic-ratelimit-tokens-reset': reset,
      },
      400,
    );
  });

  it('OpenRouter: X-RateLimit-* with the reset in epoch milliseconds', async () => {
    await scenario(
      (url) => ({
        preset: 'openrouter',
        baseUrl: url,
        apiKey: 'k',
        priority: 1,
        models: { m: 'meta-llama/llama-3.1-8b-instruct' },
      }),
      completion('from openrouter'),
      { 'X-RateLimit-Limit': '20', 'X-RateLimit-Remaining': '0', 'X-RateLimit-Reset': String(Date.now() + 300) },
      300,
    );
  });

  it('a provider below the headroom is tried after the others, whatever the strategy', async () => {
    const low = await upstream(
      [
        {
          json: completion('low'),
          headers: {
            'x-ratelimit-limit-requests': '1000',
            'x-ratelimit-remaining-requests': '10',
            'x-ratelimit-reset-requests': '1m0s',
          },
        },
      ],
      { json: completion('low') },
    );
    const roomy = await upstream([], { json: completion('roomy') });
    const router = createRouter({
      providers: {
        low: { preset: 'openai', baseUrl: low.url, apiKey: 'k', priority: 1, models: { m: 'gpt-4o-mini' } },
        roomy: { baseUrl: roomy.url, priority: 2, models: { m: 'x' } },
      },
      routing: { rateLimitHeadroom: 0.05 },
    });
    after(() => router.close());
    assert.equal((await router.complete(hello)).provider, 'low');
    assert.equal(router.status().low!.headroom, 0.01);
    assert.equal((await router.complete(hello)).provider, 'roomy', '1% left is below the 5% headroom');
    assert.equal((await router.complete(hello, { strategy: 'priority' })).provider, 'roomy');
  });
});
