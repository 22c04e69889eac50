// Anthropic's Messages API spoken INBOUND: what the gateway's `POST /v1/messages` calls so that an
// Anthropic-SDK client can be served by any provider. The reverse of anthropic.ts (canonical → Anthropic
// request, Anthropic response → canonical): here an Anthropic request becomes canonical, and canonical
// answers, chunks and errors become Anthropic's. Formats from docs.anthropic.com/en/api/messages,
// /messages-streaming and /errors. Pure: no I/O, no clocks.
import type {
  AssistantMessage,
  ChatChunk,
  ChatMessage,
  ChatRequest,
  ChatResponse,
  ContentPart,
  FinishReason,
  FunctionTool,
  ImagePart,
  TextPart,
  ToolCall,
  ToolChoice,
  ToolMessage,
  Usage,
} from '../protocol/chat.ts';
import { invalidRequest, type SwitchboardError } from '../protocol/errors.ts';
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

/**
 * Validates an Anthropic Messages request body and translates it to the canonical request. Throws
 * SwitchboardError (400, `param` naming the field) for wrong types, and for content that an
 * OpenAI-compatible provider cannot be given (documents, server tools, file-id images).
 */
export function chatRequestFromMessages(body: unknown): ChatRequest {
  if (!isObject(body)) throw invalidRequest('The request body must be a JSON object.', null, 'invalid_type');
  const model = required(body, 'model');
  if (typeof model !== 'string' || model === '') throw invalidType('model', 'a non-empty string');
  const maxTokens = required(body, 'max_tokens');
  if (typeof maxTokens !== 'number' || !Number.isInteger(maxTokens) || maxTokens < 1) {
    throw invalidType('max_tokens', 'a positive integer');
  }
  const messages = required(body, 'messages');
  if (!Array.isArray(messages) || messages.length === 0) throw invalidType('messages', 'a non-empty array');
  const system = body.system == null ? [] : systemMessages(body.system, 'system');
  const request: ChatRequest = { model, messages: [...system, ...messages.flatMap(convertMessage)], max_tokens: maxTokens };
  for (const key of ['temperature', 'top_p'] as const) {
    const value = body[key];
    if (value != null && typeof value !== 'number') throw invalidType(key, 'a number');
    if (typeof value === 'number') request[key] = value;
  }
  const stop = body.stop_sequences;
  if (stop != null && (!Array.isArray(stop) || !stop.every((item) => typeof item === 'string'))) {
    throw invalidType('stop_sequences', 'an array of strings');
  }
  if (Array.isArray(stop) && stop.length > 0) request.stop = stop;
  if (body.stream != null && typeof body.stream !== 'boolean') throw invalidType('stream', 'a boolean');
  // Usage is reported in message_delta, and OpenAI-compatible upstreams only stream it when asked.
  if (body.stream === true) {
    request.stream = true;
    request.stream_options = { include_usage: true };
  }
  if (body.tools != null) request.tools = toolsFrom(body.tools);
  if (body.tool_choice != null) {
    const { choice, parallel } = toolChoiceFrom(body.tool_choice);
    // OpenAI rejects tool_choice without tools.
    if (request.tools && request.tools.length > 0) {
      request.tool_choice = choice;
      if (parallel === false) request.parallel_tool_calls = false;
    }
  }
  if (body.metadata != null) {
    if (!isObject(body.metadata)) throw invalidType('metadata', 'an object');
    const user = body.metadata.user_id;
    if (user != null && typeof user !== 'string') throw invalidType('metadata.user_id', 'a string');
    if (typeof user === 'string') request.user = user;
  }
  // Dropped, having no OpenAI equivalent: top_k, thinking (and thinking blocks in history), service_tier,
  // cache_control on blocks, citations.
  return request;
}

function convertMessage(value: unknown, index: number): ChatMessage[] {
  const at = `messages[${index}]`;
  if (!isObject(value)) throw invalidType(at, 'an object');
  const { role, content } = value;
  if (role !== 'user' && role !== 'assistant' && role !== 'system') throw invalidType(`${at}.role`, "'user' or 'assistant'");
  if (role === 'system') return systemMessages(content, `${at}.content`);
  if (typeof content === 'string') return [{ role, content }];
  if (!Array.isArray(content)) throw invalidType(`${at}.content`, 'a string or an array of content blocks');
  const blocks = content.map((block: unknown, i) => {
    if (!isObject(block) || typeof block.type !== 'string') throw invalidType(`${at}.content[${i}]`, 'a content block');
    return block;
  });
  return role === 'user' ? userMessages(blocks, `${at}.content`) : assistantMessages(blocks, `${at}.content`);
}

// Tool results become `tool` messages ahead of the rest of the turn: OpenAI wants them straight after the
// assistant message that made the calls, and Anthropic puts them first in the user turn for the same reason.
function userMessages(blocks: Json[], at: string): ChatMessage[] {
  const results: ToolMessage[] = [];
  const parts: ContentPart[] = [];
  blocks.forEach((block, i) => {
    if (block.type === 'text') parts.push(textPart(block, `${at}[${i}]`));
    else if (block.type === 'image') parts.push(imagePart(block, `${at}[${i}]`));
    else if (block.type === 'tool_result') results.push(toolMessage(block, `${at}[${i}]`, parts));
    else if (!isThinking(block)) throw unsupportedBlock(block, `${at}[${i}]`);
  });
  return parts.length > 0 ? [...results, { role: 'user', content: compact(parts) }] : results;
}

function assistantMessages(blocks: Json[], at: string): ChatMessage[] {
  const texts: TextPart[] = [];
  const calls: ToolCall[] = [];
  blocks.forEach((block, i) => {
    if (block.type === 'text') texts.push(textPart(block, `${at}[${i}]`));
    else if (block.type === 'tool_use') calls.push(toolCall(block, `${at}[${i}]`));
    else if (!isThinking(block)) throw unsupportedBlock(block, `${at}[${i}]`);
  });
  if (texts.length === 0 && calls.length === 0) return [];
  const message: AssistantMessage = { role: 'assistant', content: texts.length > 0 ? compact(texts) : null };
  if (calls.length > 0) message.tool_calls = calls;
  return [message];
}

// Thinking blocks carry a signature only Anthropic can verify; other providers cannot take them.
function isThinking(block: Json): boolean {
  return block.type === 'thinking' || block.type === 'redacted_thinking';
}

function toolCall(block: Json, at: string): ToolCall {
  if (typeof block.id !== 'string') throw invalidType(`${at}.id`, 'a string');
  if (typeof block.name !== 'string') throw invalidType(`${at}.name`, 'a string');
  if (block.input != null && !isObject(block.input)) throw invalidType(`${at}.input`, 'an object');
  return { id: block.id, type: 'function', function: { name: block.name, arguments: JSON.stringify(block.input ?? {}) } };
}

// OpenAI tool messages hold text only, so images in a result join the user message that follows them.
function toolMessage(block: Json, at: string, images: ContentPart[]): ToolMessage {
  if (typeof block.tool_use_id !== 'string') throw invalidType(`${at}.tool_use_id`, 'a string');
  const content = block.content ?? '';
  let text: string;
  if (typeof content === 'string') text = content;
  else if (Array.isArray(content)) {
    const texts: string[] = [];
    content.forEach((inner: unknown, i) => {
      if (isObject(inner) && inner.type === 'image') images.push(imagePart(inner, `${at}.content[${i}]`));
      else if (isObject(inner) && inner.type !== 'text') throw unsupportedBlock(inner, `${at}.content[${i}]`);
      else texts.push(textPart(inner, `${at}.content[${i}]`).text);
    });
    text = texts.join(separator);
  } else throw invalidType(`${at}.content`, 'a string or an array of content blocks');
  // OpenAI has no is_error: the model learns of the failure from the text.
  return { role: 'tool', tool_call_id: block.tool_use_id, content: block.is_error === true ? `Error: ${text}` : text };
}

const separator = '\n\n';

function systemMessages(value: unknown, at: string): ChatMessage[] {
  let text: string;
  if (typeof value === 'string') text = value;
  else if (Array.isArray(value)) text = value.map((block: unknown, i) => textPart(block, `${at}[${i}]`).text).join(separator);
  else throw invalidType(at, 'a string or an array of text blocks');
  return text.length > 0 ? [{ role: 'system', content: text }] : [];
}

function textPart(block: unknown, at: string): TextPart {
  if (!isObject(block) || block.type !== 'text') throw invalidType(at, 'a text block');
  if (typeof block.text !== 'string') throw invalidType(`${at}.text`, 'a string');
  return { type: 'text', text: block.text };
}

function imagePart(block: Json, at: string): ImagePart {
  const source = block.source;
  if (!isObject(source)) throw invalidType(`${at}.source`, 'an object');
  if (source.type === 'url') {
    if (typeof source.url !== 'string') throw invalidType(`${at}.source.url`, 'a string');
    return { type: 'image_url', image_url: { url: source.url } };
  }
  if (source.type !== 'base64') {
    const message = `Unsupported image source at '${at}.source.type': Switchboard accepts 'base64' and 'url'.`;
    throw invalidRequest(message, `${at}.source.type`, 'invalid_value');
  }
  if (typeof source.media_type !== 'string') throw invalidType(`${at}.source.media_type`, 'a string');
  if (typeof source.data !== 'string') throw invalidType(`${at}.source.data`, 'a string');
  return { type: 'image_url', image_url: { url: `data:${source.media_type};base64,${source.data}` } };
}

// One text part is sent as a plain string, the form every OpenAI-compatible provider accepts.
function compact<Part extends ContentPart>(parts: Part[]): string | Part[] {
  const only = parts.length === 1 ? parts[0] : undefined;
  return only?.type === 'text' ? only.text : parts;
}

function toolsFrom(value: unknown): FunctionTool[] {
  if (!Array.isArray(value)) throw invalidType('tools', 'an array');
  return value.map((tool: unknown, i): FunctionTool => {
    const at = `tools[${i}]`;
    if (!isObject(tool)) throw invalidType(at, 'an object');
    // Server tools (web search, code execution, …) run at Anthropic; no other provider can run them.
    if (tool.type != null && tool.type !== 'custom') {
      const message = `Tool type '${String(tool.type)}' at '${at}.type' runs only at Anthropic; send client tools.`;
      throw invalidRequest(message, `${at}.type`, 'invalid_value');
    }
    if (typeof tool.name !== 'string') throw invalidType(`${at}.name`, 'a string');
    if (!isObject(tool.input_schema)) throw invalidType(`${at}.input_schema`, 'an object');
    return {
      type: 'function',
      function: {
        name: tool.name,
        ...(typeof tool.description === 'string' ? { description: tool.description } : {}),
        parameters: tool.input_schema,
        ...(typeof tool.strict === 'boolean' ? { strict: tool.strict } : {}),
      },
    };
  });
}

function toolChoiceFrom(value: unknown): { choice: ToolChoice; parallel: boolean | undefined } {
  if (!isObject(value)) throw invalidType('tool_choice', 'an object');
  const parallel = value.disable_parallel_tool_use === true ? false : undefined;
  if (value.type === 'auto') return { choice: 'auto', parallel };
  if (value.type === 'any') return { choice: 'required', parallel };
  if (value.type === 'none') return { choice: 'none', parallel: undefined };
  if (value.type !== 'tool') throw invalidType('tool_choice.type', "'auto', 'any', 'tool' or 'none'");
  if (typeof value.name !== 'string') throw invalidType('tool_choice.name', 'a string');
  return { choice: { type: 'function', function: { name: value.name } }, parallel };
}

function required(body: Json, key: string): unknown {
  if (body[key] == null) throw invalidRequest(`Missing required parameter: '${key}'.`, key, 'missing_required_parameter');
  return body[key];
}

function invalidType(param: string, expected: string): SwitchboardError {
  return invalidRequest(`Invalid type for '${param}': expected ${expected}.`, param, 'invalid_type');
}

function unsupportedBlock(block: Json, at: string): SwitchboardError {
  const message = `Content blocks of type '${String(block.type)}' (at '${at}') cannot be sent to other providers.`;
  return invalidRequest(message, `${at}.type`, 'invalid_value');
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
    stop_reason: stopReasonFor[choice?.finish_reason ?? 'stop'],
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
        stopReason = stopReasonFor[choice.finish_reason];
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
function sse(data: { type: string; [field: string]: unknown }): string {
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
