// Canonical answers, chunks and errors in Anthropic's Messages format: what the gateway's
// `POST /v1/messages` sends back to an Anthropic-SDK client, whichever provider answered.
// The inverse of anthropic-stream.ts. Formats from docs.anthropic.com/en/api/messages,
// /messages-streaming and /errors. Pure: no I/O, no clocks.
import type { ChatChunk, ChatResponse, FinishReason, Usage } from '../protocol/chat.ts';
import type { SwitchboardError } from '../protocol/errors.ts';
import { ownValue } from '../protocol/own-value.ts';
import { parseArguments, toolUseId } from './anthropic.ts';
import { isObject, statusForType } from './anthropic-stream.ts';

type Json = Record<string, unknown>;

export type StopReason = 'end_turn' | 'max_tokens' | 'tool_use' | 'refusal';

export type MessagesContentBlock =
  | { type: 'text'; text: string }
  | { type: 'tool_use'; id: string; name: string; input: Record<string, unknown> };

export interface MessagesUsage {
  input_tokens: number;
  output_tokens: number;
  cache_read_input_tokens?: number;
}

/** An Anthropic `message` object, as `POST /v1/messages` answers it. */
export interface MessagesResponse {
  id: string;
  type: 'message';
  role: 'assistant';
  model: string;
  content: MessagesContentBlock[];
  stop_reason: StopReason;
  stop_sequence: null;
  usage: MessagesUsage;
}

export interface MessagesErrorBody {
  type: 'error';
  error: { type: string; message: string };
}

export interface MessagesStreamEncoder {
  /** SSE text for one canonical chunk; '' when it carries nothing Anthropic shows. */
  encode(chunk: ChatChunk): string;
  /** The closing events still owed (`message_delta`, `message_stop`); '' once sent. */
  end(usage?: Usage): string;
  /** Anthropic's `event: error`; ends the stream. */
  error(error: SwitchboardError): string;
}

// The inverse of finishReasonFor in anthropic-stream.ts. `stop` stays end_turn even when a stop sequence
// ended the answer: OpenAI does not say which, and stop_sequence must name it.
const stopReasonFor: Readonly<Record<FinishReason, StopReason>> = {
  stop: 'end_turn',
  length: 'max_tokens',
  tool_calls: 'tool_use',
  function_call: 'tool_use',
  content_filter: 'refusal',
};

/** Anthropic's `message` object for a canonical answer; `model` is the name the client asked for. */
export function messagesResponseFromChat(response: ChatResponse, model: string): MessagesResponse {
  const choice = response.choices[0];
  const content: MessagesContentBlock[] = [];
  const text = choice?.message.content || choice?.message.refusal;
  if (text) content.push({ type: 'text', text });
  (choice?.message.tool_calls ?? []).forEach((call, index) => {
    const id = call.id || mintedToolId(response.id, index);
    content.push({ type: 'tool_use', id, name: call.function.name, input: parseArguments(call.function.arguments) });
  });
  return {
    id: messageId(response.id),
    type: 'message',
    role: 'assistant',
    model,
    content,
    // A finish reason outside OpenAI's list (a vendor's own) ended the answer all the same.
    stop_reason: ownValue(stopReasonFor, choice?.finish_reason ?? 'stop') ?? 'end_turn',
    stop_sequence: null,
    usage: messagesUsage(response.usage),
  };
}

function messageId(id: string): string {
  return id.startsWith('msg_') ? id : `msg_${id}`;
}

// Some OpenAI-compatible servers send tool calls without ids; Anthropic clients need one to answer.
function mintedToolId(responseId: string, index: number): string {
  return toolUseId(`toolu_${responseId}_${index}`);
}

// The inverse of usageFor in anthropic-stream.ts: Anthropic's input_tokens excludes cache reads.
function messagesUsage(usage: Usage | null | undefined): MessagesUsage {
  const details = usage?.prompt_tokens_details;
  const cached = isObject(details) && typeof details.cached_tokens === 'number' ? details.cached_tokens : 0;
  return {
    input_tokens: (usage?.prompt_tokens ?? 0) - cached,
    output_tokens: usage?.completion_tokens ?? 0,
    ...(cached > 0 ? { cache_read_input_tokens: cached } : {}),
  };
}

/**
 * Turns canonical chunks into Anthropic's SSE events for `model`. The `message_delta` (stop reason and
 * usage) is held back after the finish chunk until usage arrives, in a later chunk (OpenAI's
 * `include_usage` chunk comes after the finish) or in `end(usage)`.
 */
export function createMessagesStreamEncoder(model: string): MessagesStreamEncoder {
  let id: string | undefined;
  let blocks = 0;
  let open: number | undefined;
  let openTool: number | undefined;
  const toolBlocks = new Map<number, number>();
  let stopReason: StopReason | undefined;
  let usage: Usage | undefined;
  let done = false;

  const start = (chunkId: string, known: Usage | null | undefined) => {
    id = messageId(chunkId);
    const message = { id, type: 'message', role: 'assistant', model, content: [], stop_reason: null, stop_sequence: null };
    return sse({ type: 'message_start', message: { ...message, usage: { ...messagesUsage(known), output_tokens: 0 } } });
  };
  const close = () => {
    if (open === undefined) return '';
    const text = sse({ type: 'content_block_stop', index: open });
    open = openTool = undefined;
    return text;
  };
  const openBlock = (block: Json, tool?: number) => {
    const text = close() + sse({ type: 'content_block_start', index: blocks, content_block: block });
    open = blocks++;
    openTool = tool;
    return text;
  };
  const finish = () => {
    done = true;
    const delta = { stop_reason: stopReason ?? 'end_turn', stop_sequence: null };
    return close() + sse({ type: 'message_delta', delta, usage: messagesUsage(usage) }) + sse({ type: 'message_stop' });
  };

  return {
    encode(chunk) {
      if (done) return '';
      let text = id === undefined ? start(chunk.id, chunk.usage) : '';
      if (chunk.usage) usage = chunk.usage;
      // n > 1 cannot be asked for on this route: only the first choice exists.
      const choice = chunk.choices[0];
      const content = choice?.delta.content || choice?.delta.refusal;
      if (content) {
        if (open === undefined || openTool !== undefined) text += openBlock({ type: 'text', text: '' });
        text += sse({ type: 'content_block_delta', index: open, delta: { type: 'text_delta', text: content } });
      }
      for (const call of choice?.delta.tool_calls ?? []) {
        let index = toolBlocks.get(call.index);
        if (index === undefined) {
          const callId = call.id || mintedToolId(chunk.id, call.index);
          text += openBlock({ type: 'tool_use', id: callId, name: call.function?.name ?? '', input: {} }, call.index);
          index = blocks - 1;
          toolBlocks.set(call.index, index);
        }
        // A fragment for an earlier call (interleaved upstream) still goes to that call's block.
        const json = call.function?.arguments;
        if (json) text += sse({ type: 'content_block_delta', index, delta: { type: 'input_json_delta', partial_json: json } });
      }
      if (choice?.finish_reason) {
        stopReason = ownValue(stopReasonFor, choice.finish_reason) ?? 'end_turn';
        text += close();
      }
      return stopReason !== undefined && usage !== undefined ? text + finish() : text;
    },
    end(final) {
      if (done) return '';
      if (final) usage = final;
      return (id === undefined ? start('', usage) : '') + finish();
    },
    error(error) {
      if (done) return '';
      done = true;
      return sse(anthropicErrorBody(error));
    },
  };
}

// Anthropic frames every event with its type twice: as the SSE event name and inside the data.
function sse<Event extends { type: string }>(data: Event): string {
  return `event: ${data.type}\ndata: ${JSON.stringify(data)}\n\n`;
}

// statusForType in anthropic-stream.ts, inverted: 400 invalid_request_error, 401 authentication_error, …
const typeForStatus: Readonly<Record<number, string>> = Object.fromEntries(
  Object.entries(statusForType).map(([type, status]) => [status, type]),
);

/** Anthropic's error body for a SwitchboardError; the HTTP status to answer with stays `error.status`. */
export function anthropicErrorBody(error: SwitchboardError): MessagesErrorBody {
  return { type: 'error', error: { type: anthropicErrorType(error), message: error.message } };
}

function anthropicErrorType(error: SwitchboardError): string {
  // Upstream 529s arrive here as 503 (failure.ts); to the client both mean "overloaded, retry".
  if (error.status === 503) return 'overloaded_error';
  const known = typeForStatus[error.status];
  if (known) return known;
  if (error.status >= 500) return 'api_error';
  if (error.kind === 'rate-limited') return 'rate_limit_error';
  if (error.kind === 'timeout') return 'timeout_error';
  // Anthropic uses invalid_request_error for 4xx statuses it lists no type for.
  return 'invalid_request_error';
}
