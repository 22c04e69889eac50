// Hostile bodies on the Responses, embeddings and count_tokens routes (issue 9's standard): each is a
// 4xx in the route's error shape, quotes what the client sent only as a short excerpt, and reaches
// no upstream.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { completion, textChunks } from '../support/upstream.ts';
import { gateway, upstream } from './helpers.ts';
import { anthropicStream, mixedProviders, postResponses, typedEvents } from './responses-helpers.ts';

const bounded = { timeout: 15_000 };

async function openaiError(response: Response, status: number, param: string) {
  assert.equal(response.status, status);
  const body = (await response.json()) as { error: { type: string; param: string | null; message: string; code: string | null } };
  assert.equal(body.error.type, 'invalid_request_error');
  assert.equal(body.error.param, param);
  return body.error;
}

describe('the Responses route', () => {
  it('refuses a function_call_output that answers no call, and accepts one that does', bounded, async (t) => {
    const openai = await upstream(t, [], { json: completion('Done') });
    const anthropic = await upstream(t);
    const switchboard = await gateway(t, mixedProviders(openai.url, anthropic.url));
    const orphan = await postResponses(switchboard.url, {
      model: 'llama',
      input: [
        { role: 'user', content: 'What is the weather?' },
        { type: 'function_call_output', call_id: 'call_nowhere', output: '21 C' },
      ],
    });
    const error = await openaiError(orphan, 400, 'input');
    assert.match(error.message, /call_nowhere/);
    assert.equal(openai.requests.length + anthropic.requests.length, 0);

    const paired = await postResponses(switchboard.url, {
      model: 'llama',
      input: [
        { role: 'user', content: 'What is the weather?' },
        { type: 'function_call', call_id: 'call_1', name: 'weather', arguments: '{}' },
        { type: 'function_call_output', call_id: 'call_1', output: '21 C' },
      ],
    });
    assert.equal(paired.status, 200);
    assert.equal(openai.requests.length, 1);
  });

  it('quotes a 3 MB previous_response_id or item_reference id as a short excerpt', bounded, async (t) => {
    const openai = await upstream(t);
    const anthropic = await upstream(t);
    const switchboard = await gateway(t, mixedProviders(openai.url, anthropic.url));
    const huge = `resp_${'x'.repeat(3_000_000)}`;
    for (const body of [
      { model: 'llama', input: 'Go on', previous_response_id: huge },
      { model: 'llama', input: [{ type: 'item_reference', id: huge }] },
    ]) {
      const response = await postResponses(switchboard.url, body);
      assert.equal(response.status, 400);
      const text = await response.text();
      assert.ok(text.length < 1000, `an answer of ${text.length} characters`);
      assert.equal(JSON.parse(text).error.type, 'invalid_request_error');
    }
    assert.equal(openai.requests.length + anthropic.requests.length, 0);
    const stored = (await (await postResponses(switchboard.url, { model: 'llama', input: 'Keep this' })).json()) as {
      id: string;
    };
    const listed = await fetch(`${switchboard.url}/v1/responses/${stored.id}/input_items?after=${'y'.repeat(8000)}`);
    assert.equal(listed.status, 400);
    assert.ok((await listed.text()).length < 1000);
    assert.equal(openai.requests.length, 1);
  });
  it('refuses metadata beyond OpenAI limits (16 pairs, 64-character keys, 512-character values)', bounded, async (t) => {
    const openai = await upstream(t);
    const anthropic = await upstream(t);
    const switchboard = await gateway(t, mixedProviders(openai.url, anthropic.url));
    const pairs = Object.fromEntries(Array.from({ length: 17 }, (_, index) => [`k${index}`, 'v']));
    await openaiError(await postResponses(switchboard.url, { model: 'llama', input: 'Hi', metadata: pairs }), 400, 'metadata');
    const longKey = { [`${'k'.repeat(3_000_000)}`]: 'v' };
    const keyAnswer = await postResponses(switchboard.url, { model: 'llama', input: 'Hi', metadata: longKey });
    assert.ok((await openaiError(keyAnswer, 400, 'metadata')).message.length < 200);
    const value = { trace: 'v'.repeat(100_000) };
    await openaiError(
      await postResponses(switchboard.url, { model: 'llama', input: 'Hi', metadata: value }),
      400,
      'metadata.trace',
    );
    assert.equal(openai.requests.length + anthropic.requests.length, 0);
    const fits = {
      ...Object.fromEntries(Array.from({ length: 15 }, (_, index) => [`k${index}`, 'v'])),
      ['k'.repeat(64)]: 'v'.repeat(512),
    };
    assert.equal((await postResponses(switchboard.url, { model: 'llama', input: 'Hi', metadata: fits })).status, 200);
  });
});

describe('the embeddings route', () => {
  const post = (url: string, body: unknown) =>
    fetch(`${url}/v1/embeddings`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify(body),
      signal: AbortSignal.timeout(10_000),
    });

  it('refuses batches over 2048 items, vast dimensions and negative token ids before any upstream call', bounded, async (t) => {
    const embeddings = await upstream(t);
    const switchboard = await gateway(t, {
      providers: { vectors: { baseUrl: embeddings.url, apiKey: 'sk-vectors', models: {}, embeddings: { small: 'e' } } },
    });
    const texts = await post(switchboard.url, { model: 'small', input: Array.from({ length: 100_000 }, () => 'a') });
    assert.match((await openaiError(texts, 400, 'input')).message, /2048/);
    const lists = await post(switchboard.url, { model: 'small', input: Array.from({ length: 2049 }, () => [1]) });
    await openaiError(lists, 400, 'input');
    await openaiError(await post(switchboard.url, { model: 'small', input: 'a', dimensions: 1e300 }), 400, 'dimensions');
    await openaiError(await post(switchboard.url, { model: 'small', input: [5, -1] }), 400, 'input');
    await openaiError(await post(switchboard.url, { model: 'small', input: [[5], [2 ** 60]] }), 400, 'input');
    assert.equal(embeddings.requests.length, 0);
  });
});

describe('the count_tokens route', () => {
  it('answers a body of the wrong shape with a 400 in Anthropic shape, without estimating or calling', bounded, async (t) => {
    const openai = await upstream(t);
    const anthropic = await upstream(t);
    const switchboard = await gateway(t, mixedProviders(openai.url, anthropic.url));
    const hello = [{ role: 'user', content: 'Hi' }];
    for (const [body, param] of [
      [{ model: 'llama', system: { text: 'Be brief' }, messages: hello }, 'system'],
      [{ model: 'llama', messages: [{ role: 'wizard', content: 'Hi' }] }, 'messages.0.role'],
      [{ model: 'llama', messages: [{ role: 'user', content: 42 }] }, 'messages.0.content'],
      [{ model: 'llama', messages: [null] }, 'messages.0.role'],
      [{ model: 'llama', messages: [{ role: 'user', content: [null] }] }, 'messages.0.content'],
      [{ model: 'llama', messages: hello, tools: [{ input_schema: {} }] }, 'tools'],
    ] as const) {
      const response = await fetch(`${switchboard.url}/v1/messages/count_tokens`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify(body),
      });
      assert.equal(response.status, 400, JSON.stringify(body));
      const answer = (await response.json()) as { type: string; error: { type: string; message: string } };
      assert.equal(answer.type, 'error');
      assert.equal(answer.error.type, 'invalid_request_error');
      assert.match(answer.error.message, new RegExp(`^${param.replaceAll('.', '\\.')}`));
    }
    assert.equal(openai.requests.length + anthropic.requests.length, 0);
  });
});

describe('a broken embeddings upstream', () => {
  const vectors = (...lengths: number[]) => ({
    object: 'list',
    data: lengths.map((length, index) => ({ object: 'embedding', index, embedding: Array.from({ length }, () => 0.5) })),
    model: 'e',
    usage: { prompt_tokens: 2, total_tokens: 2 },
  });

  it('answering vectors of several lengths, or empty ones, is failed over, never passed on', bounded, async (t) => {
    const broken = await upstream(t, [{ json: vectors(3, 2) }, { json: vectors(0, 0) }]);
    const sound = await upstream(t, [], { json: vectors(2, 2) });
    const switchboard = await gateway(t, {
      providers: {
        broken: { baseUrl: broken.url, apiKey: 'sk-broken', priority: 1, models: {}, embeddings: { small: 'e' } },
        sound: { baseUrl: sound.url, apiKey: 'sk-sound', priority: 2, models: {}, embeddings: { small: 'e' } },
      },
      routing: { retryDelayMs: 1, failureThreshold: 10 },
    });
    for (let round = 0; round < 2; round++) {
      const response = await fetch(`${switchboard.url}/v1/embeddings`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ model: 'small', input: ['a', 'b'] }),
      });
      assert.equal(response.status, 200);
      assert.equal(response.headers.get('x-switchboard-provider'), 'sound');
      const body = (await response.json()) as { data: Array<{ embedding: number[] }> };
      assert.deepEqual(
        body.data.map((item) => item.embedding.length),
        [2, 2],
      );
    }
    assert.equal(broken.requests.length, 2);
  });
});

describe('a stream chunk of the wrong types', () => {
  const chunk = (delta: unknown, finish: string | null = null) => ({
    id: 'chatcmpl-broken',
    object: 'chat.completion.chunk',
    created: 1,
    model: 'gpt-emulated',
    choices: [{ index: 0, delta, finish_reason: finish }],
  });
  const broken = {
    'arguments as an object': [
      chunk({ tool_calls: [{ index: 0, id: 'call_1', type: 'function', function: { name: 'f', arguments: { a: 1 } } }] }),
      chunk({}, 'tool_calls'),
    ],
    'content as a number': [chunk({ content: 5 }), chunk({}, 'stop')],
    'a call started without its name': [
      chunk({ tool_calls: [{ index: 0, id: 'call_1', type: 'function', function: { arguments: '{"a":' } }] }),
      chunk({ tool_calls: [{ index: 0, function: { arguments: '1}' } }] }),
      chunk({}, 'tool_calls'),
    ],
  };
  const tools = [{ type: 'function', name: 'f', parameters: { type: 'object' } }];

  for (const [name, sse] of Object.entries(broken)) {
    it(`(${name}) fails over on /v1/responses and /v1/chat/completions, never passed on as an answer`, bounded, async (t) => {
      const openai = await upstream(t, [{ sse }, { sse }]);
      const anthropic = await upstream(t, [], { sse: [chunk({ content: 'Sound answer' }), chunk({}, 'stop')] });
      const switchboard = await gateway(t, mixedProviders(openai.url, anthropic.url, { anthropic: { protocol: 'openai' } }));
      const responses = await postResponses(switchboard.url, { model: 'llama', input: 'Hi', stream: true, tools });
      const events = typedEvents(await responses.text());
      assert.equal(events.at(-1)?.event, 'response.completed');
      assert.deepEqual(events.at(-1)?.data.response.output[0].content[0].text, 'Sound answer');
      const chat = await fetch(`${switchboard.url}/v1/chat/completions`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ model: 'llama', stream: true, messages: [{ role: 'user', content: 'Hi' }] }),
      });
      const text = await chat.text();
      assert.match(text, /Sound answer/);
      assert.doesNotMatch(text, /"content":5|"arguments":\{|call_1/);
      assert.equal(anthropic.requests.length, 2);
    });
  }
});

describe('an Anthropic-format stream of the wrong types', () => {
  const event = (type: string, data: object) => `event: ${type}\ndata: ${JSON.stringify({ type, ...data })}\n\n`;
  const opening = anthropicStream('Hello there friend').slice(0, 2);
  const closing = [
    event('content_block_stop', { index: 0 }),
    event('message_delta', { delta: { stop_reason: 'tool_use' }, usage: { output_tokens: 1 } }),
    event('message_stop', {}),
  ];
  const broken = {
    'a text fragment that is a number': [
      ...opening,
      event('content_block_delta', { index: 0, delta: { type: 'text_delta', text: 5 } }),
      ...anthropicStream('Hello there friend').slice(3),
    ],
    'a tool_use block without a name': [
      opening[0]!,
      event('content_block_start', { index: 0, content_block: { type: 'tool_use', id: 'toolu_1', input: {} } }),
      ...closing,
    ],
    'arguments that are an object': [
      opening[0]!,
      event('content_block_start', { index: 0, content_block: { type: 'tool_use', id: 'toolu_1', name: 'f', input: {} } }),
      event('content_block_delta', { index: 0, delta: { type: 'input_json_delta', partial_json: { a: 1 } } }),
      ...closing,
    ],
  };

  for (const [name, sse] of Object.entries(broken)) {
    it(
      `(${name}) is failed over, or ends in response.failed once a call went out; never completed as it came`,
      bounded,
      async (t) => {
        const openai = await upstream(t, [], { sse: textChunks('Sound answer') });
        const anthropic = await upstream(t, [{ sse, done: false }]);
        const config = mixedProviders(openai.url, anthropic.url, { openai: { priority: 3 }, anthropic: { priority: 1 } });
        const switchboard = await gateway(t, config);
        const tools = [{ type: 'function', name: 'f', parameters: { type: 'object' } }];
        const response = await postResponses(switchboard.url, { model: 'llama', input: 'Hi', stream: true, tools });
        const events = typedEvents(await response.text());
        const last = events.at(-1);
        // A tool call already announced cannot be taken back: the broken stream then ends as failed.
        if (last?.event === 'response.completed') assert.equal(last.data.response.output[0].content[0].text, 'Sound answer');
        else assert.equal(last?.event, 'response.failed');
        assert.equal(anthropic.requests.length, 1);
      },
    );
  }
});
