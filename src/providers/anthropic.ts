// Anthropic's Messages API (`POST /v1/messages`), translated to and from the canonical OpenAI format.
// Request rules from docs.anthropic.com/en/api/messages: system text is a top-level field, turns
// alternate user/assistant, `max_tokens` is required, tool results travel in user turns.
import type {
  AssistantMessage,
  ChatMessage,
  ChatRequest,
  ChatResponse,
  ContentPart,
  FunctionTool,
  ResponseFormat,
  TextPart,
  ToolCall,
  ToolChoice,
} from '../protocol/chat.ts';
import { invalidRequest, type SwitchboardError } from '../protocol/errors.ts';
import { type Adapter, baseHeaders, type Target, type WireRequest, type WireResponse } from './adapter.ts';
import {
  type AnthropicStreamState,
  type AnthropicUsage,
  decodeAnthropicEvent,
  errorFromAnthropic,
  finishReasonFor,
  isObject,
  startAnthropicStream,
  usageFor,
} from './anthropic-stream.ts';
import { answerObject, excerpt, malformed, upstreamError } from './failure.ts';
import { parseRetryAfter } from './rate-limit.ts';

export type { AnthropicStreamState } from './anthropic-stream.ts';

type Block = Record<string, unknown>;

interface Turn {
  role: 'user' | 'assistant';
  content: Block[];
}

export const anthropicAdapter: Adapter<AnthropicStreamState> = {
  encode: encodeAnthropic,
  decode: decodeAnthropic,
  startStream: startAnthropicStream,
  decodeEvent: decodeAnthropicEvent,
};

/** Builds `POST /messages` for a canonical request; throws SwitchboardError (400) for what Anthropic cannot express. */
export function encodeAnthropic(request: ChatRequest, target: Target): WireRequest {
  if (typeof request.n === 'number' && request.n > 1) {
    throw invalidRequest('n > 1 is not supported by Anthropic models', 'n');
  }
  const { system, turns } = convertMessages(request.messages);
  const hint = formatHint(request.response_format);
  if (hint) system.push(hint);
  const body: Record<string, unknown> = {
    model: target.model,
    max_tokens: request.max_completion_tokens ?? request.max_tokens ?? target.defaultMaxTokens,
    messages: turns.map(compact),
  };
  if (system.length > 0) body.system = system.join('\n\n');
  if (request.stop != null) body.stop_sequences = typeof request.stop === 'string' ? [request.stop] : request.stop;
  // Anthropic's temperature range is 0–1 where OpenAI's is 0–2; above 1 it answers 400, which would
  // end the request without failover, so the most random setting it accepts stands in.
  if (request.temperature != null) body.temperature = Math.min(request.temperature, 1);
  if (request.top_p != null) body.top_p = request.top_p;
  if (request.user) body.metadata = { user_id: request.user };
  if (request.stream) body.stream = true;
  if (request.tools && request.tools.length > 0) {
    body.tools = request.tools.map(toolFor);
    const choice = toolChoiceFor(request.tool_choice, request.parallel_tool_calls);
    if (choice) body.tool_choice = choice;
  }
  // Dropped, having no Anthropic equivalent: seed, presence_penalty, frequency_penalty, logprobs, stream_options.
  return { path: '/messages', headers: baseHeaders(target), body: JSON.stringify(body) };
}

function convertMessages(messages: ChatMessage[]): { system: string[]; turns: Turn[] } {
  const system: string[] = [];
  const turns: Turn[] = [];
  messages.forEach((message, index) => {
    if (message.role === 'system' || message.role === 'developer') {
      const text = textOf(message.content);
      if (text) system.push(text);
      return;
    }
    const role = message.role === 'assistant' ? 'assistant' : 'user';
    const blocks =
      message.role === 'assistant'
        ? assistantBlocks(message)
        : message.role === 'tool'
          ? [{ type: 'tool_result', tool_use_id: toolUseId(message.tool_call_id), content: textOf(message.content) }]
          : userBlocks(message.content, index);
    if (blocks.length === 0) return;
    // Anthropic wants alternating turns: a tool result followed by a user message is one user turn.
    const last = turns.at(-1);
    if (last?.role === role) last.content.push(...blocks);
    else turns.push({ role, content: blocks });
  });
  trimFinalAssistant(turns);
  return { system, turns };
}

function userBlocks(content: string | ContentPart[], index: number): Block[] {
  if (typeof content === 'string') return textBlocks(content);
  return content.flatMap((part): Block[] =>
    part.type === 'image_url' ? [{ type: 'image', source: imageSource(part.image_url.url, index) }] : textBlocks(part.text),
  );
}

function assistantBlocks(message: AssistantMessage): Block[] {
  const blocks = message.content == null ? [] : textBlocks(textOf(message.content));
  for (const call of message.tool_calls ?? []) {
    blocks.push({
      type: 'tool_use',
      id: toolUseId(call.id),
      name: call.function.name,
      input: parseArguments(call.function.arguments),
    });
  }
  return blocks;
}

// Anthropic rejects empty text blocks ("text content blocks must be non-empty").
function textBlocks(text: string): Block[] {
  return text.length > 0 ? [{ type: 'text', text }] : [];
}

function textOf(content: string | TextPart[]): string {
  return typeof content === 'string' ? content : content.map((part) => part.text).join('');
}

const dataUrl = /^data:([^;,]+);base64,(.*)$/s;

function imageSource(url: string, index: number): Block {
  const data = dataUrl.exec(url);
  if (data) return { type: 'base64', media_type: data[1], data: data[2] };
  if (/^https?:\/\//i.test(url)) return { type: 'url', url };
  throw invalidRequest('image_url must be an http(s) URL or a base64 data URL', `messages[${index}].content`);
}

// Anthropic tool_use ids must match ^[a-zA-Z0-9_-]+$; ids minted by other providers may not.
export function toolUseId(id: string): string {
  return id.replace(/[^a-zA-Z0-9_-]/g, '_');
}

// `input` must be an object; arguments a model streamed badly are sent as `{}` rather than failing the turn.
export function parseArguments(text: string): Record<string, unknown> {
  try {
    const parsed: unknown = JSON.parse(text);
    return isObject(parsed) ? parsed : {};
  } catch {
    return {};
  }
}

// A final assistant turn is a prefill, and Anthropic answers 400 when it ends in whitespace
// ("final assistant content cannot end with trailing whitespace").
function trimFinalAssistant(turns: Turn[]): void {
  const last = turns.at(-1);
  const block = last?.role === 'assistant' ? last.content.at(-1) : undefined;
  if (!last || block?.type !== 'text' || typeof block.text !== 'string') return;
  const text = block.text.trimEnd();
  if (text.length > 0) block.text = text;
  else last.content.pop();
  if (last.content.length === 0) turns.pop();
}

// One text block is sent as a plain string, the form Anthropic's own examples use.
function compact(turn: Turn): { role: Turn['role']; content: string | Block[] } {
  const only = turn.content.length === 1 ? turn.content[0] : undefined;
  return only?.type === 'text' ? { role: turn.role, content: only.text as string } : turn;
}

function toolFor(tool: FunctionTool): Block {
  const { name, description, parameters } = tool.function;
  return {
    name,
    ...(description ? { description } : {}),
    input_schema: parameters ?? { type: 'object', properties: {} },
  };
}

function toolChoiceFor(choice: ToolChoice | undefined, parallel: boolean | undefined): Block | undefined {
  if (choice === 'none') return { type: 'none' };
  const mapped: Block | undefined =
    choice === 'required'
      ? { type: 'any' }
      : typeof choice === 'object'
        ? { type: 'tool', name: choice.function.name }
        : choice === 'auto' || parallel === false
          ? { type: 'auto' }
          : undefined;
  if (mapped && parallel === false) mapped.disable_parallel_tool_use = true;
  return mapped;
}

// The Messages API has no JSON mode. OpenAI requires json_object requests to ask for JSON in the prompt
// already; this system line adds the "nothing else" half (no prose, no code fences). It is a request,
// not a guarantee.
function formatHint(format: ResponseFormat | undefined): string | undefined {
  if (format?.type === 'json_object') return 'Respond with a single valid JSON object and nothing else.';
  if (format?.type === 'json_schema') {
    const schema = format.json_schema.schema
      ? ` that conforms to this JSON schema: ${JSON.stringify(format.json_schema.schema)}`
      : '';
    return `Respond with a single valid JSON object${schema}, and nothing else.`;
  }
  return undefined;
}

interface MessageBody {
  id?: string;
  type?: string;
  model?: string;
  content?: unknown;
  stop_reason?: string | null;
  usage?: AnthropicUsage;
}

/** Turns a complete `/messages` answer into a chat completion; throws SwitchboardError for errors and bad bodies. */
export function decodeAnthropic(response: WireResponse, target: Target): ChatResponse {
  const provider = target.provider;
  if (response.status !== 200) throw errorFromResponse(response, provider);
  const body = answerObject(response.body, provider) as MessageBody;
  if (body.type === 'error') throw errorFromAnthropic(body, undefined, provider);
  if (!Array.isArray(body.content)) throw malformed(provider, 'no content');
  let text = '';
  const toolCalls: ToolCall[] = [];
  for (const block of body.content) {
    if (!isObject(block)) continue;
    if (block.type === 'text' && typeof block.text === 'string') text += block.text;
    if (block.type === 'tool_use') {
      const call = { name: String(block.name), arguments: JSON.stringify(block.input ?? {}) };
      toolCalls.push({ id: String(block.id), type: 'function', function: call });
    }
    // thinking, redacted_thinking and server-tool blocks have no canonical form.
  }
  // OpenAI's schema requires `refusal` and `logprobs` (nullable): Anthropic has neither to give.
  const message: ChatResponse['choices'][number]['message'] = {
    role: 'assistant',
    content: text.length === 0 && toolCalls.length > 0 ? null : text,
    refusal: null,
  };
  if (toolCalls.length > 0) message.tool_calls = toolCalls;
  return {
    id: body.id ?? '',
    object: 'chat.completion',
    created: createdFrom(response.headers),
    model: body.model ?? target.model,
    choices: [{ index: 0, message, logprobs: null, finish_reason: finishReasonFor(body.stop_reason) }],
    ...(body.usage ? { usage: usageFor(body.usage) } : {}),
  };
}

// Anthropic bodies carry no timestamp and adapters have no clock; the response's `date` header is the
// upstream's own clock. 0 when it is missing.
function createdFrom(headers: Record<string, string>): number {
  const at = Date.parse(headers.date ?? '');
  return Number.isNaN(at) ? 0 : Math.floor(at / 1000);
}

/** The classified error for a non-200 answer from any Anthropic endpoint. */
export function errorFromResponse(response: WireResponse, provider: string): SwitchboardError {
  const { status, headers, body } = response;
  const retryMs = parseRetryAfter(headers['retry-after'], Date.parse(headers.date ?? ''));
  const retryAfterMs = retryMs !== undefined && Number.isFinite(retryMs) ? retryMs : undefined;
  let parsed: unknown;
  try {
    parsed = JSON.parse(body);
  } catch {
    // Cloudflare answers 413 and some 5xx itself, as HTML or text.
    return upstreamError({ status, provider, message: `HTTP ${status}: ${excerpt(body)}` }, retryAfterMs);
  }
  return errorFromAnthropic(parsed, status, provider, retryAfterMs);
}
