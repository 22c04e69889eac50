// Anthropic's token counting endpoint (`POST /v1/messages/count_tokens`), and an estimate of the
// same count for when no Anthropic deployment can answer. Pure: the tokenizer is passed in.
import type { WireRequest, WireResponse } from './adapter.ts';
import { baseHeaders, type Target } from './adapter.ts';
import { errorFromResponse } from './anthropic.ts';
import { isObject } from './anthropic-stream.ts';
import { answerObject, malformed } from './failure.ts';

/** A Messages body as the Anthropic SDK's `messages.countTokens` sends it (model, messages, system, tools…). */
export type CountTokensBody = Record<string, unknown> & { model: string; messages: unknown[] };

// Fields of a Messages request that count_tokens does not take (it refuses extra inputs).
const messageOnlyFields = new Set([
  'max_tokens',
  'stream',
  'temperature',
  'top_p',
  'top_k',
  'stop_sequences',
  'metadata',
  'service_tier',
]);

export function encodeCountTokens(body: CountTokensBody, target: Target): WireRequest {
  const sent: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(body)) if (!messageOnlyFields.has(key)) sent[key] = value;
  sent.model = target.model;
  return { path: '/messages/count_tokens', headers: baseHeaders(target), body: JSON.stringify(sent) };
}

/** `{ input_tokens }` from Anthropic's answer; throws SwitchboardError for errors and bad bodies. */
export function decodeCountTokens(response: WireResponse, target: Target): number {
  if (response.status !== 200) throw errorFromResponse(response, target.provider);
  const count = answerObject(response.body, target.provider).input_tokens;
  if (typeof count !== 'number' || !Number.isInteger(count) || count < 0) throw malformed(target.provider, 'no input_tokens');
  return count;
}

// Rough costs of what text cannot measure. Anthropic documents an image as about
// width × height / 750 tokens, at most about 1,600 for an image it does not downscale.
const imageTokens = 1600;
const messageOverhead = 3;
const toolOverhead = 10;
/** Beyond this much text the count is extrapolated from the first part, so a 4 MiB body stays cheap. */
const exactChars = 256 * 1024;

/**
 * Estimates the input tokens of a Messages body with an OpenAI tokenizer (`count`): text,
 * tool inputs and results, tool definitions, plus a small overhead per message and tool.
 * Claude's tokenizer differs; the answer is an estimate and is marked as one.
 */
export function estimateCountTokens(body: CountTokensBody, count: (text: string) => number): number {
  const texts: string[] = [];
  let extra = 0;
  const add = (value: unknown): void => {
    if (typeof value === 'string') texts.push(value);
    else if (Array.isArray(value)) for (const block of value) addBlock(block);
  };
  const addBlock = (block: unknown): void => {
    if (!isObject(block)) return;
    if (typeof block.text === 'string') texts.push(block.text);
    if (typeof block.thinking === 'string') texts.push(block.thinking);
    if (block.type === 'image' || (block.type === 'document' && !isObject(block.source))) extra += imageTokens;
    if (block.type === 'document' && isObject(block.source)) {
      if (typeof block.source.data === 'string' && block.source.type === 'text') texts.push(block.source.data);
      else extra += imageTokens;
    }
    if (block.type === 'tool_use') texts.push(String(block.name ?? ''), JSON.stringify(block.input ?? {}));
    if (block.type === 'tool_result') add(block.content);
  };
  add(body.system);
  for (const message of body.messages) {
    extra += messageOverhead;
    if (isObject(message)) add(message.content);
  }
  if (Array.isArray(body.tools)) {
    for (const tool of body.tools) {
      extra += toolOverhead;
      if (isObject(tool))
        texts.push(String(tool.name ?? ''), String(tool.description ?? ''), JSON.stringify(tool.input_schema ?? {}));
    }
  }
  const text = texts.join('\n');
  if (text.length <= exactChars) return count(text) + extra;
  const head = count(text.slice(0, exactChars));
  return Math.round((head * text.length) / exactChars) + extra;
}
