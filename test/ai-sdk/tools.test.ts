// Tools through `switchboard/ai-sdk`: a call the AI SDK executes, its result sent back in a second
// step (which fails over on its own), streamed tool calls, tool choice, and generateObject.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { generateObject, generateText, Output, stepCountIs, streamObject, streamText, tool } from 'ai';
import { z } from 'zod';
import type { ChatChunk } from '../../src/protocol/chat.ts';
import { completion, openaiError, type RecordedRequest, type ScriptEntry, textChunks } from '../support/upstream.ts';
import { attemptsIn, bounded, providersFor, switchboard, upstream } from './helpers.ts';

const weatherCall = {
  id: 'call_weather_1',
  type: 'function' as const,
  function: { name: 'weather', arguments: '{"city":"Lisbon"}' },
};

function weatherTool(calls: string[]) {
  return tool({
    description: 'The weather in a city',
    inputSchema: z.object({ city: z.string() }),
    execute: async ({ city }) => {
      calls.push(city);
      return { city, celsius: 21 };
    },
  });
}

/** The second step: answers only if the tool's call and result came back as Chat Completions messages. */
function answerFromToolResult(text: string, streamed = false) {
  return (request: RecordedRequest): ScriptEntry => {
    const [, assistant, result] = request.body.messages;
    assert.deepEqual(assistant, { role: 'assistant', content: null, tool_calls: [weatherCall] });
    assert.deepEqual(result, { role: 'tool', tool_call_id: 'call_weather_1', content: '{"city":"Lisbon","celsius":21}' });
    return streamed ? { sse: chunks([{ content: text }], 'stop') } : { json: completion(text) };
  };
}

function chunks(deltas: ChatChunk['choices'][number]['delta'][], finish: 'stop' | 'tool_calls'): ChatChunk[] {
  const chunk = (delta: ChatChunk['choices'][number]['delta'], finishReason: typeof finish | null = null): ChatChunk => ({
    id: 'chatcmpl-tools',
    object: 'chat.completion.chunk',
    created: 1_700_000_000,
    model: 'emulated',
    choices: [{ index: 0, delta, finish_reason: finishReason }],
  });
  return [chunk({ role: 'assistant' }), ...deltas.map((delta) => chunk(delta)), chunk({}, finish)];
}

describe('tools with a Switchboard model', () => {
  it('round trip: the model calls a tool, the AI SDK runs it, the second step answers after a failover', bounded, async (t) => {
    const first = await upstream(t, [
      { json: completion('', { toolCalls: [weatherCall] }) },
      { status: 503, json: openaiError('overloaded', 'server_error') },
    ]);
    const second = await upstream(t, [answerFromToolResult('It is 21 °C in Lisbon.')]);
    const sb = switchboard(t, providersFor([first.url, second.url]));
    const calls: string[] = [];
    const result = await generateText({
      model: sb('llama'),
      prompt: 'Weather in Lisbon?',
      tools: { weather: weatherTool(calls) },
      toolChoice: 'auto',
      stopWhen: stepCountIs(2),
    });
    assert.deepEqual(calls, ['Lisbon']);
    assert.equal(result.text, 'It is 21 °C in Lisbon.');
    assert.equal(result.steps.length, 2);
    assert.equal(result.steps[0]?.finishReason, 'tool-calls');
    assert.deepEqual(attemptsIn(result.steps[0]?.providerMetadata), [['first', 'ok']]);
    assert.deepEqual(attemptsIn(result.steps[1]?.providerMetadata), [
      ['first', 'server'],
      ['second', 'ok'],
    ]);
    const sent = first.requests[0]?.body;
    assert.deepEqual(sent.tools, [
      {
        type: 'function',
        function: {
          name: 'weather',
          description: 'The weather in a city',
          parameters: {
            $schema: 'http://json-schema.org/draft-07/schema#',
            type: 'object',
            properties: { city: { type: 'string' } },
            required: ['city'],
            additionalProperties: false,
          },
        },
      },
    ]);
    assert.equal(sent.tool_choice, 'auto');
  });

  it('streams a tool call whose arguments arrive in pieces, then the second step', bounded, async (t) => {
    const toolChunks = chunks(
      [
        { tool_calls: [{ index: 0, id: 'call_weather_1', type: 'function', function: { name: 'weather', arguments: '' } }] },
        { tool_calls: [{ index: 0, function: { arguments: '{"city":' } }] },
        { tool_calls: [{ index: 0, function: { arguments: '"Lisbon"}' } }] },
      ],
      'tool_calls',
    );
    const only = await upstream(t, [{ sse: toolChunks }, answerFromToolResult('Sunny, 21 °C.', true)]);
    const sb = switchboard(t, providersFor([only.url]));
    const calls: string[] = [];
    const result = streamText({
      model: sb('llama'),
      prompt: 'Weather in Lisbon?',
      tools: { weather: weatherTool(calls) },
      // Forced in the first step only: a forced tool in the second would call it again.
      prepareStep: ({ stepNumber }) => ({ toolChoice: stepNumber === 0 ? { type: 'tool', toolName: 'weather' } : 'none' }),
      stopWhen: stepCountIs(2),
    });
    const parts: string[] = [];
    for await (const part of result.fullStream) {
      if (part.type.startsWith('tool-') || part.type === 'text-delta') parts.push(part.type);
    }
    assert.deepEqual(parts, [
      'tool-input-start',
      'tool-input-delta',
      'tool-input-delta',
      'tool-input-end',
      'tool-call',
      'tool-result',
      'text-delta',
    ]);
    assert.deepEqual(calls, ['Lisbon']);
    assert.equal(await result.text, 'Sunny, 21 °C.');
    assert.deepEqual(only.requests[0]?.body.tool_choice, { type: 'function', function: { name: 'weather' } });
    assert.equal(only.requests[1]?.body.tool_choice, 'none');
  });
});

describe('tools across protocols', () => {
  it('an Anthropic provider takes over after a 503 and the round trip speaks its format both ways', bounded, async (t) => {
    const openai = await upstream(t, [], { status: 503, json: openaiError('overloaded', 'server_error') });
    const anthropic = await upstream(t, [
      {
        json: {
          id: 'msg_1',
          type: 'message',
          role: 'assistant',
          model: 'claude-test',
          content: [{ type: 'tool_use', id: 'toolu_1', name: 'weather', input: { city: 'Lisbon' } }],
          stop_reason: 'tool_use',
          stop_sequence: null,
          usage: { input_tokens: 20, output_tokens: 9 },
        },
      },
      (request: RecordedRequest): ScriptEntry => {
        const [, assistant, result] = request.body.messages;
        assert.deepEqual(assistant.content, [{ type: 'tool_use', id: 'toolu_1', name: 'weather', input: { city: 'Lisbon' } }]);
        assert.deepEqual(result.content, [
          { type: 'tool_result', tool_use_id: 'toolu_1', content: '{"city":"Lisbon","celsius":21}' },
        ]);
        return {
          json: {
            id: 'msg_2',
            type: 'message',
            role: 'assistant',
            model: 'claude-test',
            content: [{ type: 'text', text: 'Lisbon: 21 °C.' }],
            stop_reason: 'end_turn',
            stop_sequence: null,
            usage: { input_tokens: 40, output_tokens: 6 },
          },
        };
      },
    ]);
    const config = providersFor([openai.url, anthropic.url]);
    config.providers!.second!.protocol = 'anthropic';
    const sb = switchboard(t, config);
    const calls: string[] = [];
    const result = await generateText({
      model: sb('llama'),
      prompt: 'Weather in Lisbon?',
      tools: { weather: weatherTool(calls) },
      stopWhen: stepCountIs(2),
    });
    assert.deepEqual(calls, ['Lisbon']);
    assert.equal(result.text, 'Lisbon: 21 °C.');
    assert.equal(result.steps[0]?.finishReason, 'tool-calls');
    assert.deepEqual(attemptsIn(result.steps[0]?.providerMetadata), [
      ['first', 'server'],
      ['second', 'ok'],
    ]);
    assert.equal(anthropic.requests[0]?.path, '/v1/messages');
    assert.equal(anthropic.requests[0]?.body.tools[0].input_schema.properties.city.type, 'string');
  });
});

describe('generateObject with a Switchboard model', () => {
  it('asks for a JSON schema answer and parses it into the zod schema', bounded, async (t) => {
    const first = await upstream(t, [{ status: 503, json: openaiError('overloaded', 'server_error') }]);
    const second = await upstream(t, [{ json: completion('{"name":"Ada Lovelace","born":1815,"fields":["mathematics"]}') }]);
    const sb = switchboard(t, providersFor([first.url, second.url]));
    const schema = z.object({ name: z.string(), born: z.number().int(), fields: z.array(z.string()) });
    const result = await generateObject({ model: sb('llama'), schema, schemaName: 'person', prompt: 'Who was Ada Lovelace?' });
    assert.deepEqual(result.object, { name: 'Ada Lovelace', born: 1815, fields: ['mathematics'] });
    assert.deepEqual(attemptsIn(result.providerMetadata), [
      ['first', 'server'],
      ['second', 'ok'],
    ]);
    const format = second.requests[0]?.body.response_format;
    assert.equal(format.type, 'json_schema');
    assert.equal(format.json_schema.name, 'person');
    assert.deepEqual(format.json_schema.schema.required, ['name', 'born', 'fields']);
  });

  it("generateText with Output.object, the AI SDK's newer spelling, gets the same", bounded, async (t) => {
    const only = await upstream(t, [{ json: completion('{"city":"Lisbon","celsius":21}') }]);
    const sb = switchboard(t, providersFor([only.url]));
    const schema = z.object({ city: z.string(), celsius: z.number() });
    const result = await generateText({ model: sb('llama'), output: Output.object({ schema }), prompt: 'Weather as JSON' });
    assert.deepEqual(result.output, { city: 'Lisbon', celsius: 21 });
    assert.equal(only.requests[0]?.body.response_format.type, 'json_schema');
  });

  it('streamObject builds the object from a streamed JSON answer', bounded, async (t) => {
    const only = await upstream(t, [{ sse: textChunks(['{"city":', '"Lisbon",', '"celsius":21}'], { usage: true }) }]);
    const sb = switchboard(t, providersFor([only.url]));
    const schema = z.object({ city: z.string(), celsius: z.number() });
    const result = streamObject({ model: sb('llama'), schema, prompt: 'Weather as JSON' });
    const partials: unknown[] = [];
    for await (const partial of result.partialObjectStream) partials.push(partial);
    assert.deepEqual(await result.object, { city: 'Lisbon', celsius: 21 });
    assert.ok(partials.length >= 2, `partial objects: ${JSON.stringify(partials)}`);
    assert.equal(only.requests[0]?.body.response_format.type, 'json_schema');
    assert.equal(only.requests[0]?.body.stream, true);
  });

  it('a JSON answer without a schema asks for json_object', bounded, async (t) => {
    const only = await upstream(t, [{ json: completion('{"ok":true}') }]);
    const sb = switchboard(t, providersFor([only.url]));
    const result = await generateObject({ model: sb('llama'), output: 'no-schema', prompt: 'Any JSON' });
    assert.deepEqual(result.object, { ok: true });
    assert.deepEqual(only.requests[0]?.body.response_format, { type: 'json_object' });
  });
});
