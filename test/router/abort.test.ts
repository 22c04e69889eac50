import assert from 'node:assert/strict';
import { after, describe, it } from 'node:test';
import { SwitchboardError } from '../../src/protocol/errors.ts';
import { startUpstream, textChunks } from '../support/upstream.ts';
import { hello, routerFor } from './helpers.ts';

describe('caller abort', () => {
  it('aborting a completion closes the upstream request', async () => {
    const upstream = await startUpstream(['hang']);
    after(() => upstream.close());
    const router = routerFor([upstream.url]);
    after(() => router.close());
    const controller = new AbortController();
    const pending = router.complete(hello, { signal: controller.signal });
    while (upstream.requests.length === 0) await new Promise((resolve) => setTimeout(resolve, 5));
    controller.abort();
    await assert.rejects(pending, (error: unknown) => error instanceof SwitchboardError && error.kind === 'aborted');
    await upstream.waitForClose(0);
    assert.equal(upstream.requests[0]!.closedEarly, true);
    assert.equal(router.status().a!.consecutiveFailures, 0, 'an abort is not the provider’s failure');
  });

  it('abandoning a stream midway closes the upstream request', async () => {
    const upstream = await startUpstream([{ sse: textChunks('one two three four five six'), stallAfter: 3 }]);
    after(() => upstream.close());
    const router = routerFor([upstream.url]);
    after(() => router.close());
    const stream = await router.stream(hello);
    for await (const chunk of stream) {
      if (chunk.choices[0]?.delta.content) break;
    }
    await upstream.waitForClose(0);
    assert.equal(upstream.requests[0]!.closedEarly, true);
  });

  it('an already-aborted signal sends nothing upstream', async () => {
    const upstream = await startUpstream();
    after(() => upstream.close());
    const router = routerFor([upstream.url]);
    after(() => router.close());
    await assert.rejects(router.complete(hello, { signal: AbortSignal.abort() }), { kind: 'aborted' });
    assert.equal(upstream.requests.length, 0);
  });
});

describe('StreamResult.cancel', () => {
  it('closes the upstream even when the stream was never iterated', async () => {
    const upstream = await startUpstream([{ sse: textChunks('one two three'), stallAfter: 2 }]);
    after(() => upstream.close());
    const router = routerFor([upstream.url]);
    after(() => router.close());
    const stream = await router.stream(hello);
    await stream.cancel();
    await upstream.waitForClose(0);
    assert.equal(upstream.requests[0]!.closedEarly, true);
    let chunks = 0;
    for await (const _ of stream) chunks += 1;
    assert.equal(chunks, 0, 'a cancelled stream yields nothing');
  });
});
