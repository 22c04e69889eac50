// Three gateway processes sharing one redis-server: spend adds up exactly across them, and a
// Redis that goes away under load fails no request and is rejoined.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { setTimeout as delay } from 'node:timers/promises';
import type { UsageReport } from '../../src/gateway/usage.ts';
import type { Spend } from '../../src/state/store.ts';
import { startRedis } from '../support/redis.ts';
import { ask, getJson, startReplicas } from '../support/replicas.ts';
import { completion, startUpstream } from '../support/upstream.ts';

const bounded = { timeout: 180_000 };

async function eventually(check: () => Promise<boolean>, withinMs = 10_000): Promise<void> {
  const until = Date.now() + withinMs;
  while (!(await check())) {
    if (Date.now() > until) throw new Error(`not within ${withinMs} ms`);
    await delay(50);
  }
}

/** Answers with `prompt_tokens: 7` and 1–5 completion words, varying with the request count. */
async function variedUpstream(t: import('node:test').TestContext) {
  let served = 0;
  const upstream = await startUpstream([], {
    fallback: () => {
      served += 1;
      const words = ['one', 'two', 'three', 'four', 'five'].slice(0, 1 + (served % 5));
      return { json: completion(words.join(' '), { usage: { prompt_tokens: 7 } }) };
    },
  });
  t.after(() => upstream.close());
  return upstream;
}

const pricing = { llama: { input: 0.15, output: 0.6 } };

function sharedSpend(report: UsageReport): Spend | undefined {
  return report.shared?.provider.only;
}

describe('replicas sharing Redis', () => {
  it('count spend that adds up exactly across three gateways under concurrent load', bounded, async (t) => {
    const redis = await startRedis(t);
    const upstream = await variedUpstream(t);
    const replicas = await startReplicas(
      t,
      3,
      { providers: { only: { protocol: 'openai', baseUrl: upstream.url, models: { llama: 'llama-x' }, pricing } } },
      redis.url,
    );
    const requests = 240;
    const answers = await Promise.all(Array.from({ length: requests }, (_, index) => ask(replicas[index % replicas.length]!)));
    assert.deepEqual(new Set(answers.map((answer) => answer.status)), new Set([200]));

    // What each replica recorded in its own ledger, summed: the truth the shared counters must match.
    const ledgers = await Promise.all(replicas.map((replica) => getJson<UsageReport>(replica, '/usage?since=1h')));
    const local = ledgers.reduce(
      (sum, report) => ({
        requests: sum.requests + report.total.requests,
        inputTokens: sum.inputTokens + report.total.inputTokens,
        outputTokens: sum.outputTokens + report.total.outputTokens,
      }),
      { requests: 0, inputTokens: 0, outputTokens: 0 },
    );
    assert.equal(local.requests, requests);
    assert.equal(local.inputTokens, 7 * requests);
    const expectedNanos = Math.round(((local.inputTokens * 0.15 + local.outputTokens * 0.6) / 1e6) * 1e9);

    await eventually(async () => {
      const reports = await Promise.all(replicas.map((replica) => getJson<UsageReport>(replica, '/usage?since=1h')));
      return reports.every((report) => sharedSpend(report)?.requests === requests);
    });
    for (const replica of replicas) {
      const spend = sharedSpend(await getJson<UsageReport>(replica, '/usage?since=1h'))!;
      assert.deepEqual(
        { requests: spend.requests, inputTokens: spend.inputTokens, outputTokens: spend.outputTokens },
        local,
        `replica ${replica.name} agrees`,
      );
      assert.equal(Math.round(spend.costUsd * 1e9), expectedNanos, `replica ${replica.name}: cost to the nano-dollar`);
    }
  });

  it('fail no request while Redis is stopped under load, say so once, and share again when it returns', bounded, async (t) => {
    const redis = await startRedis(t);
    const upstream = await variedUpstream(t);
    const replicas = await startReplicas(
      t,
      3,
      { providers: { only: { protocol: 'openai', baseUrl: upstream.url, models: { llama: 'llama-x' }, pricing } } },
      redis.url,
    );
    const statuses: number[] = [];
    let sent = 0;
    let running = true;
    const load = Promise.all(
      replicas.map(async (replica) => {
        while (running) {
          sent += 1;
          statuses.push((await ask(replica)).status);
          await delay(5);
        }
      }),
    );
    await delay(500);
    await redis.stop();
    await eventually(async () => {
      const states = await Promise.all(replicas.map((replica) => getJson<{ state: { connected: boolean } }>(replica, '/status')));
      return states.every((status) => !status.state.connected);
    });
    await delay(1000);
    await redis.start();
    await eventually(async () => {
      const states = await Promise.all(replicas.map((replica) => getJson<{ state: { connected: boolean } }>(replica, '/status')));
      return states.every((status) => status.state.connected);
    });
    await delay(500);
    running = false;
    await load;

    assert.ok(sent > 30, `load ran (${sent} requests)`);
    assert.deepEqual(new Set(statuses), new Set([200]), 'no request failed because Redis did');
    for (const replica of replicas) {
      const down = replica.log.match(/Redis unreachable/g) ?? [];
      const back = replica.log.match(/Redis reachable again/g) ?? [];
      assert.equal(down.length, 1, `replica ${replica.name} said so once:\n${replica.log.slice(-2000)}`);
      assert.equal(back.length, 1, `replica ${replica.name} said it rejoined once`);
    }
    // Every request, before, during and after the outage, is in the shared totals of every replica.
    await eventually(async () => {
      const reports = await Promise.all(replicas.map((replica) => getJson<UsageReport>(replica, '/usage?since=1h')));
      return reports.every((report) => sharedSpend(report)?.requests === sent);
    });
  });
});
