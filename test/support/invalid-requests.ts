// fast-check arbitraries of requests the gateway must refuse on its own: bodies that are not JSON,
// not objects, or a valid request with exactly one field broken, for each chat dialect; and values
// for headers that must be refused. Every value generated here is invalid by construction.
import fc from 'fast-check';

const notString = fc.oneof(
  fc.integer(),
  fc.boolean(),
  fc.constant(null),
  fc.array(fc.integer(), { maxLength: 3 }),
  fc.object({ maxDepth: 1 }),
);
const notNumber = fc.oneof(
  fc.string({ maxLength: 8 }),
  fc.boolean(),
  fc.array(fc.integer(), { maxLength: 3 }),
  fc.object({ maxDepth: 1 }),
);
const notBoolean = fc.oneof(
  fc.string({ maxLength: 8 }),
  fc.integer(),
  fc.array(fc.integer(), { maxLength: 3 }),
  fc.object({ maxDepth: 1 }),
);
const notPositiveInteger = fc.oneof(
  fc.integer({ max: 0 }),
  fc.double({ min: 0.01, max: 99, noInteger: true }),
  fc.string({ maxLength: 4 }),
);
const notArray = fc.oneof(fc.string({ maxLength: 8 }), fc.integer(), fc.boolean(), fc.object({ maxDepth: 1 }));
const notObject = fc.oneof(fc.string({ maxLength: 8 }), fc.integer(), fc.boolean(), fc.array(fc.integer(), { maxLength: 3 }));
/** A model no config in the suite serves. */
const unknownModel = fc.string({ minLength: 1, maxLength: 40 }).map((name) => `fuzz-${name}`);
const message = { role: 'user', content: 'hello' };

/** One broken field of an otherwise valid Chat Completions request, as [field, value]. */
const brokenChatField = fc.oneof(
  fc.tuple(fc.constant('model'), fc.oneof(notString, fc.constant(''), unknownModel)),
  fc.tuple(fc.constant('messages'), fc.oneof(notArray, fc.constant([]), fc.array(notObject, { minLength: 1, maxLength: 3 }))),
  fc.tuple(fc.constant('messages'), fc.constant([{ content: 'no role' }])),
  fc.tuple(
    fc.constant('messages'),
    notString.filter((role) => role !== null).map((role) => [{ role, content: 'x' }]),
  ),
  fc.tuple(
    fc.constant('messages'),
    fc
      .string({ maxLength: 12 })
      .filter((role) => !['system', 'developer', 'user', 'assistant', 'tool', 'function'].includes(role))
      .map((role) => [{ role, content: 'x' }]),
  ),
  fc.tuple(fc.constant('stream'), notBoolean),
  fc.tuple(fc.constantFrom('temperature', 'top_p', 'presence_penalty', 'frequency_penalty'), notNumber),
  fc.tuple(fc.constantFrom('max_tokens', 'max_completion_tokens', 'n'), notPositiveInteger),
  fc.tuple(fc.constant('stop'), fc.oneof(fc.integer(), fc.boolean(), fc.array(fc.integer(), { minLength: 1, maxLength: 3 }))),
  fc.tuple(fc.constant('tools'), fc.oneof(notArray, fc.constant([{ function: { name: 'f' } }]))),
  fc.tuple(fc.constant('tool_choice'), fc.oneof(fc.integer(), fc.boolean(), fc.constant(null))),
  fc.tuple(fc.constant('response_format'), fc.oneof(notObject, fc.constant({ schema: {} }))),
  fc.tuple(fc.constant('stream_options'), fc.oneof(fc.string({ maxLength: 4 }), fc.integer())),
);

/** One broken field of an otherwise valid Anthropic Messages request. */
const brokenMessagesField = fc.oneof(
  fc.tuple(fc.constant('model'), fc.oneof(notString, fc.constant(''), unknownModel)),
  fc.tuple(fc.constant('max_tokens'), notPositiveInteger),
  fc.tuple(fc.constant('messages'), fc.oneof(notArray, fc.constant([]), fc.array(notObject, { minLength: 1, maxLength: 3 }))),
  fc.tuple(
    fc.constant('messages'),
    fc
      .string({ maxLength: 12 })
      .filter((role) => !['user', 'assistant', 'system'].includes(role))
      .map((role) => [{ role, content: 'x' }]),
  ),
  fc.tuple(
    fc.constant('messages'),
    fc.oneof(fc.integer(), fc.boolean(), fc.constant([{ nope: 1 }])).map((content) => [{ role: 'user', content }]),
  ),
  fc.tuple(fc.constant('stream'), notBoolean),
  fc.tuple(fc.constantFrom('temperature', 'top_p'), notNumber),
  fc.tuple(
    fc.constant('stop_sequences'),
    fc.oneof(fc.string({ maxLength: 4 }), fc.array(fc.integer(), { minLength: 1, maxLength: 3 })),
  ),
  fc.tuple(
    fc.constant('tools'),
    fc.oneof(notArray, fc.constant([{ name: 'f' }]), fc.constant([{ name: 'f', input_schema: 'x' }])),
  ),
  fc.tuple(fc.constant('tool_choice'), fc.oneof(notObject, fc.constant({ type: 'tool' }))),
  fc.tuple(fc.constant('metadata'), notObject),
);

function withBroken(valid: Record<string, unknown>, broken: fc.Arbitrary<[string, unknown]>): fc.Arbitrary<string> {
  return broken.map(([field, value]) => JSON.stringify({ ...valid, [field]: value }));
}

/** Bodies that are not a JSON object: random bytes, text, truncated JSON, JSON scalars and arrays. */
export const notAnObject: fc.Arbitrary<string | Uint8Array> = fc.oneof(
  fc.uint8Array({ minLength: 1, maxLength: 512 }).filter((bytes) => !looksLikeObject(Buffer.from(bytes).toString())),
  fc.string({ maxLength: 200 }).filter((text) => !looksLikeObject(text)),
  fc.json().filter((text) => !looksLikeObject(text)),
  fc
    .json({ maxDepth: 3 })
    .map((text) => text.slice(0, Math.max(0, text.length - 1)))
    .filter((text) => !looksLikeObject(text)),
);

/** `{…}` parses as an object: those are made by the field generators instead. */
function looksLikeObject(text: string): boolean {
  try {
    const parsed = JSON.parse(text);
    return parsed !== null && typeof parsed === 'object' && !Array.isArray(parsed);
  } catch {
    return false;
  }
}

export const invalidChatBody = fc.oneof(
  notAnObject,
  withBroken({ model: 'chaos', messages: [message] }, brokenChatField as fc.Arbitrary<[string, unknown]>),
);

export const invalidMessagesBody = fc.oneof(
  notAnObject,
  withBroken({ model: 'chaos', max_tokens: 16, messages: [message] }, brokenMessagesField as fc.Arbitrary<[string, unknown]>),
);

/** Strategy names no router knows, the prototype's own names among them. */
export const unknownStrategy = fc.oneof(
  fc.constantFrom('toString', '__proto__', 'constructor', 'valueOf', 'hasOwnProperty', 'isPrototypeOf', '__defineGetter__'),
  fc.stringMatching(/^[\x21-\x7e]{1,40}$/).filter((name) => !['priority', 'fastest', 'cheapest', 'headroom'].includes(name)),
);

/** Header values a client can send (visible ASCII and spaces, not starting or ending with a space). */
export const headerValue = fc.stringMatching(/^[\x21-\x7e]([\x20-\x7e]{0,60}[\x21-\x7e])?$/);
