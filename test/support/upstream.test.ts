import assert from 'node:assert/strict';
import { describe, it, type TestContext } from 'node:test';
import type { ChatResponse } from '../../src/protocol/chat.ts';
import {
  completion,
  openaiError,
  refusingUrl,
  type ScriptEntry,
  startUpstream,
  talkingModel,
  textChunks,
  type Upstream,
} from './upstream.ts';

const bounded = { timeout: 2000 };

async function start(t: TestContext, script?: ScriptEntry[], options?: { fallback?: ScriptEntry }): Promise<Upstream> {
  const upstream = await startUpstream(script, options);
  t.after(() => upstream.close());
  return upstream;
}

function post(upstream: Upstream, body: unknown = { model: 'm', messages: [] }, signal?: AbortSignal) {
  return fetch(`${upstream.url}/chat/completions`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', authorization: 'Bearer sk-test' },
    body: JSON.stringify(body),
    signal,
  });
}

/** Reads a body chunk by chunk until it ends or fails, keeping what arrived before a failure. */
async function readChunks(response: Response): Promise<{ chunks: string[]; error?: Error }> {
  const reader = response.body!.pipeThrough(new TextDecoderStream()).getReader();
  const chunks: string[] = [];
  try {
    for (;;) {
      const { done, value } = await reader.read();
      if (done) return { chunks };
      chunks.push(value);
    }
  } catch (error) {
    return { chunks, error: error as Error };
  }
}

async function contentOf(response: Response): Promise<unknown> {
  const body = (await response.json()) as ChatResponse;
  return body.choices[0]?.message.content;
}

function causeCode(error: unknown): unknown {
  return ((error as Error).cause as NodeJS.ErrnoException | undefined)?.code;
}

describe('startUpstream', () => {
  it('answers JSON entries in order, records each request, then uses the fallback', bounded, async (t) => {
    const upstream = await start(t, [
      {
        status: 429,
        json: openaiError('Slow down', 'rate_limit_error', 'rate_limit_exceeded'),
        headers: { 'Retry-After': '1' },
      },
      { json: completion('hi', { model: 'gpt-4o' }) },
    ]);
    const limited = await post(upstream, { model: 'gpt-4o', messages: [{ role: 'user', content: 'hello' }] });
    assert.equal(limited.status, 429);
    assert.equal(limited.headers.get('retry-after'), '1');
    assert.equal(limited.headers.get('content-type'), 'application/json');
    assert.deepEqual(await limited.json(), {
      error: { message: 'Slow down', type: 'rate_limit_error', param: null, code: 'rate_limit_exceeded' },
    });
    const answered = await post(upstream);
    assert.equal(answered.status, 200);
    assert.equal(await contentOf(answered), 'hi');
    assert.equal(await contentOf(await post(upstream)), 'ok');

    assert.equal(upstream.requests.length, 3);
    const [first] = upstream.requests;
    assert.equal(first!.method, 'POST');
    assert.equal(first!.path, '/v1/chat/completions');
    assert.equal(first!.headers.authorization, 'Bearer sk-test');
    assert.deepEqual(first!.body, { model: 'gpt-4o', messages: [{ role: 'user', content: 'hello' }] });
    assert.equal(first!.closedEarly, false);
    assert.ok(first!.receivedAt <= upstream.requests[1]!.receivedAt);
  });

  it('keeps connections alive between requests', bounded, async (t) => {
    const upstream = await start(t);
    for (let i = 0; i < 5; i++) await (await post(upstream)).text();
    assert.equal(upstream.closedConnections, 0);
    await assert.rejects(upstream.waitForClose(0, 20), /still open after 20 ms/);
    await upstream.close();
    // undici opens a second socket before it returns the first to the pool, so count < requests, not 1.
    const connections = upstream.closedConnections;
    assert.ok(connections >= 1 && connections <= 2, `${connections} connections for 5 requests`);
  });

  it('sends raw text bodies: malformed JSON, HTML, and an empty body', bounded, async (t) => {
    const upstream = await start(t, [
      { text: '{"choices": [' },
      { status: 502, text: '<html><body>Bad Gateway</body></html>', headers: { 'Content-Type': 'text/html' } },
      { status: 500, text: '' },
    ]);
    const malformed = await post(upstream);
    assert.equal(malformed.status, 200);
    assert.equal(await malformed.text(), '{"choices": [');
    const html = await post(upstream);
    assert.equal(html.headers.get('content-type'), 'text/html');
    assert.match(await html.text(), /Bad Gateway/);
    const empty = await post(upstream);
    assert.equal(empty.status, 500);
    assert.equal(empty.headers.get('content-length'), '0');
    assert.equal(await empty.text(), '');
  });

  it('records a non-JSON request body as text', bounded, async (t) => {
    const upstream = await start(t);
    await (await fetch(`${upstream.url}/x`, { method: 'POST', body: 'not json' })).text();
    assert.equal(upstream.requests[0]!.body, 'not json');
    assert.equal(upstream.requests[0]!.path, '/v1/x');
  });

  it('delays the status line by delayMs', bounded, async (t) => {
    const upstream = await start(t, [{ json: completion('late'), delayMs: 50 }]);
    const startedAt = performance.now();
    const response = await post(upstream);
    assert.ok(performance.now() - startedAt >= 45, 'headers arrived before the delay');
    assert.equal(await contentOf(response), 'late');
  });

  it('streams SSE in OpenAI wire format, ending with [DONE]', bounded, async (t) => {
    const chunks = textChunks('Hello world', { usage: true });
    const upstream = await start(t, [{ sse: [': OPENROUTER PROCESSING\n\n', ...chunks] }]);
    const response = await post(upstream, { model: 'm', messages: [], stream: true });
    assert.equal(response.headers.get('content-type'), 'text/event-stream; charset=utf-8');
    const events = chunks.map((chunk) => `data: ${JSON.stringify(chunk)}\n\n`).join('');
    assert.equal(await response.text(), `: OPENROUTER PROCESSING\n\n${events}data: [DONE]\n\n`);
  });

  it('streams with CRLF line endings, raw string events verbatim, and no [DONE] when done is false', bounded, async (t) => {
    const upstream = await start(t, [{ sse: ['event: error\ndata: {"error":{}}\n\n', { a: 1 }], crlf: true, done: false }]);
    const body = await (await post(upstream)).text();
    assert.equal(body, 'event: error\ndata: {"error":{}}\n\ndata: {"a":1}\r\n\r\n');
  });

  it('ends a CRLF stream with a CRLF [DONE]', bounded, async (t) => {
    const upstream = await start(t, [{ sse: [{ a: 1 }], crlf: true }]);
    assert.equal(await (await post(upstream)).text(), 'data: {"a":1}\r\n\r\ndata: [DONE]\r\n\r\n');
  });

  it('splits every event across separate writes inside its data: line', bounded, async (t) => {
    const events = textChunks(['a', 'b']);
    const upstream = await start(t, [{ sse: events, splitPackets: true, chunkDelayMs: 5 }]);
    const { chunks, error } = await readChunks(await post(upstream));
    assert.equal(error, undefined);
    assert.ok(chunks.length >= 3 * (events.length + 1), `only ${chunks.length} reads`);
    assert.equal(chunks[0], 'dat');
    assert.ok(chunks.join('').endsWith('data: [DONE]\n\n'));
  });

  it('cuts the connection after N events: no terminator, no [DONE]', bounded, async (t) => {
    const events = textChunks('one two three');
    const upstream = await start(t, [{ sse: events, cutAfter: 2 }]);
    const response = await post(upstream);
    assert.equal(response.status, 200);
    const { chunks, error } = await readChunks(response);
    assert.ok(error, 'the body should fail');
    assert.equal(
      chunks.join(''),
      events
        .slice(0, 2)
        .map((event) => `data: ${JSON.stringify(event)}\n\n`)
        .join(''),
    );
    await upstream.waitForClose(0);
    assert.equal(upstream.requests[0]!.closedEarly, false, 'the emulator closed it, not the client');
  });

  it('stalls after N events until the client aborts', bounded, async (t) => {
    const upstream = await start(t, [{ sse: textChunks('one two three'), stallAfter: 1 }]);
    const controller = new AbortController();
    const response = await post(upstream, undefined, controller.signal);
    const reader = response.body!.pipeThrough(new TextDecoderStream()).getReader();
    assert.match((await reader.read()).value!, /"role":"assistant"/);
    const stalled = reader.read();
    setTimeout(() => controller.abort(), 30);
    await assert.rejects(stalled, { name: 'AbortError' });
    await upstream.waitForClose(0);
    assert.equal(upstream.requests[0]!.closedEarly, true);
  });

  it("'reset' resets the connection after reading the request", bounded, async (t) => {
    const upstream = await start(t, ['reset']);
    const error = await post(upstream).catch((caught: unknown) => caught);
    assert.equal(causeCode(error), 'ECONNRESET');
    assert.equal(upstream.requests.length, 1);
    assert.equal(upstream.requests[0]!.closedEarly, false);
    assert.equal(await contentOf(await post(upstream)), 'ok', 'the next request is served');
  });

  it("'hang' never answers; the client's abort closes the connection", bounded, async (t) => {
    const upstream = await start(t, ['hang']);
    await assert.rejects(post(upstream, undefined, AbortSignal.timeout(30)), { name: 'TimeoutError' });
    await upstream.waitForClose(0);
    assert.equal(upstream.requests[0]!.closedEarly, true);
    assert.equal(upstream.closedConnections, 1);
  });

  it('close() destroys hung connections promptly and can be called twice', bounded, async (t) => {
    let arrived!: () => void;
    const arrival = new Promise<void>((resolve) => (arrived = resolve));
    const upstream = await start(t, [
      () => {
        arrived();
        return 'hang';
      },
    ]);
    const pending = post(upstream).catch((caught: unknown) => caught);
    await arrival;
    const startedAt = performance.now();
    await Promise.all([upstream.close(), upstream.close()]);
    assert.ok(performance.now() - startedAt < 200);
    assert.ok((await pending) instanceof Error);
    assert.equal(upstream.requests[0]!.closedEarly, false);
  });

  it('answers dynamic entries from the recorded request, and takes entries pushed later', bounded, async (t) => {
    const echo: ScriptEntry = (request) =>
      request.body.stream ? { sse: textChunks(request.body.model) } : { json: completion(`model ${request.body.model}`) };
    const upstream = await start(t, [echo], { fallback: { status: 503, json: openaiError('down', 'server_error') } });
    upstream.script.push(echo);
    assert.equal(await contentOf(await post(upstream, { model: 'a' })), 'model a');
    assert.match(await (await post(upstream, { model: 'b', stream: true })).text(), /"content":"b"/);
    assert.equal((await post(upstream)).status, 503);
    upstream.script.push(() => 'reset');
    assert.equal(causeCode(await post(upstream).catch((caught: unknown) => caught)), 'ECONNRESET');
  });

  it('refusingUrl() gives a URL that refuses connections', bounded, async () => {
    const url = await refusingUrl();
    assert.match(url, /^http:\/\/127\.0\.0\.1:\d+\/v1$/);
    const error = await fetch(`${url}/chat/completions`, { method: 'POST' }).catch((caught: unknown) => caught);
    assert.equal(causeCode(error), 'ECONNREFUSED');
  });
});

describe('fixtures', () => {
  it('completion() builds a chat.completion', () => {
    assert.deepEqual(completion('Hello there', { usage: { prompt_tokens: 9 } }), {
      id: 'chatcmpl-emulator',
      object: 'chat.completion',
      created: 1_700_000_000,
      model: 'gpt-4o-mini',
      choices: [
        {
          index: 0,
          message: { role: 'assistant', content: 'Hello there', refusal: null },
          logprobs: null,
          finish_reason: 'stop',
        },
      ],
      usage: { prompt_tokens: 9, completion_tokens: 2, total_tokens: 11 },
      system_fingerprint: null,
    });
    const toolCalls = [{ id: 'call_1', type: 'function' as const, function: { name: 'f', arguments: '{}' } }];
    const choice = completion('', { toolCalls }).choices[0]!;
    assert.equal(choice.message.content, null);
    assert.deepEqual(choice.message.tool_calls, toolCalls);
    assert.equal(choice.finish_reason, 'tool_calls');
    assert.equal(completion('x', { finishReason: 'length' }).choices[0]!.finish_reason, 'length');
  });

  it('openaiError() builds an OpenAI error body', () => {
    assert.deepEqual(openaiError('Bad model', 'invalid_request_error', 'model_not_found', 'model'), {
      error: { message: 'Bad model', type: 'invalid_request_error', param: 'model', code: 'model_not_found' },
    });
  });

  it('textChunks() gives a role chunk, one chunk per word, a finish chunk and optional usage', () => {
    const chunks = textChunks('Hello big  world', { id: 'chatcmpl-1', model: 'm' });
    assert.deepEqual(
      chunks.map((chunk) => [chunk.choices[0]!.delta, chunk.choices[0]!.finish_reason]),
      [
        [{ role: 'assistant', content: '' }, null],
        [{ content: 'Hello' }, null],
        [{ content: ' big' }, null],
        [{ content: '  world' }, null],
        [{}, 'stop'],
      ],
    );
    assert.ok(
      chunks.every((chunk) => chunk.id === 'chatcmpl-1' && chunk.model === 'm' && chunk.object === 'chat.completion.chunk'),
    );
    assert.ok(chunks.every((chunk) => !('usage' in chunk)));

    const withUsage = textChunks(['a', 'b'], { usage: true });
    assert.equal(withUsage.length, 5);
    assert.ok(withUsage.slice(0, -1).every((chunk) => chunk.usage === null));
    assert.deepEqual(withUsage.at(-1)!.choices, []);
    assert.deepEqual(withUsage.at(-1)!.usage, { prompt_tokens: 5, completion_tokens: 2, total_tokens: 7 });
  });
});

describe('talkingModel', () => {
  it('answers a restart with different words, and a continuation with the rest of the answer it began', async () => {
    const answers = [
      'The sky is blue because air scatters blue light most.',
      'Rayleigh scattering makes the daytime sky look blue.',
    ];
    const server = await startUpstream([], { fallback: talkingModel(answers) });
    const ask = async (messages: unknown[]) => {
      const response = await fetch(`${server.url}/chat/completions`, { method: 'POST', body: JSON.stringify({ messages }) });
      const text = await response.text();
      return [...text.matchAll(/"content":"([^"]*)"/g)].map((match) => match[1]).join('');
    };
    const question = { role: 'user', content: 'Why is the sky blue?' };
    assert.equal(await ask([question]), answers[0]);
    assert.equal(await ask([question]), answers[1], 'asked again, it says it differently');
    const partial = { role: 'assistant', content: 'The sky is blue because' };
    assert.equal(await ask([question, partial]), ' air scatters blue light most.');
    assert.equal(
      await ask([question, partial, { role: 'user', content: 'Continue exactly where you stopped.' }]),
      ' air scatters blue light most.',
    );
    await server.close();
  });
});
