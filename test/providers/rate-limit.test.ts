// Rate-limit headers in each dialect, with values in the form the providers document them:
// OpenAI (platform.openai.com/docs/guides/rate-limits), Groq (console.groq.com/docs/rate-limits),
// Anthropic (docs.anthropic.com/en/api/rate-limits), OpenRouter (openrouter.ai/docs/api-reference/limits).
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { parseDuration, parseRetryAfter, readRateLimit } from '../../src/providers/rate-limit.ts';

const now = Date.parse('2025-08-21T12:40:00Z');

describe('parseDuration', () => {
  const cases: Array<[string, number]> = [
    ['6m0s', 360_000],
    ['2m59.56s', 179_560],
    ['7.66s', 7_660],
    ['1s', 1_000],
    ['250ms', 250],
    ['12ms', 12],
    ['172.799999ms', 173],
    ['7.44ms', 7],
    ['1h2m3s', 3_723_000],
    ['1h', 3_600_000],
    ['30', 30_000],
  ];
  for (const [text, ms] of cases) {
    it(`reads ${text} as ${ms} ms`, () => {
      assert.equal(parseDuration(text), ms);
    });
  }

  it('rejects what is not a whole duration', () => {
    for (const text of [undefined, '', 'soon', '1x2s', '-3s', '5 s', '1.5.5s', 's', '2m59.56', '10d']) {
      assert.equal(parseDuration(text), undefined, String(text));
    }
  });
});

describe('parseRetryAfter', () => {
  it('reads seconds', () => {
    assert.equal(parseRetryAfter('6', now), 6_000);
    assert.equal(parseRetryAfter('0', now), 0);
    assert.equal(parseRetryAfter('0.5', now), 500);
  });

  it('reads an HTTP date relative to now, never negative', () => {
    const at = now + 30_000;
    assert.equal(parseRetryAfter(new Date(at).toUTCString(), now), 30_000);
    assert.equal(parseRetryAfter('Wed, 21 Oct 2015 07:28:00 GMT', now), 0);
  });

  it('ignores absent, negative and unreadable values', () => {
    for (const value of [undefined, '', ' ', '-5', 'soon', '1,5']) {
      assert.equal(parseRetryAfter(value, now), undefined, String(value));
    }
  });
});

describe('readRateLimit: openai', () => {
  it('reads OpenAI’s documented headers, durations measured from now', () => {
    const headers = {
      'x-ratelimit-limit-requests': '60',
      'x-ratelimit-limit-tokens': '150000',
      'x-ratelimit-remaining-requests': '59',
      'x-ratelimit-remaining-tokens': '149984',
      'x-ratelimit-reset-requests': '1s',
      'x-ratelimit-reset-tokens': '6m0s',
    };
    assert.deepEqual(readRateLimit(headers, 'openai', now), {
      limitRequests: 60,
      remainingRequests: 59,
      resetRequestsAt: now + 1_000,
      limitTokens: 150_000,
      remainingTokens: 149_984,
      resetTokensAt: now + 360_000,
    });
  });

  it('reads Groq’s headers with retry-after on a 429', () => {
    const headers = {
      'retry-after': '2',
      'x-ratelimit-limit-requests': '14400',
      'x-ratelimit-limit-tokens': '18000',
      'x-ratelimit-remaining-requests': '14370',
      'x-ratelimit-remaining-tokens': '17997',
      'x-ratelimit-reset-requests': '2m59.56s',
      'x-ratelimit-reset-tokens': '7.66s',
    };
    assert.deepEqual(readRateLimit(headers, 'openai', now), {
      retryAt: now + 2_000,
      limitRequests: 14_400,
      remainingRequests: 14_370,
      resetRequestsAt: now + 179_560,
      limitTokens: 18_000,
      remainingTokens: 17_997,
      resetTokensAt: now + 7_660,
    });
  });

  it('reads sub-millisecond durations as Groq sends them on success', () => {
    const info = readRateLimit(
      { 'x-ratelimit-reset-requests': '172.799999ms', 'x-ratelimit-reset-tokens': '7.44ms' },
      'openai',
      now,
    );
    assert.deepEqual(info, { resetRequestsAt: now + 173, resetTokensAt: now + 7 });
  });

  it('prefers retry-after-ms to retry-after', () => {
    assert.equal(readRateLimit({ 'retry-after': '1', 'retry-after-ms': '1500' }, 'openai', now)?.retryAt, now + 1_500);
  });

  it('skips values it cannot read', () => {
    assert.deepEqual(
      readRateLimit({ 'x-ratelimit-remaining-requests': 'many', 'x-ratelimit-reset-tokens': 'later' }, 'openai', now),
      undefined,
    );
  });
});

describe('readRateLimit: anthropic', () => {
  it('reads requests and the aggregated tokens bucket, resets as RFC 3339 instants', () => {
    const headers = {
      'anthropic-ratelimit-requests-limit': '1000',
      'anthropic-ratelimit-requests-remaining': '999',
      'anthropic-ratelimit-requests-reset': '2025-08-21T12:40:59Z',
      'anthropic-ratelimit-tokens-limit': '96000',
      'anthropic-ratelimit-tokens-remaining': '95000',
      'anthropic-ratelimit-tokens-reset': '2025-08-21T12:41:00Z',
      'anthropic-ratelimit-input-tokens-limit': '80000',
      'anthropic-ratelimit-input-tokens-remaining': '0',
      'anthropic-ratelimit-input-tokens-reset': '2025-08-21T12:41:30Z',
    };
    assert.deepEqual(readRateLimit(headers, 'anthropic', now), {
      limitRequests: 1_000,
      remainingRequests: 999,
      resetRequestsAt: Date.parse('2025-08-21T12:40:59Z'),
      limitTokens: 96_000,
      remainingTokens: 95_000,
      resetTokensAt: Date.parse('2025-08-21T12:41:00Z'),
    });
  });

  it('falls back to the input or output bucket with fewer tokens remaining', () => {
    const split = (inputRemaining: string, outputRemaining: string) => ({
      'anthropic-ratelimit-input-tokens-limit': '80000',
      'anthropic-ratelimit-input-tokens-remaining': inputRemaining,
      'anthropic-ratelimit-input-tokens-reset': '2025-08-21T12:41:06Z',
      'anthropic-ratelimit-output-tokens-limit': '16000',
      'anthropic-ratelimit-output-tokens-remaining': outputRemaining,
      'anthropic-ratelimit-output-tokens-reset': '2025-08-21T12:41:00.500Z',
    });
    assert.deepEqual(readRateLimit(split('0', '16000'), 'anthropic', now), {
      limitTokens: 80_000,
      remainingTokens: 0,
      resetTokensAt: Date.parse('2025-08-21T12:41:06Z'),
    });
    assert.deepEqual(readRateLimit(split('79000', '1000'), 'anthropic', now), {
      limitTokens: 16_000,
      remainingTokens: 1_000,
      resetTokensAt: Date.parse('2025-08-21T12:41:00.500Z'),
    });
  });

  it('reads a 429 with retry-after in seconds', () => {
    const headers = {
      'retry-after': '7',
      'anthropic-ratelimit-requests-limit': '50',
      'anthropic-ratelimit-requests-remaining': '0',
      'anthropic-ratelimit-requests-reset': '2025-08-21T12:40:07+00:00',
    };
    assert.deepEqual(readRateLimit(headers, 'anthropic', now), {
      retryAt: now + 7_000,
      limitRequests: 50,
      remainingRequests: 0,
      resetRequestsAt: now + 7_000,
    });
  });

  it('ignores a reset that is not an RFC 3339 timestamp', () => {
    assert.equal(readRateLimit({ 'anthropic-ratelimit-requests-reset': '7s' }, 'anthropic', now), undefined);
  });
});

describe('readRateLimit: openrouter', () => {
  it('reads X-RateLimit-* (lower-cased on arrival) with the reset in epoch milliseconds', () => {
    const headers = {
      'x-ratelimit-limit': '20',
      'x-ratelimit-remaining': '0',
      'x-ratelimit-reset': '1755780060000',
      'retry-after': '60',
    };
    assert.deepEqual(readRateLimit(headers, 'openrouter', now), {
      retryAt: now + 60_000,
      limitRequests: 20,
      remainingRequests: 0,
      resetRequestsAt: 1_755_780_060_000,
    });
  });

  it('returns undefined for a success, which carries no limit headers', () => {
    assert.equal(readRateLimit({ 'content-type': 'application/json' }, 'openrouter', now), undefined);
  });
});

describe('readRateLimit: dialects', () => {
  it('reads only the dialect it is told, but always retry-after', () => {
    const openaiHeaders = { 'x-ratelimit-remaining-requests': '5', 'x-ratelimit-reset-requests': '1s' };
    assert.equal(readRateLimit(openaiHeaders, 'anthropic', now), undefined);
    assert.equal(readRateLimit(openaiHeaders, 'none', now), undefined);
    assert.deepEqual(readRateLimit({ ...openaiHeaders, 'retry-after': '3' }, 'none', now), { retryAt: now + 3_000 });
  });
});
