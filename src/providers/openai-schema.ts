// Answers kept to OpenAI's published schema (openai/openai-openapi) whatever an OpenAI-compatible
// vendor sent: a required nullable field that is missing becomes null, a null where the schema
// allows none is dropped, and nothing is invented. A whole answer is fixed every time (it costs a
// loop over its choices); a stream chunk only for vendors whose preset names the quirk.
import type { ChatChunk, ChatResponse } from '../protocol/chat.ts';
import type { Quirk } from './presets.ts';

/**
 * CreateChatCompletionResponse requires `choices[].logprobs`, `message.content` and
 * `message.refusal` (all nullable), and types `message.tool_calls` and `system_fingerprint`
 * without null. Seen: Groq, Together and Mistral leave out `refusal`; Groq and Mistral leave out
 * `content` beside tool calls; Mistral and OpenAI's own recordings leave out `logprobs`; Mistral
 * sends `tool_calls: null`; OpenAI sends `system_fingerprint: null`.
 */
export function completeAnswer(body: ChatResponse, quirks: readonly Quirk[] | undefined): void {
  if (body.system_fingerprint === null) delete body.system_fingerprint;
  const eos = quirks?.includes('eos') === true;
  for (const choice of body.choices) {
    if (choice.logprobs === undefined) choice.logprobs = null;
    if (eos && (choice.finish_reason as string) === 'eos') choice.finish_reason = 'stop';
    const message = choice.message;
    if (message === null || typeof message !== 'object') continue;
    if (message.content === undefined) message.content = null;
    if (message.refusal === undefined) message.refusal = null;
    if ((message.tool_calls as unknown) === null) delete message.tool_calls;
  }
}

/** Per-stream switches, read once from the target's quirks. */
export interface ChunkFixes {
  nulls: boolean;
  eos: boolean;
}

export function chunkFixes(quirks: readonly Quirk[] | undefined): ChunkFixes {
  return { nulls: quirks?.includes('stream-nulls') === true, eos: quirks?.includes('eos') === true };
}

/**
 * ChatCompletionStreamResponseDelta types `role` and `tool_calls` without null, and a tool call
 * chunk's `id`, `type` and `function.name`/`arguments` likewise; Together sends null for each.
 */
export function fixChunk(chunk: ChatChunk, fixes: ChunkFixes): void {
  for (const choice of chunk.choices) {
    if (fixes.eos && (choice.finish_reason as string) === 'eos') choice.finish_reason = 'stop';
    const delta = choice.delta as Record<string, unknown> | null | undefined;
    if (!fixes.nulls || delta === null || delta === undefined) continue;
    if (delta.role === null) delete delta.role;
    if (delta.tool_calls === null) delete delta.tool_calls;
    if (Array.isArray(delta.tool_calls)) {
      for (const call of delta.tool_calls as Array<Record<string, unknown>>) {
        if (call.id === null) delete call.id;
        if (call.type === null) delete call.type;
        const fn = call.function as Record<string, unknown> | null | undefined;
        if (fn === null) delete call.function;
        else if (fn !== undefined) {
          if (fn.name === null) delete fn.name;
          if (fn.arguments === null) delete fn.arguments;
        }
      }
    }
  }
}
