// The Responses dialect's pure parts against fixtures written from OpenAI's API reference: requests
// to canonical, and canonical answers and chunks to Responses objects and events.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { type ResponseEnvelope, responseFromChat } from '../../src/gateway/responses-answer.ts';
import { chatRequestFromResponses, parseResponsesRequest } from '../../src/gateway/responses-request.ts';
import { createResponsesStreamEncoder } from '../../src/gateway/responses-stream.ts';
import type { ChatChunk, ChatResponse } from '../../src/protocol/chat.ts';
import { SwitchboardError } from '../../src/protocol/errors.ts';
import { completion, textChunks } from '../support/upstream.ts';
import { typedEvents } from './responses-helpers.ts';

function canonical(body: Record<string, unknown>) {
  const request = parseResponsesRequest({ model: 'llama', ...body });
  return chatRequestFromResponses(
    request,
    request.input.filter((item) => item.type !== 'item_reference'),
  );
}

function refusal(body: unknown): SwitchboardError {
  try {
    parseResponsesRequest(body);
  } catch (error) {
    assert.ok(error instanceof SwitchboardError);
    assert.equal(error.status, 400);
    return error;
  }
  assert.fail('the request was accepted');
}

function envelope(body: Record<string, unknown> = {}): ResponseEnvelope {
  return {
    id: 'resp_abc',
    createdAt: 1_700_000_000,
    model: 'llama',
    request: parseResponsesRequest({ model: 'llama', input: 'Hi', ...body }),
  };
}

describe('Responses request → canonical', () => {
  it('takes a string input and instructions', () => {
    assert.deepEqual(canonical({ input: 'Say hi', instructions: 'Be brief.' }), {
      model: 'llama',
      messages: [
        { role: 'system', content: 'Be brief.' },
        { role: 'user', content: 'Say hi' },
      ],
    });
  });

  it('takes message, function_call and function_call_output items, dropping reasoning', () => {
    const chat = canonical({
      input: [
        { role: 'developer', content: 'Use tools.' },
        {
          type: 'message',
          role: 'user',
          content: [
            { type: 'input_text', text: 'What is here?' },
            { type: 'input_image', image_url: 'data:image/png;base64,AAAA', detail: 'low' },
          ],
        },
        { type: 'reasoning', id: 'rs_1', summary: [] },
        { type: 'message', role: 'assistant', content: [{ type: 'output_text', text: 'Let me look.', annotations: [] }] },
        { type: 'function_call', id: 'fc_1', call_id: 'call_1', name: 'look', arguments: '{}' },
        { type: 'function_call', id: 'fc_2', call_id: 'call_2', name: 'zoom', arguments: '{"x":1}' },
        { type: 'function_call_output', call_id: 'call_1', output: 'a cat' },
        { type: 'function_call_output', call_id: 'call_2', output: [{ type: 'input_text', text: 'a big cat' }] },
      ],
    });
    assert.deepEqual(chat.messages, [
      { role: 'developer', content: 'Use tools.' },
      {
        role: 'user',
        content: [
          { type: 'text', text: 'What is here?' },
          { type: 'image_url', image_url: { url: 'data:image/png;base64,AAAA', detail: 'low' } },
        ],
      },
      {
        role: 'assistant',
        content: 'Let me look.',
        tool_calls: [
          { id: 'call_1', type: 'function', function: { name: 'look', arguments: '{}' } },
          { id: 'call_2', type: 'function', function: { name: 'zoom', arguments: '{"x":1}' } },
        ],
      },
      { role: 'tool', tool_call_id: 'call_1', content: 'a cat' },
      { role: 'tool', tool_call_id: 'call_2', content: 'a big cat' },
    ]);
  });

  it('maps settings, tools, tool_choice and text.format', () => {
    const parameters = { type: 'object', properties: { city: { type: 'string' } } };
    const schema = { type: 'object', properties: { a: { type: 'number' } } };
    const chat = canonical({
      input: 'x',
      max_output_tokens: 99,
      temperature: 0.5,
      top_p: 0.9,
      user: 'u-1',
      metadata: { trace: 't-1' },
      reasoning: { effort: 'low' },
      stream: true,
      tools: [{ type: 'function', name: 'weather', description: 'Weather', parameters, strict: true }],
      tool_choice: { type: 'function', name: 'weather' },
      parallel_tool_calls: false,
      text: { format: { type: 'json_schema', name: 'out', schema, strict: true } },
    });
    const { messages: _messages, ...settings } = chat;
    assert.deepEqual(settings, {
      model: 'llama',
      max_tokens: 99,
      temperature: 0.5,
      top_p: 0.9,
      user: 'u-1',
      reasoning_effort: 'low',
      tools: [{ type: 'function', function: { name: 'weather', description: 'Weather', parameters, strict: true } }],
      tool_choice: { type: 'function', function: { name: 'weather' } },
      parallel_tool_calls: false,
      response_format: { type: 'json_schema', json_schema: { name: 'out', schema, strict: true } },
      stream: true,
      stream_options: { include_usage: true },
    });
    assert.deepEqual(canonical({ input: 'x', text: { format: { type: 'json_object' } } }).response_format, {
      type: 'json_object',
    });
    const allowed = canonical({
      input: 'x',
      tools: [
        { type: 'function', name: 'a', parameters },
        { type: 'function', name: 'b', parameters },
      ],
      tool_choice: { type: 'allowed_tools', mode: 'required', tools: [{ type: 'function', name: 'b' }] },
    });
    assert.deepEqual(
      allowed.tools?.map((tool) => tool.function.name),
      ['b'],
    );
    assert.equal(allowed.tool_choice, 'required');
    // OpenAI refuses tool_choice without tools.
    assert.equal(canonical({ input: 'x', tool_choice: 'required' }).tool_choice, undefined);
  });

  it('lists built-in tools, sends web search as web_search_options and the others as they came', () => {
    const body = {
      model: 'llama',
      input: 'x',
      tools: [
        { type: 'web_search', search_context_size: 'high' },
        { type: 'file_search', vector_store_ids: ['vs_1'] },
      ],
      tool_choice: { type: 'code_interpreter' },
    };
    const request = parseResponsesRequest(body);
    assert.deepEqual(request.builtinTools, ['web_search', 'file_search', 'code_interpreter']);
    const chat = chatRequestFromResponses(request, []);
    assert.deepEqual(chat.web_search_options, { search_context_size: 'high' });
    assert.deepEqual(chat.tools, [{ type: 'file_search', vector_store_ids: ['vs_1'] }]);
  });

  it('refuses bad input with a 400 naming the parameter', () => {
    const cases: Array<[unknown, string]> = [
      [{ input: 'x' }, 'model'],
      [{ model: 'llama' }, 'input'],
      [{ model: 'llama', input: 42 }, 'input'],
      [{ model: 'llama', input: [{ role: 'robot', content: 'x' }] }, 'input[0].role'],
      [
        { model: 'llama', input: [{ role: 'user', content: [{ type: 'input_file', file_id: 'file-1' }] }] },
        'input[0].content[0].type',
      ],
      [
        { model: 'llama', input: [{ role: 'user', content: [{ type: 'input_image', file_id: 'file-1' }] }] },
        'input[0].content[0].image_url',
      ],
      [{ model: 'llama', input: [{ type: 'function_call', call_id: 'c', arguments: '{}' }] }, 'input[0].name'],
      [{ model: 'llama', input: [{ type: 'web_search_call', id: 'ws_1' }] }, 'input[0].type'],
      [{ model: 'llama', input: 'x', tools: [{ type: 'function' }] }, 'tools[0].name'],
      [{ model: 'llama', input: 'x', text: { format: { type: 'yaml' } } }, 'text.format.type'],
      [{ model: 'llama', input: 'x', metadata: { n: 1 } }, 'metadata.n'],
      [{ model: 'llama', input: 'x', max_output_tokens: 0 }, 'max_output_tokens'],
      [{ model: 'llama', input: 'x', temperature: 'hot' }, 'temperature'],
      [{ model: 'llama', input: 'x', background: true }, 'background'],
      [{ model: 'llama', input: 'x', previous_response_id: 7 }, 'previous_response_id'],
    ];
    for (const [body, param] of cases) assert.equal(refusal(body).param, param, JSON.stringify(body));
  });
});

describe('canonical answer → Responses object', () => {
  it('gives a message with output_text, usage with details, and the request echoed', () => {
    const chat: ChatResponse = completion('Hello there');
    chat.usage = { prompt_tokens: 9, completion_tokens: 2, total_tokens: 11, prompt_tokens_details: { cached_tokens: 4 } };
    const response = responseFromChat(envelope({ instructions: 'Hi!', metadata: { a: 'b' }, temperature: 0.3 }), chat);
    assert.deepEqual(response.output, [
      {
        type: 'message',
        id: 'msg_abc_0',
        role: 'assistant',
        status: 'completed',
        content: [{ type: 'output_text', text: 'Hello there', annotations: [] }],
      },
    ]);
    assert.equal(response.status, 'completed');
    assert.equal(response.incomplete_details, null);
    assert.deepEqual(response.usage, {
      input_tokens: 9,
      input_tokens_details: { cached_tokens: 4 },
      output_tokens: 2,
      output_tokens_details: { reasoning_tokens: 0 },
      total_tokens: 11,
    });
    assert.equal(response.instructions, 'Hi!');
    assert.deepEqual(response.metadata, { a: 'b' });
    assert.equal(response.temperature, 0.3);
    assert.equal(response.created_at, 1_700_000_000);
    assert.equal(response.object, 'response');
  });

  it('gives function_call items, and incomplete for a length finish', () => {
    const calls = [{ id: '', type: 'function' as const, function: { name: 'f', arguments: '{"x":1}' } }];
    const withCalls = responseFromChat(envelope(), completion('', { toolCalls: calls }));
    assert.deepEqual(withCalls.output, [
      { type: 'function_call', id: 'fc_abc_0', call_id: 'call_abc_0', name: 'f', arguments: '{"x":1}', status: 'completed' },
    ]);
    const cut = responseFromChat(envelope(), completion('Once upon', { finishReason: 'length' }));
    assert.equal(cut.status, 'incomplete');
    assert.deepEqual(cut.incomplete_details, { reason: 'max_output_tokens' });
    assert.equal(cut.output[0]?.status, 'incomplete');
  });
});

describe('canonical chunks → Responses events', () => {
  it('gives the typed events in order, numbered, ending with response.completed', () => {
    const encoder = createResponsesStreamEncoder(envelope());
    let text = '';
    for (const chunk of textChunks('Hi there', { usage: true })) text += encoder.chunk(chunk);
    const end = encoder.end();
    const events = typedEvents(text + end.text);
    assert.deepEqual(
      events.map((event) => event.event),
      [
        'response.created',
        'response.in_progress',
        'response.output_item.added',
        'response.content_part.added',
        'response.output_text.delta',
        'response.output_text.delta',
        'response.output_text.done',
        'response.content_part.done',
        'response.output_item.done',
        'response.completed',
      ],
    );
    assert.deepEqual(
      events.map((event) => event.data.sequence_number),
      events.map((_, index) => index),
    );
    assert.deepEqual(events[4]?.data, {
      type: 'response.output_text.delta',
      sequence_number: 4,
      item_id: 'msg_abc_0',
      output_index: 0,
      content_index: 0,
      delta: 'Hi',
      logprobs: [],
    });
    assert.equal(events[6]?.data.text, 'Hi there');
    assert.equal(end.response.usage?.output_tokens, 2);
    assert.equal(end.response.status, 'completed');
  });

  it('gives function_call items with argument deltas after the text', () => {
    const encoder = createResponsesStreamEncoder(envelope());
    const base = { id: 'c', object: 'chat.completion.chunk' as const, created: 0, model: 'm' };
    const chunks: ChatChunk[] = [
      { ...base, choices: [{ index: 0, delta: { content: 'Checking.' }, finish_reason: null }] },
      {
        ...base,
        choices: [
          {
            index: 0,
            delta: { tool_calls: [{ index: 0, id: 'call_9', type: 'function', function: { name: 'f', arguments: '' } }] },
            finish_reason: null,
          },
        ],
      },
      {
        ...base,
        choices: [{ index: 0, delta: { tool_calls: [{ index: 0, function: { arguments: '{"a":' } }] }, finish_reason: null }],
      },
      {
        ...base,
        choices: [
          { index: 0, delta: { tool_calls: [{ index: 0, function: { arguments: '1}' } }] }, finish_reason: 'tool_calls' },
        ],
      },
    ];
    const text = chunks.map((chunk) => encoder.chunk(chunk)).join('') + encoder.end().text;
    const events = typedEvents(text);
    const types = events.map((event) => event.event);
    assert.deepEqual(types.slice(-9), [
      'response.output_text.done',
      'response.content_part.done',
      'response.output_item.done',
      'response.output_item.added',
      'response.function_call_arguments.delta',
      'response.function_call_arguments.delta',
      'response.function_call_arguments.done',
      'response.output_item.done',
      'response.completed',
    ]);
    const done = events.find((event) => event.event === 'response.function_call_arguments.done');
    assert.deepEqual(done?.data, {
      type: 'response.function_call_arguments.done',
      sequence_number: done?.data.sequence_number,
      item_id: 'fc_abc_0',
      output_index: 1,
      arguments: '{"a":1}',
    });
    const final = events.at(-1)?.data.response;
    assert.deepEqual(final.output[1], {
      type: 'function_call',
      id: 'fc_abc_0',
      call_id: 'call_9',
      name: 'f',
      arguments: '{"a":1}',
      status: 'completed',
    });
    assert.equal(final.output[0].content[0].text, 'Checking.');
  });

  it('ends a cut answer with response.incomplete, and a failure with response.failed only', () => {
    const cut = createResponsesStreamEncoder(envelope());
    const chunks = textChunks('Once upon');
    chunks.at(-1)!.choices[0]!.finish_reason = 'length';
    const text = chunks.map((chunk) => cut.chunk(chunk)).join('') + cut.end().text;
    const last = typedEvents(text).at(-1);
    assert.equal(last?.event, 'response.incomplete');
    assert.deepEqual(last?.data.response.incomplete_details, { reason: 'max_output_tokens' });

    const failing = createResponsesStreamEncoder(envelope());
    let failed = failing.chunk(textChunks('Once')[1]!);
    failed += failing.error(
      new SwitchboardError({
        message: 'upstream reset',
        status: 502,
        type: 'server_error',
        code: 'stream_broken',
        kind: 'connect',
      }),
    );
    const events = typedEvents(failed);
    assert.equal(events.at(-1)?.event, 'response.failed');
    assert.deepEqual(events.at(-1)?.data.response.error, { code: 'stream_broken', message: 'upstream reset' });
    assert.ok(!events.some((event) => event.event === 'response.completed' || event.event === 'response.output_text.done'));
    assert.equal(failing.chunk(textChunks('more')[1]!), '');
  });
});
