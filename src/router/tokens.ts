// How many tokens a chat request puts into a context window, estimated before any call. Two
// answers of different cost: a bound that is free to compute (every BPE token covers at least one
// byte of UTF-8, so the byte count bounds the token count), and a tokenizer count (gpt-tokenizer,
// o200k) taken only when the bound says a window might be too small. Most requests are far
// below every window and never reach the tokenizer.
import type { ChatMessage, ChatRequest } from '../protocol/chat.ts';
import { loadTokenizer } from './count-tokens.ts';

// OpenAI's published accounting for chat: about 3 tokens of framing per message and 3 to prime
// the reply. Other tokenizers differ by some percent; the estimate is a guide, a 400 still moves on.
const perMessage = 3;
const perReply = 3;
// A high-detail 1024×1024 image under OpenAI's tile rule (85 + 170 × 4); providers count images
// their own way, and a data URL's base64 is never text the model reads.
const perImage = 765;
// An audio part: its base64 length says little about its tokens; a minute of speech is some
// hundreds of tokens, so a fixed share keeps such requests from looking free.
const perAudio = 1000;

type Counter = (text: string) => number;

/** What the request asks for as output: `max_completion_tokens`, else `max_tokens`; 0 when neither. */
export function requestedOutputTokens(request: ChatRequest): number {
  const asked = request.max_completion_tokens ?? request.max_tokens;
  return typeof asked === 'number' && Number.isFinite(asked) && asked > 0 ? asked : 0;
}

/** Visits every text a model reads in the request (message contents, names, tool calls, tools) and counts its non-text parts. */
function walk(request: ChatRequest, text: (value: string) => void): { messages: number; images: number; audio: number } {
  let images = 0;
  let audio = 0;
  const messages: readonly ChatMessage[] = Array.isArray(request.messages) ? request.messages : [];
  for (const message of messages) {
    if (message === null || typeof message !== 'object') continue;
    const content: unknown = message.content;
    if (typeof content === 'string') text(content);
    else if (Array.isArray(content)) {
      for (const part of content as unknown[]) {
        if (part === null || typeof part !== 'object') continue;
        const { type, text: partText } = part as { type?: unknown; text?: unknown };
        if (typeof partText === 'string') text(partText);
        else if (type === 'image_url') images += 1;
        else if (type === 'input_audio') audio += 1;
      }
    }
    if ('name' in message && typeof message.name === 'string') text(message.name);
    if (message.role === 'assistant' && Array.isArray(message.tool_calls)) text(JSON.stringify(message.tool_calls));
  }
  if (Array.isArray(request.tools) && request.tools.length > 0) text(JSON.stringify(request.tools));
  if (request.response_format?.type === 'json_schema') text(JSON.stringify(request.response_format.json_schema));
  return { messages: messages.length, images, audio };
}

function fixedTokens(counts: { messages: number; images: number; audio: number }): number {
  return counts.messages * perMessage + perReply + counts.images * perImage + counts.audio * perAudio;
}

/**
 * An upper bound of the request's input tokens that costs no tokenizer: the UTF-8 bytes of its
 * text plus the fixed share of messages, images and audio. The real count is never larger.
 */
export function inputTokenBound(request: ChatRequest): number {
  let bytes = 0;
  const counts = walk(request, (value) => {
    bytes += Buffer.byteLength(value, 'utf8');
  });
  return bytes + fixedTokens(counts);
}

/** The request's input tokens as an OpenAI tokenizer counts them, with `count` from `loadTokenizer()`. */
export function countInputTokens(request: ChatRequest, count: Counter): number {
  let tokens = 0;
  const counts = walk(request, (value) => {
    tokens += count(value);
  });
  return tokens + fixedTokens(counts);
}

/**
 * The request's input tokens, estimated only as far as a decision needs: when the free bound is
 * within `smallestWindow` (the smallest context window to compare with), the bound is returned
 * (it fits everywhere it is compared); otherwise the tokenizer counts. `smallestWindow` of
 * Infinity (no window known) never loads the tokenizer.
 */
export async function estimateInputTokens(
  request: ChatRequest,
  smallestWindow: number,
): Promise<{ tokens: number; counted: boolean }> {
  const bound = inputTokenBound(request);
  if (bound + requestedOutputTokens(request) <= smallestWindow) return { tokens: bound, counted: false };
  const count = await loadTokenizer();
  return { tokens: countInputTokens(request, count), counted: true };
}
