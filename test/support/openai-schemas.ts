// The required fields and their types in OpenAI's published OpenAPI description
// (github.com/openai/openai-openapi, openapi.yaml, components.schemas), written here as zod
// schemas for what the gateway answers: CreateChatCompletionResponse,
// CreateChatCompletionStreamResponse, Model, ListModelsResponse, ErrorResponse and
// CreateEmbeddingResponse. Objects are loose: the spec allows fields it does not name, and
// vendors add their own (x_groq, provider, usage details). A field the spec types without
// `null` must not be null; a field it requires must be present, null only where it allows null.
import { z } from 'zod';

const integer = z.number().int();

/** FinishReason in both the answer (never null) and the chunk (null until the end). */
const finishReason = z.enum(['stop', 'length', 'tool_calls', 'content_filter', 'function_call']);

/** ChatCompletionTokenLogprob lists, under `logprobs.content` and `logprobs.refusal`. */
const logprobs = z.looseObject({ content: z.array(z.unknown()).nullable(), refusal: z.array(z.unknown()).nullable() });

/** CompletionUsage: prompt_tokens, completion_tokens and total_tokens are required integers. */
const usage = z.looseObject({ prompt_tokens: integer, completion_tokens: integer, total_tokens: integer });

/** ChatCompletionMessageToolCall (function): id, type, function { name, arguments }. */
const toolCall = z.looseObject({
  id: z.string(),
  type: z.literal('function'),
  function: z.looseObject({ name: z.string(), arguments: z.string() }),
});

/** ChatCompletionResponseMessage: role, content and refusal are required; content and refusal nullable. */
const responseMessage = z.looseObject({
  role: z.literal('assistant'),
  content: z.string().nullable(),
  refusal: z.string().nullable(),
  tool_calls: z.array(toolCall).optional(),
});

export const CreateChatCompletionResponse = z.looseObject({
  id: z.string(),
  object: z.literal('chat.completion'),
  created: integer,
  model: z.string(),
  choices: z.array(
    z.looseObject({
      index: integer,
      message: responseMessage,
      finish_reason: finishReason,
      logprobs: logprobs.nullable(),
    }),
  ),
  usage: usage.optional(),
  system_fingerprint: z.string().optional(),
});

/** ChatCompletionMessageToolCallChunk: only `index` is required; the rest are optional and not nullable. */
const toolCallChunk = z.looseObject({
  index: integer,
  id: z.string().optional(),
  type: z.literal('function').optional(),
  function: z.looseObject({ name: z.string().optional(), arguments: z.string().optional() }).optional(),
});

/** ChatCompletionStreamResponseDelta: nothing required; content and refusal nullable, role and tool_calls not. */
const delta = z.looseObject({
  role: z.enum(['developer', 'system', 'user', 'assistant', 'tool']).optional(),
  content: z.string().nullable().optional(),
  refusal: z.string().nullable().optional(),
  tool_calls: z.array(toolCallChunk).optional(),
});

export const CreateChatCompletionStreamResponse = z.looseObject({
  id: z.string(),
  object: z.literal('chat.completion.chunk'),
  created: integer,
  model: z.string(),
  choices: z.array(
    z.looseObject({
      index: integer,
      delta,
      finish_reason: finishReason.nullable(),
      logprobs: logprobs.nullable().optional(),
    }),
  ),
  usage: usage.nullable().optional(),
  system_fingerprint: z.string().optional(),
});

/** Model: id, object ('model'), created and owned_by are required. */
export const Model = z.looseObject({ id: z.string(), object: z.literal('model'), created: integer, owned_by: z.string() });

export const ListModelsResponse = z.looseObject({ object: z.literal('list'), data: z.array(Model) });

/** ErrorResponse { error: Error }: message, type, param and code are all required; param and code nullable. */
export const ErrorResponse = z.looseObject({
  error: z.looseObject({
    message: z.string(),
    type: z.string(),
    param: z.string().nullable(),
    code: z.string().nullable(),
  }),
});

/**
 * CreateEmbeddingResponse: object ('list'), model, data (Embedding: index, object 'embedding',
 * embedding) and usage (prompt_tokens, total_tokens). The spec types `embedding` as floats; with
 * `encoding_format: base64` OpenAI sends the base64 string, so a string is accepted.
 */
export const CreateEmbeddingResponse = z.looseObject({
  object: z.literal('list'),
  model: z.string(),
  data: z.array(
    z.looseObject({ index: integer, object: z.literal('embedding'), embedding: z.union([z.array(z.number()), z.string()]) }),
  ),
  usage: z.looseObject({ prompt_tokens: integer, total_tokens: integer }),
});

/** The problems of `value` against `schema`, one line each (`choices.0.message.refusal: …`); empty when it conforms. */
export function deviations(schema: z.ZodType, value: unknown): string[] {
  const result = schema.safeParse(value);
  if (result.success) return [];
  return result.error.issues.map((issue) => `${issue.path.join('.') || '(root)'}: ${issue.message}`);
}
