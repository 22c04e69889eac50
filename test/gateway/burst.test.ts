// A burst of concurrent streaming and non-streaming requests while one upstream starts
// failing and another recovers: every request must end, with a complete answer or a clear error.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import OpenAI, { APIError } from 'openai';
import type { RecordedRequest, ScriptEntry } from '../support/upstream.ts';
import { completion, openaiError, textChunks } from '../support/upstream.ts';
import { gateway, hello, providersFor, until, upstream } from './helpers.ts';

const total = 50;
// Far above the 2 s request deadline (a normal run takes under 1 s in all): only a request that
// never ends reaches it, even on a loaded machine running several test files at once.
const perRequestMs = 8000;

type Outcome = { kind: 'answer'; provider: string; text: string } | { kind: 'error'; status: number; message: string };

describe('gateway under a burst', () => {
  it('ends every request with a complete answer or a clear error while upstreams fail and recover', {
    timeout: 10_000,
  }, async (t) => {
    // The first upstream answers its first 15 requests, then fails; the second refuses its first
    // 8, then answers. Counting requests (not time) makes each phase happen whatever the machine's speed.
    let failingSeen = 0;
    let recoveringSeen = 0;
    const healthy = (name: string, request: RecordedRequest): ScriptEntry =>
      request.body.stream
        ? { sse: textChunks(`answer from ${name}`), chunkDelayMs: 3 }
        : { json: completion(`answer from ${name}`), delayMs: 3 };
    const broken = (request: RecordedRequest): ScriptEntry =>
      // A stream breaks after its first word has gone out; a plain request gets a 503.
      request.body.stream
        ? { sse: textChunks('answer from nowhere'), chunkDelayMs: 3, cutAfter: 2 }
        : { status: 503, json: openaiError('overloaded', 'server_error') };
    const failing = await upstream(t, [], (request) => (++failingSeen <= 15 ? healthy('failing', request) : broken(request)));
    const recovering = await upstream(t, [], (request) => (++recoveringSeen <= 8 ? 'reset' : healthy('recovering', request)));
    // The deadline bounds each request: without it the router may wait out a 30 s cooldown.
    const switchboard = await gateway(
      t,
      providersFor([failing.url, recovering.url], { routing: { timeouts: { totalMs: 2000 } } }),
    );
    // The SDK's own timeout is above the hang bound, so a hang is reported as one, not as an error.
    const openai = new OpenAI({ baseURL: `${switchboard.url}/v1`, apiKey: 'unused', maxRetries: 0, timeout: 2 * perRequestMs });

    const one = async (index: number): Promise<Outcome> => {
      await new Promise((resolve) => setTimeout(resolve, index % 10));
      const messages = [{ role: 'user' as const, content: `request ${index}` }];
      try {
        if (index % 2 === 0) {
          const { data, response } = await openai.chat.completions.create({ ...hello, messages }).withResponse();
          assert.equal(data.choices[0]?.finish_reason, 'stop');
          return {
            kind: 'answer',
            provider: response.headers.get('x-switchboard-provider')!,
            text: data.choices[0]!.message.content!,
          };
        }
        const { data: stream, response } = await openai.chat.completions
          .create({ ...hello, messages, stream: true })
          .withResponse();
        let text = '';
        let finish: string | null = null;
        for await (const chunk of stream) {
          text += chunk.choices[0]?.delta.content ?? '';
          finish = chunk.choices[0]?.finish_reason ?? finish;
        }
        assert.equal(finish, 'stop', `stream ${index} ended without finish_reason and without an error`);
        return { kind: 'answer', provider: response.headers.get('x-switchboard-provider')!, text };
      } catch (error) {
        if (!(error instanceof APIError)) throw error;
        return { kind: 'error', status: error.status ?? 0, message: error.message };
      }
    };
    const bounded = async (index: number) => {
      let timer: NodeJS.Timeout | undefined;
      const hung = new Promise<never>((_, reject) => {
        timer = setTimeout(() => reject(new Error(`request ${index} hung`)), perRequestMs);
      });
      try {
        return await Promise.race([one(index), hung]);
      } finally {
        clearTimeout(timer);
      }
    };

    const outcomes = await Promise.all(Array.from({ length: total }, (_, index) => bounded(index)));
    assert.equal(outcomes.length, total);
    const answers = outcomes.filter((outcome) => outcome.kind === 'answer');
    const errors = outcomes.filter((outcome) => outcome.kind === 'error');
    for (const answer of answers) assert.match(answer.text, /answer from (failing|recovering)$/);
    for (const error of errors) {
      // A clear error: a status and a message that says what happened.
      assert.ok(error.status === 0 || error.status >= 400, `status ${error.status}`);
      assert.ok(error.message.length > 10, error.message);
    }
    const providers = new Set(answers.map((answer) => answer.provider));
    assert.ok(providers.has('first') && providers.has('second'), `answered by ${[...providers]}`);
    assert.ok(answers.length >= total / 2, `${answers.length} answers, ${errors.length} errors`);

    // Nothing left behind: no request still in flight, every one counted.
    await until(async () => /switchboard_inflight_requests 0/.test(await (await fetch(`${switchboard.url}/metrics`)).text()));
    const metrics = await (await fetch(`${switchboard.url}/metrics`)).text();
    const counted = [...metrics.matchAll(/^switchboard_requests_total\{[^}]*\} (\d+)$/gm)].reduce(
      (sum, match) => sum + Number(match[1]),
      0,
    );
    assert.equal(counted, total);
  });
});
