// Properties of the Responses dialect's pure parts: any JSON body is either a canonical request or
// a 400 naming a parameter (never another exception); any chunk sequence gives numbered events
// that end with exactly one terminal event, and a failure never ends with response.completed.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import { chatRequestFromResponses, parseResponsesRequest } from '../../src/gateway/responses-request.ts';
import { createResponsesStreamEncoder } from '../../src/gateway/responses-stream.ts';
import type { ChatChunk } from '../../src/protocol/chat.ts';
import { SwitchboardError } from '../../src/protocol/errors.ts';
import { typedEvents } from './responses-helpers.ts';

const part = fc.oneof(
  fc.record({ type: fc.constantFrom('input_text', 'output_text'), text: fc.oneof(fc.string(), fc.integer()) }),
  fc.record({ type: fc.constant('input_image'), image_url: fc.oneof(fc.webUrl(), fc.constant(null)), detail: fc.string() }),
  fc.record({ type: fc.constantFrom('refusal', 'input_file', 'input_audio'), refusal: fc.string() }),
  fc.anything(),
);
const item = fc.oneof(
  fc.record({
    role: fc.constantFrom('user', 'assistant', 'system', 'developer', 'tool'),
    content: fc.oneof(fc.string(), fc.array(part, { maxLength: 3 })),
  }),
  fc.record({
    type: fc.constant('function_call'),
    call_id: fc.string(),
    name: fc.oneof(fc.string(), fc.constant(undefined)),
    arguments: fc.string(),
  }),
  fc.record({
    type: fc.constant('function_call_output'),
    call_id: fc.string(),
    output: fc.oneof(fc.string(), fc.array(part, { maxLength: 2 })),
  }),
  fc.record({ type: fc.constantFrom('reasoning', 'item_reference', 'web_search_call', 'message'), id: fc.string() }),
  fc.anything(),
);
const body = fc.record(
  {
    model: fc.oneof(fc.constant('llama'), fc.anything()),
    input: fc.oneof(fc.string(), fc.array(item, { maxLength: 5 }), fc.anything()),
    instructions: fc.oneof(fc.string(), fc.anything()),
    tools: fc.oneof(
      fc.array(
        fc.oneof(
          fc.record({ type: fc.constant('function'), name: fc.string(), parameters: fc.oneof(fc.object(), fc.anything()) }),
          fc.record({ type: fc.constantFrom('web_search', 'file_search', 'code_interpreter') }),
          fc.anything(),
        ),
        { maxLength: 3 },
      ),
      fc.anything(),
    ),
    tool_choice: fc.oneof(
      fc.constantFrom('auto', 'none', 'required'),
      fc.record({ type: fc.string(), name: fc.string() }),
      fc.anything(),
    ),
    text: fc.oneof(
      fc.record({
        format: fc.record({
          type: fc.constantFrom('text', 'json_object', 'json_schema', 'yaml'),
          name: fc.string(),
          schema: fc.object(),
        }),
      }),
      fc.anything(),
    ),
    max_output_tokens: fc.oneof(fc.integer({ min: -5, max: 5000 }), fc.anything()),
    temperature: fc.oneof(fc.double(), fc.anything()),
    metadata: fc.oneof(fc.dictionary(fc.string(), fc.string()), fc.anything()),
    stream: fc.oneof(fc.boolean(), fc.anything()),
    previous_response_id: fc.oneof(fc.string(), fc.anything()),
  },
  { requiredKeys: [] },
);

describe('the Responses request parser', () => {
  it('turns any body into a canonical request or a 400 naming a parameter', () => {
    fc.assert(
      fc.property(fc.oneof(body, fc.anything()), (candidate) => {
        let request: ReturnType<typeof parseResponsesRequest>;
        try {
          request = parseResponsesRequest(candidate);
        } catch (error) {
          assert.ok(error instanceof SwitchboardError, String(error));
          assert.equal(error.status, 400);
          assert.equal(error.type, 'invalid_request_error');
          return;
        }
        const conversation = request.input.filter((entry) => entry.type !== 'item_reference');
        const chat = chatRequestFromResponses(request, conversation);
        assert.equal(chat.model, request.model);
        assert.ok(Array.isArray(chat.messages));
        // Whatever was accepted is JSON the upstream can be sent.
        assert.doesNotThrow(() => JSON.stringify(chat));
      }),
      { numRuns: 2000 },
    );
  });
});

const envelope = {
  id: 'resp_prop',
  createdAt: 0,
  model: 'llama',
  request: parseResponsesRequest({ model: 'llama', input: 'x' }),
};
const base = { id: 'c', object: 'chat.completion.chunk' as const, created: 0, model: 'm' };
const delta = fc.oneof(
  fc.record({ content: fc.string() }),
  fc.record({ refusal: fc.string({ minLength: 1 }) }),
  fc.record({
    tool_calls: fc.array(
      fc.record(
        {
          index: fc.integer({ min: 0, max: 2 }),
          id: fc.string(),
          function: fc.record({ name: fc.string(), arguments: fc.string() }, { requiredKeys: [] }),
        },
        { requiredKeys: ['index'] },
      ),
      { maxLength: 2 },
    ),
  }),
);
const chunk = fc
  .record({
    delta,
    finish: fc.constantFrom(null, null, null, 'stop', 'length', 'tool_calls'),
  })
  .map(
    ({ delta: content, finish }): ChatChunk => ({
      ...base,
      choices: [{ index: 0, delta: content, finish_reason: finish as never }],
    }),
  );

describe('the Responses stream encoder', () => {
  it('numbers every event and ends with one terminal event; a failure never ends completed', () => {
    fc.assert(
      fc.property(fc.array(chunk, { minLength: 1, maxLength: 12 }), fc.boolean(), (chunks, fails) => {
        const encoder = createResponsesStreamEncoder(envelope);
        let text = chunks.map((entry) => encoder.chunk(entry)).join('');
        if (fails)
          text += encoder.error(new SwitchboardError({ message: 'cut', status: 502, type: 'server_error', kind: 'connect' }));
        else text += encoder.end().text;
        text += encoder.error(new SwitchboardError({ message: 'late', status: 502, type: 'server_error', kind: 'connect' }));
        const events = typedEvents(text);
        assert.deepEqual(
          events.map((event) => event.data.sequence_number),
          events.map((_, index) => index),
        );
        const terminal = events.filter((event) =>
          ['response.completed', 'response.incomplete', 'response.failed'].includes(event.event),
        );
        assert.equal(terminal.length, 1);
        assert.equal(terminal[0], events.at(-1));
        if (fails) assert.equal(terminal[0]?.event, 'response.failed');
        else assert.notEqual(terminal[0]?.event, 'response.failed');
        // Every delta belongs to an item that was added before it, and every added item is done at a clean end.
        const added = new Set(
          events.filter((event) => event.event === 'response.output_item.added').map((event) => event.data.item.id),
        );
        for (const event of events) if (event.data.item_id !== undefined) assert.ok(added.has(event.data.item_id));
        if (!fails) {
          const done = new Set(
            events.filter((event) => event.event === 'response.output_item.done').map((event) => event.data.item.id),
          );
          assert.deepEqual(done, added);
        }
      }),
      { numRuns: 1000 },
    );
  });
});
