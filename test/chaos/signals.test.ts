// Signals under load, against `switchboard serve` in its own process: SIGHUP reloads while requests
// run and none fails; SIGTERM drains (streams in flight finish, new requests are refused, exit 0);
// SIGHUP during the drain is ignored; a second SIGTERM ends at once; a client that never reads does
// not hold the drain; and a closed log pipe (`serve 2>&1 | head -1`) neither stops the serving
// nor the stopping.
import assert from 'node:assert/strict';
import { connect } from 'node:net';
import { after, describe, it } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import { type ChaosTarget, startChaosTarget } from '../support/chaos-target.ts';
import { emptyFigures, publishFigures } from '../support/figures.ts';
import { storm } from '../support/storm.ts';

const figures = emptyFigures();
const targets: ChaosTarget[] = [];

async function started(options: Parameters<typeof startChaosTarget>[0] = {}): Promise<ChaosTarget> {
  const target = await startChaosTarget(options);
  targets.push(target);
  return target;
}

/** Streams that take a second or two: slow-drip pieces, 40–80 words. */
function slowStreams(target: ChaosTarget, count: number) {
  for (const upstream of target.upstreams) upstream.faults = ['slow-drip'];
  figures.requests += count;
  return Array.from({ length: count }, (_, index) => target.client.send(index % 2 === 0 ? 'chat-sse' : 'messages-sse'));
}

function count(outcomes: Awaited<ReturnType<ChaosTarget['client']['send']>>[]) {
  const truncated = outcomes.filter((outcome) => outcome.verdict === 'truncated');
  figures.truncatedSuccesses += truncated.length;
  figures.hangs += outcomes.filter((outcome) => outcome.verdict === 'hang').length;
  return { successes: outcomes.filter((outcome) => outcome.verdict === 'success').length, truncated };
}

describe('signals under load', { timeout: 240_000 }, () => {
  after(async () => {
    publishFigures('signals', figures);
    await Promise.all(targets.map((target) => target.dispose()));
  });

  it('SIGHUP reloads three times under load: no request fails, the new priorities apply', async () => {
    const target = await started();
    const config = structuredClone(target.config) as { providers: Record<string, { priority: number }> };
    const load = storm(target.client, 300, 8);
    for (const [round, first] of ['up2', 'up1', 'up2'].entries()) {
      await sleep(300);
      for (const [name, provider] of Object.entries(config.providers)) provider.priority = name === first ? 0 : 10;
      await target.gateway.writeConfig(config);
      target.gateway.cli.child.kill('SIGHUP');
      await target.gateway.cli.waitFor(new RegExp(`(?:config reloaded \\(SIGHUP\\)[^]*){${round + 1}}`), 10_000);
    }
    const tally = await load;
    figures.requests += tally.requests;
    figures.truncatedSuccesses += tally.truncated.length;
    figures.hangs += tally.hangs.length;
    assert.equal(tally.unanswered.length + tally.truncated.length + tally.hangs.length, 0, 'every request answered');
    assert.equal(tally.badAnswers.length, 0);
    assert.equal((target.gateway.output().match(/config reloaded \(SIGHUP\)/g) ?? []).length, 3);
    const after = await target.client.send('chat-json');
    assert.equal(after.headers['x-switchboard-provider'], 'up2', 'the last reload put up2 first');
    assert.ok(target.gateway.alive());
  });

  it('SIGTERM drains: streams in flight finish whole, new requests are refused, exit 0 within drainMs', async () => {
    const target = await started({ server: { drainMs: 10_000 }, upstream: { maxWords: 80 } });
    const streams = slowStreams(target, 12);
    await sleep(400);
    const stoppedAt = Date.now();
    target.gateway.cli.child.kill('SIGTERM');
    await sleep(200);
    const refused = await target.client.send('chat-json');
    figures.requests++;
    assert.notEqual(refused.verdict, 'success', 'a new request during the drain is refused');
    const { successes, truncated } = count(await Promise.all(streams));
    assert.equal(truncated.length, 0);
    assert.equal(successes, 12, 'every stream in flight finished');
    const exit = await target.gateway.cli.exited(15_000);
    assert.equal(exit.code, 0);
    assert.ok(Date.now() - stoppedAt < 10_000 + 3000, `exited ${Date.now() - stoppedAt} ms after SIGTERM`);
  });

  it('SIGHUP during the drain is ignored: the streams still finish and the exit is clean', async () => {
    const target = await started({ server: { drainMs: 10_000 }, upstream: { maxWords: 80 } });
    const streams = slowStreams(target, 8);
    await sleep(400);
    target.gateway.cli.child.kill('SIGTERM');
    await sleep(100);
    target.gateway.cli.child.kill('SIGHUP');
    const { successes, truncated } = count(await Promise.all(streams));
    assert.equal(truncated.length, 0);
    assert.equal(successes, 8, 'the drain was not cut short');
    const exit = await target.gateway.cli.exited(15_000);
    assert.equal(exit.signal, null, 'not killed by SIGHUP');
    assert.equal(exit.code, 0);
  });

  it('a second SIGTERM ends the process at once', async () => {
    const target = await started({ server: { drainMs: 30_000 } });
    for (const upstream of target.upstreams) upstream.faults = ['stall'];
    const streams = Array.from({ length: 4 }, () => target.client.send('chat-sse'));
    await sleep(400);
    target.gateway.cli.child.kill('SIGTERM');
    await sleep(300);
    const secondAt = Date.now();
    target.gateway.cli.child.kill('SIGTERM');
    await target.gateway.cli.exited(10_000);
    assert.ok(Date.now() - secondAt < 3000, `exited ${Date.now() - secondAt} ms after the second SIGTERM`);
    count(await Promise.all(streams));
  });

  it('a client that never reads does not hold the drain past writeTimeoutMs', async () => {
    const target = await started({ server: { drainMs: 30_000, writeTimeoutMs: 1000 } });
    const { hostname, port } = new URL(target.gateway.url);
    const request = JSON.stringify({ model: 'chaos', stream: true, messages: [{ role: 'user', content: '[long]' }] });
    const socket = connect(Number(port), hostname);
    socket.on('error', () => {});
    socket.pause();
    socket.write(
      `POST /v1/chat/completions HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer ${target.secrets.gatewayKey}\r\nContent-Type: application/json\r\nContent-Length: ${request.length}\r\n\r\n${request}`,
    );
    figures.requests++;
    await sleep(800);
    const stoppedAt = Date.now();
    target.gateway.cli.child.kill('SIGTERM');
    const exit = await target.gateway.cli.exited(35_000);
    socket.destroy();
    assert.equal(exit.code, 0);
    assert.ok(Date.now() - stoppedAt < 8000, `exited ${Date.now() - stoppedAt} ms after SIGTERM (drainMs is 30 s)`);
  });

  it('a closed log pipe (serve 2>&1 | head -1): it keeps serving and stops on SIGTERM within drainMs', async () => {
    const target = await started({ server: { drainMs: 3000 } });
    // The reader goes away: every later log write fails with EPIPE.
    target.gateway.cli.child.stdout!.destroy();
    target.gateway.cli.child.stderr!.destroy();
    for (let index = 0; index < 50; index++) {
      const outcome = await target.client.send(index % 2 === 0 ? 'chat-json' : 'chat-sse');
      figures.requests++;
      assert.equal(outcome.verdict, 'success', `request ${index} after the pipe closed: ${outcome.status} ${outcome.problem}`);
    }
    const health = await target.client.raw('GET', '/healthz');
    assert.equal(health.status, 200);
    const stoppedAt = Date.now();
    target.gateway.cli.child.kill('SIGTERM');
    const exit = await target.gateway.cli.exited(10_000);
    assert.equal(exit.code, 0, `exit ${exit.code} ${exit.signal}`);
    assert.ok(Date.now() - stoppedAt < 3000 + 2000, `exited ${Date.now() - stoppedAt} ms after SIGTERM`);
  });
});
