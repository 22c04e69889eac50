// The transport against hostile upstreams on 127.0.0.1: a host that accepts no connection, a pool
// that is full. What failover depends on is checked here: when an attempt settles and how its
// failure is classified.
import assert from 'node:assert/strict';
import { type ChildProcess, spawn } from 'node:child_process';
import { once } from 'node:events';
import { connect } from 'node:net';
import { describe, it, type TestContext } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import { SwitchboardError } from '../../src/protocol/errors.ts';
import { type Endpoint, parseEndpoint, type SendOptions, Transport } from '../../src/providers/transport.ts';
import { startUpstream } from '../support/upstream.ts';

const wire = { path: '/chat/completions', headers: { 'content-type': 'application/json' }, body: '{}' };

function optionsFor(extra: Partial<SendOptions> = {}): SendOptions {
  return { provider: 'p', firstByteMs: 10_000, idleMs: 10_000, ...extra };
}

function transport(t: TestContext, options: ConstructorParameters<typeof Transport>[0] = {}): Transport {
  const made = new Transport(options);
  t.after(() => made.close().catch(() => {}));
  return made;
}

async function failure(promise: Promise<unknown>): Promise<{ error: SwitchboardError; ms: number }> {
  const started = performance.now();
  const error = await promise.then(
    () => assert.fail('expected a failure'),
    (thrown: unknown) => thrown,
  );
  assert.ok(error instanceof SwitchboardError, `not a SwitchboardError: ${String(error)}`);
  return { error, ms: performance.now() - started };
}

/**
 * A host that completes no TCP handshake: a listener in a stopped process whose accept queue is full,
 * so further SYNs are dropped and a connect waits until its timeout.
 */
async function unresponsiveHost(): Promise<{ endpoint: Endpoint; close: () => void }> {
  const listener: ChildProcess = spawn(
    process.execPath,
    [
      '-e',
      "const s=require('net').createServer();s.listen({port:0,host:'127.0.0.1',backlog:1},()=>console.log(s.address().port))",
    ],
    { stdio: ['ignore', 'pipe', 'inherit'] },
  );
  const [line] = (await once(listener.stdout!, 'data')) as [Buffer];
  const port = Number(String(line).trim());
  listener.kill('SIGSTOP');
  // A backlog of 1 holds two completed handshakes; four make sure the queue is full.
  const fillers = Array.from({ length: 4 }, () => connect(port, '127.0.0.1').on('error', () => {}));
  await sleep(200);
  return {
    endpoint: parseEndpoint(`http://127.0.0.1:${port}/v1`),
    close: () => {
      listener.kill('SIGKILL');
      for (const filler of fillers) filler.destroy();
    },
  };
}

describe('an attempt aborted before its request started settles at once', () => {
  it('while the connection is still being made (a host that accepts nothing): the abort, not the connect timeout', async (t) => {
    const host = await unresponsiveHost();
    t.after(host.close);
    const caller = new AbortController();
    setTimeout(() => caller.abort(), 100);
    const { error, ms } = await failure(
      transport(t, { connectMs: 8000 }).open(host.endpoint, wire, optionsFor({ signal: caller.signal })),
    );
    assert.equal(error.kind, 'aborted');
    assert.ok(ms < 4000, `settled after ${Math.round(ms)} ms; the connect timeout is 8000`);
  });

  it('while queued behind a full pool: the abort and the answer deadline both end it, and nothing is sent', async (t) => {
    const upstream = await startUpstream(['hang']);
    t.after(() => upstream.close());
    const endpoint = parseEndpoint(upstream.url);
    const pool = transport(t, { connectionsPerOrigin: 1 });
    // The one connection is held by an answer that never comes (until the upstream closes).
    const holder = pool.open(endpoint, wire, optionsFor()).catch((error: unknown) => error);
    while (upstream.requests.length === 0) await sleep(5);

    const caller = new AbortController();
    setTimeout(() => caller.abort(), 50);
    const aborted = await failure(pool.open(endpoint, wire, optionsFor({ signal: caller.signal })));
    assert.equal(aborted.error.kind, 'aborted');
    assert.ok(aborted.ms < 4000, `the abort settled after ${Math.round(aborted.ms)} ms`);

    const late = await failure(pool.send(endpoint, wire, optionsFor({ answerMs: 100 })));
    assert.equal(late.error.kind, 'timeout');
    assert.equal(late.error.code, 'upstream_timeout');
    assert.ok(late.ms < 4000, `the answer deadline settled after ${Math.round(late.ms)} ms`);

    // Once the connection is free, neither abandoned request goes out on it.
    await upstream.close();
    await holder;
    await sleep(100);
    assert.equal(upstream.requests.length, 1);
  });
});
