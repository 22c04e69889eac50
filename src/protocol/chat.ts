// The canonical wire format inside Switchboard: OpenAI Chat Completions.
// Field names are OpenAI's own (snake_case) so bodies pass through untouched.
// Unknown fields are allowed on purpose: providers add their own (`x_groq`, `provider`, …)
// and callers send vendor extensions that an OpenAI-compatible upstream understands.

export interface TextPart {
  type: 'text';
  text: string;
}

export interface ImagePart {
  type: 'image_url';
  image_url: { url: string; detail?: 'auto' | 'low' | 'high' };
}

export type ContentPart = TextPart | ImagePart;

export interface ToolCall {
  id: string;
  type: 'function';
  function: { name: string; arguments: string };
}

export interface SystemMessage {
  role: 'system' | 'developer';
  content: string | TextPart[];
  name?: string;
}

export interface UserMessage {
  role: 'user';
  content: string | ContentPart[];
  name?: string;
}

export interface AssistantMessage {
  role: 'assistant';
  content?: string | TextPart[] | null;
  tool_calls?: ToolCall[];
  name?: string;
  refusal?: string | null;
}

export interface ToolMessage {
  role: 'tool';
  content: string | TextPart[];
  tool_call_id: string;
}

export type ChatMessage = SystemMessage | UserMessage | AssistantMessage | ToolMessage;

export interface FunctionTool {
  type: 'function';
  function: { name: string; description?: string; parameters?: Record<string, unknown>; strict?: boolean };
}

export type ToolChoice = 'none' | 'auto' | 'required' | { type: 'function'; function: { name: string } };

export type ResponseFormat =
  | { type: 'text' }
  | { type: 'json_object' }
  | { type: 'json_schema'; json_schema: { name: string; schema?: Record<string, unknown>; strict?: boolean } };

export interface ChatRequest {
  model: string;
  messages: ChatMessage[];
  stream?: boolean;
  stream_options?: { include_usage?: boolean } | null;
  max_tokens?: number | null;
  max_completion_tokens?: number | null;
  temperature?: number | null;
  top_p?: number | null;
  stop?: string | string[] | null;
  n?: number | null;
  seed?: number | null;
  presence_penalty?: number | null;
  frequency_penalty?: number | null;
  tools?: FunctionTool[];
  tool_choice?: ToolChoice;
  parallel_tool_calls?: boolean;
  response_format?: ResponseFormat;
  user?: string;
  [extension: string]: unknown;
}

export type FinishReason = 'stop' | 'length' | 'tool_calls' | 'content_filter' | 'function_call';

export interface Usage {
  prompt_tokens: number;
  completion_tokens: number;
  total_tokens: number;
  [extension: string]: unknown;
}

export interface Choice {
  index: number;
  message: { role: 'assistant'; content: string | null; tool_calls?: ToolCall[]; refusal?: string | null };
  finish_reason: FinishReason | null;
  logprobs?: unknown;
  [extension: string]: unknown;
}

export interface ChatResponse {
  id: string;
  object: 'chat.completion';
  created: number;
  model: string;
  choices: Choice[];
  usage?: Usage;
  system_fingerprint?: string | null;
  [extension: string]: unknown;
}

export interface ToolCallDelta {
  index: number;
  id?: string;
  type?: 'function';
  function?: { name?: string; arguments?: string };
}

export interface ChunkDelta {
  role?: 'assistant';
  content?: string | null;
  tool_calls?: ToolCallDelta[];
  refusal?: string | null;
  [extension: string]: unknown;
}

export interface ChunkChoice {
  index: number;
  delta: ChunkDelta;
  finish_reason: FinishReason | null;
  logprobs?: unknown;
  [extension: string]: unknown;
}

export interface ChatChunk {
  id: string;
  object: 'chat.completion.chunk';
  created: number;
  model: string;
  choices: ChunkChoice[];
  usage?: Usage | null;
  /** The JSON text the chunk was decoded from, while the chunk is exactly that text (see `wireText`). */
  [wireText]?: string | undefined;
  [extension: string]: unknown;
}

/**
 * Where a decoded chunk keeps the JSON text it came as, while decoding changed nothing: an
 * OpenAI-dialect stream writes that text out as it came instead of serialising the chunk again.
 * Whoever changes a chunk after decoding it (a renamed model, a summed usage, a recovered stream's
 * id) calls `chunkChanged`. A symbol, so JSON.stringify and object spreads never carry it. (A
 * WeakMap beside the chunks cost 3 % of a stream's CPU in its set() alone, and more in GC.)
 */
export const wireText: unique symbol = Symbol('switchboard.wireText');

/** `chunk` no longer matches the text it came as. */
export function chunkChanged(chunk: ChatChunk): void {
  if (chunk[wireText] !== undefined) chunk[wireText] = undefined;
}

/** True when a chunk carries something the caller sees: text, a tool call, a refusal or a finish. */
export function hasContent(chunk: ChatChunk): boolean {
  for (const choice of chunk.choices) {
    const delta = choice.delta;
    if (choice.finish_reason) return true;
    if (typeof delta.content === 'string' && delta.content.length > 0) return true;
    if (delta.tool_calls && delta.tool_calls.length > 0) return true;
    if (typeof delta.refusal === 'string' && delta.refusal.length > 0) return true;
  }
  return false;
}
