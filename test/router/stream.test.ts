// Streams that survive: first-token deadlines, stalls, cuts, recovery, retry discipline.
// Durations are scaled down from the (20 s / 10 s becomes 2 s / 200 ms) so the suite stays fast.
import assert from 'node:assert/strict';
import { after, describe, it } from 'node:test';
import type { ChatChunk } from '../../src/protocol/chat.ts';
import { SwitchboardError } from '../../src/protocol/errors.ts';
import { createRouter } from '../../src/router/router.ts';
import type { StreamResult } from '../../src/router/stream.ts';
import { openaiError, type RecordedRequest, type ScriptEntry, talkingModel, textChunks } from '../support/upstream.ts';
import { hello, routerFor, upstream } from './helpers.ts';

const words = Array.from({ length: 60 }, (_, i) => `w${i + 1}`);
const fullText = words.join(' ');

/** Reads a stream to its end: the text, the chunks, and the error it ended with, if any. */
async function drain(stream: StreamResult) {
  const chunks: ChatChunk[] = [];
  let error: SwitchboardError | undefined;
  try {
    for await (const chunk of stream) chunks.push(chunk);
  } catch (thrown) {
    assert.ok(thrown instanceof SwitchboardError, String(thrown));
    error = thrown;
  }
  const text = chunks.map((chunk) => chunk.choices[0]?.delta.content ?? '').join('');
  const finish = chunks.flatMap((chunk) => chunk.choices.map((choice) => choice.finish_reason)).filter(Boolean);
  return { chunks, text, error, finish };
}

/** An upstream answer that continues a prefill: the text after the assistant message it was sent. */
function continuePrefill(request: RecordedRequest): ScriptEntry {
  const last = request.body.messages.at(-1);
  assert.equal(last.role, 'assistant', 'the continuation carries the delivered text as an assistant message');
  assert.ok(fullText.startsWith(last.content), 'the prefill is exactly the text delivered');
  return { sse: textChunks(fullText.slice(last.content.length), { usage: true }) };
}

function twoProviders(first: string, second: string, routing = {}, secondOptions = {}) {
  return createRouter({
    providers: {
      first: { baseUrl: first, priority: 1, models: { m: 'first-model' } },
      second: { baseUrl: second, priority: 2, models: { m: 'second-model' }, ...secondOptions },
    },
    routing: { retryDelayMs: 5, ...routing },
  });
}

describe('first-token deadline', () => {
  it('a first token after 5 s with a 200 ms deadline: the next provider answers in about 200 ms', async () => {
    const slow = await upstream([{ sse: textChunks(fullText), delayMs: 5000 }]);
    const fast = await upstream([{ sse: textChunks(fullText) }]);
    const router = twoProviders(slow.url, fast.url, { timeouts: { firstTokenMs: 200 } });
    after(() => router.close());
    const started = performance.now();
    const stream = await router.stream(hello);
    const elapsedMs = performance.now() - started;
    const { text, error } = await drain(stream);
    assert.equal(error, undefined);
    assert.equal(text, fullText);
    assert.equal(stream.provider, 'second');
    assert.ok(elapsedMs >= 190 && elapsedMs < 4000, `answered after ${elapsedMs} ms`);
    assert.equal(slow.requests.length, 1);
    await slow.waitForClose(0);
    assert.equal(slow.requests[0]!.closedEarly, true, 'the abandoned attempt’s connection is closed');
    // Measured from the call: under load the slow upstream may record its own request late.
    const askedMs = fast.requests[0]!.receivedAt - started;
    assert.ok(askedMs >= 190 && askedMs < 3000, `the next provider was asked ${askedMs} ms after the call`);
  });

  it('headers that come at once but no content counts the same', async () => {
    const [role, ...rest] = textChunks(fullText);
    const slow = await upstream([{ sse: [role!, ...rest], chunkDelayMs: 2000 }]);
    const fast = await upstream([{ sse: textChunks(fullText) }]);
    const router = twoProviders(slow.url, fast.url, { timeouts: { firstTokenMs: 150 } });
    after(() => router.close());
    const stream = await router.stream(hello);
    assert.equal((await drain(stream)).text, fullText);
    assert.deepEqual(
      stream.attempts.map((a) => [a.provider, a.outcome]),
      [
        ['first', 'timeout'],
        ['second', 'ok'],
      ],
    );
  });

  it('firstTokenMs: auto gives up quickly on a provider that is usually fast', async () => {
    const script: ScriptEntry[] = Array.from({ length: 5 }, () => ({ sse: textChunks('quick') }));
    script.push({ sse: textChunks(fullText), delayMs: 12_000 });
    const usuallyFast = await upstream(script);
    const fallback = await upstream([], { sse: textChunks(fullText) });
    const router = twoProviders(usuallyFast.url, fallback.url, {
      timeouts: { firstTokenMs: 'auto', firstTokenAuto: { minMs: 100, maxMs: 10_000, minSamples: 5 } },
    });
    after(() => router.close());
    for (let i = 0; i < 5; i += 1) assert.equal((await drain(await router.stream(hello))).text, 'quick');
    const started = performance.now();
    const stream = await router.stream(hello);
    const elapsedMs = performance.now() - started;
    assert.equal(stream.provider, 'second');
    assert.ok(elapsedMs < 4000, `learned deadline cut the stall after ${elapsedMs} ms, not the 10 s ceiling`);
    await drain(stream);
  });
});

describe('mid-stream recovery', () => {
  it('a stream cut after 40 chunks continues on the next provider from a prefill: the complete text, exactly once', async () => {
    const cut = await upstream([{ sse: textChunks(fullText), cutAfter: 41 }]);
    const next = await upstream([continuePrefill]);
    const router = twoProviders(cut.url, next.url, {}, { prefill: true });
    after(() => router.close());
    const stream = await router.stream({ ...hello, stream_options: { include_usage: true } });
    const { text, error, finish, chunks } = await drain(stream);
    assert.equal(error, undefined);
    assert.equal(text, fullText);
    assert.deepEqual(finish, ['stop']);
    assert.equal(stream.recoveries, 1);
    assert.equal(stream.provider, 'second');
    assert.deepEqual(
      stream.attempts.map((a) => [a.provider, a.outcome]),
      [
        ['first', 'connect'],
        ['second', 'ok'],
      ],
    );
    assert.equal(new Set(chunks.map((chunk) => chunk.id)).size, 1, 'one stream id throughout');
    assert.equal(chunks.filter((chunk) => chunk.choices[0]?.delta.role).length, 1, 'one role chunk');
    assert.equal(cut.requests.length, 1);
    assert.equal(next.requests.length, 1);
    assert.equal(next.requests[0]!.body.model, 'second-model');
    assert.ok(stream.usage, 'usage is reported at the end');
  });

  it('a stream that stalls after 20 chunks is ended by the idle limit and recovered', async () => {
    const stalled = await upstream([{ sse: textChunks(fullText), stallAfter: 21 }]);
    const next = await upstream([continuePrefill]);
    const router = twoProviders(stalled.url, next.url, { timeouts: { idleMs: 150 } }, { prefill: true });
    after(() => router.close());
    const { text, error } = await drain(await router.stream(hello));
    assert.equal(error, undefined);
    assert.equal(text, fullText);
    await stalled.waitForClose(0);
    const gapMs = next.requests[0]!.receivedAt - stalled.requests[0]!.receivedAt;
    assert.ok(gapMs >= 140, `recovered after the ${gapMs} ms stall`);
  });

  it('an upstream error event after content is recovered the same way', async () => {
    const erroring = await upstream([
      {
        sse: [
          ...textChunks(fullText).slice(0, 11),
          'event: error\ndata: {"error":{"message":"Service Unavailable","type":"internal_server_error","status_code":503}}\n\n',
        ],
        done: false,
      },
    ]);
    const next = await upstream([continuePrefill]);
    const router = twoProviders(erroring.url, next.url, {}, { prefill: true });
    after(() => router.close());
    const { text, error } = await drain(await router.stream(hello));
    assert.equal(error, undefined);
    assert.equal(text, fullText);
  });

  it('a provider that takes no prefill is asked to continue; what comes back is appended', async () => {
    const cut = await upstream([{ sse: textChunks(fullText), cutAfter: 41 }]);
    const next = await upstream([], talkingModel([fullText]));
    const router = twoProviders(cut.url, next.url, {}, { prefill: false });
    after(() => router.close());
    const { text, error, finish } = await drain(await router.stream(hello));
    assert.equal(error, undefined);
    assert.equal(text, fullText);
    assert.deepEqual(finish, ['stop']);
    const sent = next.requests[0]!.body.messages;
    assert.equal(sent.at(-2).role, 'assistant', 'the delivered text as the partial turn');
    assert.equal(sent.at(-2).content, words.slice(0, 40).join(' '));
    assert.equal(sent.at(-1).role, 'user');
    assert.match(sent.at(-1).content, /Continue it exactly where it stopped/);
  });

  it('a prefill refused with a 400 is asked for explicitly on the same provider', async () => {
    const cut = await upstream([{ sse: textChunks(fullText), cutAfter: 41 }]);
    const refusing = await upstream(
      [{ status: 400, json: openaiError('Last message must be from the user', 'invalid_request_error') }],
      talkingModel([fullText]),
    );
    const router = twoProviders(cut.url, refusing.url, {}, { prefill: true });
    after(() => router.close());
    const { text, error } = await drain(await router.stream(hello));
    assert.equal(error, undefined);
    assert.equal(text, fullText);
    assert.equal(refusing.requests.length, 2);
    assert.equal(refusing.requests[1]!.body.messages.at(-1).role, 'user');
  });

  it('when nothing can continue, the stream ends with an error naming the cut', async () => {
    const cut = await upstream([{ sse: textChunks(fullText), cutAfter: 41 }]);
    const down = await upstream([], { status: 503, json: openaiError('overloaded', 'server_error') });
    const router = twoProviders(cut.url, down.url, {}, { prefill: false });
    after(() => router.close());
    const { text, error, finish } = await drain(await router.stream(hello));
    assert.equal(text, words.slice(0, 40).join(' '), 'only what the first provider sent');
    assert.deepEqual(finish, [], 'never presented as complete');
    assert.ok(error);
    assert.equal(error.code, 'body_interrupted');
    assert.match(error.message, /^first: body interrupted: /);
  });

  it('with recovery off, a cut stream ends with an error and no finish', async () => {
    const cut = await upstream([{ sse: textChunks(fullText), cutAfter: 41 }]);
    const next = await upstream([continuePrefill]);
    const router = twoProviders(cut.url, next.url, { streamRecovery: false }, { prefill: true });
    after(() => router.close());
    const { error, finish } = await drain(await router.stream(hello));
    assert.ok(error);
    assert.deepEqual(finish, []);
    assert.equal(next.requests.length, 0);
  });

  it('a tool-call stream that breaks mid-call ends with a clear error', async () => {
    const base = { id: 'c', object: 'chat.completion.chunk', created: 1, model: 'x' };
    const toolChunks = [
      { ...base, choices: [{ index: 0, delta: { role: 'assistant', content: null }, finish_reason: null }] },
      {
        ...base,
        choices: [
          {
            index: 0,
            delta: {
              tool_calls: [{ index: 0, id: 'call_1', type: 'function', function: { name: 'get_weather', arguments: '' } }],
            },
            finish_reason: null,
          },
        ],
      },
      {
        ...base,
        choices: [{ index: 0, delta: { tool_calls: [{ index: 0, function: { arguments: '{"city":' } }] }, finish_reason: null }],
      },
      {
        ...base,
        choices: [{ index: 0, delta: { tool_calls: [{ index: 0, function: { arguments: '"Paris"}' } }] }, finish_reason: null }],
      },
    ];
    const cut = await upstream([{ sse: toolChunks, cutAfter: 3 }]);
    const next = await upstream([continuePrefill]);
    const router = twoProviders(cut.url, next.url, {}, { prefill: true });
    after(() => router.close());
    const { error } = await drain(await router.stream(hello));
    assert.ok(error);
    assert.match(error.message, /tool call/);
    assert.equal(next.requests.length, 0);
  });
});

describe('robust stream handling', () => {
  it('a malformed chunk in the middle is skipped and counted', async () => {
    const chunks: Array<string | object> = textChunks(fullText);
    chunks.splice(20, 0, 'data: {"id":"chatcmpl-emulator","choices":[{"delta":{"content":"GARB\n\n');
    const garbled = await upstream([{ sse: chunks }]);
    const router = routerFor([garbled.url]);
    after(() => router.close());
    const stream = await router.stream(hello);
    const { text, error } = await drain(stream);
    assert.equal(error, undefined);
    assert.equal(text, fullText);
    assert.equal(stream.skippedEvents, 1);
  });

  it('a stream with its finish_reason but no [DONE] is complete; one without either is not', async () => {
    const noDone = await upstream([{ sse: textChunks(fullText), done: false }]);
    const router = routerFor([noDone.url]);
    after(() => router.close());
    const ok = await drain(await router.stream(hello));
    assert.equal(ok.error, undefined);
    assert.equal(ok.text, fullText);

    const truncated = await upstream([{ sse: textChunks(fullText).slice(0, 30), done: false }]);
    const lone = routerFor([truncated.url], { streamRecovery: false });
    after(() => lone.close());
    const cut = await drain(await lone.stream(hello));
    assert.ok(cut.error, 'a stream that ended early is an error');
    assert.deepEqual(cut.finish, []);
  });

  it('usage is summed across a recovery', async () => {
    const partialUsage = textChunks(fullText, { usage: true }).slice(0, 31);
    const cut = await upstream([{ sse: partialUsage, cutAfter: 31 }]);
    const next = await upstream([continuePrefill]);
    const router = twoProviders(cut.url, next.url, {}, { prefill: true });
    after(() => router.close());
    const stream = await router.stream({ ...hello, stream_options: { include_usage: true } });
    await drain(stream);
    const continued = textChunks(fullText.slice(words.slice(0, 30).join(' ').length), { usage: true }).at(-1)!.usage!;
    assert.equal(
      stream.usage!.completion_tokens,
      continued.completion_tokens,
      'the cut attempt reported no usage, so only the continuation’s is known',
    );
  });
});

describe('retry discipline', () => {
  it('a silent provider is not waited on twice, and the request stays within its deadline', async () => {
    const silent = await upstream(['hang', 'hang', 'hang']);
    const router = routerFor([silent.url], { timeouts: { firstTokenMs: 100, totalMs: 600 } });
    after(() => router.close());
    const started = performance.now();
    await assert.rejects(router.stream(hello), (error: SwitchboardError) => error.kind === 'timeout');
    assert.ok(performance.now() - started < 600);
    assert.equal(silent.requests.length, 1);
  });

  it('a transient 500 is retried once on the same provider after a short jittered delay', async () => {
    const flaky = await upstream([{ status: 500, json: openaiError('oops', 'server_error') }, { sse: textChunks(fullText) }]);
    const other = await upstream([]);
    const router = routerFor([flaky.url, other.url], { retryDelayMs: 40 });
    after(() => router.close());
    const stream = await router.stream(hello);
    assert.equal((await drain(stream)).text, fullText);
    assert.equal(flaky.requests.length, 2);
    assert.equal(other.requests.length, 0);
    const gapMs = flaky.requests[1]!.receivedAt - flaky.requests[0]!.receivedAt;
    assert.ok(gapMs >= 20 && gapMs < 1000, `retried after ${gapMs} ms`);
  });

  it('429 with Retry-After: 2 and nothing else available: waits about 2 s, then answers', async () => {
    const limited = await upstream([
      {
        status: 429,
        headers: { 'retry-after': '2' },
        json: openaiError('Rate limit reached', 'requests', 'rate_limit_exceeded'),
      },
      { sse: textChunks(fullText) },
    ]);
    const router = routerFor([limited.url]);
    after(() => router.close());
    const stream = await router.stream(hello);
    assert.equal((await drain(stream)).text, fullText);
    const gapMs = limited.requests[1]!.receivedAt - limited.requests[0]!.receivedAt;
    assert.ok(gapMs >= 1990 && gapMs < 3000, `second try after ${gapMs} ms`);
  });

  it('429 with Retry-After: 2 when another provider can answer: fails over at once', async () => {
    const limited = await upstream([
      {
        status: 429,
        headers: { 'retry-after': '2' },
        json: openaiError('Rate limit reached', 'requests', 'rate_limit_exceeded'),
      },
    ]);
    const other = await upstream([{ sse: textChunks(fullText) }]);
    const router = routerFor([limited.url, other.url]);
    after(() => router.close());
    const stream = await router.stream(hello);
    assert.equal(stream.provider, 'b');
    const gapMs = other.requests[0]!.receivedAt - limited.requests[0]!.receivedAt;
    assert.ok(gapMs < 500, `failed over after ${gapMs} ms`);
    await drain(stream);
  });

  it('a persistent 429 without Retry-After gets a few attempts at most, then a 429', async () => {
    const limited = await upstream([], {
      status: 429,
      json: openaiError('Rate limit reached', 'requests', 'rate_limit_exceeded'),
    });
    const router = routerFor([limited.url], { rateLimitWaitMs: 30, maxAttemptsPerProvider: 3 });
    after(() => router.close());
    await assert.rejects(router.stream(hello), (error: SwitchboardError) => error.status === 429 && error.attempts.length === 3);
    assert.equal(limited.requests.length, 3);
  });

  it('a persistent 503 gets one attempt per request', async () => {
    const down = await upstream([], { status: 503, json: openaiError('overloaded', 'server_error') });
    const router = routerFor([down.url], { maxAttemptsPerProvider: 3 });
    after(() => router.close());
    await assert.rejects(router.stream(hello), (error: SwitchboardError) => error.status === 503);
    assert.equal(down.requests.length, 1);
  });
});
