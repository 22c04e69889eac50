// Hostile upstreams: an SSE line that never ends, a body that never ends, a 10 MB error, HTML error
// pages, garbage bytes, a drip of one byte at a time, and an upstream that echoes the key back. The
// first provider misbehaves, the second is healthy: every request is answered by the second, soon,
// without the gateway's memory following the hostile bytes, and nothing hostile reaches the client.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { type Kind, sseEvents } from '../support/chaos-client.ts';
import { type ChaosTarget, startChaosTarget } from '../support/chaos-target.ts';
import type { Fault } from '../support/chaos-upstream.ts';
import { emptyFigures, publishFigures } from '../support/figures.ts';

const figures = emptyFigures();

/** Samples the gateway's RSS every 100 ms while `work` runs; resolves with its result and the peak. */
async function watchingMemory<T>(target: ChaosTarget, work: () => Promise<T>): Promise<{ result: T; peakMb: number }> {
  let peakMb = target.gateway.rssMb();
  const timer = setInterval(() => {
    if (target.gateway.alive()) peakMb = Math.max(peakMb, target.gateway.rssMb());
  }, 100);
  try {
    return { result: await work(), peakMb };
  } finally {
    clearInterval(timer);
    figures.rssPeakMb = Math.max(figures.rssPeakMb ?? 0, peakMb);
  }
}

describe('hostile upstreams: caps, not timeouts, stop them', { timeout: 240_000 }, () => {
  let target: ChaosTarget;

  before(async () => {
    // Deadlines far away and a breaker that never opens, so only the gateway's size caps can cut a
    // hostile answer short, and every request meets the hostile upstream first.
    target = await startChaosTarget({
      upstreams: 2,
      routing: {
        failureThreshold: 1000,
        timeouts: { connectMs: 1000, firstTokenMs: 30_000, responseMs: 30_000, idleMs: 30_000, totalMs: 60_000 },
      },
    });
    figures.rssStartMb = target.gateway.rssMb();
  });

  after(async () => {
    if (target && !target.gateway.alive()) figures.crashes++;
    await target?.dispose();
  });

  async function failsOver(fault: Fault, kind: Kind, maxMs: number) {
    const [hostile, healthy] = target.upstreams as [(typeof target.upstreams)[0], (typeof target.upstreams)[0]];
    hostile.faults = [fault];
    const before = { hostile: hostile.requests, healthy: healthy.requests };
    const started = Date.now();
    const { result, peakMb } = await watchingMemory(target, () => target.client.send(kind));
    const elapsedMs = Date.now() - started;
    hostile.faults = [];
    figures.requests++;
    if (result.verdict === 'truncated') figures.truncatedSuccesses++;
    if (result.verdict === 'hang') figures.hangs++;
    // A plain 500 gets one quick retry on the same provider, so at least once.
    assert.ok(hostile.requests - before.hostile >= 1, `${fault}: the hostile upstream was tried first`);
    assert.equal(result.verdict, 'success', `${fault} ${kind}: ${result.status} ${result.problem} ${result.body.slice(0, 200)}`);
    assert.equal(result.headers['x-switchboard-provider'], 'up1');
    assert.ok(elapsedMs < maxMs, `${fault} ${kind}: answered after ${elapsedMs} ms`);
    assert.ok(peakMb < figures.rssStartMb! + 150, `${fault} ${kind}: RSS ${figures.rssStartMb} → ${peakMb} MB`);
    assert.ok(target.gateway.alive());
    return result;
  }

  it('an SSE line that never ends is cut at the event cap and the stream fails over', async () => {
    await failsOver('endless-line', 'chat-sse', 15_000);
    await failsOver('endless-line', 'messages-sse', 15_000);
  });

  it('a body that never ends is cut at the answer cap and fails over', async () => {
    await failsOver('endless-body', 'chat-json', 15_000);
    await failsOver('endless-body', 'messages-json', 15_000);
  });

  it('a 10 MB error, an HTML error page and garbage bytes fail over', async () => {
    for (const fault of ['huge-error', 'html-502', 'garbage-200', 'empty-200'] as const) {
      for (const kind of ['chat-json', 'chat-sse'] as const) await failsOver(fault, kind, 10_000);
    }
  });

  it('when every upstream sends a 10 MB error, the client, /status and the log get a bounded excerpt', async () => {
    for (const fault of ['huge-error', 'huge-bad-request'] as const) {
      for (const upstream of target.upstreams) upstream.faults = [fault];
      const logBefore = target.gateway.output().length;
      const outcome = await target.client.send('chat-json');
      figures.requests++;
      for (const upstream of target.upstreams) upstream.faults = [];
      // An error body over routing.limits.errorBodyBytes is itself a malformed answer: a 5xx either way.
      assert.ok(outcome.status >= 400 && outcome.status < 600, `${outcome.status} ${outcome.body.slice(0, 200)}`);
      assert.ok(outcome.body.length < 8192, `${fault}: a ${outcome.body.length}-character error`);
      const status = await target.client.raw('GET', '/status');
      assert.ok(status.body.length < 65_536, `${fault}: a ${status.body.length}-character /status`);
      await new Promise((resolve) => setTimeout(resolve, 300));
      const logged = target.gateway.output().length - logBefore;
      assert.ok(logged < 65_536, `${fault}: ${logged} characters logged`);
    }
  });

  it('every upstream answering with an HTML page: an error in OpenAI’s shape without the page', async () => {
    for (const upstream of target.upstreams) upstream.faults = ['html-502'];
    const outcome = await target.client.send('chat-json');
    figures.requests++;
    for (const upstream of target.upstreams) upstream.faults = [];
    assert.equal(outcome.verdict, 'failure', `${outcome.status} ${outcome.body.slice(0, 200)}`);
    assert.ok(outcome.status >= 500);
    assert.ok(outcome.body.length < 8192, `a ${outcome.body.length}-character error`);
  });

  it('two choices (n: 2), one stopped half-way, then a clean end: an error event, never [DONE]', async () => {
    for (const upstream of target.upstreams) upstream.faults = ['two-choices-one-cut'];
    const body = JSON.stringify({ model: 'chaos', n: 2, stream: true, messages: [{ role: 'user', content: 'two' }] });
    const response = await target.client.raw('POST', '/v1/chat/completions', {
      headers: { 'content-type': 'application/json' },
      body,
    });
    for (const upstream of target.upstreams) upstream.faults = [];
    figures.requests++;
    const data = sseEvents(response.body).map((event) => event.data);
    if (data.includes('[DONE]')) figures.truncatedSuccesses++;
    assert.ok(!data.includes('[DONE]'), 'a truncated choice presented as complete');
    assert.ok(
      data.some((payload) => payload.includes('"error"')),
      `an error event ends it: ${response.body.slice(-300)}`,
    );
  });

  it('an upstream that echoes the credentials back fails over, and the answer carries none of them', async () => {
    // A 500 counts one failure; a 401 (last, as it takes the provider out at once) refuses its key.
    const cases = [
      [500, 'chat-json'],
      [500, 'chat-sse'],
      [500, 'messages-json'],
      [401, 'messages-sse'],
    ] as const;
    for (const [status, kind] of cases) {
      target.upstreams[0]!.echoStatus = status;
      const outcome = await failsOver('echo-headers', kind, 10_000);
      const text = `${outcome.body} ${JSON.stringify(outcome.headers)}`;
      for (const secret of target.secrets.all) assert.ok(!text.includes(secret.slice(0, 8)), `${kind} carries a key`);
    }
  });
});

describe('a drip of one byte every 200 ms does not hold a request past its deadlines', { timeout: 120_000 }, () => {
  let target: ChaosTarget;

  before(async () => {
    target = await startChaosTarget({ upstreams: 2, routing: { failureThreshold: 1000 } });
  });

  after(async () => {
    if (target && !target.gateway.alive()) figures.crashes++;
    publishFigures('hostile-upstreams', figures);
    await target?.dispose();
  });

  for (const kind of ['chat-json', 'chat-sse', 'messages-sse'] as const) {
    it(`${kind}: answered by the next provider after the first's deadline`, async () => {
      const [dripping, healthy] = target.upstreams as [(typeof target.upstreams)[0], (typeof target.upstreams)[0]];
      dripping.faults = ['drip'];
      const before = healthy.requests;
      const started = Date.now();
      const outcome = await target.client.send(kind);
      figures.requests++;
      if (outcome.verdict === 'truncated') figures.truncatedSuccesses++;
      dripping.faults = [];
      assert.equal(outcome.verdict, 'success', `${outcome.status} ${outcome.problem} ${outcome.body.slice(0, 200)}`);
      assert.equal(healthy.requests - before, 1);
      // firstTokenMs 2.5 s for streams, responseMs 4 s otherwise (chaos-config.ts), plus load.
      assert.ok(Date.now() - started < 12_000, `answered after ${Date.now() - started} ms`);
    });
  }
});
