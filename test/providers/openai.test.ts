// The OpenAI wire protocol, against fixtures written from OpenAI's, Groq's and OpenRouter's API references.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { wireText } from '../../src/protocol/chat.ts';
import { SwitchboardError } from '../../src/protocol/errors.ts';
import type { Target } from '../../src/providers/adapter.ts';
import { openaiAdapter } from '../../src/providers/openai.ts';

const target: Target = {
  provider: 'groq',
  model: 'llama-3.1-8b-instant',
  apiKey: 'test-key',
  auth: 'bearer',
  headers: { 'X-Title': 'app' },
  defaultMaxTokens: 4096,
};

function decodeError(status: number, body: string): SwitchboardError {
  try {
    openaiAdapter.decode({ status, headers: {}, body }, target);
  } catch (error) {
    assert.ok(error instanceof SwitchboardError);
    return error;
  }
  assert.fail('expected an error');
}

describe('openai adapter', () => {
  it('encodes the request unchanged but for the provider’s model name', () => {
    const request = {
      model: 'llama-3.1-8b',
      messages: [
        {
          role: 'user' as const,
          content: [
            { type: 'text' as const, text: 'hi' },
            { type: 'image_url' as const, image_url: { url: 'https://x/y.png' } },
          ],
        },
      ],
      tools: [{ type: 'function' as const, function: { name: 'f', parameters: { type: 'object' } } }],
      stream: true,
      stream_options: { include_usage: true },
      max_tokens: 5,
      x_vendor_extension: 1,
    };
    const wire = openaiAdapter.encode(request, target);
    assert.equal(wire.path, '/chat/completions');
    assert.deepEqual(wire.headers, { 'content-type': 'application/json', 'X-Title': 'app', authorization: 'Bearer test-key' });
    assert.deepEqual(JSON.parse(wire.body), { ...request, model: 'llama-3.1-8b-instant' });
  });

  it('sends no authorization header without a key', () => {
    const wire = openaiAdapter.encode({ model: 'm', messages: [] }, { ...target, apiKey: undefined });
    assert.equal(wire.headers.authorization, undefined);
  });

  it('decodes a completion with provider extras intact (Groq x_groq, usage timing)', () => {
    const body = {
      id: 'chatcmpl-1',
      object: 'chat.completion',
      created: 1,
      model: 'llama-3.1-8b-instant',
      choices: [{ index: 0, message: { role: 'assistant', content: 'Hello' }, finish_reason: 'stop', logprobs: null }],
      usage: { prompt_tokens: 3, completion_tokens: 1, total_tokens: 4, queue_time: 0.01, total_time: 0.02 },
      x_groq: { id: 'req_1' },
    };
    const decoded = openaiAdapter.decode({ status: 200, headers: {}, body: JSON.stringify(body) }, target);
    // Groq leaves out `message.refusal`, which OpenAI's schema requires (nullable): it comes back null.
    const expected = structuredClone(body);
    Object.assign(expected.choices[0]!.message, { refusal: null });
    assert.deepEqual(decoded, expected);
  });

  it('keeps answers to OpenAI’s schema: missing nullable fields become null, forbidden nulls go, nothing is invented', () => {
    const body = {
      id: 'x',
      object: 'chat.completion',
      created: 1,
      model: 'm',
      system_fingerprint: null,
      choices: [
        { index: 0, message: { role: 'assistant', content: 'Hi', tool_calls: null }, finish_reason: 'stop' },
        { index: 1, message: { role: 'assistant', refusal: 'No.' }, finish_reason: 'content_filter', logprobs: null },
      ],
    };
    const decoded = openaiAdapter.decode({ status: 200, headers: {}, body: JSON.stringify(body) }, target);
    assert.deepEqual(decoded, {
      id: 'x',
      object: 'chat.completion',
      created: 1,
      model: 'm',
      choices: [
        { index: 0, message: { role: 'assistant', content: 'Hi', refusal: null }, finish_reason: 'stop', logprobs: null },
        {
          index: 1,
          message: { role: 'assistant', content: null, refusal: 'No.' },
          finish_reason: 'content_filter',
          logprobs: null,
        },
      ],
    });
  });

  it('fixes stream chunks only for vendors known to need it (Together: nulls and eos)', () => {
    const chunk = () => ({
      id: 'c',
      object: 'chat.completion.chunk',
      created: 1,
      model: 'm',
      choices: [
        {
          index: 0,
          delta: {
            role: null,
            content: null,
            tool_calls: [{ index: 0, id: null, type: null, function: { name: null, arguments: '{"a"' } }],
          },
          finish_reason: 'eos',
        },
      ],
    });
    const event = { event: undefined, data: JSON.stringify(chunk()) };
    const plain = openaiAdapter.decodeEvent(event, openaiAdapter.startStream(target, { model: 'm', messages: [] }));
    assert.deepEqual(plain[0]!.choices[0], chunk().choices[0], 'untouched without the quirks');
    const together = { ...target, quirks: ['stream-nulls', 'eos'] as const };
    const fixed = openaiAdapter.decodeEvent(event, openaiAdapter.startStream(together, { model: 'm', messages: [] }));
    assert.deepEqual(fixed[0]!.choices[0], {
      index: 0,
      delta: { content: null, tool_calls: [{ index: 0, function: { arguments: '{"a"' } }] },
      finish_reason: 'stop',
    });
  });

  it('classifies error envelopes of every OpenAI-compatible vendor', () => {
    const cases: Array<[number, string, string, string | null]> = [
      [
        401,
        '{"error":{"message":"Invalid API Key","type":"invalid_request_error","code":"invalid_api_key"}}',
        'auth',
        'invalid_api_key',
      ],
      [
        429,
        '{"error":{"message":"You exceeded your current quota","type":"insufficient_quota","code":"insufficient_quota"}}',
        'auth',
        'insufficient_quota',
      ],
      [
        429,
        '{"error":{"message":"Rate limit reached","type":"tokens","code":"rate_limit_exceeded"}}',
        'rate-limited',
        'rate_limit_exceeded',
      ],
      [
        413,
        '{"error":{"message":"Request too large on tokens per minute","type":"tokens","code":"rate_limit_exceeded"}}',
        'rate-limited',
        'rate_limit_exceeded',
      ],
      [
        400,
        '{"error":{"message":"This model\'s maximum context length is 8192 tokens","type":"invalid_request_error","code":"context_length_exceeded"}}',
        'context-length',
        'context_length_exceeded',
      ],
      [
        404,
        '{"error":{"message":"The model `x` does not exist","type":"invalid_request_error","code":"model_not_found"}}',
        'model-not-found',
        'model_not_found',
      ],
      [503, 'upstream connect error or disconnect/reset before headers. reset reason: overflow', 'server', null],
      [403, '<html><head><title>Attention Required! | Cloudflare</title></head></html>', 'auth', null],
      [401, '{"detail":"Unauthorized"}', 'auth', null],
      [
        429,
        '{"object":"error","message":"Requests rate limit exceeded","type":"rate_limited","param":null,"code":"1300"}',
        'rate-limited',
        '1300',
      ],
      [402, '{"error":{"message":"Insufficient credits","code":402,"metadata":{}}}', 'auth', '402'],
      [400, '{"message":"Input validation error"}', 'bad-request', null],
    ];
    for (const [status, body, kind, code] of cases) {
      const error = decodeError(status, body);
      assert.equal(error.kind, kind, `${status} ${body}`);
      assert.equal(error.code, code, `${status} ${body}`);
      assert.equal(error.provider, 'groq');
    }
  });

  it('treats OpenRouter’s 200 with an error body as that error', () => {
    const error = decodeError(200, '{"error":{"message":"Provider returned error","code":502,"metadata":{"provider_name":"X"}}}');
    assert.equal(error.kind, 'server');
    assert.equal(error.status, 502);
  });

  it('treats a 200 that is empty, not JSON, not an object or without choices as malformed', () => {
    for (const body of ['', '{"id":', 'null', '42', '"text"', '[]', '{"object":"chat.completion"}', '{"choices":[]}']) {
      assert.equal(decodeError(200, body).kind, 'malformed', body);
    }
  });

  it('decodes stream events: chunks, [DONE], skipped garbage, and in-band errors', () => {
    const state = openaiAdapter.startStream(target, { model: 'm', messages: [] });
    const chunk = {
      id: 'c',
      object: 'chat.completion.chunk',
      created: 1,
      model: 'x',
      choices: [{ index: 0, delta: { content: 'Hi' }, finish_reason: null }],
    };
    const data = JSON.stringify(chunk);
    // Decoded unchanged, the chunk keeps the text it came as, to be written out as it is.
    assert.deepEqual(openaiAdapter.decodeEvent({ event: undefined, data }, state), [{ ...chunk, [wireText]: data }]);
    assert.deepEqual(openaiAdapter.decodeEvent({ event: undefined, data: '{"id":"c","choi' }, state), []);
    assert.equal(state.malformed, 1);
    assert.deepEqual(openaiAdapter.decodeEvent({ event: undefined, data: '[DONE]' }, state), []);
    assert.equal(state.done, true);

    // Groq: `event: error` after a 200, with the real status inside.
    assert.throws(
      () =>
        openaiAdapter.decodeEvent(
          {
            event: 'error',
            data: '{"error":{"message":"Failed to call a function","type":"invalid_request_error","code":"tool_use_failed","status_code":400}}',
          },
          state,
        ),
      (error: SwitchboardError) => error.kind === 'bad-request' && error.status === 400 && error.provider === 'groq',
    );
    // OpenRouter: a chunk with a top-level error and a numeric code.
    assert.throws(
      () =>
        openaiAdapter.decodeEvent(
          {
            event: undefined,
            data: '{"id":"x","object":"chat.completion.chunk","error":{"code":502,"message":"Provider disconnected"},"choices":[{"index":0,"delta":{"content":""},"finish_reason":"error"}]}',
          },
          state,
        ),
      (error: SwitchboardError) => error.kind === 'server' && error.status === 502,
    );
  });

  it('normalises Mistral’s index-less tool calls and magistral’s array content', () => {
    const state = openaiAdapter.startStream(target, { model: 'm', messages: [] });
    const mistral = {
      id: 'c',
      object: 'chat.completion.chunk',
      created: 1,
      model: 'mistral-small-latest',
      choices: [
        {
          index: 0,
          delta: {
            content: '',
            tool_calls: [{ id: 'gSIMJiOkT', function: { name: 'weather', arguments: '{"location": "Paris"}' } }],
          },
          finish_reason: 'tool_calls',
        },
      ],
    };
    const [chunk] = openaiAdapter.decodeEvent({ event: undefined, data: JSON.stringify(mistral) }, state);
    assert.deepEqual(chunk!.choices[0]!.delta.tool_calls, [
      { id: 'gSIMJiOkT', index: 0, type: 'function', function: { name: 'weather', arguments: '{"location": "Paris"}' } },
    ]);
    const thinking = {
      ...mistral,
      choices: [
        {
          index: 0,
          delta: {
            content: [
              { type: 'thinking', thinking: [{ type: 'text', text: 'hmm' }] },
              { type: 'text', text: 'Answer' },
            ],
          },
          finish_reason: null,
        },
      ],
    };
    const [text] = openaiAdapter.decodeEvent({ event: undefined, data: JSON.stringify(thinking) }, state);
    assert.equal(text!.choices[0]!.delta.content, 'Answer');
  });
});
