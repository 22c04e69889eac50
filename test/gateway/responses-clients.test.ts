// Clients that speak the Responses API by default: the AI SDK's `createOpenAI({ baseURL })(model)`
// and LangChain's `ChatOpenAI({ useResponsesApi: true })`, over an OpenAI-format and an
// Anthropic-format upstream, each with a failover.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { createOpenAI } from '@ai-sdk/openai';
import { HumanMessage, ToolMessage } from '@langchain/core/messages';
import { ChatOpenAI } from '@langchain/openai';
import { generateObject, generateText, jsonSchema, stepCountIs, streamText, tool } from 'ai';
import type { Gateway } from '../../src/gateway/server.ts';
import { completion, openaiError, textChunks } from '../support/upstream.ts';
import { gateway, upstream } from './helpers.ts';
import { anthropicMessage, anthropicStream, mixedProviders } from './responses-helpers.ts';

const bounded = { timeout: 10_000 };
const overloaded = { status: 503, json: openaiError('overloaded', 'server_error') };

function model(switchboard: Gateway) {
  return createOpenAI({ baseURL: `${switchboard.url}/v1`, apiKey: 'unused' })('llama');
}

describe('the AI SDK default OpenAI provider (Responses API) through the gateway', () => {
  it('does generateText, failing over to the Anthropic-format provider', bounded, async (t) => {
    const openai = await upstream(t, [overloaded]);
    const anthropic = await upstream(t, [{ json: anthropicMessage('Hello from the AI SDK') }]);
    const switchboard = await gateway(t, mixedProviders(openai.url, anthropic.url));
    const result = await generateText({ model: model(switchboard), system: 'Be kind.', prompt: 'Say hello', maxRetries: 0 });
    assert.equal(result.text, 'Hello from the AI SDK');
    assert.equal(result.finishReason, 'stop');
    assert.equal(result.usage.inputTokens, 11);
    assert.equal(result.response.headers?.['x-switchboard-provider'], 'anthropic');
    assert.equal(anthropic.requests[0]?.body.system, 'Be kind.');
    assert.deepEqual(anthropic.requests[0]?.body.messages, [{ role: 'user', content: 'Say hello' }]);
  });

  it('does streamText, failing over to the OpenAI-format provider', bounded, async (t) => {
    const openai = await upstream(t, [{ sse: textChunks('Streaming through the gateway', { usage: true }), chunkDelayMs: 2 }]);
    const anthropic = await upstream(t, ['reset', 'reset']);
    const switchboard = await gateway(t, mixedProviders(openai.url, anthropic.url, { anthropic: { priority: 0 } }));
    const result = streamText({ model: model(switchboard), prompt: 'Stream please', maxRetries: 0 });
    let text = '';
    for await (const delta of result.textStream) text += delta;
    assert.equal(text, 'Streaming through the gateway');
    assert.equal(await result.finishReason, 'stop');
    assert.equal((await result.usage).outputTokens, 4);
    assert.equal(openai.requests[0]?.body.stream, true);
  });

  it('calls tools and answers with their results over two steps', bounded, async (t) => {
    const call = { id: 'call_add_1', type: 'function' as const, function: { name: 'add', arguments: '{"a":2,"b":3}' } };
    const openai = await upstream(t, [{ json: completion('', { toolCalls: [call] }) }, overloaded]);
    const anthropic = await upstream(t, [{ json: anthropicMessage('2 + 3 = 5') }]);
    const switchboard = await gateway(t, mixedProviders(openai.url, anthropic.url));
    const result = await generateText({
      model: model(switchboard),
      prompt: 'What is 2 + 3?',
      tools: {
        add: tool({
          description: 'Adds two numbers',
          inputSchema: jsonSchema<{ a: number; b: number }>({
            type: 'object',
            properties: { a: { type: 'number' }, b: { type: 'number' } },
            required: ['a', 'b'],
          }),
          execute: async ({ a, b }) => ({ sum: a + b }),
        }),
      },
      stopWhen: stepCountIs(3),
      maxRetries: 0,
    });
    assert.equal(result.text, '2 + 3 = 5');
    assert.equal(result.steps.length, 2);
    assert.deepEqual(
      result.steps[0]?.toolCalls.map((part) => [part.toolName, part.input]),
      [['add', { a: 2, b: 3 }]],
    );
    assert.equal(openai.requests[0]?.body.tools[0].function.name, 'add');
    // Step 2 reached the Anthropic-format provider with the call and its result.
    const messages = anthropic.requests[0]?.body.messages;
    assert.deepEqual(messages[1], {
      role: 'assistant',
      content: [{ type: 'tool_use', id: 'call_add_1', name: 'add', input: { a: 2, b: 3 } }],
    });
    assert.equal(messages[2].content[0].type, 'tool_result');
    assert.equal(messages[2].content[0].tool_use_id, 'call_add_1');
    assert.deepEqual(JSON.parse(messages[2].content[0].content), { sum: 5 });
  });

  it('does generateObject with a JSON schema', bounded, async (t) => {
    const openai = await upstream(t, ['reset', 'reset']);
    const anthropic = await upstream(t, [{ json: anthropicMessage('{"city":"Paris","population":2100000}') }]);
    const switchboard = await gateway(t, mixedProviders(openai.url, anthropic.url));
    const { object } = await generateObject({
      model: model(switchboard),
      schema: jsonSchema<{ city: string; population: number }>({
        type: 'object',
        properties: { city: { type: 'string' }, population: { type: 'number' } },
        required: ['city', 'population'],
        additionalProperties: false,
      }),
      prompt: 'The capital of France and its population',
      maxRetries: 0,
    });
    assert.deepEqual(object, { city: 'Paris', population: 2_100_000 });
    assert.equal(openai.requests[0]?.body.response_format.type, 'json_schema');
  });
});

describe('LangChain ChatOpenAI with useResponsesApi through the gateway', () => {
  it('invokes and streams, failing over between formats', bounded, async (t) => {
    const openai = await upstream(t, [overloaded, overloaded]);
    const anthropic = await upstream(t, [
      { json: anthropicMessage('Hello from LangChain') },
      { sse: anthropicStream('Streamed for LangChain'), done: false },
    ]);
    const switchboard = await gateway(t, mixedProviders(openai.url, anthropic.url));
    const chat = new ChatOpenAI({
      model: 'llama',
      apiKey: 'unused',
      useResponsesApi: true,
      maxRetries: 0,
      configuration: { baseURL: `${switchboard.url}/v1` },
    });
    const answer = await chat.invoke('Say hello');
    assert.equal(answer.text, 'Hello from LangChain');
    assert.equal(answer.usage_metadata?.input_tokens, 11);
    let streamed = '';
    for await (const chunk of await chat.stream('Stream please')) streamed += chunk.text;
    assert.equal(streamed, 'Streamed for LangChain');
    assert.equal(anthropic.requests.length, 2);
    assert.equal(openai.requests.length, 2);
  });
});

describe('LangChain tools over /v1/responses', () => {
  it('binds tools, gets a tool call, and answers from its result on another provider', bounded, async (t) => {
    const call = { id: 'call_lc_1', type: 'function' as const, function: { name: 'lookup', arguments: '{"term":"fjord"}' } };
    const openai = await upstream(t, [{ json: completion('', { toolCalls: [call] }) }, overloaded]);
    const anthropic = await upstream(t, [{ json: anthropicMessage('A fjord is a long, narrow inlet.') }]);
    const switchboard = await gateway(t, mixedProviders(openai.url, anthropic.url));
    const chat = new ChatOpenAI({
      model: 'llama',
      apiKey: 'unused',
      useResponsesApi: true,
      maxRetries: 0,
      configuration: { baseURL: `${switchboard.url}/v1` },
    }).bindTools([
      {
        type: 'function',
        function: {
          name: 'lookup',
          description: 'Looks a term up',
          parameters: { type: 'object', properties: { term: { type: 'string' } }, required: ['term'] },
        },
      },
    ]);
    const question = new HumanMessage('What is a fjord?');
    const asked = await chat.invoke([question]);
    assert.deepEqual(
      asked.tool_calls?.map((toolCall) => [toolCall.name, toolCall.args, toolCall.id]),
      [['lookup', { term: 'fjord' }, 'call_lc_1']],
    );
    const answer = await chat.invoke([question, asked, new ToolMessage({ tool_call_id: 'call_lc_1', content: 'an inlet' })]);
    assert.equal(answer.text, 'A fjord is a long, narrow inlet.');
    const messages = anthropic.requests[0]?.body.messages;
    assert.deepEqual(messages[1].content, [{ type: 'tool_use', id: 'call_lc_1', name: 'lookup', input: { term: 'fjord' } }]);
    assert.deepEqual(messages[2].content, [{ type: 'tool_result', tool_use_id: 'call_lc_1', content: 'an inlet' }]);
  });
});

describe('AI SDK streams over /v1/responses', () => {
  it('streamText calls tools from a stream, then answers with their results', bounded, async (t) => {
    // An OpenAI-format stream of one tool call, its arguments in two fragments.
    const base = textChunks([])[0]!;
    const chunk = (delta: object, finish: string | null = null) => ({
      ...base,
      choices: [{ index: 0, delta, logprobs: null, finish_reason: finish }],
    });
    const openai = await upstream(t, [
      {
        sse: [
          chunk({
            role: 'assistant',
            content: null,
            tool_calls: [{ index: 0, id: 'call_9', type: 'function', function: { name: 'add', arguments: '' } }],
          }),
          chunk({ tool_calls: [{ index: 0, function: { arguments: '{"a":4,' } }] }),
          chunk({ tool_calls: [{ index: 0, function: { arguments: '"b":5}' } }] }),
          chunk({}, 'tool_calls'),
        ],
      },
      overloaded,
    ]);
    const anthropic = await upstream(t, [{ sse: anthropicStream('4 + 5 = 9'), done: false }]);
    const switchboard = await gateway(t, mixedProviders(openai.url, anthropic.url));
    const result = streamText({
      model: model(switchboard),
      prompt: 'What is 4 + 5?',
      tools: {
        add: tool({
          inputSchema: jsonSchema<{ a: number; b: number }>({
            type: 'object',
            properties: { a: { type: 'number' }, b: { type: 'number' } },
            required: ['a', 'b'],
          }),
          execute: async ({ a, b }) => ({ sum: a + b }),
        }),
      },
      stopWhen: stepCountIs(3),
      maxRetries: 0,
    });
    let text = '';
    for await (const delta of result.textStream) text += delta;
    assert.equal(text, '4 + 5 = 9');
    const steps = await result.steps;
    assert.deepEqual(
      steps[0]?.toolCalls.map((part) => [part.toolName, part.input]),
      [['add', { a: 4, b: 5 }]],
    );
    assert.equal(await result.finishReason, 'stop');
    assert.deepEqual(anthropic.requests[0]?.body.messages[1].content[0], {
      type: 'tool_use',
      id: 'call_9',
      name: 'add',
      input: { a: 4, b: 5 },
    });
  });

  it('streamText cut mid-answer without recovery ends in an error, not a clean stop', bounded, async (t) => {
    const openai = await upstream(t, [{ sse: textChunks('One two three four'), cutAfter: 3 }]);
    const anthropic = await upstream(t);
    const switchboard = await gateway(t, mixedProviders(openai.url, anthropic.url, { routing: { streamRecovery: false } }));
    const errors: unknown[] = [];
    const result = streamText({
      model: model(switchboard),
      prompt: 'Count',
      maxRetries: 0,
      onError: ({ error }) => void errors.push(error),
    });
    let text = '';
    for await (const delta of result.textStream) text += delta;
    assert.equal(text, 'One two');
    assert.notEqual(await result.finishReason, 'stop');
    assert.ok(errors.length > 0, 'the failure reached the caller');
  });
});
