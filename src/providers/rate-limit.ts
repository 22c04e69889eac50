// Reads the rate-limit state a provider reports in its response headers.
// Pure: `now` (epoch ms) is an argument so resets become instants without a clock here.
// Header names arrive lower-cased (WireResponse), so OpenRouter's `X-RateLimit-Reset` is read as `x-ratelimit-reset`.
import type { RateLimitDialect } from './presets.ts';

/** What a provider said about its limits; instants are epoch ms. */
export interface RateLimitInfo {
  limitRequests?: number;
  remainingRequests?: number;
  resetRequestsAt?: number;
  limitTokens?: number;
  remainingTokens?: number;
  resetTokensAt?: number;
  /** From `retry-after` (or `retry-after-ms`): do not send before this instant. */
  retryAt?: number;
}

/** `retry-after` as seconds (`"6"`, `"0.5"`) or an HTTP date, in ms from `now`; undefined when absent or unreadable. */
export function parseRetryAfter(value: string | undefined, now: number): number | undefined {
  const text = value?.trim();
  if (!text) return undefined;
  if (/^\d+(\.\d+)?$/.test(text)) return Math.round(Number(text) * 1000);
  // RFC 9110 allows an HTTP date instead: `Wed, 21 Oct 2015 07:28:00 GMT`.
  if (!/[a-z]/i.test(text)) return undefined;
  const at = Date.parse(text);
  return Number.isNaN(at) ? undefined : Math.max(0, at - now);
}

const durationPart = /(\d+(?:\.\d+)?)(ms|h|m|s)/g;
const unitMs: Record<string, number> = { h: 3_600_000, m: 60_000, s: 1000, ms: 1 };

/**
 * A Go duration as OpenAI, Groq and Together send it (`6m0s`, `2m59.56s`, `7.66s`, `250ms`,
 * `172.799999ms`, `1h2m3s`), or bare seconds, in whole ms; undefined when unreadable.
 */
export function parseDuration(value: string | undefined): number | undefined {
  const text = value?.trim();
  if (!text) return undefined;
  if (/^\d+(\.\d+)?$/.test(text)) return Math.round(Number(text) * 1000);
  let total = 0;
  let matched = 0;
  for (const match of text.matchAll(durationPart)) {
    // Every character must belong to a part: `1x2s` or `-3s` is not a duration.
    if (match.index !== matched) return undefined;
    total += Number(match[1]) * (unitMs[match[2] as string] ?? 0);
    matched += match[0].length;
  }
  return matched === text.length ? Math.round(total) : undefined;
}

/** An RFC 3339 timestamp (`2025-08-21T12:40:59Z`) as epoch ms. */
function parseTimestamp(value: string | undefined): number | undefined {
  if (!value || !/^\d{4}-\d{2}-\d{2}T/.test(value)) return undefined;
  const at = Date.parse(value);
  return Number.isNaN(at) ? undefined : at;
}

function number(value: string | undefined): number | undefined {
  if (value === undefined || value.trim() === '') return undefined;
  const parsed = Number(value);
  return Number.isFinite(parsed) ? parsed : undefined;
}

/** Reads the headers of one dialect; returns undefined when the response carried none. */
export function readRateLimit(
  headers: Record<string, string>,
  dialect: RateLimitDialect,
  now: number,
): RateLimitInfo | undefined {
  const info: RateLimitInfo = {};
  // `retry-after-ms` is OpenAI's more precise twin of `retry-after`; the official SDKs prefer it.
  const retryMs = number(headers['retry-after-ms']) ?? parseRetryAfter(headers['retry-after'], now);
  if (retryMs !== undefined && retryMs >= 0) info.retryAt = now + Math.round(retryMs);
  if (dialect === 'openai') readOpenAI(headers, now, info);
  else if (dialect === 'anthropic') readAnthropic(headers, info);
  else if (dialect === 'openrouter') readOpenRouter(headers, info);
  return Object.keys(info).length > 0 ? info : undefined;
}

// OpenAI, Groq, Together, Mistral: counts plus Go durations until the bucket is full again.
function readOpenAI(headers: Record<string, string>, now: number, info: RateLimitInfo): void {
  assign(info, 'limitRequests', number(headers['x-ratelimit-limit-requests']));
  assign(info, 'remainingRequests', number(headers['x-ratelimit-remaining-requests']));
  assign(info, 'limitTokens', number(headers['x-ratelimit-limit-tokens']));
  assign(info, 'remainingTokens', number(headers['x-ratelimit-remaining-tokens']));
  const resetRequests = parseDuration(headers['x-ratelimit-reset-requests']);
  const resetTokens = parseDuration(headers['x-ratelimit-reset-tokens']);
  if (resetRequests !== undefined) info.resetRequestsAt = now + resetRequests;
  if (resetTokens !== undefined) info.resetTokensAt = now + resetTokens;
}

// Anthropic (docs.anthropic.com/en/api/rate-limits): `anthropic-ratelimit-{requests,tokens,input-tokens,
// output-tokens}-{limit,remaining,reset}`, resets as RFC 3339 instants. `tokens-*` is the most restrictive
// limit currently in effect; when it is absent the input and output buckets stand in, and the one with
// fewer tokens remaining is the one that will stop us first.
function readAnthropic(headers: Record<string, string>, info: RateLimitInfo): void {
  const prefix = 'anthropic-ratelimit-';
  assign(info, 'limitRequests', number(headers[`${prefix}requests-limit`]));
  assign(info, 'remainingRequests', number(headers[`${prefix}requests-remaining`]));
  assign(info, 'resetRequestsAt', parseTimestamp(headers[`${prefix}requests-reset`]));
  const read = (name: string): Bucket => ({
    limit: number(headers[`${prefix}${name}-limit`]),
    remaining: number(headers[`${prefix}${name}-remaining`]),
    reset: parseTimestamp(headers[`${prefix}${name}-reset`]),
  });
  let tokens = read('tokens');
  if (tokens.limit === undefined && tokens.remaining === undefined && tokens.reset === undefined) {
    const input = read('input-tokens');
    const output = read('output-tokens');
    tokens = (output.remaining ?? Number.POSITIVE_INFINITY) < (input.remaining ?? Number.POSITIVE_INFINITY) ? output : input;
  }
  assign(info, 'limitTokens', tokens.limit);
  assign(info, 'remainingTokens', tokens.remaining);
  assign(info, 'resetTokensAt', tokens.reset);
}

interface Bucket {
  limit: number | undefined;
  remaining: number | undefined;
  reset: number | undefined;
}

// OpenRouter sends `X-RateLimit-{Limit,Remaining,Reset}` on its own 429s (none on success), counting
// requests; the reset is an absolute instant in epoch milliseconds (`1779321600000`).
function readOpenRouter(headers: Record<string, string>, info: RateLimitInfo): void {
  assign(info, 'limitRequests', number(headers['x-ratelimit-limit']));
  assign(info, 'remainingRequests', number(headers['x-ratelimit-remaining']));
  assign(info, 'resetRequestsAt', number(headers['x-ratelimit-reset']));
}

function assign<K extends keyof RateLimitInfo>(info: RateLimitInfo, key: K, value: RateLimitInfo[K]): void {
  if (value !== undefined) info[key] = value;
}
