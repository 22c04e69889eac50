// The Responses API spoken inbound: a `POST /v1/responses` body checked and turned into the
// canonical request, so any provider can answer it. Formats from OpenAI's API reference
// (platform.openai.com/docs/api-reference/responses/create). Pure: no I/O, no clocks; the
// conversation a `previous_response_id` or an `item_reference` points at is looked up by the
// caller and handed in.
import type { ChatMessage, ChatRequest, FunctionTool, ResponseFormat, ToolChoice } from '../protocol/chat.ts';
import { invalidRequest } from '../protocol/errors.ts';
import type { ConversationItem } from '../protocol/responses.ts';
import { appendConversation, type InputItem, inputItems, invalidType, isObject, string } from './responses-items.ts';

type Json = Record<string, unknown>;

export type { InputItem };

/** A checked Responses request, before its conversation is known. */
export interface ResponsesRequest {
  model: string;
  input: InputItem[];
  instructions: string | null;
  previousResponseId: string | null;
  store: boolean;
  stream: boolean;
  /** Tools that only their vendor runs (web_search, file_search, …), by type. */
  builtinTools: string[];
  /** Sampling and format settings, already in canonical form. */
  settings: Partial<ChatRequest>;
  /** The fields a response object echoes back as they were sent. */
  echo: {
    tools: unknown[];
    tool_choice: unknown;
    text: { format: Record<string, unknown> };
    metadata: Record<string, string>;
    temperature: number | null;
    top_p: number | null;
    max_output_tokens: number | null;
    parallel_tool_calls: boolean;
    reasoning: { effort: string | null; summary: string | null };
    user: string | null;
  };
}

// Fields that need state or machinery only OpenAI has; refused rather than silently ignored.
const unsupported: Record<string, string> = {
  background: 'background responses are not supported by Switchboard',
  conversation: 'the Conversations API is not supported by Switchboard; use previous_response_id',
  prompt: 'stored prompts are not supported by Switchboard; send the instructions',
};

/**
 * Checks a Responses request body. Throws SwitchboardError (400, `param` naming the field) for
 * wrong types and for content that only OpenAI can take (file ids, files, unknown item types).
 */
export function parseResponsesRequest(body: unknown): ResponsesRequest {
  if (!isObject(body)) throw invalidRequest('The request body must be a JSON object.', null, 'invalid_type');
  const model = body.model;
  if (model == null) throw invalidRequest("Missing required parameter: 'model'.", 'model', 'missing_required_parameter');
  if (typeof model !== 'string' || model === '') throw invalidType('model', 'a non-empty string');
  for (const [key, reason] of Object.entries(unsupported)) {
    if (body[key] != null && body[key] !== false) throw invalidRequest(`${reason}.`, key, 'unsupported_parameter');
  }
  const input = inputItems(body.input);
  const instructions = optional(body, 'instructions', 'string', 'a string') ?? null;
  const previousResponseId = optional(body, 'previous_response_id', 'string', 'a string') ?? null;
  if (input.length === 0 && previousResponseId === null) {
    throw invalidRequest("Missing required parameter: 'input'.", 'input', 'missing_required_parameter');
  }
  const settings: Partial<ChatRequest> = {};
  const temperature = optional(body, 'temperature', 'number', 'a number');
  const topP = optional(body, 'top_p', 'number', 'a number');
  if (temperature !== undefined) settings.temperature = temperature;
  if (topP !== undefined) settings.top_p = topP;
  const maxOutput = optional(body, 'max_output_tokens', 'number', 'a positive integer');
  if (maxOutput !== undefined) {
    if (!Number.isInteger(maxOutput) || maxOutput < 1) throw invalidType('max_output_tokens', 'a positive integer');
    settings.max_tokens = maxOutput;
  }
  const user = optional(body, 'user', 'string', 'a string') ?? optional(body, 'safety_identifier', 'string', 'a string');
  if (user !== undefined) settings.user = user;
  const reasoning = reasoningFrom(body.reasoning);
  if (reasoning.effort !== null) settings.reasoning_effort = reasoning.effort;
  const { tools: functions, builtins } = toolsFrom(body.tools);
  const builtinTools = builtins.map((tool) => tool.type as string);
  const choice = toolChoiceFrom(body.tool_choice, builtinTools, functions);
  const tools = [...functions, ...builtinSettings(builtins, settings)];
  if (tools.length > 0) settings.tools = tools;
  const parallel = optional(body, 'parallel_tool_calls', 'boolean', 'a boolean');
  // OpenAI rejects tool_choice and parallel_tool_calls without tools.
  if (tools.length > 0) {
    if (choice !== undefined) settings.tool_choice = choice;
    if (parallel !== undefined) settings.parallel_tool_calls = parallel;
  }
  const text = textFrom(body.text);
  if (text.format.type !== 'text') settings.response_format = text.responseFormat;
  const stream = optional(body, 'stream', 'boolean', 'a boolean') ?? false;
  return {
    model,
    input,
    instructions,
    previousResponseId,
    store: optional(body, 'store', 'boolean', 'a boolean') ?? true,
    stream,
    builtinTools,
    settings,
    echo: {
      tools: Array.isArray(body.tools) ? body.tools : [],
      tool_choice: body.tool_choice ?? 'auto',
      text: { format: text.format },
      metadata: metadataFrom(body.metadata),
      temperature: temperature ?? null,
      top_p: topP ?? null,
      max_output_tokens: maxOutput ?? null,
      parallel_tool_calls: parallel ?? true,
      reasoning,
      user: user ?? null,
    },
  };
}

/**
 * The canonical request for a checked Responses request: instructions, then the stored
 * conversation (`history`), then this turn's input with its references resolved.
 */
export function chatRequestFromResponses(request: ResponsesRequest, conversation: ConversationItem[]): ChatRequest {
  const messages: ChatMessage[] = [];
  if (request.instructions) messages.push({ role: 'system', content: request.instructions });
  appendConversation(messages, conversation);
  const chat: ChatRequest = { model: request.model, messages, ...request.settings };
  if (request.stream) {
    chat.stream = true;
    // Usage goes into response.completed; OpenAI-compatible upstreams stream it only when asked.
    chat.stream_options = { include_usage: true };
  }
  return chat;
}

function toolsFrom(value: unknown): { tools: FunctionTool[]; builtins: Json[] } {
  if (value == null) return { tools: [], builtins: [] };
  if (!Array.isArray(value)) throw invalidType('tools', 'an array');
  const tools: FunctionTool[] = [];
  const builtins: Json[] = [];
  value.forEach((tool: unknown, index) => {
    const at = `tools[${index}]`;
    if (!isObject(tool) || typeof tool.type !== 'string') throw invalidType(at, 'a tool object with a type');
    if (tool.type !== 'function') {
      builtins.push(tool);
      return;
    }
    const name = string(tool, 'name', at);
    if (tool.parameters != null && !isObject(tool.parameters)) throw invalidType(`${at}.parameters`, 'an object');
    tools.push({
      type: 'function',
      function: {
        name,
        ...(typeof tool.description === 'string' ? { description: tool.description } : {}),
        ...(isObject(tool.parameters) ? { parameters: tool.parameters } : {}),
        ...(typeof tool.strict === 'boolean' ? { strict: tool.strict } : {}),
      },
    });
  });
  return { tools, builtins };
}

const webSearch = new Set(['web_search', 'web_search_preview']);

/**
 * Built-in tools, for the providers that declared they run them: web search becomes Chat
 * Completions' `web_search_options`; the others are passed on in `tools` as they came.
 */
function builtinSettings(builtins: Json[], settings: Partial<ChatRequest>): FunctionTool[] {
  const search = builtins.find((tool) => webSearch.has(tool.type as string));
  if (search) {
    const { user_location: location, search_context_size: size } = search;
    settings.web_search_options = {
      ...(location != null && { user_location: location }),
      ...(size != null && { search_context_size: size }),
    };
  }
  // Not function tools, but the canonical request carries them to a provider that said it takes them.
  return builtins.filter((tool) => !webSearch.has(tool.type as string)) as unknown as FunctionTool[];
}

function toolChoiceFrom(value: unknown, builtinTools: string[], tools: FunctionTool[]): ToolChoice | undefined {
  if (value == null) return undefined;
  if (value === 'none' || value === 'auto' || value === 'required') return value;
  if (!isObject(value) || typeof value.type !== 'string')
    throw invalidType('tool_choice', "'none', 'auto', 'required' or an object");
  if (value.type === 'function') return { type: 'function', function: { name: string(value, 'name', 'tool_choice') } };
  if (value.type === 'allowed_tools') {
    // Portable form: only the allowed function tools are sent, under the mode asked for.
    if (value.mode !== 'auto' && value.mode !== 'required') throw invalidType('tool_choice.mode', "'auto' or 'required'");
    if (!Array.isArray(value.tools)) throw invalidType('tool_choice.tools', 'an array');
    const allowed = new Set(
      value.tools.map((tool: unknown) => (isObject(tool) && tool.type === 'function' ? tool.name : undefined)),
    );
    const kept = tools.filter((tool) => allowed.has(tool.function.name));
    tools.splice(0, tools.length, ...kept);
    return value.mode;
  }
  // A built-in tool forced by type: the request needs a provider that runs it.
  if (!builtinTools.includes(value.type)) builtinTools.push(value.type);
  return undefined;
}

function textFrom(value: unknown): { format: Record<string, unknown>; responseFormat?: ResponseFormat } {
  if (value == null) return { format: { type: 'text' } };
  if (!isObject(value)) throw invalidType('text', 'an object');
  const format = value.format;
  if (format == null) return { format: { type: 'text' } };
  if (!isObject(format)) throw invalidType('text.format', 'an object');
  if (format.type === 'text') return { format: { type: 'text' } };
  if (format.type === 'json_object') return { format: { type: 'json_object' }, responseFormat: { type: 'json_object' } };
  if (format.type !== 'json_schema') throw invalidType('text.format.type', "'text', 'json_object' or 'json_schema'");
  const name = string(format, 'name', 'text.format');
  if (!isObject(format.schema)) throw invalidType('text.format.schema', 'an object');
  const strict = typeof format.strict === 'boolean' ? { strict: format.strict } : {};
  const description = typeof format.description === 'string' ? { description: format.description } : {};
  return {
    format: { type: 'json_schema', name, schema: format.schema, ...description, ...strict },
    responseFormat: { type: 'json_schema', json_schema: { name, schema: format.schema, ...description, ...strict } },
  };
}

function reasoningFrom(value: unknown): { effort: string | null; summary: string | null } {
  if (value == null) return { effort: null, summary: null };
  if (!isObject(value)) throw invalidType('reasoning', 'an object');
  const effort = value.effort ?? null;
  if (effort !== null && typeof effort !== 'string') throw invalidType('reasoning.effort', 'a string');
  // Chat Completions has `reasoning_effort` and no summaries.
  return { effort, summary: null };
}

// OpenAI's limits on metadata: 16 pairs, keys up to 64 characters, values up to 512. They also
// bound what a stored response keeps and what an error may quote of it.
const maxMetadataPairs = 16;
const maxMetadataKeyLength = 64;
const maxMetadataValueLength = 512;

function metadataFrom(value: unknown): Record<string, string> {
  if (value == null) return {};
  if (!isObject(value)) throw invalidType('metadata', 'an object of strings');
  const entries = Object.entries(value);
  if (entries.length > maxMetadataPairs) {
    throw invalidRequest(`Invalid 'metadata': at most ${maxMetadataPairs} pairs.`, 'metadata', 'invalid_value');
  }
  for (const [key, entry] of entries) {
    if (key.length > maxMetadataKeyLength) {
      throw invalidRequest(
        `Invalid 'metadata': keys are at most ${maxMetadataKeyLength} characters.`,
        'metadata',
        'invalid_value',
      );
    }
    if (typeof entry !== 'string') throw invalidType(`metadata.${key}`, 'a string');
    if (entry.length > maxMetadataValueLength) {
      throw invalidRequest(
        `Invalid 'metadata.${key}': values are at most ${maxMetadataValueLength} characters.`,
        `metadata.${key}`,
        'invalid_value',
      );
    }
  }
  return value as Record<string, string>;
}

function optional<Kind extends 'string' | 'number' | 'boolean'>(
  body: Json,
  key: string,
  kind: Kind,
  expected: string,
): (Kind extends 'string' ? string : Kind extends 'number' ? number : boolean) | undefined {
  const value = body[key];
  if (value == null) return undefined;
  if (typeof value !== kind) throw invalidType(key, expected);
  return value as never;
}
