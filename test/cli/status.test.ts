import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { gatewayBase, readSnapshot } from '../../src/cli/status.ts';
import { type Gateway, startGateway } from '../../src/gateway/server.ts';
import { runCli, startCli } from '../support/cli.ts';
import { completion, refusingUrl, startUpstream, type Upstream } from '../support/upstream.ts';

describe('switchboard status', () => {
  let good: Upstream;
  let gateway: Gateway;

  before(async () => {
    good = await startUpstream([], { fallback: { json: completion('hi') } });
    const refusing = await refusingUrl();
    gateway = await startGateway({
      config: {
        providers: {
          primary: { protocol: 'openai', baseUrl: refusing, priority: 1, models: { m: 'm' } },
          backup: { protocol: 'openai', baseUrl: good.url, priority: 2, models: { m: 'm' } },
        },
        // Probes a minute apart: the primary stays open, untouched, for the test.
        routing: { failureThreshold: 1, recovery: { probeDelaysMs: [60_000], probeJitter: 0 } },
      },
      port: 0,
      logger: false,
    });
    // One request: primary refuses and trips, backup answers.
    const response = await fetch(`${gateway.url}/v1/chat/completions`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ model: 'm', messages: [{ role: 'user', content: 'hi' }] }),
      signal: AbortSignal.timeout(5000),
    });
    assert.equal(response.headers.get('x-switchboard-provider'), 'backup');
  });
  after(async () => {
    await gateway.close(0);
    await good.close();
  });

  it("prints a running gateway's deployments, their state and the models", async () => {
    const result = await runCli(['status', gateway.url]);
    assert.equal(result.code, 0, result.stderr);
    const lines = result.stdout.split('\n');
    assert.equal(lines[0], `gateway  ${gateway.url}`);
    assert.match(result.stdout, /^models {3}m → primary, backup$/m);
    assert.match(result.stdout, /^state {4}memory$/m);
    assert.match(result.stdout, /^DEPLOYMENT\s+STATE\s+PRIORITY\s+LATENCY EMA\s+REQUESTS\s+ERRORS\s+NEXT PROBE\s+LAST ERROR$/m);
    assert.match(result.stdout, /^primary\/m\s+open\s+1\s+-\s+1\s+1\s+(5\d|60) s\s+.*ECONNREFUSED/m);
    assert.match(result.stdout, /^backup\/m\s+closed\s+2\s+\d+ ms\s+1\s+0\s+-\s*$/m);
    assert.match(result.stdout, /^1 of 2 deployments, 1 of 2 providers in service$/m);
  });

  it('takes a bare port, and prints the JSON with --json', async () => {
    const port = new URL(gateway.url).port;
    const result = await runCli(['status', port, '--json']);
    assert.equal(result.code, 0, result.stderr);
    const body = JSON.parse(result.stdout) as { providers: Record<string, { state: string }> };
    assert.equal(body.providers.primary?.state, 'open');
  });

  it('exits 1 and says so when nothing answers', async () => {
    const nowhere = (await refusingUrl()).replace(/\/v1$/, '');
    const result = await runCli(['status', nowhere]);
    assert.equal(result.code, 1);
    assert.match(
      result.stderr,
      /cannot reach a gateway at http:\/\/127\.0\.0\.1:\d+ \(ECONNREFUSED\); is `switchboard serve` running there\?/,
    );
  });

  it('reads URLs and snapshots in the shapes it may meet', () => {
    assert.equal(gatewayBase('4001'), 'http://127.0.0.1:4001');
    assert.equal(gatewayBase('10.0.0.5:4000/'), 'http://10.0.0.5:4000');
    assert.equal(gatewayBase('https://gw.example.com/status'), 'https://gw.example.com');
    const provider = { name: 'a', state: 'closed' };
    assert.deepEqual(readSnapshot({ providers: { a: provider }, models: [] }).providers, [provider]);
    assert.deepEqual(readSnapshot({ a: provider }).providers, [provider]);
    assert.deepEqual(readSnapshot(null).providers, []);
  });

  it('follows the gateway with --watch, redrawing as requests arrive, until interrupted', async () => {
    const watching = startCli(['status', gateway.url, '--watch']);
    try {
      await watching.waitFor(/^backup\/m\s+closed\s+2\s+\d+ ms\s+1\s+0/m, 10_000);
      const response = await fetch(`${gateway.url}/v1/chat/completions`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ model: 'm', messages: [{ role: 'user', content: 'again' }] }),
        signal: AbortSignal.timeout(5000),
      });
      assert.equal(response.status, 200);
      await watching.waitFor(/^backup\/m\s+closed\s+2\s+\d+ ms\s+2\s+0/m, 10_000);
      assert.ok((watching.stdout.match(/^gateway {2}/gm) ?? []).length >= 2, 'drawn more than once');
      watching.child.kill('SIGINT');
      const result = await watching.exited(5000);
      assert.equal(result.code, 0, result.stderr);
    } finally {
      watching.kill();
    }
  });
});
