// Concurrent mixed load for the reliability suite: chat and messages, JSON and SSE, with a share of
// bad requests, from a fixed number of workers over a fixed number of requests (a bounded loop).
import { type ChaosClient, errorShapeProblem, type Kind, kinds, type Outcome } from './chaos-client.ts';

export interface Tally {
  requests: number;
  successes: number;
  failures: number;
  truncated: Outcome[];
  hangs: Outcome[];
  malformedErrors: Outcome[];
  /** Valid requests that failed (only counted as a problem while an upstream is healthy). */
  unanswered: Outcome[];
  /** Bad requests answered with a 5xx, or not in the route's error shape. */
  badAnswers: Array<{ status: number; body: string }>;
  byProvider: Record<string, number>;
}

/** Requests no gateway may pass on: each must get a 4xx in the route's shape. */
export const badRequests: Array<{ path: string; body: string; headers?: Record<string, string> }> = [
  { path: '/v1/chat/completions', body: '{"model":"chaos","messages":[' },
  { path: '/v1/chat/completions', body: '[]' },
  { path: '/v1/chat/completions', body: '{"model":"chaos"}' },
  { path: '/v1/chat/completions', body: '{"model":"no-such-model","messages":[{"role":"user","content":"x"}]}' },
  { path: '/v1/chat/completions', body: '{"model":"chaos","messages":"hi"}' },
  { path: '/v1/chat/completions', body: '{"model":"chaos","messages":[{"role":"user","content":"x"}],"n":0}' },
  { path: '/v1/messages', body: '{"model":"chaos"}' },
  { path: '/v1/messages', body: '{"model":"chaos","max_tokens":5,"messages":[{"role":"wizard","content":"x"}]}' },
  { path: '/v1/chat/completions', body: '{}', headers: { authorization: 'Bearer wrong-key-for-chaos' } },
];

export function emptyTally(): Tally {
  return {
    requests: 0,
    successes: 0,
    failures: 0,
    truncated: [],
    hangs: [],
    malformedErrors: [],
    unanswered: [],
    badAnswers: [],
    byProvider: {},
  };
}

/**
 * Sends `count` requests from `concurrency` workers: a tenth of them bad (from `badRequests`),
 * the rest spread over the four kinds. Every request is bounded by the client's timeout.
 */
export async function storm(client: ChaosClient, count: number, concurrency: number, tally = emptyTally()): Promise<Tally> {
  let next = 0;
  const worker = async () => {
    while (next < count) {
      const index = next++;
      tally.requests++;
      if (index % 10 === 9) {
        const bad = badRequests[Math.floor(Math.random() * badRequests.length)]!;
        const response = await client.raw('POST', bad.path, {
          headers: { 'content-type': 'application/json', ...bad.headers },
          body: bad.body,
        });
        const dialect = bad.path === '/v1/messages' ? 'anthropic' : 'openai';
        if (response.status < 400 || response.status >= 500 || errorShapeProblem(response.body, dialect) !== undefined) {
          tally.badAnswers.push({ status: response.status, body: response.body.slice(0, 200) });
        }
        continue;
      }
      const kind: Kind = kinds[index % kinds.length]!;
      const outcome = await client.send(kind);
      record(tally, outcome);
    }
  };
  await Promise.all(Array.from({ length: concurrency }, worker));
  return tally;
}

function record(tally: Tally, outcome: Outcome): void {
  switch (outcome.verdict) {
    case 'success': {
      tally.successes++;
      const provider = String(outcome.headers['x-switchboard-provider'] ?? '?');
      tally.byProvider[provider] = (tally.byProvider[provider] ?? 0) + 1;
      return;
    }
    case 'failure':
      tally.failures++;
      tally.unanswered.push(outcome);
      return;
    case 'truncated':
      tally.truncated.push(outcome);
      return;
    case 'hang':
      tally.hangs.push(outcome);
      return;
    case 'malformed-error':
      tally.malformedErrors.push(outcome);
      tally.unanswered.push(outcome);
      return;
  }
}

/** A few examples of what went wrong, for an assertion message. */
export function examples(outcomes: Array<Outcome | { status: number; body: string }>, limit = 3): string {
  return outcomes
    .slice(0, limit)
    .map((outcome) => {
      const detail = 'problem' in outcome ? `${outcome.kind} ${outcome.problem}: ` : '';
      return `${outcome.status} ${detail}${outcome.body.slice(0, 300)}`;
    })
    .join('\n');
}
