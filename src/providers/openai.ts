// The OpenAI Chat Completions wire protocol, spoken by OpenAI and by every
// OpenAI-compatible vendor (Groq, Together, OpenRouter, Mistral, vLLM, Ollama, …).
import { type ChatChunk, type ChatRequest, type ChatResponse, type ChunkDelta, wireText } from '../protocol/chat.ts';
import type { SwitchboardError } from '../protocol/errors.ts';
import { type Adapter, baseHeaders, type SseEvent, type StreamState, type Target, type WireResponse } from './adapter.ts';
import { answerObject, excerpt, malformed, upstreamError } from './failure.ts';
import { type ChunkFixes, chunkFixes, completeAnswer, fixChunk } from './openai-schema.ts';

/** Per-stream state: the vendor's schema fixes, decided once. */
export interface OpenAIStreamState extends StreamState {
  fixes: ChunkFixes;
}

export const openaiAdapter: Adapter<OpenAIStreamState> = {
  encode(request: ChatRequest, target: Target) {
    return {
      path: '/chat/completions',
      headers: baseHeaders(target),
      body: JSON.stringify({ ...request, model: target.model }),
    };
  },

  decode(response: WireResponse, target: Target): ChatResponse {
    const body = parseAnswer(response, target.provider, 'choices') as Partial<ChatResponse>;
    if (!Array.isArray(body.choices) || body.choices.length === 0) throw malformed(target.provider, 'no choices');
    for (const choice of body.choices) {
      // Mistral leaves out `type` on tool calls.
      for (const call of choice.message?.tool_calls ?? []) call.type ??= 'function';
    }
    completeAnswer(body as ChatResponse, target.quirks);
    return body as ChatResponse;
  },

  startStream(target: Target): OpenAIStreamState {
    return { provider: target.provider, done: false, malformed: 0, fixes: chunkFixes(target.quirks) };
  },

  decodeEvent(event: SseEvent, state: OpenAIStreamState): ChatChunk[] {
    const data = event.data;
    if (data === '[DONE]') {
      state.done = true;
      return [];
    }
    let parsed: (ChatChunk & { error?: unknown }) | undefined;
    try {
      parsed = JSON.parse(data);
    } catch {
      state.malformed += 1;
      return [];
    }
    if (parsed === null || typeof parsed !== 'object') {
      state.malformed += 1;
      return [];
    }
    // Groq ends a failed stream with `event: error`; OpenRouter sends a chunk with a top-level `error`.
    if (event.event === 'error' || parsed.error !== undefined) {
      throw errorFromObject(parsed.error ?? parsed, 502, state.provider);
    }
    if (!Array.isArray(parsed.choices)) {
      state.malformed += 1;
      return [];
    }
    const fixed = state.fixes.nulls || state.fixes.eos;
    if (fixed) fixChunk(parsed, state.fixes);
    let normalized = false;
    for (const choice of parsed.choices) {
      if (choice === null || typeof choice !== 'object') throw malformed(state.provider, "a chunk's choice is not an object");
      // A choice may end with its finish_reason alone (or a null delta); everything after reads its delta.
      if (choice.delta == null) {
        choice.delta = {};
        normalized = true;
      }
      normalized = normalizeDelta(choice.delta) || normalized;
      const wrong = wrongField(choice.delta);
      // Passed on, a delta of the wrong types is a broken answer that looks whole ("[object Object]"
      // arguments, a number dropped as text): the stream fails here and is continued or failed over.
      if (wrong !== undefined) throw malformed(state.provider, `a chunk's ${wrong} has the wrong type`);
    }
    // Unchanged, it can go out as the bytes that came; a data field of several lines cannot (SSE framing).
    if (!fixed && !normalized && !data.includes('\n')) parsed[wireText] = data;
    return [parsed];
  },
};

/**
 * Brings a vendor's delta to OpenAI's shape where clients depend on it: Mistral sends a
 * whole tool call without `index` or `type`, and magistral sends `content` as an array of
 * thinking and text blocks. Everything else passes through untouched. Says whether it changed anything.
 */
function normalizeDelta(delta: ChunkDelta | undefined): boolean {
  if (delta === undefined || delta === null) return false;
  let changed = false;
  const calls = delta.tool_calls;
  if (Array.isArray(calls)) {
    for (const [position, call] of calls.entries()) {
      if (call === null || typeof call !== 'object') continue;
      if (call.index === undefined) {
        call.index = position;
        changed = true;
      }
      if (call.type === undefined && call.id) {
        call.type = 'function';
        changed = true;
      }
    }
  }
  const content: unknown = delta.content;
  if (Array.isArray(content)) {
    delta.content = content
      .filter((part): part is { type: 'text'; text: string } => part?.type === 'text' && typeof part.text === 'string')
      .map((part) => part.text)
      .join('');
    changed = true;
  }
  return changed;
}

// The delta field that is not what OpenAI sends (content a string, tool calls a list of objects
// with string fields), or undefined.
function wrongField(delta: ChunkDelta | undefined): string | undefined {
  if (delta === undefined || delta === null) return undefined;
  if (typeof delta !== 'object') return 'delta';
  if (delta.content != null && typeof delta.content !== 'string') return 'delta.content';
  const calls: unknown = delta.tool_calls;
  if (calls == null) return undefined;
  if (!Array.isArray(calls)) return 'delta.tool_calls';
  for (const call of calls as Array<Record<string, unknown> | null>) {
    if (call === null || typeof call !== 'object') return 'delta.tool_calls';
    const fn = call.function as Record<string, unknown> | null | undefined;
    if (fn === undefined) continue;
    if (fn === null || typeof fn !== 'object') return 'delta.tool_calls.function';
    if (fn.arguments != null && typeof fn.arguments !== 'string') return 'delta.tool_calls.function.arguments';
    if (fn.name != null && typeof fn.name !== 'string') return 'delta.tool_calls.function.name';
  }
  // A call starts with its id and name in one delta; one without the name can never be run.
  for (const call of calls as Array<Record<string, unknown>>) {
    const fn = call.function as Record<string, unknown> | undefined;
    if (typeof call.id === 'string' && call.id !== '' && typeof fn?.name !== 'string') return 'delta.tool_calls.function.name';
  }
  return undefined;
}

/**
 * The prelude every OpenAI-style non-streamed answer shares: an error status, an empty body, bad JSON and
 * an in-band `{"error": …}` that stands in place of `payload` all throw; otherwise the parsed body.
 */
export function parseAnswer(response: WireResponse, provider: string, payload: string): unknown {
  if (response.status !== 200) throw errorFromBody(response.status, response.body, provider);
  const body = answerObject(response.body, provider);
  // OpenRouter can answer 200 with `{"error": …}` and no payload.
  if (body.error !== undefined && body[payload] === undefined) throw errorFromObject(body.error, 502, provider);
  return body;
}

/** Reads an error status and body in any of the OpenAI-compatible envelopes. */
export function errorFromBody(status: number, body: string, provider: string): SwitchboardError {
  let parsed: unknown;
  try {
    parsed = JSON.parse(body);
  } catch {
    // Groq's Envoy 503 is plain text and its Cloudflare 403 is HTML.
    return upstreamError({ status, provider, message: `HTTP ${status}: ${excerpt(body)}` });
  }
  const envelope = parsed as { error?: unknown; detail?: unknown; message?: unknown };
  if (envelope && typeof envelope === 'object' && envelope.error !== undefined) {
    return errorFromObject(envelope.error, status, provider);
  }
  // Mistral `{"object":"error","message":…,"code":"1300"}` or `{"detail":…}`; old Together `{"message":…}`.
  return errorFromObject(envelope, status, provider);
}

function errorFromObject(value: unknown, status: number, provider: string): SwitchboardError {
  if (typeof value === 'string') return upstreamError({ status, provider, message: value });
  const error = (value ?? {}) as Record<string, unknown>;
  // In-stream errors carry their own status: Groq `status_code`, OpenRouter a numeric `code`.
  const numericCode = typeof error.code === 'number' ? error.code : undefined;
  const embedded = typeof error.status_code === 'number' ? error.status_code : numericCode;
  const message =
    typeof error.message === 'string'
      ? error.message
      : typeof error.detail === 'string'
        ? error.detail
        : excerpt(JSON.stringify(value));
  return upstreamError({
    status: embedded !== undefined && embedded >= 400 && embedded <= 599 ? embedded : status,
    provider,
    message,
    code: typeof error.code === 'string' ? error.code : numericCode !== undefined ? String(numericCode) : null,
    type: typeof error.type === 'string' ? error.type : null,
    param: typeof error.param === 'string' ? error.param : null,
  });
}
