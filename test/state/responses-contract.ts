// The ResponseStore contract, run against every implementation: what `previous_response_id`,
// `item_reference` and GET/DELETE /v1/responses/{id} rely on.
import assert from 'node:assert/strict';
import { describe, it, type TestContext } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import { responseFromChat } from '../../src/gateway/responses-answer.ts';
import { parseResponsesRequest } from '../../src/gateway/responses-request.ts';
import type { ResponseStore, StoredResponse } from '../../src/state/responses.ts';
import { completion } from '../support/upstream.ts';

/** A stored response `id` whose one output item is `msg_<id>`. */
export function storedResponse(id: string, storedAt = Date.now(), text = 'hi'): StoredResponse {
  const request = parseResponsesRequest({ model: 'llama', input: 'q' });
  const response = responseFromChat({ id: `resp_${id}`, createdAt: 0, model: 'llama', request }, completion(text));
  const output = [
    {
      type: 'message' as const,
      id: `msg_${id}`,
      role: 'assistant' as const,
      status: 'completed' as const,
      content: [{ type: 'output_text' as const, text, annotations: [] }],
    },
  ];
  return { id, owner: 'key-owner', storedAt, conversation: [{ type: 'message', role: 'user', content: 'q' }], output, response };
}

/** `create` makes a store with the given retention (ms), closed by the test context. */
export function describeResponseStore(name: string, create: (t: TestContext, retentionMs: number) => Promise<ResponseStore>) {
  describe(`the ${name} response store`, () => {
    it('gives back what was saved, as JSON, and undefined for an unknown id', async (t) => {
      const store = await create(t, 60_000);
      const saved = storedResponse('a');
      await store.save(saved);
      assert.deepEqual(await store.get('a'), JSON.parse(JSON.stringify(saved)));
      assert.equal(await store.get('nope'), undefined);
    });

    it('finds output items by id, for item references', async (t) => {
      const store = await create(t, 60_000);
      await store.save(storedResponse('b', Date.now(), 'from b'));
      const found = await store.item('msg_b');
      assert.equal(found?.owner, 'key-owner');
      const item = found?.item;
      assert.equal(item?.type === 'message' && item.content[0]?.type === 'output_text' && item.content[0].text, 'from b');
      assert.equal(await store.item('msg_none'), undefined);
    });

    it('deletes a response and its items, once', async (t) => {
      const store = await create(t, 60_000);
      await store.save(storedResponse('c'));
      assert.equal(await store.delete('c'), true);
      assert.equal(await store.delete('c'), false);
      assert.equal(await store.get('c'), undefined);
      assert.equal(await store.item('msg_c'), undefined);
    });

    it('forgets a response after its retention', async (t) => {
      const store = await create(t, 40);
      await store.save(storedResponse('d'));
      assert.ok(await store.get('d'));
      await sleep(120);
      assert.equal(await store.get('d'), undefined);
      assert.equal(await store.item('msg_d'), undefined);
    });
  });
}
