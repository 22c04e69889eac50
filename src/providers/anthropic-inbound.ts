// Anthropic's Messages API spoken INBOUND: what the gateway's `POST /v1/messages` calls so that an
// Anthropic-SDK client can be served by any provider. The reverse of anthropic.ts (canonical → Anthropic
// request, Anthropic response → canonical): here an Anthropic request becomes canonical, and canonical
// answers, chunks and errors become Anthropic's. Formats from docs.anthropic.com/en/api/messages,
// /messages-streaming and /errors. Pure: no I/O, no clocks.
import type {
  AssistantMessage,
  ChatMessage,
  ChatRequest,
  ContentPart,
  FunctionTool,
  ImagePart,
  TextPart,
  ToolCall,
  ToolChoice,
  ToolMessage,
} from '../protocol/chat.ts';
import { invalidRequest, type SwitchboardError } from '../protocol/errors.ts';
import { isObject } from './anthropic-stream.ts';

type Json = Record<string, unknown>;
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
  // `system` turns are in the SDK's MessageParam (SystemMessageParam); they stay where they are.
  if (role !== 'user' && role !== 'assistant' && role !== 'system') {
    throw invalidType(`${at}.role`, "'user', 'assistant' or 'system'");
  }
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
  const message = `Unsupported content block at '${at}.type': '${String(block.type)}' blocks cannot be sent to other providers.`;
  return invalidRequest(message, `${at}.type`, 'invalid_value');
}
