// The inbound Anthropic translation (what `POST /v1/messages` calls), against small fixtures written
// from Anthropic's docs (docs.anthropic.com/en/api/messages, /messages-streaming, /errors), and against
// the official SDK's own stream parser.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { Stream } from '@anthropic-ai/sdk/core/streaming';
import { MessageStream } from '@anthropic-ai/sdk/lib/MessageStream';
import type { ChatChunk, ChatResponse, ChunkDelta, FinishReason, Usage } from '../../src/protocol/chat.ts';
import { invalidRequest, SwitchboardError } from '../../src/protocol/errors.ts';
import type { Target } from '../../src/providers/adapter.ts';
import { anthropicAdapter } from '../../src/providers/anthropic.ts';
import {
  anthropicErrorBody,
  createMessagesStreamEncoder,
  messagesResponseFromChat,
} from '../../src/providers/anthropic-answer.ts';
import { chatRequestFromMessages } from '../../src/providers/anthropic-inbound.ts';
import { finishReasonFor } from '../../src/providers/anthropic-stream.ts';
import { upstreamError } from '../../src/providers/failure.ts';
import { readEvents } from '../../src/providers/sse.ts';

const target: Target = {
  provider: 'anthropic',
  model: 'claude-sonnet-4-5',
  apiKey: 'test-key',
  auth: 'x-api-key',
  headers: { 'anthropic-version': '2023-06-01' },
  defaultMaxTokens: 4096,
};

const hello = { model: 'claude-sonnet-4-5', max_tokens: 1024, messages: [{ role: 'user', content: 'Hello, Claude' }] };

const weatherSchema = { type: 'object', properties: { location: { type: 'string' } }, required: ['location'] };
const weatherTool = {
  name: 'get_weather',
  description: 'Get the current weather in a given location',
  input_schema: weatherSchema,
};
const png = { type: 'base64', media_type: 'image/png', data: 'iVBORw0KGgo=' };

function translationError(body: unknown): SwitchboardError {
  try {
    chatRequestFromMessages(body);
  } catch (error) {
    assert.ok(error instanceof SwitchboardError);
    return error;
  }
  assert.fail('chatRequestFromMessages did not throw');
}

describe('chatRequestFromMessages', () => {
  it('keeps model and max_tokens and passes a string message through', () => {
    assert.deepEqual(chatRequestFromMessages(hello), {
      model: 'claude-sonnet-4-5',
      messages: [{ role: 'user', content: 'Hello, Claude' }],
      max_tokens: 1024,
    });
  });

  it('turns `system` (a string, or text blocks joined) into a leading system message', () => {
    assert.deepEqual(chatRequestFromMessages({ ...hello, system: 'You are terse.' }).messages, [
      { role: 'system', content: 'You are terse.' },
      { role: 'user', content: 'Hello, Claude' },
    ]);
    const blocks = [
      { type: 'text', text: 'You are terse.', cache_control: { type: 'ephemeral' } },
      { type: 'text', text: 'Answer in French.' },
    ];
    assert.deepEqual(chatRequestFromMessages({ ...hello, system: blocks }).messages[0], {
      role: 'system',
      content: 'You are terse.\n\nAnswer in French.',
    });
    assert.equal(chatRequestFromMessages({ ...hello, system: '' }).messages.length, 1);
    const turns = [hello.messages[0], { role: 'system', content: [{ type: 'text', text: 'Be brief.' }] }];
    assert.deepEqual(chatRequestFromMessages({ ...hello, messages: turns }).messages, [
      { role: 'user', content: 'Hello, Claude' },
      { role: 'system', content: 'Be brief.' },
    ]);
  });

  it('sends one text block as a string and several as text parts', () => {
    const request = chatRequestFromMessages({
      ...hello,
      messages: [
        { role: 'user', content: [{ type: 'text', text: 'One' }] },
        { role: 'assistant', content: [{ type: 'text', text: 'Two' }] },
        {
          role: 'user',
          content: [
            { type: 'text', text: 'Three' },
            { type: 'text', text: 'Four' },
          ],
        },
      ],
    });
    assert.deepEqual(request.messages, [
      { role: 'user', content: 'One' },
      { role: 'assistant', content: 'Two' },
      {
        role: 'user',
        content: [
          { type: 'text', text: 'Three' },
          { type: 'text', text: 'Four' },
        ],
      },
    ]);
  });

  it('turns base64 images into data: URLs and url images into image_url parts', () => {
    const request = chatRequestFromMessages({
      ...hello,
      messages: [
        {
          role: 'user',
          content: [
            { type: 'image', source: png },
            { type: 'image', source: { type: 'url', url: 'https://example.com/cat.jpg' } },
            { type: 'text', text: 'What is in these images?' },
          ],
        },
      ],
    });
    assert.deepEqual(request.messages, [
      {
        role: 'user',
        content: [
          { type: 'image_url', image_url: { url: 'data:image/png;base64,iVBORw0KGgo=' } },
          { type: 'image_url', image_url: { url: 'https://example.com/cat.jpg' } },
          { type: 'text', text: 'What is in these images?' },
        ],
      },
    ]);
  });

  it('turns assistant tool_use blocks into tool_calls and drops thinking blocks', () => {
    const request = chatRequestFromMessages({
      ...hello,
      messages: [
        hello.messages[0],
        {
          role: 'assistant',
          content: [
            { type: 'thinking', thinking: 'The user wants weather.', signature: 'EqQBCgIYAhIM' },
            { type: 'redacted_thinking', data: 'EmwKAhgBEgy3va3pzix' },
            { type: 'text', text: 'Checking.' },
            { type: 'tool_use', id: 'toolu_01A', name: 'get_weather', input: { location: 'Paris' } },
            { type: 'tool_use', id: 'toolu_01B', name: 'get_weather', input: { location: 'Oslo' } },
          ],
        },
        { role: 'assistant', content: [{ type: 'tool_use', id: 'toolu_01C', name: 'get_time', input: {} }] },
        { role: 'assistant', content: [{ type: 'thinking', thinking: 'Nothing else.', signature: 'EqQB' }] },
      ],
    });
    assert.deepEqual(request.messages.slice(1), [
      {
        role: 'assistant',
        content: 'Checking.',
        tool_calls: [
          { id: 'toolu_01A', type: 'function', function: { name: 'get_weather', arguments: '{"location":"Paris"}' } },
          { id: 'toolu_01B', type: 'function', function: { name: 'get_weather', arguments: '{"location":"Oslo"}' } },
        ],
      },
      {
        role: 'assistant',
        content: null,
        tool_calls: [{ id: 'toolu_01C', type: 'function', function: { name: 'get_time', arguments: '{}' } }],
      },
    ]);
  });

  it('puts tool results first, as tool messages, then the rest of the user turn', () => {
    const request = chatRequestFromMessages({
      ...hello,
      messages: [
        {
          role: 'user',
          content: [
            { type: 'text', text: 'And now?' },
            { type: 'tool_result', tool_use_id: 'toolu_01A', content: '15 degrees' },
            {
              type: 'tool_result',
              tool_use_id: 'toolu_01B',
              content: [
                { type: 'text', text: 'Rain' },
                { type: 'text', text: '4 degrees' },
                { type: 'image', source: png },
              ],
            },
            { type: 'tool_result', tool_use_id: 'toolu_01C', content: 'clock unavailable', is_error: true },
            { type: 'tool_result', tool_use_id: 'toolu_01D' },
          ],
        },
      ],
    });
    assert.deepEqual(request.messages, [
      { role: 'tool', tool_call_id: 'toolu_01A', content: '15 degrees' },
      { role: 'tool', tool_call_id: 'toolu_01B', content: 'Rain\n\n4 degrees' },
      { role: 'tool', tool_call_id: 'toolu_01C', content: 'Error: clock unavailable' },
      { role: 'tool', tool_call_id: 'toolu_01D', content: '' },
      {
        role: 'user',
        content: [
          { type: 'text', text: 'And now?' },
          // OpenAI tool messages take text only: the result's image travels in the user message after them.
          { type: 'image_url', image_url: { url: 'data:image/png;base64,iVBORw0KGgo=' } },
        ],
      },
    ]);
    const onlyResults = chatRequestFromMessages({
      ...hello,
      messages: [{ role: 'user', content: [{ type: 'tool_result', tool_use_id: 'toolu_01A', content: 'ok' }] }],
    });
    assert.deepEqual(onlyResults.messages, [{ role: 'tool', tool_call_id: 'toolu_01A', content: 'ok' }]);
  });

  it('turns tools into function tools and maps every tool_choice', () => {
    const request = chatRequestFromMessages({ ...hello, tools: [{ ...weatherTool, cache_control: { type: 'ephemeral' } }] });
    assert.deepEqual(request.tools, [
      {
        type: 'function',
        function: { name: 'get_weather', description: 'Get the current weather in a given location', parameters: weatherSchema },
      },
    ]);
    const choose = (tool_choice: unknown) => {
      const { tool_choice: choice, parallel_tool_calls } = chatRequestFromMessages({
        ...hello,
        tools: [weatherTool],
        tool_choice,
      });
      return { choice, parallel_tool_calls };
    };
    assert.deepEqual(choose({ type: 'auto' }), { choice: 'auto', parallel_tool_calls: undefined });
    assert.deepEqual(choose({ type: 'any' }), { choice: 'required', parallel_tool_calls: undefined });
    assert.deepEqual(choose({ type: 'none' }), { choice: 'none', parallel_tool_calls: undefined });
    assert.deepEqual(choose({ type: 'tool', name: 'get_weather' }), {
      choice: { type: 'function', function: { name: 'get_weather' } },
      parallel_tool_calls: undefined,
    });
    assert.deepEqual(choose({ type: 'auto', disable_parallel_tool_use: true }), { choice: 'auto', parallel_tool_calls: false });
    assert.deepEqual(choose({ type: 'any', disable_parallel_tool_use: true }), {
      choice: 'required',
      parallel_tool_calls: false,
    });
    // OpenAI answers 400 to a tool_choice without tools.
    assert.equal(chatRequestFromMessages({ ...hello, tool_choice: { type: 'auto' } }).tool_choice, undefined);
  });

  it('maps stop_sequences, temperature, top_p and metadata.user_id; asks for usage when streaming', () => {
    const request = chatRequestFromMessages({
      ...hello,
      stop_sequences: ['\n\nHuman:', 'END'],
      temperature: 0.2,
      top_p: 0.9,
      top_k: 40,
      metadata: { user_id: 'user-42' },
      stream: true,
      thinking: { type: 'enabled', budget_tokens: 1024 },
    });
    assert.deepEqual(request, {
      model: 'claude-sonnet-4-5',
      messages: [{ role: 'user', content: 'Hello, Claude' }],
      max_tokens: 1024,
      temperature: 0.2,
      top_p: 0.9,
      stop: ['\n\nHuman:', 'END'],
      stream: true,
      stream_options: { include_usage: true },
      user: 'user-42',
    });
    assert.deepEqual(chatRequestFromMessages({ ...hello, stream: false, stop_sequences: [], metadata: {} }), {
      model: 'claude-sonnet-4-5',
      messages: [{ role: 'user', content: 'Hello, Claude' }],
      max_tokens: 1024,
    });
  });

  it('names the field it rejects', () => {
    const cases: [unknown, string | null, string][] = [
      [[], null, 'invalid_type'],
      [{ ...hello, model: undefined }, 'model', 'missing_required_parameter'],
      [{ ...hello, model: 7 }, 'model', 'invalid_type'],
      [{ ...hello, max_tokens: undefined }, 'max_tokens', 'missing_required_parameter'],
      [{ ...hello, max_tokens: 0 }, 'max_tokens', 'invalid_type'],
      [{ ...hello, max_tokens: 1.5 }, 'max_tokens', 'invalid_type'],
      [{ ...hello, max_tokens: '100' }, 'max_tokens', 'invalid_type'],
      [{ ...hello, messages: [] }, 'messages', 'invalid_type'],
      [{ ...hello, messages: 'hi' }, 'messages', 'invalid_type'],
      [{ ...hello, messages: ['hi'] }, 'messages[0]', 'invalid_type'],
      [{ ...hello, messages: [{ role: 'tool', content: 'x' }] }, 'messages[0].role', 'invalid_type'],
      [{ ...hello, messages: [{ role: 'user', content: 7 }] }, 'messages[0].content', 'invalid_type'],
      [{ ...hello, messages: [{ role: 'user', content: [{ text: 'x' }] }] }, 'messages[0].content[0]', 'invalid_type'],
      [
        { ...hello, messages: [{ role: 'user', content: [{ type: 'text', text: 7 }] }] },
        'messages[0].content[0].text',
        'invalid_type',
      ],
      [
        { ...hello, messages: [{ role: 'user', content: [{ type: 'image', source: { type: 'file', file_id: 'file_1' } }] }] },
        'messages[0].content[0].source.type',
        'invalid_value',
      ],
      [
        { ...hello, messages: [{ role: 'user', content: [{ type: 'document', source: { type: 'text', data: 'x' } }] }] },
        'messages[0].content[0].type',
        'invalid_value',
      ],
      [
        { ...hello, messages: [{ role: 'assistant', content: [{ type: 'tool_use', id: 'toolu_1', name: 'f', input: 'x' }] }] },
        'messages[0].content[0].input',
        'invalid_type',
      ],
      [
        { ...hello, messages: [{ role: 'user', content: [{ type: 'tool_result', tool_use_id: 't', content: 5 }] }] },
        'messages[0].content[0].content',
        'invalid_type',
      ],
      [{ ...hello, system: 7 }, 'system', 'invalid_type'],
      [{ ...hello, system: [{ type: 'image', source: png }] }, 'system[0]', 'invalid_type'],
      [{ ...hello, temperature: 'hot' }, 'temperature', 'invalid_type'],
      [{ ...hello, stop_sequences: 'END' }, 'stop_sequences', 'invalid_type'],
      [{ ...hello, stream: 'yes' }, 'stream', 'invalid_type'],
      [{ ...hello, tools: {} }, 'tools', 'invalid_type'],
      [{ ...hello, tools: [{ name: 'f' }] }, 'tools[0].input_schema', 'invalid_type'],
      [{ ...hello, tools: [{ type: 'web_search_20250305', name: 'web_search' }] }, 'tools[0].type', 'invalid_value'],
      [{ ...hello, tool_choice: { type: 'some' } }, 'tool_choice.type', 'invalid_type'],
      [{ ...hello, tool_choice: { type: 'tool' } }, 'tool_choice.name', 'invalid_type'],
      [{ ...hello, metadata: { user_id: 42 } }, 'metadata.user_id', 'invalid_type'],
    ];
    for (const [body, param, code] of cases) {
      const error = translationError(body);
      assert.deepEqual(
        { status: error.status, kind: error.kind, param: error.param, code: error.code },
        {
          status: 400,
          kind: 'bad-request',
          param,
          code,
        },
      );
      if (param) assert.match(error.message, new RegExp(`'${param.replace(/[[\].]/g, '\\$&')}'`));
    }
    assert.equal(translationError({ ...hello, model: 7 }).message, "Invalid type for 'model': expected a non-empty string.");
  });

  it('round-trips through the outbound adapter: Anthropic → canonical → the same Anthropic request', () => {
    const original = {
      model: 'claude-sonnet-4-5',
      max_tokens: 1024,
      messages: [
        {
          role: 'user',
          content: [
            { type: 'image', source: png },
            { type: 'image', source: { type: 'url', url: 'https://example.com/map.png' } },
            { type: 'text', text: 'Weather where this map points?' },
          ],
        },
        {
          role: 'assistant',
          content: [
            { type: 'text', text: 'Checking Paris.' },
            { type: 'tool_use', id: 'toolu_01A', name: 'get_weather', input: { location: 'Paris' } },
          ],
        },
        {
          role: 'user',
          content: [
            { type: 'tool_result', tool_use_id: 'toolu_01A', content: '15 degrees' },
            { type: 'text', text: 'Thanks!' },
          ],
        },
      ],
      system: 'You are a weather bot.',
      stop_sequences: ['END'],
      temperature: 0.5,
      top_p: 0.9,
      metadata: { user_id: 'user-42' },
      stream: true,
      tools: [weatherTool],
      tool_choice: { type: 'tool', name: 'get_weather', disable_parallel_tool_use: true },
    };
    const wire = anthropicAdapter.encode(chatRequestFromMessages(original), target);
    assert.deepEqual(JSON.parse(wire.body), original);
  });
});

function completion(message: ChatResponse['choices'][number]['message'], finish: FinishReason, usage?: Usage): ChatResponse {
  return {
    id: 'chatcmpl-123',
    object: 'chat.completion',
    created: 1700000000,
    model: 'llama-3.3-70b-versatile',
    choices: [{ index: 0, message, finish_reason: finish }],
    ...(usage ? { usage } : {}),
  };
}

const usage = { prompt_tokens: 25, completion_tokens: 12, total_tokens: 37 };

describe('messagesResponseFromChat', () => {
  it('answers a text completion as an Anthropic message', () => {
    const response = completion({ role: 'assistant', content: 'Hello!' }, 'stop', usage);
    assert.deepEqual(messagesResponseFromChat(response, 'claude-sonnet-4-5'), {
      id: 'msg_chatcmpl-123',
      type: 'message',
      role: 'assistant',
      model: 'claude-sonnet-4-5',
      content: [{ type: 'text', text: 'Hello!' }],
      stop_reason: 'end_turn',
      stop_sequence: null,
      usage: { input_tokens: 25, output_tokens: 12 },
    });
  });

  it('answers tool calls as tool_use blocks after the text, with {} for unparsable arguments', () => {
    const message = {
      role: 'assistant' as const,
      content: 'Let me check.',
      tool_calls: [
        { id: 'call_1', type: 'function' as const, function: { name: 'get_weather', arguments: '{"location":"Paris"}' } },
        { id: 'call_2', type: 'function' as const, function: { name: 'get_weather', arguments: '{"locat' } },
        { id: '', type: 'function' as const, function: { name: 'get_time', arguments: '' } },
      ],
    };
    assert.deepEqual(messagesResponseFromChat(completion(message, 'tool_calls'), 'claude').content, [
      { type: 'text', text: 'Let me check.' },
      { type: 'tool_use', id: 'call_1', name: 'get_weather', input: { location: 'Paris' } },
      { type: 'tool_use', id: 'call_2', name: 'get_weather', input: {} },
      { type: 'tool_use', id: 'toolu_chatcmpl-123_2', name: 'get_time', input: {} },
    ]);
    const toolsOnly = completion({ role: 'assistant', content: null, tool_calls: message.tool_calls.slice(0, 1) }, 'tool_calls');
    const answer = messagesResponseFromChat(toolsOnly, 'claude');
    assert.deepEqual(answer.content, [{ type: 'tool_use', id: 'call_1', name: 'get_weather', input: { location: 'Paris' } }]);
    assert.equal(answer.stop_reason, 'tool_use');
    assert.deepEqual(answer.usage, { input_tokens: 0, output_tokens: 0 });
  });

  it('maps every finish_reason to the stop_reason that maps back to it', () => {
    const expected: Record<FinishReason, string> = {
      stop: 'end_turn',
      length: 'max_tokens',
      tool_calls: 'tool_use',
      content_filter: 'refusal',
      function_call: 'tool_use',
    };
    for (const [finish, stopReason] of Object.entries(expected) as [FinishReason, string][]) {
      const answer = messagesResponseFromChat(completion({ role: 'assistant', content: 'x' }, finish), 'claude');
      assert.equal(answer.stop_reason, stopReason);
      if (finish !== 'function_call') assert.equal(finishReasonFor(answer.stop_reason), finish);
    }
  });

  it('reports an OpenAI refusal as text, and cached prompt tokens as cache reads', () => {
    const refused = completion({ role: 'assistant', content: null, refusal: 'I can’t help with that.' }, 'content_filter', {
      ...usage,
      prompt_tokens_details: { cached_tokens: 20 },
    });
    const answer = messagesResponseFromChat(refused, 'claude');
    assert.deepEqual(answer.content, [{ type: 'text', text: 'I can’t help with that.' }]);
    assert.deepEqual(answer.usage, { input_tokens: 5, output_tokens: 12, cache_read_input_tokens: 20 });
  });

  it('round-trips through the outbound adapter: an Anthropic answer decoded to canonical comes back the same', () => {
    const original = {
      id: 'msg_01Aq9w938a90dw8q',
      type: 'message',
      role: 'assistant',
      model: 'claude-sonnet-4-5',
      content: [
        { type: 'text', text: 'I’ll check the weather.' },
        { type: 'tool_use', id: 'toolu_01A09q90qw90lq917835lq9', name: 'get_weather', input: { location: 'Paris' } },
      ],
      stop_reason: 'tool_use',
      stop_sequence: null,
      usage: { input_tokens: 472, output_tokens: 91, cache_read_input_tokens: 1024 },
    };
    const decoded = anthropicAdapter.decode({ status: 200, headers: {}, body: JSON.stringify(original) }, target);
    assert.deepEqual(messagesResponseFromChat(decoded, 'claude-sonnet-4-5'), original);
  });
});

function chunk(delta: ChunkDelta, finish: FinishReason | null = null, more: Partial<ChatChunk> = {}): ChatChunk {
  return {
    id: 'chatcmpl-9',
    object: 'chat.completion.chunk',
    created: 1700000000,
    model: 'llama-3.3-70b-versatile',
    choices: [{ index: 0, delta, finish_reason: finish }],
    ...more,
  };
}

const usageChunk = (value: Usage): ChatChunk => ({ ...chunk({}), choices: [], usage: value });

function sse<Event extends { type: string }>(data: Event): string {
  return `event: ${data.type}\ndata: ${JSON.stringify(data)}\n\n`;
}

function messageStart(inputTokens = 0) {
  return sse({
    type: 'message_start',
    message: {
      id: 'msg_chatcmpl-9',
      type: 'message',
      role: 'assistant',
      model: 'claude-sonnet-4-5',
      content: [],
      stop_reason: null,
      stop_sequence: null,
      usage: { input_tokens: inputTokens, output_tokens: 0 },
    },
  });
}

function encodeAll(chunks: ChatChunk[], final?: Usage): string[] {
  const encoder = createMessagesStreamEncoder('claude-sonnet-4-5');
  return [...chunks.map((each) => encoder.encode(each)), encoder.end(final)];
}

async function* bodyOf(text: string): AsyncGenerator<string> {
  yield text;
}

async function sdkFinalMessage(text: string) {
  const events = Stream.fromSSEResponse(new Response(text), new AbortController());
  return MessageStream.fromReadableStream(events.toReadableStream()).finalMessage();
}

describe('createMessagesStreamEncoder', () => {
  it('frames a text stream exactly as Anthropic does, holding message_delta until the usage chunk', () => {
    const written = encodeAll([
      chunk({ role: 'assistant', content: '' }),
      chunk({ content: 'Hello' }),
      chunk({ content: ' there' }),
      chunk({}, 'stop'),
      usageChunk(usage),
    ]);
    assert.deepEqual(written, [
      'event: message_start\ndata: {"type":"message_start","message":{"id":"msg_chatcmpl-9","type":"message","role":"assistant","model":"claude-sonnet-4-5","content":[],"stop_reason":null,"stop_sequence":null,"usage":{"input_tokens":0,"output_tokens":0}}}\n\n',
      'event: content_block_start\ndata: {"type":"content_block_start","index":0,"content_block":{"type":"text","text":""}}\n\n' +
        'event: content_block_delta\ndata: {"type":"content_block_delta","index":0,"delta":{"type":"text_delta","text":"Hello"}}\n\n',
      'event: content_block_delta\ndata: {"type":"content_block_delta","index":0,"delta":{"type":"text_delta","text":" there"}}\n\n',
      'event: content_block_stop\ndata: {"type":"content_block_stop","index":0}\n\n',
      'event: message_delta\ndata: {"type":"message_delta","delta":{"stop_reason":"end_turn","stop_sequence":null},"usage":{"input_tokens":25,"output_tokens":12}}\n\n' +
        'event: message_stop\ndata: {"type":"message_stop"}\n\n',
      '',
    ]);
  });

  it('streams tool calls as tool_use blocks with input_json_delta fragments, one block per tool index', () => {
    const written = encodeAll(
      [
        chunk({ role: 'assistant', content: 'Checking.' }),
        chunk({ tool_calls: [{ index: 0, id: 'call_a', type: 'function', function: { name: 'get_weather', arguments: '' } }] }),
        chunk({ tool_calls: [{ index: 0, function: { arguments: '{"location":' } }] }),
        chunk({ tool_calls: [{ index: 0, function: { arguments: '"Paris"}' } }] }),
        chunk({ tool_calls: [{ index: 1, id: 'call_b', type: 'function', function: { name: 'get_time', arguments: '{}' } }] }),
        chunk({}, 'tool_calls'),
      ],
      usage,
    );
    assert.equal(
      written.join(''),
      messageStart() +
        sse({ type: 'content_block_start', index: 0, content_block: { type: 'text', text: '' } }) +
        sse({ type: 'content_block_delta', index: 0, delta: { type: 'text_delta', text: 'Checking.' } }) +
        sse({ type: 'content_block_stop', index: 0 }) +
        sse({
          type: 'content_block_start',
          index: 1,
          content_block: { type: 'tool_use', id: 'call_a', name: 'get_weather', input: {} },
        }) +
        sse({ type: 'content_block_delta', index: 1, delta: { type: 'input_json_delta', partial_json: '{"location":' } }) +
        sse({ type: 'content_block_delta', index: 1, delta: { type: 'input_json_delta', partial_json: '"Paris"}' } }) +
        sse({ type: 'content_block_stop', index: 1 }) +
        sse({
          type: 'content_block_start',
          index: 2,
          content_block: { type: 'tool_use', id: 'call_b', name: 'get_time', input: {} },
        }) +
        sse({ type: 'content_block_delta', index: 2, delta: { type: 'input_json_delta', partial_json: '{}' } }) +
        sse({ type: 'content_block_stop', index: 2 }) +
        sse({
          type: 'message_delta',
          delta: { stop_reason: 'tool_use', stop_sequence: null },
          usage: { input_tokens: 25, output_tokens: 12 },
        }) +
        sse({ type: 'message_stop' }),
    );
    // end() owed the message_delta here: the upstream sent no usage chunk, and the router's usage came in.
    assert.match(written.at(-1)!, /^event: message_delta\n/);
  });

  it('closes at once when usage rides on the finish chunk, and reports input tokens already known at the start', () => {
    const encoder = createMessagesStreamEncoder('claude-sonnet-4-5');
    assert.equal(
      encoder.encode(chunk({ content: 'Hi' }, null, { usage })),
      messageStart(25) +
        sse({
          type: 'content_block_start',
          index: 0,
          content_block: { type: 'text', text: '' },
        }) +
        sse({ type: 'content_block_delta', index: 0, delta: { type: 'text_delta', text: 'Hi' } }),
    );
    assert.match(encoder.encode(chunk({}, 'length', { usage })), /"stop_reason":"max_tokens".*\nevent: message_stop\n/s);
    assert.equal(encoder.encode(usageChunk(usage)), '');
    assert.equal(encoder.end(usage), '');
  });

  it('owes message_delta with zero usage when none ever came, and minted ids for tool calls without one', () => {
    const written = encodeAll([
      chunk({ tool_calls: [{ index: 0, function: { name: 'get_time', arguments: '{}' } }] }),
      chunk({}, 'tool_calls'),
    ]);
    assert.match(written[0]!, /"content_block":\{"type":"tool_use","id":"toolu_chatcmpl-9_0","name":"get_time","input":\{\}\}/);
    assert.equal(
      written.at(-1),
      sse({
        type: 'message_delta',
        delta: { stop_reason: 'tool_use', stop_sequence: null },
        usage: { input_tokens: 0, output_tokens: 0 },
      }) + sse({ type: 'message_stop' }),
    );
  });

  it('sends an error event in place of the rest of the stream', () => {
    const encoder = createMessagesStreamEncoder('claude-sonnet-4-5');
    encoder.encode(chunk({ content: 'Hello' }));
    const overloaded = upstreamError({ status: 529, provider: 'anthropic', message: 'Overloaded', type: 'overloaded_error' });
    assert.equal(
      encoder.error(overloaded),
      'event: error\ndata: {"type":"error","error":{"type":"overloaded_error","message":"anthropic: Overloaded"}}\n\n',
    );
    assert.equal(encoder.end(usage), '');
    assert.equal(encoder.encode(chunk({ content: 'more' })), '');
  });

  it('is read by the official SDK as the message it describes', async () => {
    const text = encodeAll(
      [
        chunk({ role: 'assistant', content: '' }),
        chunk({ content: 'I’ll check.' }),
        chunk({ tool_calls: [{ index: 0, id: 'call_a', type: 'function', function: { name: 'get_weather', arguments: '' } }] }),
        chunk({ tool_calls: [{ index: 0, function: { arguments: '{"location":' } }] }),
        chunk({ tool_calls: [{ index: 0, function: { arguments: '"Paris"}' } }] }),
        chunk({}, 'tool_calls'),
        usageChunk({ ...usage, prompt_tokens_details: { cached_tokens: 5 } }),
      ],
      usage,
    ).join('');
    const message = await sdkFinalMessage(text);
    // parsed_output is the SDK's own addition (structured outputs), not part of the wire message.
    const { parsed_output: _parsed, ...wire } = JSON.parse(JSON.stringify(message));
    assert.deepEqual(wire, {
      id: 'msg_chatcmpl-9',
      type: 'message',
      role: 'assistant',
      model: 'claude-sonnet-4-5',
      content: [
        { type: 'text', text: 'I’ll check.' },
        { type: 'tool_use', id: 'call_a', name: 'get_weather', input: { location: 'Paris' } },
      ],
      stop_reason: 'tool_use',
      stop_sequence: null,
      usage: { input_tokens: 20, output_tokens: 12, cache_read_input_tokens: 5 },
    });
  });

  it('round-trips: Anthropic SSE → canonical chunks → Anthropic SSE reads as the same message in the SDK', async () => {
    const original = [
      sse({
        type: 'message_start',
        message: {
          id: 'msg_01XFDUDYJgAACzvnptvVoYEL',
          type: 'message',
          role: 'assistant',
          model: 'claude-sonnet-4-5',
          content: [],
          stop_reason: null,
          stop_sequence: null,
          usage: { input_tokens: 472, output_tokens: 2 },
        },
      }),
      sse({ type: 'content_block_start', index: 0, content_block: { type: 'text', text: '' } }),
      sse({ type: 'ping' }),
      sse({ type: 'content_block_delta', index: 0, delta: { type: 'text_delta', text: 'Okay' } }),
      sse({ type: 'content_block_stop', index: 0 }),
      sse({
        type: 'content_block_start',
        index: 1,
        content_block: { type: 'tool_use', id: 'toolu_01T1x1fJ34qAmk2tNTrN7Up6', name: 'get_weather', input: {} },
      }),
      sse({ type: 'content_block_delta', index: 1, delta: { type: 'input_json_delta', partial_json: '' } }),
      sse({ type: 'content_block_delta', index: 1, delta: { type: 'input_json_delta', partial_json: '{"location": "San Fra' } }),
      sse({ type: 'content_block_delta', index: 1, delta: { type: 'input_json_delta', partial_json: 'ncisco, CA"}' } }),
      sse({ type: 'content_block_stop', index: 1 }),
      sse({ type: 'message_delta', delta: { stop_reason: 'tool_use', stop_sequence: null }, usage: { output_tokens: 89 } }),
      sse({ type: 'message_stop' }),
    ].join('');
    const state = anthropicAdapter.startStream(target, {
      model: 'claude',
      messages: [],
      stream_options: { include_usage: true },
    });
    const encoder = createMessagesStreamEncoder('claude-sonnet-4-5');
    let relayed = '';
    for await (const event of readEvents(bodyOf(original))) {
      for (const decoded of anthropicAdapter.decodeEvent(event, state)) relayed += encoder.encode(decoded);
    }
    relayed += encoder.end();
    assert.deepEqual(await sdkFinalMessage(relayed), await sdkFinalMessage(original));
  });

  it('is read by the official SDK as the error it carries', async () => {
    const encoder = createMessagesStreamEncoder('claude-sonnet-4-5');
    const text =
      encoder.encode(chunk({ content: 'Hello' })) +
      encoder.error(upstreamError({ status: 429, provider: 'groq', message: 'slow down' }));
    await assert.rejects(sdkFinalMessage(text), (error: Error & { error?: unknown }) => {
      assert.deepEqual(error.error, { type: 'error', error: { type: 'rate_limit_error', message: 'groq: slow down' } });
      return true;
    });
  });
});

describe('anthropicErrorBody', () => {
  it('gives Anthropic’s error type for each status and kind, with the message kept', () => {
    const cases: [SwitchboardError, string][] = [
      [invalidRequest('`max_tokens` must be positive', 'max_tokens'), 'invalid_request_error'],
      [upstreamError({ status: 401, provider: 'groq', message: 'Invalid API Key' }), 'authentication_error'],
      [upstreamError({ status: 402, provider: 'openrouter', message: 'Insufficient credits' }), 'billing_error'],
      [upstreamError({ status: 403, provider: 'groq', message: 'Forbidden' }), 'permission_error'],
      [upstreamError({ status: 404, provider: 'groq', message: 'model not found' }), 'not_found_error'],
      [upstreamError({ status: 413, provider: 'anthropic', message: 'too large' }), 'request_too_large'],
      [upstreamError({ status: 429, provider: 'groq', message: 'Rate limit reached' }), 'rate_limit_error'],
      [upstreamError({ status: 500, provider: 'groq', message: 'Internal' }), 'api_error'],
      [upstreamError({ status: 502, provider: 'together', message: 'Bad gateway' }), 'api_error'],
      [upstreamError({ status: 503, provider: 'together', message: 'Unavailable' }), 'overloaded_error'],
      [
        upstreamError({ status: 529, provider: 'anthropic', message: 'Overloaded', type: 'overloaded_error' }),
        'overloaded_error',
      ],
      [upstreamError({ status: 504, provider: 'groq', message: 'Gateway timeout' }), 'timeout_error'],
      [upstreamError({ status: 408, provider: 'groq', message: 'Request timeout' }), 'timeout_error'],
      [invalidRequest('Unknown route', null, 'unknown_url', 405), 'invalid_request_error'],
    ];
    for (const [error, type] of cases) {
      assert.deepEqual(anthropicErrorBody(error), { type: 'error', error: { type, message: error.message } }, error.message);
    }
  });
});
