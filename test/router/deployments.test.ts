// Deployments as the unit of health: one sick model does not take its provider out, and
// recovery is found by probes on a schedule, whatever the outage length (clocks scaled 1:10).
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import type { ChatRequest } from '../../src/protocol/chat.ts';
import { createRouter } from '../../src/router/router.ts';
import { completion, openaiError, type RecordedRequest } from '../support/upstream.ts';
import { upstream } from './helpers.ts';

const isProbe = (request: RecordedRequest) => request.body.max_tokens === 1;
const ask = (model: string): ChatRequest => ({ model, messages: [{ role: 'user', content: 'hi' }] });
const overloaded = { status: 503, json: openaiError('The model is overloaded', 'server_error') };

async function eventually(check: () => boolean, withinMs: number): Promise<boolean> {
  const until = performance.now() + withinMs;
  while (performance.now() < until) {
    if (check()) return true;
    await sleep(5);
  }
  return check();
}

describe('deployments', () => {
  it('one of three models answers 503 for a while: the other two stay on their provider, the sick one fails over and comes back', async () => {
    let sick = true;
    const primary = await upstream([], (request) =>
      sick && request.body.model === 'p-x' ? overloaded : { json: completion('from p', { model: request.body.model }) },
    );
    const secondary = await upstream([], { json: completion('from q', { model: 'q-model' }) });
    const router = createRouter({
      providers: {
        p: { baseUrl: primary.url, priority: 1, models: { x: 'p-x', y: 'p-y', z: 'p-z' } },
        q: { baseUrl: secondary.url, priority: 2, models: { x: 'q-x', y: 'q-y', z: 'q-z' } },
      },
      routing: { retryDelayMs: 1, recovery: { probeDelaysMs: [50, 100, 200], probeJitter: 0.2 } },
    });
    try {
      for (let round = 0; round < 10; round++) {
        for (const model of ['y', 'z']) {
          const result = await router.complete(ask(model));
          assert.equal(result.provider, 'p', `${model} stays on its provider`);
          assert.equal(result.attempts.length, 1, `${model}: no failed attempt`);
          assert.equal(result.response.model, `p-${model}`, 'the answer names the model that answered');
        }
        const sickResult = await router.complete(ask('x'));
        assert.equal(sickResult.provider, 'q', 'the sick model fails over');
        assert.equal(sickResult.deployment, 'q/x');
        if (round >= 3) assert.equal(sickResult.attempts.length, 1, 'once its circuit is open, x goes straight to q');
      }
      const status = router.status().p!;
      assert.equal(status.state, 'degraded');
      assert.equal(status.healthy, true);
      assert.deepEqual(
        status.deployments.map((deployment) => [deployment.id, deployment.state === 'closed']),
        [
          ['p/x', false],
          ['p/y', true],
          ['p/z', true],
        ],
      );
      const callersToSick = () => primary.requests.filter((request) => request.body.model === 'p-x' && !isProbe(request));
      assert.equal(callersToSick().length, 3, 'three failures opened it; no caller was sent after');
      assert.ok(await eventually(() => primary.requests.some(isProbe), 1000), 'the sick deployment was probed');
      assert.ok(
        primary.requests.filter(isProbe).every((request) => request.body.model === 'p-x'),
        'only the open deployment is probed',
      );

      sick = false;
      const healed = performance.now();
      assert.ok(await eventually(() => router.status().p!.state === 'closed', 2000), 'a probe closed the circuit');
      const result = await router.complete(ask('x'));
      assert.equal(result.provider, 'p', 'the sick model came back to its provider');
      assert.equal(result.attempts.length, 1);
      assert.ok(performance.now() - healed < 2000);
    } finally {
      await router.close();
    }
  });

  for (const outageMs of [600, 6000]) {
    it(`an outage of ${outageMs / 100} s (scaled 1:10) ends with traffic back on the primary within 5 s (scaled: 500 ms) of recovery`, async (t) => {
      let recoverAt = Number.POSITIVE_INFINITY;
      const primary = await upstream([], () =>
        performance.now() < recoverAt ? overloaded : { json: completion('from primary') },
      );
      const secondary = await upstream([], { json: completion('from secondary') });
      // The default schedule (0.5 s, 1 s, 2 s, then every 4 s, 20 % jitter), scaled 1:10.
      const router = createRouter({
        providers: {
          primary: { baseUrl: primary.url, priority: 1, models: { m: 'primary-model' } },
          secondary: { baseUrl: secondary.url, priority: 2, models: { m: 'secondary-model' } },
        },
        routing: { retryDelayMs: 1, recovery: { probeDelaysMs: [50, 100, 200, 400], probeJitter: 0.2 } },
      });
      try {
        recoverAt = performance.now() + outageMs;
        let backAt: number | undefined;
        let callersDuringOutage = 0;
        // Steady traffic, a request every 20 ms, until the primary answers one again (bounded).
        for (let sent = 0; backAt === undefined && sent < 2000; sent++) {
          const result = await router.complete(ask('m'));
          if (result.provider === 'primary' && performance.now() >= recoverAt) backAt = performance.now();
          await sleep(20);
        }
        for (const request of primary.requests) {
          if (!isProbe(request) && request.receivedAt < recoverAt) callersDuringOutage++;
        }
        assert.ok(backAt !== undefined, 'traffic came back to the primary');
        const lagMs = backAt - recoverAt;
        t.diagnostic(`traffic back on the primary ${Math.round(lagMs)} ms after it recovered`);
        assert.ok(lagMs <= 500, `back ${Math.round(lagMs)} ms after the upstream recovered (limit 500 ms scaled)`);
        assert.equal(callersDuringOutage, 3, 'callers only until the circuit opened; probes after');
      } finally {
        await router.close();
      }
    });
  }

  it('a dead deployment gets at most one probe per interval, and one at a time when probes hang', async () => {
    const dead = await upstream([], overloaded);
    const hung = await upstream([], 'hang');
    const healthy = await upstream([], { json: completion('ok') });
    const router = createRouter({
      providers: {
        dead: { baseUrl: dead.url, priority: 1, models: { m: 'dead-model' } },
        hung: { baseUrl: hung.url, priority: 2, models: { m: 'hung-model' } },
        healthy: { baseUrl: healthy.url, priority: 3, models: { m: 'healthy-model' } },
      },
      routing: {
        failureThreshold: 1,
        retryDelayMs: 1,
        // A probe that hangs is cut at 150 ms; the schedule alone would probe every 40 ms.
        healthCheck: { timeoutMs: 150 },
        timeouts: { responseMs: 150 },
        recovery: { probeDelaysMs: [40, 80], probeJitter: 0.25 },
      },
    });
    try {
      const started = performance.now();
      // Callers keep coming while both are out: none of them is a trial, the healthy one answers.
      while (performance.now() - started < 1500) {
        assert.equal((await router.complete(ask('m'))).provider, 'healthy');
        await sleep(10);
      }
      const probes = (upstream: typeof dead) => upstream.requests.filter(isProbe).map((request) => request.receivedAt);
      const deadProbes = probes(dead);
      assert.ok(deadProbes.length >= 5, `probed while dead (${deadProbes.length})`);
      for (let index = 1; index < deadProbes.length; index++) {
        const gap = deadProbes[index]! - deadProbes[index - 1]!;
        const least = index === 1 ? 40 * 0.75 : 80 * 0.75;
        assert.ok(gap >= least - 5, `probe ${index} came ${gap.toFixed(0)} ms after the one before (interval at least ${least})`);
      }
      // 1500 ms at one probe per 60–80 ms after the first: at most 1 + 1500 / 60.
      assert.ok(deadProbes.length <= 26, `${deadProbes.length} probes in 1.5 s`);
      const hungProbes = probes(hung);
      assert.ok(hungProbes.length >= 2);
      for (let index = 1; index < hungProbes.length; index++) {
        assert.ok(hungProbes[index]! - hungProbes[index - 1]! >= 150, 'the next probe waits for the hung one to be cut');
      }
      assert.equal(dead.requests.filter((request) => !isProbe(request)).length, 1, 'one caller, before the trip');
      assert.equal(hung.requests.filter((request) => !isProbe(request)).length, 1);
    } finally {
      await router.close();
    }
  });
});
