// How a broken stream is continued elsewhere from the text the caller already has: as a prefill
// (the text sent as the assistant's turn, which the provider continues), or, where no prefill is
// taken, by asking for the rest explicitly (the text as the assistant's partial turn, then an
// instruction to go on exactly where it stopped). Either way what comes back is appended: a real
// model rarely says the same thing twice word for word, so a restart cannot be matched.
import { type ChatChunk, type ChatRequest, chunkChanged } from '../protocol/chat.ts';

/** How a continuation attempt picks up from text the caller already has. */
export interface Continuation {
  text: string;
  /** `prefill`: the provider continues a final assistant message; `instruct`: it is asked to. */
  mode: 'prefill' | 'instruct';
}

/** What an `instruct` continuation asks for, after the partial answer. */
export const continueInstruction =
  'Your previous reply was cut off. Continue it exactly where it stopped: reply with only the text that comes next, ' +
  'without repeating any of it, starting over or adding anything before it.';

/** Content an `instruct` continuation is read to before its start is compared with the delivered text. */
export const primeChars = 48;

/** Shortest repeat of the delivered text's end that is taken for an echo and dropped. */
const minimumEcho = 8;

/** The request a continuation sends: the original plus the text so far as the assistant's turn (and the instruction). */
export function continuationRequest(request: ChatRequest, continuation: Continuation | undefined): ChatRequest {
  if (continuation === undefined) return request;
  const partial = { role: 'assistant' as const, content: continuation.text };
  if (continuation.mode === 'prefill') return { ...request, messages: [...request.messages, partial] };
  return { ...request, messages: [...request.messages, partial, { role: 'user', content: continueInstruction }] };
}

/**
 * Models asked to continue sometimes echo the last words they were shown before going on. Drops
 * from the start of `chunks` (in place) the longest beginning of their text, at least
 * `minimumEcho` characters, that the delivered text ends with.
 */
export function dropEcho(delivered: string, chunks: ChatChunk[]): void {
  let text = '';
  for (const chunk of chunks) text += chunk.choices[0]?.delta.content ?? '';
  let echo = 0;
  for (let length = Math.min(text.length, delivered.length, 400); length >= minimumEcho; length -= 1) {
    if (delivered.endsWith(text.slice(0, length))) {
      echo = length;
      break;
    }
  }
  for (const chunk of chunks) {
    if (echo === 0) return;
    const delta = chunk.choices[0]?.delta;
    if (delta === undefined || typeof delta.content !== 'string') continue;
    const cut = Math.min(echo, delta.content.length);
    delta.content = delta.content.slice(cut);
    chunkChanged(chunk);
    echo -= cut;
  }
}
