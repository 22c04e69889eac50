// /status/stream and /status/probe against a gateway in front of two emulated upstreams: the
// first update at once, one a second after, a failover and a trip arriving as events with the
// traffic in the history, the probe button's route, and the stream ending with the gateway.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { completion, openaiError } from '../support/upstream.ts';
import { gateway, hello, post, providersFor, upstream } from './helpers.ts';

const bounded = { timeout: 20_000 };

interface Update {
  now: number;
  providers: Record<string, { state: string; deployments: Array<{ id: string; spendUsd: number }> }>;
  events: Array<{ seq: number; kind: string; message: string; to?: string }>;
  history: Record<string, Array<{ at: number; requests: number; errors: number }>>;
  stepMs: number;
}

/** Reads the stream's `status` events as they come, until `done` says stop or `timeoutMs` passes. */
async function follow(response: Response, done: (update: Update, all: Update[]) => boolean, timeoutMs = 8000) {
  const reader = response.body!.pipeThrough(new TextDecoderStream()).getReader();
  const updates: Update[] = [];
  const timer = setTimeout(() => reader.cancel().catch(() => {}), timeoutMs);
  let buffer = '';
  try {
    for (;;) {
      const { value, done: ended } = await reader.read();
      if (ended) break;
      buffer += value;
      let end = buffer.indexOf('\n\n');
      while (end >= 0) {
        const block = buffer.slice(0, end);
        buffer = buffer.slice(end + 2);
        end = buffer.indexOf('\n\n');
        assert.match(block, /^event: status\ndata: /);
        const update = JSON.parse(block.slice(block.indexOf('data: ') + 6)) as Update;
        updates.push(update);
        if (done(update, updates)) return updates;
      }
    }
  } finally {
    clearTimeout(timer);
    await reader.cancel().catch(() => {});
  }
  throw new Error(`the stream ended or timed out after ${updates.length} updates`);
}

describe('/status/stream', () => {
  it('sends the status at once, then the failover, the trip and the traffic as they happen', bounded, async (t) => {
    const first = await upstream(t);
    const second = await upstream(t);
    const config = providersFor([first.url, second.url], {
      routing: { failureThreshold: 1, recovery: { probeDelaysMs: [60_000], probeJitter: 0 } },
    });
    const switchboard = await gateway(t, config);
    const opened = Date.now();
    const response = await fetch(`${switchboard.url}/status/stream`);
    assert.equal(response.status, 200);
    let failedOverAt = 0;
    const updates = await follow(response, (update, all) => {
      if (all.length === 1) {
        assert.deepEqual(Object.keys(update.providers), ['first', 'second']);
        assert.deepEqual(update.events, []);
        assert.equal(update.stepMs, 10_000);
        first.fallback = { status: 503, json: openaiError('overloaded', 'server_error') };
        failedOverAt = Date.now();
        post(switchboard, hello).then((answer) => answer.arrayBuffer());
        return false;
      }
      return update.events.some((event) => event.kind === 'failover');
    });
    const last = updates.at(-1)!;
    assert.deepEqual(
      updates.flatMap((update) => update.events.map((event) => event.kind)),
      ['trip', 'failover'],
      'each event is sent once',
    );
    assert.equal(last.providers['first']!.state, 'open');
    assert.equal(last.events.find((event) => event.kind === 'failover')!.to, 'second/llama');
    // Summed over every step sent (the latest of each): a step may close between the request and the update.
    const total = (id: string, field: 'requests' | 'errors') => {
      const steps = new Map<number, number>();
      for (const update of updates) for (const point of update.history[id] ?? []) steps.set(point.at, point[field]);
      return [...steps.values()].reduce((sum, value) => sum + value, 0);
    };
    assert.equal(total('second/llama', 'requests'), 1);
    assert.equal(total('first/llama', 'errors'), 1);
    // One a second at most: n updates take at least n − 1 seconds (a loaded machine only slows it).
    assert.ok(Date.now() - opened >= (updates.length - 1) * 1000 - 50, `${updates.length} updates`);
    assert.ok(Date.now() - failedOverAt < 5000, 'the failover arrived within a few seconds');
  });

  it('probes a deployment now, and answers a bad or unknown one with a 4xx in OpenAI shape', bounded, async (t) => {
    const first = await upstream(t);
    const switchboard = await gateway(t, providersFor([first.url]));
    const probe = (body: unknown) =>
      fetch(`${switchboard.url}/status/probe`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify(body),
      });
    const answered = await probe({ deployment: 'first/llama' });
    assert.equal(answered.status, 200);
    const result = (await answered.json()) as { deployment: string; healthy: boolean; error: string | null };
    assert.deepEqual([result.deployment, result.healthy, result.error], ['first/llama', true, null]);
    assert.equal(first.requests.length, 1);
    assert.equal(first.requests[0]!.body.max_tokens, 1);

    const missing = await probe({});
    assert.equal(missing.status, 400);
    assert.equal(((await missing.json()) as { error: { param: string } }).error.param, 'deployment');
    const unknown = await probe({ deployment: 'nobody/llama' });
    assert.equal(unknown.status, 404);
    assert.equal(((await unknown.json()) as { error: { code: string } }).error.code, 'deployment_not_found');
    assert.equal(first.requests.length, 1, 'no upstream call for a bad probe request');
    const events = switchboard.router.observer.events.since().map((event) => event.kind);
    assert.deepEqual(events, ['probe']);
  });

  it('tells each deployment its spend, counted where the answer came from', bounded, async (t) => {
    const first = await upstream(t, [{ status: 503, json: openaiError('overloaded', 'server_error') }], {
      json: completion('from first', { usage: { prompt_tokens: 11 } }),
    });
    const second = await upstream(t, [], { json: completion('from second', { usage: { prompt_tokens: 7 } }) });
    const config = providersFor([first.url, second.url], { routing: { failureThreshold: 5 } });
    config.providers.first!.pricing = { llama: { input: 1, output: 2 } };
    config.providers.second!.pricing = { llama: { input: 3, output: 4 } };
    const switchboard = await gateway(t, config);
    const expected: Record<string, number> = { 'first/llama': 0, 'second/llama': 0 };
    const prices: Record<string, [number, number]> = { first: [1, 2], second: [3, 4] };
    // The first request fails over to second; the next is answered by first.
    for (let index = 0; index < 2; index++) {
      const answer = await post(switchboard, hello);
      assert.equal(answer.status, 200);
      const provider = answer.headers.get('x-switchboard-provider')!;
      const { usage } = (await answer.json()) as { usage: { prompt_tokens: number; completion_tokens: number } };
      const [input, output] = prices[provider]!;
      expected[`${provider}/llama`]! += (usage.prompt_tokens * input + usage.completion_tokens * output) / 1e6;
    }
    assert.ok(expected['first/llama']! > 0 && expected['second/llama']! > 0, 'both answered once');
    const [update] = await follow(await fetch(`${switchboard.url}/status/stream`), () => true);
    const shown = Object.fromEntries(
      Object.values(update!.providers).flatMap((provider) => provider.deployments.map((d) => [d.id, d.spendUsd])),
    );
    assert.deepEqual(Object.keys(shown).sort(), ['first/llama', 'second/llama']);
    for (const id of Object.keys(expected)) assert.ok(Math.abs(shown[id]! - expected[id]!) < 1e-12, `${id}: ${shown[id]}`);
  });

  it('ends when the gateway closes', bounded, async (t) => {
    const first = await upstream(t);
    const switchboard = await gateway(t, providersFor([first.url]));
    const response = await fetch(`${switchboard.url}/status/stream`);
    const reading = response.text();
    await switchboard.close(5000);
    assert.match(await reading, /^event: status\n/);
  });
});
