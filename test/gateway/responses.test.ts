// POST /v1/responses with the official openai SDK, over an OpenAI-format and an Anthropic-format
// upstream, each test with a failover.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import OpenAI from 'openai';
import { completion, openaiError, textChunks } from '../support/upstream.ts';
import { client, gateway, upstream } from './helpers.ts';
import { anthropicMessage, anthropicStream, mixedProviders } from './responses-helpers.ts';

const bounded = { timeout: 10_000 };
const overloaded = { status: 503, json: openaiError('overloaded', 'server_error') };

describe('POST /v1/responses with the openai SDK', () => {
  it('answers text from the Anthropic-format provider when the OpenAI-format one fails', bounded, async (t) => {
    const openai = await upstream(t, [overloaded, overloaded]);
    const anthropic = await upstream(t, [{ json: anthropicMessage('Hello from Claude') }]);
    const switchboard = await gateway(t, mixedProviders(openai.url, anthropic.url));
    const { data, response } = await client(switchboard)
      .responses.create({
        model: 'llama',
        instructions: 'Be brief.',
        input: 'Say hello',
        max_output_tokens: 50,
        temperature: 0.2,
      })
      .withResponse();
    assert.equal(data.object, 'response');
    assert.match(data.id, /^resp_/);
    assert.equal(data.status, 'completed');
    assert.equal(data.output_text, 'Hello from Claude');
    assert.equal(data.model, 'claude-emulator', 'the model that answered, as its provider names it');
    assert.equal(data.instructions, 'Be brief.');
    assert.equal(data.max_output_tokens, 50);
    const [item] = data.output;
    assert.equal(item?.type, 'message');
    assert.ok(item?.type === 'message');
    assert.match(item.id, /^msg_/);
    assert.deepEqual(item.content, [{ type: 'output_text', text: 'Hello from Claude', annotations: [] }]);
    assert.deepEqual(data.usage, {
      input_tokens: 11,
      input_tokens_details: { cached_tokens: 0 },
      output_tokens: 3,
      output_tokens_details: { reasoning_tokens: 0 },
      total_tokens: 14,
    });
    assert.equal(response.headers.get('x-switchboard-provider'), 'anthropic');
    const sent = anthropic.requests[0]?.body;
    assert.equal(anthropic.requests[0]?.path, '/v1/messages');
    assert.equal(sent.system, 'Be brief.');
    assert.deepEqual(sent.messages, [{ role: 'user', content: 'Say hello' }]);
    assert.equal(sent.max_tokens, 50);
    assert.equal(sent.temperature, 0.2);
    assert.ok(openai.requests.length >= 1);
  });

  it('streams typed events with stream: true, failing over before the first token', bounded, async (t) => {
    const openai = await upstream(t, ['reset', 'reset']);
    const anthropic = await upstream(t, [{ sse: anthropicStream('Streamed from Claude'), done: false }]);
    const switchboard = await gateway(t, mixedProviders(openai.url, anthropic.url));
    const stream = await client(switchboard).responses.create({ model: 'llama', input: 'Stream please', stream: true });
    const seen: string[] = [];
    const numbers: number[] = [];
    let text = '';
    let final: OpenAI.Responses.Response | undefined;
    for await (const event of stream) {
      seen.push(event.type);
      numbers.push(event.sequence_number);
      if (event.type === 'response.output_text.delta') text += event.delta;
      if (event.type === 'response.completed') final = event.response;
    }
    assert.equal(text, 'Streamed from Claude');
    assert.deepEqual(
      [...new Set(seen)],
      [
        'response.created',
        'response.in_progress',
        'response.output_item.added',
        'response.content_part.added',
        'response.output_text.delta',
        'response.output_text.done',
        'response.content_part.done',
        'response.output_item.done',
        'response.completed',
      ],
    );
    assert.deepEqual(
      numbers,
      numbers.map((_, index) => index),
    );
    assert.equal(final?.status, 'completed');
    assert.equal(final?.model, 'claude-emulator', 'the model that answered, as its provider names it');
    assert.equal(final?.usage?.output_tokens, 3);
    assert.deepEqual(final?.output[0]?.type === 'message' && final.output[0].content, [
      { type: 'output_text', text: 'Streamed from Claude', annotations: [] },
    ]);
  });

  it('streams with client.responses.stream from the OpenAI-format provider after a 529', bounded, async (t) => {
    const openai = await upstream(t, [{ sse: textChunks('Streamed from GPT', { usage: true }) }]);
    const anthropic = await upstream(t, [
      { status: 529, json: { type: 'error', error: { type: 'overloaded_error', message: 'Overloaded' } } },
    ]);
    // The Anthropic-format provider goes first here.
    const switchboard = await gateway(t, mixedProviders(openai.url, anthropic.url, { anthropic: { priority: 0 } }));
    const stream = client(switchboard).responses.stream({ model: 'llama', input: [{ role: 'user', content: 'Stream please' }] });
    let text = '';
    stream.on('response.output_text.delta', (event) => {
      text += event.delta;
    });
    const final = await stream.finalResponse();
    assert.equal(text, 'Streamed from GPT');
    assert.equal(final.output_text, 'Streamed from GPT');
    assert.equal(final.status, 'completed');
    assert.equal(final.usage?.total_tokens, 8);
    assert.deepEqual(openai.requests.at(-1)?.body.stream_options, { include_usage: true });
    assert.equal(anthropic.requests.length, 1);
  });

  it('round-trips function tools with function_call_output', bounded, async (t) => {
    const call = {
      id: 'call_weather_1',
      type: 'function' as const,
      function: { name: 'get_weather', arguments: '{"city":"Paris"}' },
    };
    const openai = await upstream(t, [{ json: completion('', { toolCalls: [call] }) }, overloaded, overloaded]);
    const anthropic = await upstream(t, [{ json: anthropicMessage('It is sunny in Paris.') }]);
    const switchboard = await gateway(t, mixedProviders(openai.url, anthropic.url));
    const tools: OpenAI.Responses.Tool[] = [
      {
        type: 'function',
        name: 'get_weather',
        description: 'Weather for a city',
        parameters: { type: 'object', properties: { city: { type: 'string' } }, required: ['city'] },
        strict: true,
      },
    ];
    const sdk = client(switchboard);
    const first = await sdk.responses.create({ model: 'llama', input: 'Weather in Paris?', tools, store: false });
    const toolCall = first.output.find((item) => item.type === 'function_call');
    assert.ok(toolCall?.type === 'function_call');
    assert.equal(toolCall.call_id, 'call_weather_1');
    assert.equal(toolCall.name, 'get_weather');
    assert.equal(toolCall.arguments, '{"city":"Paris"}');
    assert.equal(toolCall.status, 'completed');
    assert.match(toolCall.id ?? '', /^fc_/);
    assert.deepEqual(openai.requests[0]?.body.tools, [
      {
        type: 'function',
        function: {
          name: 'get_weather',
          description: 'Weather for a city',
          parameters: { type: 'object', properties: { city: { type: 'string' } }, required: ['city'] },
          strict: true,
        },
      },
    ]);

    const second = await sdk.responses.create({
      model: 'llama',
      tools,
      input: [
        { role: 'user', content: 'Weather in Paris?' },
        ...(first.output as OpenAI.Responses.ResponseInputItem[]),
        { type: 'function_call_output', call_id: toolCall.call_id, output: '{"sky":"sunny"}' },
      ],
    });
    assert.equal(second.output_text, 'It is sunny in Paris.');
    const sent = anthropic.requests[0]?.body;
    assert.deepEqual(sent.messages, [
      { role: 'user', content: 'Weather in Paris?' },
      { role: 'assistant', content: [{ type: 'tool_use', id: 'call_weather_1', name: 'get_weather', input: { city: 'Paris' } }] },
      { role: 'user', content: [{ type: 'tool_result', tool_use_id: 'call_weather_1', content: '{"sky":"sunny"}' }] },
    ]);
    assert.equal(sent.tools[0].name, 'get_weather');
  });

  it('asks for a JSON schema with text.format', bounded, async (t) => {
    const openai = await upstream(t, ['reset', { json: completion('{"name":"Ada","age":36}') }]);
    const anthropic = await upstream(t, [overloaded]);
    const switchboard = await gateway(t, mixedProviders(openai.url, anthropic.url));
    const schema = {
      type: 'object',
      properties: { name: { type: 'string' }, age: { type: 'number' } },
      required: ['name', 'age'],
      additionalProperties: false,
    };
    const response = await client(switchboard).responses.create({
      model: 'llama',
      input: 'Who wrote the first program?',
      text: { format: { type: 'json_schema', name: 'person', schema, strict: true } },
    });
    assert.deepEqual(JSON.parse(response.output_text), { name: 'Ada', age: 36 });
    assert.deepEqual(response.text?.format, { type: 'json_schema', name: 'person', schema, strict: true });
    assert.deepEqual(openai.requests.at(-1)?.body.response_format, {
      type: 'json_schema',
      json_schema: { name: 'person', schema, strict: true },
    });
  });

  it('continues a conversation with previous_response_id on another provider, in another format', bounded, async (t) => {
    const openai = await upstream(t, [{ json: completion('Paris is the capital of France.') }, overloaded, overloaded]);
    const anthropic = await upstream(t, [{ json: anthropicMessage('About 2.1 million people.') }]);
    const switchboard = await gateway(t, mixedProviders(openai.url, anthropic.url));
    const sdk = client(switchboard);
    const first = await sdk.responses.create({
      model: 'llama',
      instructions: 'Answer in one line.',
      input: 'Capital of France?',
    });
    assert.equal(first.output_text, 'Paris is the capital of France.');
    const second = await sdk.responses
      .create({ model: 'llama', previous_response_id: first.id, input: 'How many people live there?' })
      .withResponse();
    assert.equal(second.data.output_text, 'About 2.1 million people.');
    assert.equal(second.data.previous_response_id, first.id);
    assert.equal(second.response.headers.get('x-switchboard-provider'), 'anthropic');
    // Turn 1 reached the OpenAI-format provider; turn 2 the Anthropic-format one, with the whole conversation.
    assert.deepEqual(openai.requests[0]?.body.messages, [
      { role: 'system', content: 'Answer in one line.' },
      { role: 'user', content: 'Capital of France?' },
    ]);
    const sent = anthropic.requests[0]?.body;
    // Instructions are not carried over to a follow-up, as at OpenAI.
    assert.equal(sent.system, undefined);
    assert.deepEqual(sent.messages, [
      { role: 'user', content: 'Capital of France?' },
      { role: 'assistant', content: 'Paris is the capital of France.' },
      { role: 'user', content: 'How many people live there?' },
    ]);
    const fetched = await sdk.responses.retrieve(second.data.id);
    assert.equal(fetched.output_text, 'About 2.1 million people.');
  });

  it('answers an unknown previous_response_id with a 400 naming it, and calls no provider', bounded, async (t) => {
    const openai = await upstream(t);
    const anthropic = await upstream(t);
    const switchboard = await gateway(t, mixedProviders(openai.url, anthropic.url));
    const error = await client(switchboard)
      .responses.create({ model: 'llama', previous_response_id: 'resp_nope', input: 'Hi' })
      .catch((thrown: unknown) => thrown);
    assert.ok(error instanceof OpenAI.BadRequestError);
    assert.equal(error.param, 'previous_response_id');
    assert.equal(error.code, 'previous_response_not_found');
    assert.match(error.message, /resp_nope/);
    assert.equal(openai.requests.length + anthropic.requests.length, 0);
  });
});

describe('built-in tools on /v1/responses', () => {
  it('go only to providers that declare them', bounded, async (t) => {
    const openai = await upstream(t, [overloaded, { json: completion('Searched.') }]);
    const anthropic = await upstream(t);
    const config = mixedProviders(openai.url, anthropic.url, { openai: { builtinTools: ['web_search'] } });
    const switchboard = await gateway(t, config);
    const sdk = client(switchboard);
    const tools: OpenAI.Responses.Tool[] = [{ type: 'web_search', search_context_size: 'low' }];
    const failed = await sdk.responses.create({ model: 'llama', input: 'News?', tools }).catch((thrown: unknown) => thrown);
    // The only provider that runs web search failed: the Anthropic-format one is never asked.
    assert.ok(failed instanceof OpenAI.APIError);
    assert.equal(failed.status, 503);
    assert.equal(openai.requests.length, 1);
    assert.equal(anthropic.requests.length, 0);
    const answered = await sdk.responses.create({ model: 'llama', input: 'News?', tools });
    assert.equal(answered.output_text, 'Searched.');
    assert.deepEqual(openai.requests.at(-1)?.body.web_search_options, { search_context_size: 'low' });
    assert.equal(openai.requests.at(-1)?.body.tools, undefined);
    assert.deepEqual(answered.tools, tools);
  });

  it('answer 400 naming the tool and the providers when no provider runs it', bounded, async (t) => {
    const openai = await upstream(t);
    const anthropic = await upstream(t);
    const config = mixedProviders(openai.url, anthropic.url, { openai: { builtinTools: ['web_search'] } });
    const switchboard = await gateway(t, config);
    const error = await client(switchboard)
      .responses.create({ model: 'llama', input: 'Run it', tools: [{ type: 'code_interpreter', container: { type: 'auto' } }] })
      .catch((thrown: unknown) => thrown);
    assert.ok(error instanceof OpenAI.BadRequestError);
    assert.equal(error.param, 'tools');
    assert.match(error.message, /'code_interpreter' is not run by openai, anthropic/);
    assert.equal(openai.requests.length + anthropic.requests.length, 0);
  });
});

describe('streamed function calls on /v1/responses', () => {
  it(
    'reach client.responses.stream as function_call items, from Anthropic tool_use events after a failover',
    bounded,
    async (t) => {
      const start = {
        type: 'message_start',
        message: {
          id: 'msg_1',
          type: 'message',
          role: 'assistant',
          model: 'claude',
          content: [],
          stop_reason: null,
          stop_sequence: null,
          usage: { input_tokens: 20, output_tokens: 1 },
        },
      };
      const sse = [
        start,
        { type: 'content_block_start', index: 0, content_block: { type: 'text', text: '' } },
        { type: 'content_block_delta', index: 0, delta: { type: 'text_delta', text: 'Let me check.' } },
        { type: 'content_block_stop', index: 0 },
        {
          type: 'content_block_start',
          index: 1,
          content_block: { type: 'tool_use', id: 'toolu_1', name: 'get_weather', input: {} },
        },
        { type: 'content_block_delta', index: 1, delta: { type: 'input_json_delta', partial_json: '{"city":' } },
        { type: 'content_block_delta', index: 1, delta: { type: 'input_json_delta', partial_json: '"Oslo"}' } },
        { type: 'content_block_stop', index: 1 },
        { type: 'message_delta', delta: { stop_reason: 'tool_use', stop_sequence: null }, usage: { output_tokens: 12 } },
        { type: 'message_stop' },
      ].map((data) => `event: ${data.type}\ndata: ${JSON.stringify(data)}\n\n`);
      const openai = await upstream(t, [overloaded]);
      const anthropic = await upstream(t, [{ sse, done: false }]);
      const switchboard = await gateway(t, mixedProviders(openai.url, anthropic.url));
      const stream = client(switchboard).responses.stream({
        model: 'llama',
        input: 'Weather in Oslo?',
        tools: [
          {
            type: 'function',
            name: 'get_weather',
            parameters: { type: 'object', properties: { city: { type: 'string' } } },
            strict: false,
          },
        ],
      });
      let argumentsText = '';
      stream.on('response.function_call_arguments.delta', (event) => {
        argumentsText += event.delta;
      });
      const final = await stream.finalResponse();
      assert.equal(final.status, 'completed');
      assert.equal(argumentsText, '{"city":"Oslo"}');
      assert.equal(final.output_text, 'Let me check.');
      const call = final.output[1];
      assert.ok(call?.type === 'function_call');
      assert.equal(call.call_id, 'toolu_1');
      assert.equal(call.name, 'get_weather');
      assert.equal(call.arguments, '{"city":"Oslo"}');
      assert.equal(call.status, 'completed');
      assert.equal(final.usage?.output_tokens, 12);
    },
  );
});

describe('an agent loop over previous_response_id', () => {
  it('sends the tool result for a call made by the OpenAI-format provider to the Anthropic-format one', bounded, async (t) => {
    const call = { id: 'call_time_1', type: 'function' as const, function: { name: 'get_time', arguments: '{"zone":"UTC"}' } };
    const openai = await upstream(t, [{ json: completion('', { toolCalls: [call] }) }, overloaded]);
    const anthropic = await upstream(t, [{ json: anthropicMessage('It is noon in UTC.') }]);
    const switchboard = await gateway(t, mixedProviders(openai.url, anthropic.url));
    const sdk = client(switchboard);
    const tools: OpenAI.Responses.Tool[] = [
      {
        type: 'function',
        name: 'get_time',
        parameters: { type: 'object', properties: { zone: { type: 'string' } } },
        strict: false,
      },
    ];
    const first = await sdk.responses.create({ model: 'llama', instructions: 'Use tools.', input: 'What time is it?', tools });
    const toolCall = first.output[0];
    assert.ok(toolCall?.type === 'function_call');
    const second = await sdk.responses.create({
      model: 'llama',
      previous_response_id: first.id,
      tools,
      input: [{ type: 'function_call_output', call_id: toolCall.call_id, output: '12:00' }],
    });
    assert.equal(second.output_text, 'It is noon in UTC.');
    assert.deepEqual(anthropic.requests[0]?.body.messages, [
      { role: 'user', content: 'What time is it?' },
      { role: 'assistant', content: [{ type: 'tool_use', id: 'call_time_1', name: 'get_time', input: { zone: 'UTC' } }] },
      { role: 'user', content: [{ type: 'tool_result', tool_use_id: 'call_time_1', content: '12:00' }] },
    ]);
  });
});
