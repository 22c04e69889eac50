// Stored Responses conversations through the gateway: GET/DELETE, store: false, item references,
// streamed turns, retention; and bad input answered with a 400 that names the parameter.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import OpenAI from 'openai';
import { completion, openaiError, textChunks } from '../support/upstream.ts';
import { client, gateway, upstream } from './helpers.ts';
import { anthropicMessage, mixedProviders, postResponses } from './responses-helpers.ts';

const bounded = { timeout: 10_000 };
const overloaded = { status: 503, json: openaiError('overloaded', 'server_error') };

describe('stored responses', () => {
  it('are fetched and deleted by id; a deleted one cannot be continued', bounded, async (t) => {
    const openai = await upstream(t, [{ json: completion('Stored answer') }]);
    const anthropic = await upstream(t);
    const switchboard = await gateway(t, mixedProviders(openai.url, anthropic.url));
    const sdk = client(switchboard);
    const created = await sdk.responses.create({ model: 'llama', input: 'Keep this', metadata: { run: '7' } });
    const fetched = await sdk.responses.retrieve(created.id);
    assert.equal(fetched.id, created.id);
    assert.equal(fetched.output_text, 'Stored answer');
    assert.deepEqual(fetched.metadata, { run: '7' });
    const deleted = await fetch(`${switchboard.url}/v1/responses/${created.id}`, { method: 'DELETE' });
    assert.deepEqual(await deleted.json(), { id: created.id, object: 'response', deleted: true });
    const gone = await sdk.responses.retrieve(created.id).catch((thrown: unknown) => thrown);
    assert.ok(gone instanceof OpenAI.NotFoundError);
    const again = await sdk.responses
      .create({ model: 'llama', previous_response_id: created.id, input: 'More' })
      .catch((thrown: unknown) => thrown);
    assert.ok(again instanceof OpenAI.BadRequestError);
    assert.equal(again.param, 'previous_response_id');
    const put = await fetch(`${switchboard.url}/v1/responses/${created.id}`, { method: 'PUT' });
    assert.equal(put.status, 405);
    assert.equal(put.headers.get('allow'), 'GET, DELETE, HEAD');
    assert.equal(openai.requests.length, 1);
  });

  it('are not kept with store: false', bounded, async (t) => {
    const openai = await upstream(t, [{ json: completion('Not kept') }]);
    const anthropic = await upstream(t);
    const switchboard = await gateway(t, mixedProviders(openai.url, anthropic.url));
    const sdk = client(switchboard);
    const created = await sdk.responses.create({ model: 'llama', input: 'Forget this', store: false });
    assert.equal((created as unknown as { store: boolean }).store, false);
    const error = await sdk.responses.retrieve(created.id).catch((thrown: unknown) => thrown);
    assert.ok(error instanceof OpenAI.NotFoundError);
  });

  it('keep a streamed turn, and resolve item references to it on another provider', bounded, async (t) => {
    const openai = await upstream(t, [{ sse: textChunks('Streamed and stored', { usage: true }) }, overloaded, overloaded]);
    const anthropic = await upstream(t, [
      { json: anthropicMessage('Continued elsewhere') },
      { json: anthropicMessage('By reference') },
    ]);
    const switchboard = await gateway(t, mixedProviders(openai.url, anthropic.url));
    const sdk = client(switchboard);
    const first = await sdk.responses.stream({ model: 'llama', input: 'Stream and keep' }).finalResponse();
    const second = await sdk.responses.create({ model: 'llama', previous_response_id: first.id, input: 'And then?' });
    assert.equal(second.output_text, 'Continued elsewhere');
    assert.deepEqual(anthropic.requests[0]?.body.messages, [
      { role: 'user', content: 'Stream and keep' },
      { role: 'assistant', content: 'Streamed and stored' },
      { role: 'user', content: 'And then?' },
    ]);
    const messageId = first.output[0]?.id as string;
    await sdk.responses.create({
      model: 'llama',
      input: [
        { role: 'user', content: 'Stream and keep' },
        { type: 'item_reference', id: messageId },
        { role: 'user', content: 'Again?' },
      ],
    });
    assert.deepEqual(anthropic.requests[1]?.body.messages[1], { role: 'assistant', content: 'Streamed and stored' });
    const missing = await sdk.responses
      .create({ model: 'llama', input: [{ type: 'item_reference', id: 'msg_unknown' }] })
      .catch((thrown: unknown) => thrown);
    assert.ok(missing instanceof OpenAI.BadRequestError);
    assert.equal(missing.param, 'input[0].id');
  });

  it('expire after responses.retentionMs', bounded, async (t) => {
    const openai = await upstream(t, [{ json: completion('Short-lived') }]);
    const anthropic = await upstream(t);
    const switchboard = await gateway(t, mixedProviders(openai.url, anthropic.url, { responses: { retentionMs: 50 } }));
    const sdk = client(switchboard);
    const created = await sdk.responses.create({ model: 'llama', input: 'Quick' });
    await sleep(120);
    const error = await sdk.responses
      .create({ model: 'llama', previous_response_id: created.id, input: 'Still there?' })
      .catch((thrown: unknown) => thrown);
    assert.ok(error instanceof OpenAI.BadRequestError);
    assert.equal(error.code, 'previous_response_not_found');
    assert.equal(openai.requests.length, 1);
  });
});

describe('input items of a stored response', () => {
  it('are listed newest first, the earlier turns included, a page at a time', bounded, async (t) => {
    const openai = await upstream(t, [{ json: completion('Paris.') }, { json: completion('About two million.') }]);
    const anthropic = await upstream(t);
    const switchboard = await gateway(t, mixedProviders(openai.url, anthropic.url));
    const sdk = client(switchboard);
    const first = await sdk.responses.create({ model: 'llama', input: 'Capital of France?' });
    const second = await sdk.responses.create({ model: 'llama', previous_response_id: first.id, input: 'Population?' });
    const texts: string[] = [];
    const ids: string[] = [];
    for await (const item of sdk.responses.inputItems.list(second.id, { limit: 1 })) {
      assert.ok(item.type === 'message');
      ids.push(item.id);
      const part = item.content[0];
      texts.push(part && 'text' in part ? part.text : '');
    }
    assert.deepEqual(texts, ['Population?', 'Paris.', 'Capital of France?']);
    assert.equal(new Set(ids).size, 3);
    // The first turn's input keeps its id when the second lists it.
    const [firstInput] = (await sdk.responses.inputItems.list(first.id)).data;
    assert.equal(firstInput?.id, ids[2]);
    assert.equal(ids[1], first.output[0]?.id);
    const ascending = await sdk.responses.inputItems.list(second.id, { order: 'asc' });
    assert.deepEqual(
      ascending.data.map((item) => item.id),
      [...ids].reverse(),
    );
    const bad = await fetch(`${switchboard.url}/v1/responses/${second.id}/input_items?limit=500`);
    assert.equal(bad.status, 400);
    assert.equal(((await bad.json()) as { error: { param: string } }).error.param, 'limit');
  });
});

describe('stored responses with several gateway keys', () => {
  it('are seen only by the key that made them', bounded, async (t) => {
    const openai = await upstream(t, [{ json: completion('For team A only') }]);
    const anthropic = await upstream(t);
    const config = { ...mixedProviders(openai.url, anthropic.url), server: { apiKeys: ['sb-team-a', 'sb-team-b'] } };
    const switchboard = await gateway(t, config, { host: '127.0.0.1' });
    const teamA = client(switchboard, 'sb-team-a');
    const teamB = client(switchboard, 'sb-team-b');
    const created = await teamA.responses.create({ model: 'llama', input: 'Secret plans' });
    assert.equal((await teamA.responses.retrieve(created.id)).output_text, 'For team A only');
    const read = await teamB.responses.retrieve(created.id).catch((thrown: unknown) => thrown);
    assert.ok(read instanceof OpenAI.NotFoundError);
    const continued = await teamB.responses
      .create({ model: 'llama', previous_response_id: created.id, input: 'Tell me more' })
      .catch((thrown: unknown) => thrown);
    assert.ok(continued instanceof OpenAI.BadRequestError);
    assert.equal(continued.param, 'previous_response_id');
    const referenced = await teamB.responses
      .create({ model: 'llama', input: [{ type: 'item_reference', id: created.output[0]?.id as string }] })
      .catch((thrown: unknown) => thrown);
    assert.ok(referenced instanceof OpenAI.BadRequestError);
    const deleted = await teamB.responses.delete(created.id).catch((thrown: unknown) => thrown);
    assert.ok(deleted instanceof OpenAI.NotFoundError);
    assert.equal((await teamA.responses.retrieve(created.id)).id, created.id);
    assert.equal(openai.requests.length, 1);
  });
});

describe('bad input on /v1/responses', () => {
  it('gets a 400 in OpenAI shape naming the parameter, and no provider is called', bounded, async (t) => {
    const openai = await upstream(t);
    const anthropic = await upstream(t);
    const switchboard = await gateway(t, mixedProviders(openai.url, anthropic.url));
    const cases: Array<[unknown, string | null]> = [
      ['{"model": "llama", "input": ', null],
      [{ model: 'llama', input: [{ role: 'wizard', content: 'x' }] }, 'input[0].role'],
      [{ model: 'llama', input: 'x', tools: [{ type: 'function', name: 7 }] }, 'tools[0].name'],
      [{ model: 'llama', input: 'x', text: { format: { type: 'json_schema', name: 'x' } } }, 'text.format.schema'],
      [{ model: 'llama', input: 'x', stream: 'yes' }, 'stream'],
      [{ model: 'llama', input: [{ type: 'reasoning', summary: [] }] }, 'input'],
    ];
    for (const [body, param] of cases) {
      const response = await postResponses(switchboard.url, body);
      assert.equal(response.status, 400, JSON.stringify(body));
      const { error } = (await response.json()) as {
        error: { message: string; type: string; code: string | null; param: string | null };
      };
      assert.equal(error.type, 'invalid_request_error');
      assert.equal(error.param, param, JSON.stringify(body));
      assert.equal(typeof error.message, 'string');
    }
    const unknownModel = await postResponses(switchboard.url, { model: 'gpt-9', input: 'x' });
    assert.equal(unknownModel.status, 404);
    assert.equal(openai.requests.length + anthropic.requests.length, 0);
  });
});
