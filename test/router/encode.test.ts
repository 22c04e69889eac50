// Finding 1 of issue 9, for library callers: a request that cannot be encoded for an upstream is the
// caller's bad request: a 400, no upstream call, and no failure counted against any provider.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { ChatRequest } from '../../src/protocol/chat.ts';
import { SwitchboardError } from '../../src/protocol/errors.ts';
import { completion } from '../support/upstream.ts';
import { hello, routerFor, upstream } from './helpers.ts';

/** An object nested far past what JSON.stringify can recurse through. */
function nested(levels: number): unknown {
  let value: unknown = {};
  for (let index = 0; index < levels; index++) value = { a: value };
  return value;
}

async function rejection(promise: Promise<unknown>): Promise<SwitchboardError> {
  try {
    await promise;
  } catch (error) {
    assert.ok(error instanceof SwitchboardError, `expected a SwitchboardError, got ${error}`);
    return error;
  }
  assert.fail('expected the call to fail');
}

describe('a request that cannot be encoded', () => {
  it('is a 400 for the caller, sent nowhere, and opens no circuit, streamed or not', { timeout: 10_000 }, async () => {
    const first = await upstream([], { json: completion('ok') });
    const second = await upstream([], { json: completion('ok') });
    const router = routerFor([first.url, second.url], { failureThreshold: 1 });
    const request = { ...hello, metadata: nested(200_000) } as ChatRequest;
    for (let index = 0; index < 5; index++) {
      const error = await rejection(router.complete(request));
      assert.equal(error.status, 400);
      assert.equal(error.kind, 'bad-request');
      assert.equal(error.code, 'request_not_encodable');
      const streamed = await rejection(router.stream(request));
      assert.equal(streamed.code, 'request_not_encodable');
    }
    assert.equal(first.requests.length + second.requests.length, 0);
    for (const status of Object.values(router.status())) {
      assert.equal(status.state, 'closed');
      assert.equal(status.errors, 0);
      assert.equal(status.lastError, null);
    }
    assert.equal((await router.complete(hello)).provider, 'a');
    await router.close();
  });
});
