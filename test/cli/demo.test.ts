import assert from 'node:assert/strict';
import { after, describe, it } from 'node:test';
import { type RunningCli, runCli, startCli } from '../support/cli.ts';

describe('switchboard demo', () => {
  const children: RunningCli[] = [];
  after(() => {
    for (const child of children) child.kill();
  });

  it('--duration 8: shows an outage, failovers, a trip and a recovery, loses no request, and exits 0 by itself', async () => {
    const cli = startCli(['demo', '--duration', '8']);
    children.push(cli);
    const result = await cli.exited(25_000);
    assert.equal(result.code, 0, result.stderr);
    const out = result.stdout;
    assert.match(out, /status page {2}http:\/\/127\.0\.0\.1:\d+\//);
    assert.match(out, /^\s+[\d.]+s {2}outage {5}fast goes down/m);
    assert.match(out, /^\s+[\d.]+s {2}failover {3}request #\d+.*then slower answered/m);
    assert.match(out, /^\s+[\d.]+s {2}trip {7}fast: circuit open after 3 consecutive failures/m);
    assert.match(out, /^\s+[\d.]+s {2}back up {4}fast back up/m);
    assert.match(out, /^\s+[\d.]+s {2}recovery {3}fast: recovered/m);
    // The events come in the order they happen.
    const order = ['outage', 'failover', 'trip', 'back up', 'recovery'].map((label) => out.indexOf(`  ${label} `));
    assert.deepEqual(
      [...order].sort((a, b) => a - b),
      order,
    );
    assert.match(out, /demo stopped \(8 s are up\) after [\d.]+ s: (\d+) requests, \1 answered, 0 failed, [1-9]\d* failed over/);
    // Not a terminal: plain lines, no cursor movement or colour.
    assert.ok(!out.includes('\x1b['), 'an escape sequence in plain output');
  });

  it('serves the status page while it runs, and exits 0 on SIGTERM', async () => {
    const cli = startCli(['demo', '--port', '0']);
    children.push(cli);
    const [, page] = await cli.waitFor(/status page {2}(http:\/\/127\.0\.0\.1:\d+\/)/);
    const response = await fetch(page!, { signal: AbortSignal.timeout(3000) });
    assert.equal(response.status, 200);
    assert.match(response.headers.get('content-type') ?? '', /text\/html/);
    const status = (await (await fetch(`${page}status`, { signal: AbortSignal.timeout(3000) })).json()) as {
      providers: Record<string, unknown>;
    };
    assert.deepEqual(Object.keys(status.providers), ['fast', 'slower', 'fallback']);
    cli.child.kill('SIGTERM');
    const result = await cli.exited(10_000);
    assert.equal(result.code, 0, result.stderr);
    assert.match(result.stdout, /demo stopped \(SIGTERM\)/);
  });

  it('rejects a duration that is not a number of seconds', async () => {
    const result = await runCli(['demo', '--duration', 'soon']);
    assert.equal(result.code, 1);
    assert.match(result.stderr, /expected a number of seconds/);
  });
});
