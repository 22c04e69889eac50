// An AI SDK call (LanguageModelV4CallOptions) as a canonical request, with a warning for each
// setting the router cannot pass on. Chat Completions is the canonical format, so a setting is
// supported when it has a Chat Completions field every adapter understands or drops knowingly.
import type { LanguageModelV4CallOptions, LanguageModelV4ToolChoice, SharedV4Warning } from '@ai-sdk/provider';
import type { ChatRequest, FunctionTool, ResponseFormat, ToolChoice } from '../protocol/chat.ts';
import type { RequestOptions } from '../router/router.ts';
import { convertPrompt } from './prompt.ts';

export interface PreparedCall {
  request: ChatRequest;
  options: RequestOptions;
  warnings: SharedV4Warning[];
}

/** Builds the router request for one call; throws UnsupportedFunctionalityError for prompts it cannot carry. */
export function prepareCall(model: string, call: LanguageModelV4CallOptions, stream: boolean): PreparedCall {
  const warnings: SharedV4Warning[] = [];
  const request: ChatRequest = { model, messages: convertPrompt(call.prompt) };
  if (call.maxOutputTokens !== undefined) request.max_tokens = call.maxOutputTokens;
  if (call.temperature !== undefined) request.temperature = call.temperature;
  if (call.topP !== undefined) request.top_p = call.topP;
  if (call.stopSequences !== undefined && call.stopSequences.length > 0) request.stop = call.stopSequences;
  if (call.seed !== undefined) request.seed = call.seed;
  if (call.presencePenalty !== undefined) request.presence_penalty = call.presencePenalty;
  if (call.frequencyPenalty !== undefined) request.frequency_penalty = call.frequencyPenalty;
  if (call.topK !== undefined) {
    // OpenAI rejects an unknown `top_k`, and a 400 ends a request without failover.
    warnings.push({ type: 'unsupported', feature: 'topK', details: 'Chat Completions has no top_k; it is not sent' });
  }
  if (call.reasoning !== undefined && call.reasoning !== 'provider-default') {
    warnings.push({ type: 'unsupported', feature: 'reasoning', details: 'reasoning effort is not passed to providers' });
  }
  const headers = Object.keys(call.headers ?? {}).filter((name) => name.toLowerCase() !== 'user-agent');
  if (headers.length > 0) {
    warnings.push({
      type: 'unsupported',
      feature: 'headers',
      details: `per-call headers are not sent (${headers.join(', ')}); set them per provider in the config`,
    });
  }
  const tools: FunctionTool[] = [];
  for (const tool of call.tools ?? []) {
    if (tool.type === 'provider') {
      warnings.push({ type: 'unsupported', feature: `provider-defined tool ${tool.id}` });
      continue;
    }
    const definition: FunctionTool['function'] = { name: tool.name, parameters: tool.inputSchema as Record<string, unknown> };
    if (tool.description !== undefined) definition.description = tool.description;
    if (tool.strict !== undefined) definition.strict = tool.strict;
    tools.push({ type: 'function', function: definition });
  }
  if (tools.length > 0) {
    request.tools = tools;
    if (call.toolChoice !== undefined) request.tool_choice = toolChoiceFor(call.toolChoice);
  }
  const format = responseFormatFor(call.responseFormat);
  if (format) request.response_format = format;
  if (stream) {
    request.stream = true;
    request.stream_options = { include_usage: true };
  }
  const options: RequestOptions = {};
  if (call.abortSignal) options.signal = call.abortSignal;
  const strategy = call.providerOptions?.switchboard?.strategy;
  if (typeof strategy === 'string') options.strategy = strategy;
  return { request, options, warnings };
}

function toolChoiceFor(choice: LanguageModelV4ToolChoice): ToolChoice {
  return choice.type === 'tool' ? { type: 'function', function: { name: choice.toolName } } : choice.type;
}

function responseFormatFor(format: LanguageModelV4CallOptions['responseFormat']): ResponseFormat | undefined {
  if (format === undefined || format.type === 'text') return undefined;
  if (format.schema === undefined) return { type: 'json_object' };
  // OpenAI's name allows [a-zA-Z0-9_-] only, up to 64 characters.
  const name = (format.name ?? 'response').replace(/[^a-zA-Z0-9_-]/g, '_').slice(0, 64);
  const jsonSchema: { name: string; schema: Record<string, unknown>; description?: string } = {
    name,
    schema: format.schema as Record<string, unknown>,
  };
  if (format.description !== undefined) jsonSchema.description = format.description;
  return { type: 'json_schema', json_schema: jsonSchema };
}
