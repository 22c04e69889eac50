// classify.ts's consequence table, one row per failure kind, against the emulator: which of a
// provider's deployments (2 models × 2 keys) a failure of one of them counts against.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { ConfigInput } from '../../src/config/schema.ts';
import type { FailureKind } from '../../src/protocol/errors.ts';
import { consequenceFor } from '../../src/router/classify.ts';
import { createRouter } from '../../src/router/router.ts';
import { completion, openaiError, type RecordedRequest, refusingUrl, type ScriptEntry } from '../support/upstream.ts';
import { upstream } from './helpers.ts';

const sick = (request: RecordedRequest) =>
  request.headers.authorization === 'Bearer sk-first-1111' && request.body.model === 'p-m';

type Effect = 'count' | 'trip' | 'hold' | '-';
/** What each of the four deployments shows after one failure of p/m#1. */
type Expected = Record<'p/m#1' | 'p/m#2' | 'p/n#1' | 'p/n#2', Effect>;

const rows: Array<{ kind: FailureKind; entry: ScriptEntry | 'refused'; expected: Expected; code?: string }> = [
  { kind: 'connect', entry: 'refused', expected: { 'p/m#1': 'count', 'p/m#2': 'count', 'p/n#1': 'count', 'p/n#2': 'count' } },
  { kind: 'timeout', entry: 'hang', expected: { 'p/m#1': 'count', 'p/m#2': '-', 'p/n#1': '-', 'p/n#2': '-' } },
  {
    kind: 'server',
    entry: { status: 503, json: openaiError('The model is overloaded', 'server_error') },
    expected: { 'p/m#1': 'count', 'p/m#2': '-', 'p/n#1': '-', 'p/n#2': '-' },
  },
  {
    kind: 'malformed',
    entry: { text: '{"choices": [' },
    expected: { 'p/m#1': 'count', 'p/m#2': '-', 'p/n#1': '-', 'p/n#2': '-' },
  },
  {
    kind: 'rate-limited',
    entry: {
      status: 429,
      headers: { 'retry-after': '30' },
      json: openaiError('Rate limit reached', 'requests', 'rate_limit_exceeded'),
    },
    expected: { 'p/m#1': 'hold', 'p/m#2': '-', 'p/n#1': '-', 'p/n#2': '-' },
  },
  {
    kind: 'auth',
    entry: { status: 401, json: openaiError('Incorrect API key provided', 'invalid_request_error', 'invalid_api_key') },
    expected: { 'p/m#1': 'trip', 'p/m#2': '-', 'p/n#1': 'trip', 'p/n#2': '-' },
  },
  {
    kind: 'auth',
    code: 'insufficient_quota',
    entry: { status: 429, json: openaiError('You exceeded your current quota', 'insufficient_quota', 'insufficient_quota') },
    expected: { 'p/m#1': 'trip', 'p/m#2': '-', 'p/n#1': 'trip', 'p/n#2': '-' },
  },
  {
    kind: 'model-not-found',
    entry: { status: 404, json: openaiError('The model `p-m` does not exist', 'invalid_request_error', 'model_not_found') },
    expected: { 'p/m#1': 'count', 'p/m#2': '-', 'p/n#1': '-', 'p/n#2': '-' },
  },
  {
    kind: 'context-length',
    entry: {
      status: 400,
      json: openaiError('maximum context length is 8192 tokens', 'invalid_request_error', 'context_length_exceeded'),
    },
    expected: { 'p/m#1': '-', 'p/m#2': '-', 'p/n#1': '-', 'p/n#2': '-' },
  },
  {
    kind: 'content-policy',
    entry: {
      status: 400,
      json: openaiError('rejected by the content policy', 'invalid_request_error', 'content_policy_violation'),
    },
    expected: { 'p/m#1': '-', 'p/m#2': '-', 'p/n#1': '-', 'p/n#2': '-' },
  },
  {
    kind: 'bad-request',
    entry: { status: 400, json: openaiError("Invalid value for 'temperature'", 'invalid_request_error', null, 'temperature') },
    expected: { 'p/m#1': '-', 'p/m#2': '-', 'p/n#1': '-', 'p/n#2': '-' },
  },
];

function effects(router: ReturnType<typeof createRouter>): Expected {
  const shown: Record<string, Effect> = {};
  for (const deployment of router.status().p!.deployments) {
    shown[deployment.id] =
      deployment.state !== 'closed'
        ? 'trip'
        : deployment.consecutiveFailures > 0
          ? 'count'
          : deployment.rateLimitedUntil !== null
            ? 'hold'
            : '-';
  }
  return shown as Expected;
}

describe('failure scope: what one failure of p/m#1 counts against', () => {
  it('covers every failure kind', () => {
    assert.deepEqual(
      new Set(rows.map((row) => row.kind)),
      new Set(Object.keys(consequenceFor).filter((kind) => kind !== 'aborted')),
    );
  });

  for (const row of rows) {
    it(`${row.kind}${row.code ? ` (${row.code})` : ''}: ${
      Object.entries(row.expected)
        .filter(([, effect]) => effect !== '-')
        .map(([id, effect]) => `${effect} ${id}`)
        .join(', ') || 'nothing'
    }`, async () => {
      const server = await upstream([], (request) =>
        sick(request) && row.entry !== 'refused' ? row.entry : { json: completion('ok') },
      );
      const routing: NonNullable<ConfigInput['routing']> = {
        failureThreshold: 5,
        retryDelayMs: 1,
        maxAttemptsPerProvider: 1,
        // Only the hanging row needs a short response timeout; elsewhere a slow machine must not time out a healthy answer.
        timeouts: { responseMs: row.entry === 'hang' ? 500 : 10_000 },
        recovery: { probeDelaysMs: [60_000], probeJitter: 0 },
      };
      const baseUrl = row.entry === 'refused' ? await refusingUrl() : server.url;
      const router = createRouter({
        providers: { p: { baseUrl, models: { m: 'p-m', n: 'p-n' }, apiKeys: ['sk-first-1111', 'sk-second-2222'] } },
        routing,
      });
      try {
        // The keys are drawn at random by weight: ask until p/m#1 has been tried once.
        for (let sent = 0; sent < 40; sent++) {
          const result = await router
            .complete({ model: 'm', messages: [{ role: 'user', content: 'hi' }] })
            .catch((error) => error);
          const attempts = (result as { attempts: unknown[] }).attempts ?? [];
          if (row.entry === 'refused' ? attempts.length > 0 : server.requests.some(sick)) break;
        }
        assert.deepEqual(effects(router), row.expected);
      } finally {
        await router.close();
      }
    });
  }
});
