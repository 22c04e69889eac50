import assert from 'node:assert/strict';
import { connect } from 'node:net';
import { describe, it } from 'node:test';
import { APIError } from 'openai';
import { textChunks } from '../support/upstream.ts';
import { client, events, gateway, hello, post, providersFor, until, upstream } from './helpers.ts';

const bounded = { timeout: 5000 };
const noRecovery = { routing: { streamRecovery: false } };

describe('gateway streams', () => {
  it('relays a long stream that arrives faster than it can be written (backpressure), to its end', bounded, async (t) => {
    const words = Array.from({ length: 3000 }, (_, i) => `word${i}`);
    const first = await upstream(t, [{ sse: textChunks(words.join(' ')) }]);
    const switchboard = await gateway(t, providersFor([first.url]));
    const response = await post(switchboard, { ...hello, stream: true });
    const payloads = events(await response.text());
    assert.equal(payloads.at(-1), '[DONE]');
    const text = payloads
      .slice(0, -1)
      .map((payload) => JSON.parse(payload).choices[0].delta.content ?? '')
      .join('');
    assert.equal(text, words.join(' '));
  });

  it('passes an unchanged chunk on as the bytes it came as; a chunk the gateway changes is written anew', bounded, async (t) => {
    // Field order, spacing and an extension field that a parse and re-serialise would all change.
    const raw = [
      '{"choices":[{"index":0,"delta":{"role":"assistant","content":"Hi"},"finish_reason":null}], "id":"c1","object":"chat.completion.chunk","created":7,"model":"m-1","x_vendor":{"n":1.50}}',
      '{"choices":[{"index":0,"delta":{},"finish_reason":"stop"}], "id":"c1","object":"chat.completion.chunk","created":7,"model":"m-1"}',
    ];
    const sse = raw.map((data) => `data: ${data}\n\n`);
    const first = await upstream(t, [{ sse }, { sse }]);
    const asIs = await gateway(t, providersFor([first.url]));
    assert.deepEqual(events(await (await post(asIs, { ...hello, stream: true })).text()), [...raw, '[DONE]']);
    // responseModel: generic renames the model in every chunk: those are serialised again.
    const renamed = await gateway(t, providersFor([first.url], { routing: { responseModel: 'generic' } }));
    const payloads = events(await (await post(renamed, { ...hello, stream: true })).text());
    assert.equal(payloads.length, 3);
    assert.deepEqual(
      payloads.slice(0, 2).map((payload) => JSON.parse(payload).model),
      [hello.model, hello.model],
    );
    assert.equal(JSON.parse(payloads[0]!).x_vendor.n, 1.5);
  });

  it('a choice that comes without its delta (its finish_reason alone, or null) ends the stream cleanly', bounded, async (t) => {
    const chunk = (choice: object) =>
      `data: ${JSON.stringify({ id: 'c2', object: 'chat.completion.chunk', created: 7, model: 'm-1', choices: [choice] })}\n\n`;
    const sse = [
      chunk({ index: 0, delta: { role: 'assistant', content: 'Hi' }, finish_reason: null }),
      chunk({ index: 0, delta: null, finish_reason: null }),
      chunk({ index: 0, finish_reason: 'stop' }),
    ];
    const first = await upstream(t, [{ sse }]);
    const switchboard = await gateway(t, providersFor([first.url], noRecovery));
    const payloads = events(await (await post(switchboard, { ...hello, stream: true })).text());
    assert.equal(payloads.at(-1), '[DONE]', payloads.join('\n'));
    const choices = payloads.slice(0, -1).map((payload) => JSON.parse(payload).choices[0]);
    // Clients read `delta` of every choice (the openai SDK's accumulator does): it is there, empty.
    assert.deepEqual(
      choices.map((choice) => [choice.delta, choice.finish_reason]),
      [
        [{ role: 'assistant', content: 'Hi' }, null],
        [{}, null],
        [{}, 'stop'],
      ],
    );
  });

  it('ends a stream cut mid-way with one error event and no [DONE]', bounded, async (t) => {
    const first = await upstream(t, [{ sse: textChunks('one two three four five'), cutAfter: 3 }]);
    const switchboard = await gateway(t, providersFor([first.url], noRecovery));
    const response = await post(switchboard, { ...hello, stream: true });
    assert.equal(response.status, 200);
    const payloads = events(await response.text());
    assert.ok(!payloads.includes('[DONE]'), 'a truncated stream is never presented as complete');
    const last = JSON.parse(payloads.at(-1)!) as { error: { message: string; type: string; code: string; param: null } };
    assert.deepEqual(Object.keys(last.error).sort(), ['code', 'message', 'param', 'type']);
    assert.equal(last.error.type, 'server_error');
    assert.match(last.error.message, /^first: /);
    const content = payloads.slice(0, -1).map((payload) => JSON.parse(payload).choices[0].delta.content ?? '');
    assert.deepEqual(content, ['', 'one', ' two']);
  });

  it('makes the openai SDK throw an APIError for a stream cut mid-way', bounded, async (t) => {
    const first = await upstream(t, [{ sse: textChunks('one two three four five'), cutAfter: 3 }]);
    const switchboard = await gateway(t, providersFor([first.url], noRecovery));
    const stream = await client(switchboard).chat.completions.create({ ...hello, stream: true });
    let text = '';
    const error = await (async () => {
      for await (const chunk of stream) text += chunk.choices[0]?.delta.content ?? '';
    })().catch((thrown: unknown) => thrown);
    assert.ok(error instanceof APIError, `expected an APIError, got ${error}`);
    assert.match(error.message, /^first: /);
    assert.equal(text, 'one two');
  });

  it('aborts the upstream stream when the client disconnects', bounded, async (t) => {
    const first = await upstream(t, [{ sse: textChunks('a b c d e f'), stallAfter: 3 }]);
    const switchboard = await gateway(t, providersFor([first.url]));
    const controller = new AbortController();
    const response = await post(switchboard, { ...hello, stream: true }, {}, controller.signal);
    const reader = response.body!.getReader();
    await reader.read();
    controller.abort();
    await first.waitForClose(0);
    assert.equal(first.requests[0]?.closedEarly, true);
    await until(async () => /switchboard_inflight_requests 0/.test(await (await fetch(`${switchboard.url}/metrics`)).text()));
    assert.equal(switchboard.router.status().first!.consecutiveFailures, 0, 'the client leaving is not a provider failure');
  });

  it('aborts the upstream request when a non-streaming client disconnects', bounded, async (t) => {
    const first = await upstream(t, ['hang']);
    const switchboard = await gateway(t, providersFor([first.url]));
    const controller = new AbortController();
    const pending = post(switchboard, hello, {}, controller.signal).catch((error: Error) => error);
    await until(() => first.requests.length === 1);
    controller.abort();
    assert.ok((await pending) instanceof Error);
    await first.waitForClose(0);
    assert.equal(first.requests[0]?.closedEarly, true);
    // The client's leaving is not the provider's failure.
    assert.equal(switchboard.router.status().first!.consecutiveFailures, 0);
  });

  it('writes each chunk as it arrives, without waiting for the next', bounded, async (t) => {
    // The upstream sends two words, then nothing: both must reach the client while it waits.
    const first = await upstream(t, [{ sse: textChunks('slow and steady'), stallAfter: 3 }]);
    const switchboard = await gateway(t, providersFor([first.url]));
    const response = await post(switchboard, { ...hello, stream: true });
    const reader = response.body!.pipeThrough(new TextDecoderStream()).getReader();
    let seen = '';
    for (let reads = 0; reads < 100 && !seen.includes('" and"'); reads++) {
      const { done, value } = await reader.read();
      assert.ok(!done, 'the stream is still open upstream');
      seen += value;
    }
    assert.ok(seen.includes('"slow"') && seen.includes('" and"'));
    assert.ok(!seen.includes('steady') && !seen.includes('[DONE]'));
    await reader.cancel();
    await first.waitForClose(0);
  });
});

describe('gateway drain', () => {
  it('lets an in-flight stream finish, refuses new connections, then closes', { timeout: 10_000 }, async (t) => {
    const first = await upstream(t, [{ sse: textChunks('one two three four'), chunkDelayMs: 20 }]);
    const switchboard = await gateway(t, providersFor([first.url]));
    const response = await post(switchboard, { ...hello, stream: true });
    const reader = response.body!.pipeThrough(new TextDecoderStream()).getReader();
    let text = (await reader.read()).value ?? '';
    const closing = switchboard.close(4000);
    await assert.rejects(fetch(`${switchboard.url}/healthz`), 'no new connections');
    for (let reads = 0; reads < 100; reads++) {
      const { done, value } = await reader.read();
      if (done) break;
      text += value;
    }
    assert.ok(text.endsWith('data: [DONE]\n\n'), 'the stream finished');
    assert.ok(text.includes('" four"'));
    const started = performance.now();
    await closing;
    assert.ok(performance.now() - started < 2000, 'closed once the stream was done, not at the end of the grace');
  });

  it('cuts what is still running when the grace period ends, aborting its upstream', bounded, async (t) => {
    const first = await upstream(t, [{ sse: textChunks('a b c'), stallAfter: 2 }]);
    const switchboard = await gateway(t, providersFor([first.url]));
    const response = await post(switchboard, { ...hello, stream: true });
    const reader = response.body!.getReader();
    await reader.read();
    const started = performance.now();
    await switchboard.close(50);
    assert.ok(performance.now() - started < 2000, 'the grace period bounds the drain');
    await first.waitForClose(0);
    await assert.rejects(async () => {
      for (let reads = 0; reads < 100; reads++) if ((await reader.read()).done) return;
    });
    await switchboard.close(); // idempotent
  });

  it('answers 503 in OpenAI shape to a chat request that arrives on an open connection while draining', bounded, async (t) => {
    const first = await upstream(t, [{ sse: textChunks('one two'), chunkDelayMs: 30 }]);
    const switchboard = await gateway(t, providersFor([first.url]));
    const { port } = new URL(switchboard.url);
    const socket = connect(Number(port), '127.0.0.1');
    t.after(() => socket.destroy());
    const received: Buffer[] = [];
    socket.on('data', (data: Buffer) => received.push(data));
    const request = (body: object) => {
      const json = JSON.stringify(body);
      return `POST /v1/chat/completions HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: ${Buffer.byteLength(json)}\r\n\r\n${json}`;
    };
    socket.write(request({ ...hello, stream: true }));
    await until(() => first.requests.length === 1);
    const closing = switchboard.close(2000);
    // Pipelined on the busy connection, so draining cannot close it as idle first.
    socket.write(request(hello));
    await closing;
    await new Promise((resolve) => socket.once('close', resolve));
    const text = Buffer.concat(received).toString();
    assert.match(text, /^HTTP\/1\.1 200 /);
    assert.ok(text.includes('data: [DONE]'), 'the in-flight stream finished');
    const second = text.slice(text.indexOf('HTTP/1.1', 10));
    assert.match(second, /^HTTP\/1\.1 503 /);
    assert.match(second, /"code":"shutting_down"/);
    assert.match(second, /retry-after: 1/i);
    assert.equal(first.requests.length, 1);
  });
});
