// Canonical answers as Responses objects: what `POST /v1/responses` sends back, whichever provider
// answered. Shapes from OpenAI's API reference (the Response object). Pure: ids and times come in.
import type { ChatResponse, FinishReason, Usage } from '../protocol/chat.ts';
import type { OutputItem, ResponseObject, ResponseUsage } from '../protocol/responses.ts';
import type { ResponsesRequest } from './responses-request.ts';

/** What a response is known by before its answer arrives. */
export interface ResponseEnvelope {
  /** `resp_…` */
  id: string;
  /** Epoch seconds. */
  createdAt: number;
  /** The model name the client asked for. */
  model: string;
  request: ResponsesRequest;
}

/** A Responses object with the request's settings echoed, in a given state. */
export function responseObject(
  envelope: ResponseEnvelope,
  state: Pick<ResponseObject, 'status' | 'output' | 'usage' | 'incomplete_details' | 'error'>,
): ResponseObject {
  const { request } = envelope;
  return {
    id: envelope.id,
    object: 'response',
    created_at: envelope.createdAt,
    status: state.status,
    error: state.error,
    incomplete_details: state.incomplete_details,
    instructions: request.instructions,
    max_output_tokens: request.echo.max_output_tokens,
    model: envelope.model,
    output: state.output,
    parallel_tool_calls: request.echo.parallel_tool_calls,
    previous_response_id: request.previousResponseId,
    reasoning: request.echo.reasoning,
    store: request.store,
    temperature: request.echo.temperature,
    text: request.echo.text,
    tool_choice: request.echo.tool_choice,
    tools: request.echo.tools,
    top_p: request.echo.top_p,
    truncation: 'disabled',
    usage: state.usage,
    user: request.echo.user,
    metadata: request.echo.metadata,
  };
}

/** The Responses object for a complete canonical answer. */
export function responseFromChat(envelope: ResponseEnvelope, chat: ChatResponse): ResponseObject {
  const choice = chat.choices[0];
  const message = choice?.message;
  const finish = choice?.finish_reason ?? 'stop';
  const incomplete = incompleteFor(finish);
  const output: OutputItem[] = [];
  const content = message?.content ? [outputText(message.content)] : message?.refusal ? [refusal(message.refusal)] : [];
  if (content.length > 0) output.push(messageItem(messageId(envelope.id, 0), content, incomplete ? 'incomplete' : 'completed'));
  (message?.tool_calls ?? []).forEach((call, index) => {
    output.push({
      type: 'function_call',
      id: functionCallId(envelope.id, index),
      // Some OpenAI-compatible servers send calls without ids; the client needs one to answer.
      call_id: call.id || `call_${envelope.id.slice('resp_'.length)}_${index}`,
      name: call.function.name,
      arguments: call.function.arguments,
      status: 'completed',
    });
  });
  return responseObject(envelope, {
    status: incomplete ? 'incomplete' : 'completed',
    output,
    usage: responseUsage(chat.usage),
    incomplete_details: incomplete ? { reason: incomplete } : null,
    error: null,
  });
}

/** Why an answer stopped short, in Responses terms; undefined when it is complete. */
export function incompleteFor(finish: FinishReason): 'max_output_tokens' | 'content_filter' | undefined {
  if (finish === 'length') return 'max_output_tokens';
  if (finish === 'content_filter') return 'content_filter';
  return undefined;
}

export function responseUsage(usage: Usage | null | undefined): ResponseUsage | null {
  if (!usage) return null;
  const cached = (usage.prompt_tokens_details as { cached_tokens?: unknown } | undefined)?.cached_tokens;
  const reasoning = (usage.completion_tokens_details as { reasoning_tokens?: unknown } | undefined)?.reasoning_tokens;
  return {
    input_tokens: usage.prompt_tokens,
    input_tokens_details: { cached_tokens: typeof cached === 'number' ? cached : 0 },
    output_tokens: usage.completion_tokens,
    output_tokens_details: { reasoning_tokens: typeof reasoning === 'number' ? reasoning : 0 },
    total_tokens: usage.total_tokens ?? usage.prompt_tokens + usage.completion_tokens,
  };
}

// Item ids are derived from the response's, so one response's items never collide with another's.
export function messageId(responseId: string, index: number): string {
  return `msg_${responseId.slice('resp_'.length)}_${index}`;
}

export function functionCallId(responseId: string, index: number): string {
  return `fc_${responseId.slice('resp_'.length)}_${index}`;
}

export function outputText(text: string) {
  return { type: 'output_text' as const, text, annotations: [] };
}

export function refusal(text: string) {
  return { type: 'refusal' as const, refusal: text };
}

export function messageItem(
  id: string,
  content: Array<ReturnType<typeof outputText> | ReturnType<typeof refusal>>,
  status: 'in_progress' | 'completed' | 'incomplete',
): OutputItem {
  return { type: 'message', id, role: 'assistant', status, content };
}
