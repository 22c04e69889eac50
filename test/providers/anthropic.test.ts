// The Anthropic adapter against small fixtures written from Anthropic's public docs
// (docs.anthropic.com/en/api/messages, /messages-streaming, /errors).
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { ChatChunk, ChatRequest, ChatResponse, ToolCall } from '../../src/protocol/chat.ts';
import { SwitchboardError } from '../../src/protocol/errors.ts';
import type { SseEvent, Target, WireResponse } from '../../src/providers/adapter.ts';
import { type AnthropicStreamState, anthropicAdapter } from '../../src/providers/anthropic.ts';

const target: Target = {
  provider: 'anthropic',
  model: 'claude-sonnet-4-5',
  apiKey: 'test-key',
  auth: 'x-api-key',
  headers: { 'anthropic-version': '2023-06-01' },
  defaultMaxTokens: 4096,
};

const hello: ChatRequest = { model: 'claude', messages: [{ role: 'user', content: 'Hello, Claude' }] };

function encodeBody(request: Partial<ChatRequest>): Record<string, unknown> {
  const wire = anthropicAdapter.encode({ ...hello, ...request }, target);
  return JSON.parse(wire.body);
}

function reply(status: number, body: unknown, headers: Record<string, string> = {}): WireResponse {
  return {
    status,
    headers: { 'content-type': 'application/json', ...headers },
    body: typeof body === 'string' ? body : JSON.stringify(body),
  };
}

function decodeError(response: WireResponse): SwitchboardError {
  try {
    anthropicAdapter.decode(response, target);
  } catch (error) {
    assert.ok(error instanceof SwitchboardError);
    return error;
  }
  assert.fail('decode did not throw');
}

const weatherTool = {
  type: 'function' as const,
  function: {
    name: 'get_weather',
    description: 'Get the current weather in a given location',
    parameters: { type: 'object', properties: { location: { type: 'string' } }, required: ['location'] },
  },
};

describe('anthropic encode', () => {
  it('posts to /messages with the key, the version header and the required max_tokens', () => {
    const wire = anthropicAdapter.encode(hello, target);
    assert.equal(wire.path, '/messages');
    assert.equal(wire.headers['x-api-key'], 'test-key');
    assert.equal(wire.headers['anthropic-version'], '2023-06-01');
    assert.equal(wire.headers['content-type'], 'application/json');
    assert.equal(wire.headers.authorization, undefined);
    assert.deepEqual(JSON.parse(wire.body), {
      model: 'claude-sonnet-4-5',
      max_tokens: 4096,
      messages: [{ role: 'user', content: 'Hello, Claude' }],
    });
  });

  it('takes max_completion_tokens, then max_tokens, then the target default', () => {
    assert.equal(encodeBody({ max_completion_tokens: 100, max_tokens: 200 }).max_tokens, 100);
    assert.equal(encodeBody({ max_tokens: 200 }).max_tokens, 200);
    assert.equal(encodeBody({ max_tokens: null }).max_tokens, 4096);
  });

  it('lifts system and developer messages into `system`, wherever they are', () => {
    const body = encodeBody({
      messages: [
        { role: 'system', content: 'You are a helpful assistant.' },
        { role: 'user', content: 'Hi' },
        { role: 'developer', content: [{ type: 'text', text: 'Answer in French.' }] },
        { role: 'user', content: 'How are you?' },
      ],
    });
    assert.deepEqual(body, {
      model: 'claude-sonnet-4-5',
      max_tokens: 4096,
      system: 'You are a helpful assistant.\n\nAnswer in French.',
      messages: [
        {
          role: 'user',
          content: [
            { type: 'text', text: 'Hi' },
            { type: 'text', text: 'How are you?' },
          ],
        },
      ],
    });
  });

  it('merges consecutive messages of the same role and keeps alternation', () => {
    const body = encodeBody({
      messages: [
        { role: 'user', content: 'One' },
        { role: 'user', content: [{ type: 'text', text: 'Two' }] },
        { role: 'assistant', content: 'Three' },
        { role: 'assistant', content: null },
        { role: 'assistant', content: 'Four' },
        { role: 'user', content: 'Five' },
      ],
    });
    assert.deepEqual(body.messages, [
      {
        role: 'user',
        content: [
          { type: 'text', text: 'One' },
          { type: 'text', text: 'Two' },
        ],
      },
      {
        role: 'assistant',
        content: [
          { type: 'text', text: 'Three' },
          { type: 'text', text: 'Four' },
        ],
      },
      { role: 'user', content: 'Five' },
    ]);
  });

  it('maps stop, temperature, top_p and user; drops what Anthropic has no field for', () => {
    assert.deepEqual(
      encodeBody({
        stop: '\n\nHuman:',
        temperature: 0.5,
        top_p: 0.9,
        user: 'user-123',
        seed: 7,
        presence_penalty: 1,
        stream_options: { include_usage: true },
      }),
      {
        model: 'claude-sonnet-4-5',
        max_tokens: 4096,
        messages: [{ role: 'user', content: 'Hello, Claude' }],
        stop_sequences: ['\n\nHuman:'],
        temperature: 0.5,
        top_p: 0.9,
        metadata: { user_id: 'user-123' },
      },
    );
    assert.deepEqual(encodeBody({ stop: ['END', 'STOP'] }).stop_sequences, ['END', 'STOP']);
    assert.equal(encodeBody({ stop: null }).stop_sequences, undefined);
  });

  it('caps temperature at Anthropic’s maximum of 1', () => {
    assert.equal(encodeBody({ temperature: 1.6 }).temperature, 1);
    assert.equal(encodeBody({ temperature: 0 }).temperature, 0);
  });

  it('sets stream: true for streaming requests', () => {
    assert.equal(encodeBody({ stream: true }).stream, true);
    assert.equal(encodeBody({ stream: false }).stream, undefined);
  });

  it('refuses n > 1, which Anthropic cannot answer', () => {
    assert.throws(
      () => encodeBody({ n: 2 }),
      (error: unknown) => error instanceof SwitchboardError && error.kind === 'bad-request' && error.param === 'n',
    );
    assert.equal(encodeBody({ n: 1 }).n, undefined);
  });

  it('turns data: URLs into base64 image sources and http(s) URLs into url sources', () => {
    const body = encodeBody({
      messages: [
        {
          role: 'user',
          content: [
            { type: 'image_url', image_url: { url: 'data:image/jpeg;base64,/9j/4AAQSkZJRg==' } },
            {
              type: 'image_url',
              image_url: {
                url: 'https://upload.wikimedia.org/wikipedia/commons/a/a7/Camponotus_flavomarginatus_ant.jpg',
                detail: 'high',
              },
            },
            { type: 'text', text: 'What is in these images?' },
          ],
        },
      ],
    });
    assert.deepEqual(body.messages, [
      {
        role: 'user',
        content: [
          { type: 'image', source: { type: 'base64', media_type: 'image/jpeg', data: '/9j/4AAQSkZJRg==' } },
          {
            type: 'image',
            source: {
              type: 'url',
              url: 'https://upload.wikimedia.org/wikipedia/commons/a/a7/Camponotus_flavomarginatus_ant.jpg',
            },
          },
          { type: 'text', text: 'What is in these images?' },
        ],
      },
    ]);
  });

  it('rejects an image URL that is neither http(s) nor a base64 data URL', () => {
    const request = {
      messages: [{ role: 'user' as const, content: [{ type: 'image_url' as const, image_url: { url: 'file:///etc/passwd' } }] }],
    };
    assert.throws(
      () => encodeBody(request),
      (error: unknown) => error instanceof SwitchboardError && error.status === 400 && error.param === 'messages[0].content',
    );
  });

  it('maps tools to name/description/input_schema', () => {
    const body = encodeBody({
      tools: [weatherTool, { type: 'function', function: { name: 'get_time' } }],
    });
    assert.deepEqual(body.tools, [
      {
        name: 'get_weather',
        description: 'Get the current weather in a given location',
        input_schema: { type: 'object', properties: { location: { type: 'string' } }, required: ['location'] },
      },
      { name: 'get_time', input_schema: { type: 'object', properties: {} } },
    ]);
    assert.equal(body.tool_choice, undefined);
  });

  it('maps tool_choice auto, none, required and a named function', () => {
    const choice = (request: Partial<ChatRequest>) => encodeBody({ tools: [weatherTool], ...request }).tool_choice;
    assert.deepEqual(choice({ tool_choice: 'auto' }), { type: 'auto' });
    assert.deepEqual(choice({ tool_choice: 'none' }), { type: 'none' });
    assert.deepEqual(choice({ tool_choice: 'required' }), { type: 'any' });
    assert.deepEqual(choice({ tool_choice: { type: 'function', function: { name: 'get_weather' } } }), {
      type: 'tool',
      name: 'get_weather',
    });
  });

  it('maps parallel_tool_calls: false to disable_parallel_tool_use', () => {
    const choice = (request: Partial<ChatRequest>) =>
      encodeBody({ tools: [weatherTool], parallel_tool_calls: false, ...request }).tool_choice;
    assert.deepEqual(choice({}), { type: 'auto', disable_parallel_tool_use: true });
    assert.deepEqual(choice({ tool_choice: 'required' }), { type: 'any', disable_parallel_tool_use: true });
    assert.deepEqual(choice({ tool_choice: { type: 'function', function: { name: 'get_weather' } } }), {
      type: 'tool',
      name: 'get_weather',
      disable_parallel_tool_use: true,
    });
    assert.deepEqual(choice({ tool_choice: 'none' }), { type: 'none' });
    assert.equal(encodeBody({ tools: [weatherTool], parallel_tool_calls: true }).tool_choice, undefined);
  });

  it('sends no tool_choice when there are no tools', () => {
    const body = encodeBody({ tool_choice: 'required', parallel_tool_calls: false });
    assert.equal(body.tools, undefined);
    assert.equal(body.tool_choice, undefined);
  });

  it('turns assistant tool_calls into tool_use blocks and tool messages into tool_result blocks', () => {
    const body = encodeBody({
      tools: [weatherTool],
      messages: [
        { role: 'user', content: 'What is the weather like in Paris and London?' },
        {
          role: 'assistant',
          content: 'Let me check.',
          tool_calls: [
            {
              id: 'toolu_01A09q90qw90lq917835lq9',
              type: 'function',
              function: { name: 'get_weather', arguments: '{"location":"Paris"}' },
            },
            { id: 'call.abc:1', type: 'function', function: { name: 'get_weather', arguments: '{"location": "Lon' } },
          ],
        },
        { role: 'tool', tool_call_id: 'toolu_01A09q90qw90lq917835lq9', content: '15 degrees' },
        { role: 'tool', tool_call_id: 'call.abc:1', content: [{ type: 'text', text: '12 degrees' }] },
        { role: 'user', content: 'Which is warmer?' },
      ],
    });
    assert.deepEqual(body.messages, [
      { role: 'user', content: 'What is the weather like in Paris and London?' },
      {
        role: 'assistant',
        content: [
          { type: 'text', text: 'Let me check.' },
          { type: 'tool_use', id: 'toolu_01A09q90qw90lq917835lq9', name: 'get_weather', input: { location: 'Paris' } },
          // Invalid JSON arguments become {}; ids outside [a-zA-Z0-9_-] are rewritten the same way on both sides.
          { type: 'tool_use', id: 'call_abc_1', name: 'get_weather', input: {} },
        ],
      },
      {
        role: 'user',
        content: [
          { type: 'tool_result', tool_use_id: 'toolu_01A09q90qw90lq917835lq9', content: '15 degrees' },
          { type: 'tool_result', tool_use_id: 'call_abc_1', content: '12 degrees' },
          { type: 'text', text: 'Which is warmer?' },
        ],
      },
    ]);
  });

  it('sends an assistant message with only tool calls as tool_use blocks alone', () => {
    const body = encodeBody({
      messages: [
        { role: 'user', content: 'Weather?' },
        {
          role: 'assistant',
          content: null,
          tool_calls: [{ id: 'toolu_1', type: 'function', function: { name: 'get_weather', arguments: '' } }],
        },
        { role: 'tool', tool_call_id: 'toolu_1', content: 'sunny' },
      ],
    });
    assert.deepEqual(body.messages, [
      { role: 'user', content: 'Weather?' },
      { role: 'assistant', content: [{ type: 'tool_use', id: 'toolu_1', name: 'get_weather', input: {} }] },
      { role: 'user', content: [{ type: 'tool_result', tool_use_id: 'toolu_1', content: 'sunny' }] },
    ]);
  });

  it('trims trailing whitespace from a final assistant prefill, which Anthropic rejects', () => {
    const body = encodeBody({
      messages: [
        { role: 'user', content: 'Count to three.' },
        { role: 'assistant', content: 'One, two, ' },
      ],
    });
    assert.deepEqual(body.messages, [
      { role: 'user', content: 'Count to three.' },
      { role: 'assistant', content: 'One, two,' },
    ]);
    const blank = encodeBody({
      messages: [
        { role: 'user', content: 'Hi' },
        { role: 'assistant', content: '  \n' },
      ],
    });
    assert.deepEqual(blank.messages, [{ role: 'user', content: 'Hi' }]);
  });

  it('asks for JSON in the system prompt for response_format json_object and json_schema', () => {
    const json = encodeBody({
      messages: [{ role: 'system', content: 'Extract the fields.' }, ...hello.messages],
      response_format: { type: 'json_object' },
    });
    assert.deepEqual(json, {
      model: 'claude-sonnet-4-5',
      max_tokens: 4096,
      system: 'Extract the fields.\n\nRespond with a single valid JSON object and nothing else.',
      messages: [{ role: 'user', content: 'Hello, Claude' }],
    });
    const schema = { type: 'object', properties: { name: { type: 'string' } } };
    const withSchema = encodeBody({ response_format: { type: 'json_schema', json_schema: { name: 'person', schema } } });
    assert.equal(
      withSchema.system,
      `Respond with a single valid JSON object that conforms to this JSON schema: ${JSON.stringify(schema)}, and nothing else.`,
    );
    assert.equal(encodeBody({ response_format: { type: 'text' } }).system, undefined);
  });
});

// docs.anthropic.com/en/api/messages-examples
const textMessage = {
  id: 'msg_01XFDUDYJgAACzvnptvVoYEL',
  type: 'message',
  role: 'assistant',
  content: [{ type: 'text', text: 'Hello!' }],
  model: 'claude-sonnet-4-5-20250929',
  stop_reason: 'end_turn',
  stop_sequence: null,
  usage: { input_tokens: 12, output_tokens: 6 },
};

const toolMessage = {
  id: 'msg_01Aq9w938a90dw8q',
  type: 'message',
  role: 'assistant',
  model: 'claude-sonnet-4-5-20250929',
  content: [
    { type: 'text', text: 'I’ll check the weather.' },
    {
      type: 'tool_use',
      id: 'toolu_01A09q90qw90lq917835lq9',
      name: 'get_weather',
      input: { location: 'San Francisco, CA', unit: 'celsius' },
    },
  ],
  stop_reason: 'tool_use',
  stop_sequence: null,
  usage: { input_tokens: 472, output_tokens: 89 },
};

describe('anthropic decode', () => {
  it('turns a text message into a chat completion', () => {
    const response = anthropicAdapter.decode(reply(200, textMessage, { date: 'Wed, 01 Oct 2025 12:00:00 GMT' }), target);
    assert.deepEqual(response, {
      id: 'msg_01XFDUDYJgAACzvnptvVoYEL',
      object: 'chat.completion',
      created: 1759320000,
      model: 'claude-sonnet-4-5-20250929',
      // `refusal` and `logprobs` are required (nullable) by OpenAI's schema; Anthropic has neither.
      choices: [
        { index: 0, message: { role: 'assistant', content: 'Hello!', refusal: null }, logprobs: null, finish_reason: 'stop' },
      ],
      usage: { prompt_tokens: 12, completion_tokens: 6, total_tokens: 18 },
    });
  });

  it('uses created 0 when the response has no date header (adapters have no clock)', () => {
    assert.equal(anthropicAdapter.decode(reply(200, textMessage), target).created, 0);
  });

  it('turns tool_use blocks into tool_calls with JSON arguments', () => {
    const response = anthropicAdapter.decode(reply(200, toolMessage), target);
    assert.deepEqual(response.choices[0], {
      index: 0,
      message: {
        role: 'assistant',
        content: 'I’ll check the weather.',
        tool_calls: [
          {
            id: 'toolu_01A09q90qw90lq917835lq9',
            type: 'function',
            function: { name: 'get_weather', arguments: '{"location":"San Francisco, CA","unit":"celsius"}' },
          },
        ],
        refusal: null,
      },
      logprobs: null,
      finish_reason: 'tool_calls',
    });
  });

  it('gives null content when the answer is only tool calls, and skips thinking blocks', () => {
    const body = {
      ...toolMessage,
      content: [{ type: 'thinking', thinking: 'The user wants weather.', signature: 'EqQB' }, toolMessage.content[1]],
    };
    const message = anthropicAdapter.decode(reply(200, body), target).choices[0]?.message;
    assert.equal(message?.content, null);
    assert.equal(message?.tool_calls?.length, 1);
  });

  it('maps every stop_reason', () => {
    const reasons: Record<string, string | null> = {
      end_turn: 'stop',
      stop_sequence: 'stop',
      max_tokens: 'length',
      tool_use: 'tool_calls',
      refusal: 'content_filter',
      pause_turn: 'stop',
    };
    for (const [stopReason, finish] of Object.entries(reasons)) {
      const response = anthropicAdapter.decode(reply(200, { ...textMessage, stop_reason: stopReason }), target);
      assert.equal(response.choices[0]?.finish_reason, finish, stopReason);
    }
  });

  it('counts cache reads and writes as prompt tokens', () => {
    const usage = { input_tokens: 10, cache_creation_input_tokens: 200, cache_read_input_tokens: 1000, output_tokens: 50 };
    const response = anthropicAdapter.decode(reply(200, { ...textMessage, usage }), target);
    assert.deepEqual(response.usage, {
      prompt_tokens: 1210,
      completion_tokens: 50,
      total_tokens: 1260,
      prompt_tokens_details: { cached_tokens: 1000 },
    });
  });

  it('round-trips a tool call: the decoded call encodes back to the same tool_use', () => {
    const decoded = anthropicAdapter.decode(reply(200, toolMessage), target);
    const assistant = decoded.choices[0]?.message;
    assert.ok(assistant);
    const call = assistant.tool_calls?.[0] as ToolCall;
    const body = encodeBody({
      messages: [
        { role: 'user', content: 'Weather in SF?' },
        { role: 'assistant', content: assistant.content, tool_calls: assistant.tool_calls ?? [] },
        { role: 'tool', tool_call_id: call.id, content: '18°C, sunny' },
      ],
    });
    assert.deepEqual(body.messages, [
      { role: 'user', content: 'Weather in SF?' },
      { role: 'assistant', content: toolMessage.content },
      { role: 'user', content: [{ type: 'tool_result', tool_use_id: 'toolu_01A09q90qw90lq917835lq9', content: '18°C, sunny' }] },
    ]);
  });
});

function anthropicErrorBody(type: string, message: string, extra: Record<string, unknown> = {}) {
  return { type: 'error', error: { type, message, ...extra }, request_id: 'req_011CSHoEeqs5C35K2UUqR7Fy' };
}

describe('anthropic errors', () => {
  const cases: Array<[number, string, string, string, number]> = [
    // status, error.type, message, expected kind, expected caller status
    [400, 'invalid_request_error', 'messages: roles must alternate between "user" and "assistant"', 'bad-request', 400],
    [401, 'authentication_error', 'invalid x-api-key', 'auth', 401],
    [403, 'permission_error', 'Your API key does not have permission to use the specified resource.', 'auth', 403],
    [404, 'not_found_error', 'model: claude-nonexistent', 'model-not-found', 404],
    [413, 'request_too_large', 'Request exceeds the maximum allowed number of bytes.', 'context-length', 413],
    [429, 'rate_limit_error', 'Number of request tokens has exceeded your per-minute rate limit', 'rate-limited', 429],
    [500, 'api_error', 'An unexpected error has occurred internal to Anthropic’s systems.', 'server', 500],
    [529, 'overloaded_error', 'Overloaded', 'server', 503],
  ];
  for (const [status, type, message, kind, callerStatus] of cases) {
    it(`maps ${status} ${type} to ${kind}`, () => {
      const error = decodeError(reply(status, anthropicErrorBody(type, message)));
      assert.equal(error.kind, kind);
      assert.equal(error.status, callerStatus);
      assert.equal(error.provider, 'anthropic');
      assert.equal(error.message, `anthropic: ${message}`);
    });
  }

  it('passes Anthropic error types OpenAI shares, and falls back to a status type for the rest', () => {
    assert.equal(
      decodeError(reply(401, anthropicErrorBody('authentication_error', 'invalid x-api-key'))).type,
      'authentication_error',
    );
    assert.equal(decodeError(reply(529, anthropicErrorBody('overloaded_error', 'Overloaded'))).type, 'server_error');
  });

  it('recognises "prompt is too long" as context length, with OpenAI’s code', () => {
    const error = decodeError(
      reply(400, anthropicErrorBody('invalid_request_error', 'prompt is too long: 200251 tokens > 200000 maximum')),
    );
    assert.equal(error.kind, 'context-length');
    assert.equal(error.code, 'context_length_exceeded');
    assert.equal(error.status, 400);
  });

  it('recognises the max_tokens overflow wording as context length', () => {
    const message =
      'input length and `max_tokens` exceed context limit: 188240 + 21333 > 200000, decrease input length or `max_tokens` and try again';
    assert.equal(decodeError(reply(400, anthropicErrorBody('invalid_request_error', message))).kind, 'context-length');
  });

  it('carries retry-after from a 429', () => {
    const error = decodeError(reply(429, anthropicErrorBody('rate_limit_error', 'Rate limited'), { 'retry-after': '7' }));
    assert.equal(error.kind, 'rate-limited');
    assert.equal(error.retryAfterMs, 7000);
  });

  it('treats a spend-limit 429 as a quota stop, not a window', () => {
    const body = anthropicErrorBody('rate_limit_error', 'You have reached your monthly spend limit.', {
      details: { error_code: 'enforced_spend_limit_reached' },
    });
    const error = decodeError(reply(429, body));
    assert.equal(error.kind, 'auth');
    assert.equal(error.code, 'insufficient_quota');
  });

  it('reads a non-JSON error page by its status', () => {
    const error = decodeError(reply(502, '<html><body>502 Bad Gateway</body></html>', { 'content-type': 'text/html' }));
    assert.equal(error.kind, 'server');
    assert.match(error.message, /HTTP 502: <html>/);
  });

  it('calls an empty, unparseable or content-less 200 malformed', () => {
    for (const body of ['', '{"id":"msg_01', '{"type":"message","id":"msg_01"}', '[]']) {
      const error = decodeError(reply(200, body));
      assert.equal(error.kind, 'malformed', body);
      assert.equal(error.status, 502);
    }
  });

  it('never puts the key in an error', () => {
    const error = decodeError(reply(401, anthropicErrorBody('authentication_error', 'invalid x-api-key')));
    assert.doesNotMatch(JSON.stringify(error.toJSON()) + error.message, /test-key/);
  });
});

// The event shapes of docs.anthropic.com/en/api/messages-streaming.
function event(data: Record<string, unknown>): SseEvent {
  return { event: String(data.type), data: JSON.stringify(data) };
}

const ping: SseEvent = { event: 'ping', data: '{"type": "ping"}' };

const messageStart = event({
  type: 'message_start',
  message: {
    id: 'msg_1nZdL29xx5MUA1yADyHTEsnR8uuvGzszyY',
    type: 'message',
    role: 'assistant',
    content: [],
    model: 'claude-sonnet-4-5-20250929',
    stop_reason: null,
    stop_sequence: null,
    usage: { input_tokens: 25, output_tokens: 1 },
  },
});

const textStream: SseEvent[] = [
  messageStart,
  event({ type: 'content_block_start', index: 0, content_block: { type: 'text', text: '' } }),
  ping,
  event({ type: 'content_block_delta', index: 0, delta: { type: 'text_delta', text: 'Hello' } }),
  event({ type: 'content_block_delta', index: 0, delta: { type: 'text_delta', text: '!' } }),
  event({ type: 'content_block_stop', index: 0 }),
  event({ type: 'message_delta', delta: { stop_reason: 'end_turn', stop_sequence: null }, usage: { output_tokens: 15 } }),
  event({ type: 'message_stop' }),
];

const toolStream: SseEvent[] = [
  messageStart,
  event({ type: 'content_block_start', index: 0, content_block: { type: 'thinking', thinking: '', signature: '' } }),
  event({ type: 'content_block_delta', index: 0, delta: { type: 'thinking_delta', thinking: 'I need the weather.' } }),
  event({ type: 'content_block_delta', index: 0, delta: { type: 'signature_delta', signature: 'EqQBCgIYAhIM' } }),
  event({ type: 'content_block_stop', index: 0 }),
  event({ type: 'content_block_start', index: 1, content_block: { type: 'text', text: '' } }),
  event({ type: 'content_block_delta', index: 1, delta: { type: 'text_delta', text: 'Checking.' } }),
  event({ type: 'content_block_stop', index: 1 }),
  event({
    type: 'content_block_start',
    index: 2,
    content_block: { type: 'tool_use', id: 'toolu_01T1x1fJ34qAmk2tNTrN7Up6', name: 'get_weather', input: {} },
  }),
  event({ type: 'content_block_delta', index: 2, delta: { type: 'input_json_delta', partial_json: '' } }),
  event({ type: 'content_block_delta', index: 2, delta: { type: 'input_json_delta', partial_json: '{"location": "San Fra' } }),
  ping,
  event({ type: 'content_block_delta', index: 2, delta: { type: 'input_json_delta', partial_json: 'ncisco, CA"}' } }),
  event({ type: 'content_block_stop', index: 2 }),
  event({
    type: 'content_block_start',
    index: 3,
    content_block: { type: 'tool_use', id: 'toolu_02', name: 'get_time', input: {} },
  }),
  event({ type: 'content_block_delta', index: 3, delta: { type: 'input_json_delta', partial_json: '{}' } }),
  event({ type: 'content_block_stop', index: 3 }),
  event({ type: 'message_delta', delta: { stop_reason: 'tool_use', stop_sequence: null }, usage: { output_tokens: 89 } }),
  event({ type: 'message_stop' }),
];

function run(events: SseEvent[], request: Partial<ChatRequest> = {}): { chunks: ChatChunk[]; state: AnthropicStreamState } {
  const state = anthropicAdapter.startStream(target, { ...hello, stream: true, ...request });
  const chunks = events.flatMap((item) => anthropicAdapter.decodeEvent(item, state));
  return { chunks, state };
}

/** Folds chunks into the message a client would assemble. */
function assemble(chunks: ChatChunk[]): ChatResponse['choices'][number] {
  let content = '';
  const calls: ToolCall[] = [];
  let finish: ChatResponse['choices'][number]['finish_reason'] = null;
  for (const chunk of chunks) {
    for (const choice of chunk.choices) {
      content += choice.delta.content ?? '';
      for (const delta of choice.delta.tool_calls ?? []) {
        calls[delta.index] ??= { id: '', type: 'function', function: { name: '', arguments: '' } };
        const call = calls[delta.index] as ToolCall;
        if (delta.id) call.id = delta.id;
        if (delta.function?.name) call.function.name = delta.function.name;
        call.function.arguments += delta.function?.arguments ?? '';
      }
      finish = choice.finish_reason ?? finish;
    }
  }
  const message: ChatResponse['choices'][number]['message'] = {
    role: 'assistant',
    content: content || (calls.length > 0 ? null : ''),
  };
  if (calls.length > 0) message.tool_calls = calls;
  return { index: 0, message, finish_reason: finish };
}

describe('anthropic stream', () => {
  it('turns a text stream into chunks: role first, text deltas, then the finish', () => {
    const { chunks, state } = run(textStream);
    const base = {
      id: 'msg_1nZdL29xx5MUA1yADyHTEsnR8uuvGzszyY',
      object: 'chat.completion.chunk',
      created: 0,
      model: 'claude-sonnet-4-5-20250929',
    };
    assert.deepEqual(chunks, [
      { ...base, choices: [{ index: 0, delta: { role: 'assistant', content: '' }, finish_reason: null }] },
      { ...base, choices: [{ index: 0, delta: { content: 'Hello' }, finish_reason: null }] },
      { ...base, choices: [{ index: 0, delta: { content: '!' }, finish_reason: null }] },
      { ...base, choices: [{ index: 0, delta: {}, finish_reason: 'stop' }] },
    ]);
    assert.equal(state.done, true);
    assert.equal(state.malformed, 0);
  });

  it('is not done until message_stop', () => {
    const { state } = run(textStream.slice(0, -1));
    assert.equal(state.done, false);
  });

  it('ends with a usage chunk when the request asked for include_usage', () => {
    const { chunks } = run(textStream, { stream_options: { include_usage: true } });
    assert.deepEqual(chunks.at(-1), {
      id: 'msg_1nZdL29xx5MUA1yADyHTEsnR8uuvGzszyY',
      object: 'chat.completion.chunk',
      created: 0,
      model: 'claude-sonnet-4-5-20250929',
      choices: [],
      usage: { prompt_tokens: 25, completion_tokens: 15, total_tokens: 40 },
    });
    assert.equal(chunks.filter((chunk) => chunk.usage).length, 1);
  });

  it('takes the cumulative usage of message_delta, cache tokens included', () => {
    const events = [
      ...textStream.slice(0, 6),
      event({
        type: 'message_delta',
        delta: { stop_reason: 'max_tokens', stop_sequence: null },
        usage: { input_tokens: 30, cache_read_input_tokens: 100, output_tokens: 20 },
      }),
      event({ type: 'message_stop' }),
    ];
    const { chunks } = run(events, { stream_options: { include_usage: true } });
    assert.equal(chunks.at(-2)?.choices[0]?.finish_reason, 'length');
    assert.deepEqual(chunks.at(-1)?.usage, {
      prompt_tokens: 130,
      completion_tokens: 20,
      total_tokens: 150,
      prompt_tokens_details: { cached_tokens: 100 },
    });
  });

  it('streams tool calls: id and name first with empty arguments, then fragments by tool index', () => {
    const { chunks } = run(toolStream);
    const toolDeltas = chunks.flatMap((chunk) => chunk.choices[0]?.delta.tool_calls ?? []);
    assert.deepEqual(toolDeltas, [
      { index: 0, id: 'toolu_01T1x1fJ34qAmk2tNTrN7Up6', type: 'function', function: { name: 'get_weather', arguments: '' } },
      { index: 0, function: { arguments: '{"location": "San Fra' } },
      { index: 0, function: { arguments: 'ncisco, CA"}' } },
      { index: 1, id: 'toolu_02', type: 'function', function: { name: 'get_time', arguments: '' } },
      { index: 1, function: { arguments: '{}' } },
    ]);
    // Thinking and signature deltas produce nothing.
    assert.equal(
      chunks.some((chunk) => JSON.stringify(chunk).includes('I need the weather')),
      false,
    );
  });

  it('assembles a streamed tool call into what decode gives for the same message', () => {
    const streamed = assemble(run(toolStream).chunks);
    assert.deepEqual(streamed, {
      index: 0,
      message: {
        role: 'assistant',
        content: 'Checking.',
        tool_calls: [
          {
            id: 'toolu_01T1x1fJ34qAmk2tNTrN7Up6',
            type: 'function',
            function: { name: 'get_weather', arguments: '{"location": "San Francisco, CA"}' },
          },
          { id: 'toolu_02', type: 'function', function: { name: 'get_time', arguments: '{}' } },
        ],
      },
      finish_reason: 'tool_calls',
    });
    const decoded = anthropicAdapter.decode(
      reply(200, {
        ...toolMessage,
        content: [
          { type: 'text', text: 'Checking.' },
          {
            type: 'tool_use',
            id: 'toolu_01T1x1fJ34qAmk2tNTrN7Up6',
            name: 'get_weather',
            input: { location: 'San Francisco, CA' },
          },
          { type: 'tool_use', id: 'toolu_02', name: 'get_time', input: {} },
        ],
      }),
      target,
    );
    const parsedArguments = (choice: ChatResponse['choices'][number]) =>
      choice.message.tool_calls?.map((call) => ({
        ...call,
        function: { ...call.function, arguments: JSON.parse(call.function.arguments) },
      }));
    assert.deepEqual(parsedArguments(streamed), parsedArguments(decoded.choices[0] as ChatResponse['choices'][number]));
    assert.equal(streamed.message.content, decoded.choices[0]?.message.content);
    assert.equal(streamed.finish_reason, decoded.choices[0]?.finish_reason);
  });

  it('accepts padded data lines and events without an event name', () => {
    const { chunks } = run([
      messageStart,
      { event: undefined, data: '{"type":"content_block_delta","index":0,"delta":{"type":"text_delta","text":"Hi"}          }' },
      { event: 'message_stop', data: '{"type":"message_stop"         }' },
    ]);
    assert.equal(chunks[1]?.choices[0]?.delta.content, 'Hi');
  });

  it('throws a server error for an overloaded_error event mid-stream', () => {
    const state = anthropicAdapter.startStream(target, hello);
    for (const item of textStream.slice(0, 4)) anthropicAdapter.decodeEvent(item, state);
    const overloaded: SseEvent = {
      event: 'error',
      data: '{"type": "error", "error": {"type": "overloaded_error", "message": "Overloaded"}}',
    };
    assert.throws(
      () => anthropicAdapter.decodeEvent(overloaded, state),
      (error: unknown) =>
        error instanceof SwitchboardError &&
        error.kind === 'server' &&
        error.status === 503 &&
        error.message === 'anthropic: Overloaded' &&
        error.provider === 'anthropic',
    );
    assert.equal(state.done, false);
  });

  it('classifies other error events by their type', () => {
    const state = anthropicAdapter.startStream(target, hello);
    const rateLimited = event({ type: 'error', error: { type: 'rate_limit_error', message: 'Rate limited' } });
    assert.throws(
      () => anthropicAdapter.decodeEvent(rateLimited, state),
      (error: unknown) => error instanceof SwitchboardError && error.kind === 'rate-limited',
    );
    const unknown = event({ type: 'error', error: { type: 'something_new', message: '?' } });
    assert.throws(
      () => anthropicAdapter.decodeEvent(unknown, state),
      (error: unknown) => error instanceof SwitchboardError && error.status === 502,
    );
  });

  it('skips unparseable events and counts them', () => {
    const state = anthropicAdapter.startStream(target, hello);
    assert.deepEqual(anthropicAdapter.decodeEvent({ event: 'content_block_delta', data: '{"type":"content_bl' }, state), []);
    assert.deepEqual(anthropicAdapter.decodeEvent({ event: 'content_block_delta', data: '42' }, state), []);
    assert.equal(state.malformed, 2);
  });

  it('ignores ping, content_block_stop and event types it does not know', () => {
    const state = anthropicAdapter.startStream(target, hello);
    assert.deepEqual(anthropicAdapter.decodeEvent(ping, state), []);
    assert.deepEqual(anthropicAdapter.decodeEvent(event({ type: 'content_block_stop', index: 0 }), state), []);
    assert.deepEqual(anthropicAdapter.decodeEvent(event({ type: 'future_event', value: 1 }), state), []);
    assert.equal(state.malformed, 0);
  });
});
