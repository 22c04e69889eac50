// The streamed half of the Anthropic adapter, and the response vocabulary (stop reasons,
// usage, error envelopes) that it shares with `decode` in anthropic.ts.
// Event flow (docs.anthropic.com/en/api/messages-streaming): message_start, then per content block
// content_block_start / content_block_delta… / content_block_stop, then message_delta (stop reason and
// cumulative usage) and message_stop; `ping` may come anywhere, `error` replaces the rest of the stream.
import type { ChatChunk, ChatRequest, ChunkDelta, FinishReason, Usage } from '../protocol/chat.ts';
import type { SwitchboardError } from '../protocol/errors.ts';
import { ownValue } from '../protocol/own-value.ts';
import type { SseEvent, StreamState, Target } from './adapter.ts';
import { excerpt, malformed, upstreamError } from './failure.ts';

/** Token counts as Anthropic reports them; `message_delta` repeats them cumulatively. */
export interface AnthropicUsage {
  input_tokens?: number;
  output_tokens?: number;
  cache_creation_input_tokens?: number | null;
  cache_read_input_tokens?: number | null;
}

export interface AnthropicStreamState extends StreamState {
  /** From `message_start`; chunks before it (there should be none) carry ''. */
  id: string;
  /** The model Anthropic reports, or the requested one until `message_start` says. */
  model: string;
  /** Seconds since the epoch for every chunk. Adapters cannot read clocks, so 0 unless the caller sets it. */
  created: number;
  /** The request asked `stream_options.include_usage`: a `choices: []` usage chunk follows `message_stop`. */
  includeUsage: boolean;
  /** OpenAI tool-call index of each `tool_use` content block, by Anthropic block index. */
  toolIndexes: Record<number, number>;
  toolCount: number;
  usage: AnthropicUsage;
}

export function startAnthropicStream(target: Target, request: ChatRequest): AnthropicStreamState {
  return {
    provider: target.provider,
    done: false,
    malformed: 0,
    id: '',
    model: target.model,
    created: 0,
    includeUsage: request.stream_options?.include_usage === true,
    toolIndexes: {},
    toolCount: 0,
    usage: {},
  };
}

type Json = Record<string, unknown>;

export function decodeAnthropicEvent(event: SseEvent, state: AnthropicStreamState): ChatChunk[] {
  let data: unknown;
  try {
    // JSON whitespace rules cover Anthropic's irregular spacing: `{"type": "ping"}` and the padding some
    // data lines carry before their closing brace (`{"type":"message_stop"         }`).
    data = JSON.parse(event.data);
  } catch {
    state.malformed += 1;
    return [];
  }
  if (!isObject(data)) {
    state.malformed += 1;
    return [];
  }
  const type = typeof data.type === 'string' ? data.type : event.event;
  if (type === 'error' || event.event === 'error') throw errorFromAnthropic(data, undefined, state.provider);
  switch (type) {
    case 'message_start': {
      const message = isObject(data.message) ? data.message : {};
      if (typeof message.id === 'string') state.id = message.id;
      if (typeof message.model === 'string') state.model = message.model;
      mergeUsage(state.usage, message.usage);
      return [chunk(state, { role: 'assistant', content: '' })];
    }
    case 'content_block_start':
      return blockStart(data, state);
    case 'content_block_delta':
      return blockDelta(data, state);
    case 'message_delta': {
      mergeUsage(state.usage, data.usage);
      const delta = isObject(data.delta) ? data.delta : {};
      return typeof delta.stop_reason === 'string' ? [chunk(state, {}, finishReasonFor(delta.stop_reason))] : [];
    }
    case 'message_stop':
      state.done = true;
      if (!state.includeUsage) return [];
      return [{ ...chunk(state, {}), choices: [], usage: usageFor(state.usage) }];
    default:
      // `ping`, `content_block_stop`, and event types Anthropic may add under its versioning policy.
      return [];
  }
}

function blockStart(data: Json, state: AnthropicStreamState): ChatChunk[] {
  const block = isObject(data.content_block) ? data.content_block : {};
  if (block.type === 'tool_use') {
    // A call without its name, id or place cannot be run or answered: the stream is broken, not done.
    if (typeof data.index !== 'number' || typeof block.id !== 'string' || typeof block.name !== 'string') {
      throw malformed(state.provider, 'a tool_use block without its index, id or name');
    }
    const index = state.toolCount;
    state.toolCount += 1;
    state.toolIndexes[data.index] = index;
    const call = {
      index,
      id: block.id,
      type: 'function' as const,
      function: { name: block.name, arguments: '' },
    };
    return [chunk(state, { tool_calls: [call] })];
  }
  if (block.type === 'text' && typeof block.text === 'string' && block.text.length > 0) {
    return [chunk(state, { content: block.text })];
  }
  // `thinking` and `redacted_thinking` blocks have no place in the canonical format.
  return [];
}

function blockDelta(data: Json, state: AnthropicStreamState): ChatChunk[] {
  const delta = isObject(data.delta) ? data.delta : {};
  // Dropped, a fragment of the wrong type would leave a hole in an answer that ends as complete.
  if (
    (delta.type === 'text_delta' && typeof delta.text !== 'string') ||
    (delta.type === 'input_json_delta' && typeof delta.partial_json !== 'string')
  ) {
    throw malformed(state.provider, `a ${delta.type} whose fragment is not a string`);
  }
  if (delta.type === 'text_delta' && typeof delta.text === 'string') {
    return delta.text.length > 0 ? [chunk(state, { content: delta.text })] : [];
  }
  if (delta.type === 'input_json_delta' && typeof delta.partial_json === 'string') {
    // The first fragment is always "": nothing to tell the client yet.
    if (delta.partial_json.length === 0) return [];
    const index = typeof data.index === 'number' ? state.toolIndexes[data.index] : undefined;
    if (index === undefined) {
      state.malformed += 1;
      return [];
    }
    return [chunk(state, { tool_calls: [{ index, function: { arguments: delta.partial_json } }] })];
  }
  // `thinking_delta`, `signature_delta`, `citations_delta`.
  return [];
}

function chunk(state: AnthropicStreamState, delta: ChunkDelta, finishReason: FinishReason | null = null): ChatChunk {
  return {
    id: state.id,
    object: 'chat.completion.chunk',
    created: state.created,
    model: state.model,
    choices: [{ index: 0, delta, finish_reason: finishReason }],
  };
}

function mergeUsage(usage: AnthropicUsage, update: unknown): void {
  if (!isObject(update)) return;
  for (const key of ['input_tokens', 'output_tokens', 'cache_creation_input_tokens', 'cache_read_input_tokens'] as const) {
    const value = update[key];
    if (typeof value === 'number') usage[key] = value;
  }
}

/** Anthropic `stop_reason` → OpenAI `finish_reason`. */
export function finishReasonFor(stopReason: string | null | undefined): FinishReason | null {
  switch (stopReason) {
    case null:
    case undefined:
      return null;
    case 'max_tokens':
    case 'model_context_window_exceeded':
      return 'length';
    case 'tool_use':
      return 'tool_calls';
    case 'refusal':
      return 'content_filter';
    default:
      // end_turn, stop_sequence, pause_turn and reasons added later.
      return 'stop';
  }
}

/** Anthropic usage → OpenAI usage. Cache reads and writes are input too, so they count toward prompt_tokens. */
export function usageFor(usage: AnthropicUsage): Usage {
  const cacheRead = usage.cache_read_input_tokens ?? 0;
  const promptTokens = (usage.input_tokens ?? 0) + (usage.cache_creation_input_tokens ?? 0) + cacheRead;
  const completionTokens = usage.output_tokens ?? 0;
  return {
    prompt_tokens: promptTokens,
    completion_tokens: completionTokens,
    total_tokens: promptTokens + completionTokens,
    ...(cacheRead > 0 ? { prompt_tokens_details: { cached_tokens: cacheRead } } : {}),
  };
}

// docs.anthropic.com/en/api/errors; used for errors that arrive without an HTTP status (in a stream).
export const statusForType: Readonly<Record<string, number>> = {
  invalid_request_error: 400,
  authentication_error: 401,
  billing_error: 402,
  permission_error: 403,
  not_found_error: 404,
  request_too_large: 413,
  rate_limit_error: 429,
  api_error: 500,
  timeout_error: 504,
  overloaded_error: 529,
};

// Overflow text a status cannot tell apart: "prompt is too long: 200251 tokens > 200000 maximum" and
// "input length and `max_tokens` exceed context limit: 188240 + 21333 > 200000, …".
const contextOverflow = /prompt is too long|exceed context limit/i;

/**
 * Reads Anthropic's `{type: 'error', error: {type, message}, request_id}` envelope (or the bare `error`
 * object). `status` is the HTTP status when there was one; in a stream the error type decides it.
 */
export function errorFromAnthropic(
  value: unknown,
  status: number | undefined,
  provider: string,
  retryAfterMs?: number,
): SwitchboardError {
  const envelope = isObject(value) ? value : {};
  const error = isObject(envelope.error) ? envelope.error : envelope;
  const type = typeof error.type === 'string' && error.type !== 'error' ? error.type : null;
  const message = typeof error.message === 'string' ? error.message : excerpt(JSON.stringify(value) ?? '');
  const details = isObject(error.details) ? error.details : {};
  // Codes are OpenAI's where the meaning is the same, so OpenAI clients recognise them: a spend cap is a
  // 429 that waiting will not clear (OpenAI's `insufficient_quota`); overflow is `context_length_exceeded`.
  let code: string | null = typeof details.error_code === 'string' ? details.error_code : null;
  if (code === 'enforced_spend_limit_reached') code = 'insufficient_quota';
  else if (contextOverflow.test(message)) code = 'context_length_exceeded';
  return upstreamError(
    { status: status ?? (type ? ownValue(statusForType, type) : undefined) ?? 502, provider, message, code, type },
    retryAfterMs,
  );
}

export function isObject(value: unknown): value is Json {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}
