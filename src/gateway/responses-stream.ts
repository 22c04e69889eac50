// Canonical chunks as the Responses API's typed stream events (OpenAI's API reference, "Streaming
// events"): response.created, response.in_progress, then per output item output_item.added,
// content_part.added, output_text.delta … output_text.done, content_part.done, output_item.done
// (function calls: function_call_arguments.delta … .done), and last response.completed, or
// response.incomplete when the answer was cut by a limit. A stream that fails ends with
// response.failed and never with response.completed. Pure: ids and times come in the envelope.
import type { ChatChunk, FinishReason, Usage } from '../protocol/chat.ts';
import type { SwitchboardError } from '../protocol/errors.ts';
import type { OutputItem, ResponseObject } from '../protocol/responses.ts';
import {
  functionCallId,
  incompleteFor,
  messageId,
  messageItem,
  outputText,
  type ResponseEnvelope,
  refusal,
  responseObject,
  responseUsage,
} from './responses-answer.ts';

export interface ResponsesStreamEncoder {
  /** SSE text for one canonical chunk ('' when it shows nothing). */
  chunk(chunk: ChatChunk): string;
  /** The closing events and the final response object; `usage` is the router's when no chunk carried it. */
  end(usage?: Usage): { text: string; response: ResponseObject };
  /** response.failed with the error; ends the stream. */
  error(error: SwitchboardError): string;
}

interface OpenMessage {
  outputIndex: number;
  id: string;
  kind: 'output_text' | 'refusal';
  contentIndex: number;
  text: string;
  parts: Array<ReturnType<typeof outputText> | ReturnType<typeof refusal>>;
}

interface OpenCall {
  outputIndex: number;
  id: string;
  callId: string;
  name: string;
  arguments: string;
}

/**
 * An encoder for one stream of `envelope`'s response. Its `model` is the first chunk's, as the
 * router names it (the provider's model, or the generic one with `responseModel: generic`).
 */
export function createResponsesStreamEncoder(envelope: ResponseEnvelope): ResponsesStreamEncoder {
  let model = envelope.model;
  let sequence = 0;
  let started = false;
  let done = false;
  const output: OutputItem[] = [];
  let message: OpenMessage | undefined;
  let messages = 0;
  const calls = new Map<number, OpenCall>();
  let finish: FinishReason | undefined;
  let usage: Usage | undefined;

  const event = (type: string, fields: Record<string, unknown>) =>
    `event: ${type}\ndata: ${JSON.stringify({ type, sequence_number: sequence++, ...fields })}\n\n`;
  const snapshot = (status: ResponseObject['status'], error: ResponseObject['error'] = null) =>
    responseObject({ ...envelope, model }, { status, output, usage: responseUsage(usage), incomplete_details: null, error });
  const start = () => {
    if (started) return '';
    started = true;
    const response = snapshot('in_progress');
    return event('response.created', { response }) + event('response.in_progress', { response });
  };
  const closePart = () => {
    if (message === undefined) return '';
    const { id, outputIndex, contentIndex, kind, text } = message;
    const part = kind === 'output_text' ? outputText(text) : refusal(text);
    message.parts.push(part);
    const where = { item_id: id, output_index: outputIndex, content_index: contentIndex };
    const doneEvent =
      kind === 'output_text'
        ? event('response.output_text.done', { ...where, text, logprobs: [] })
        : event('response.refusal.done', { ...where, refusal: text });
    return doneEvent + event('response.content_part.done', { ...where, part });
  };
  const closeMessage = (status: 'completed' | 'incomplete') => {
    if (message === undefined) return '';
    const text = closePart();
    const item = messageItem(message.id, message.parts, status);
    output[message.outputIndex] = item;
    const closed = event('response.output_item.done', { output_index: message.outputIndex, item });
    message = undefined;
    return text + closed;
  };
  const openPart = (kind: OpenMessage['kind']) => {
    let text = '';
    if (message === undefined) {
      const id = messageId(envelope.id, messages++);
      const item = messageItem(id, [], 'in_progress');
      message = { outputIndex: output.push(item) - 1, id, kind, contentIndex: 0, text: '', parts: [] };
      text += event('response.output_item.added', { output_index: message.outputIndex, item });
    } else if (message.kind !== kind) {
      text += closePart();
      Object.assign(message, { kind, contentIndex: message.contentIndex + 1, text: '' });
    } else return '';
    const part = kind === 'output_text' ? outputText('') : refusal('');
    const where = { item_id: message.id, output_index: message.outputIndex, content_index: message.contentIndex };
    return text + event('response.content_part.added', { ...where, part });
  };
  const appendText = (kind: OpenMessage['kind'], delta: string) => {
    const text = openPart(kind);
    const open = message as OpenMessage;
    open.text += delta;
    const where = { item_id: open.id, output_index: open.outputIndex, content_index: open.contentIndex };
    const type = kind === 'output_text' ? 'response.output_text.delta' : 'response.refusal.delta';
    return text + event(type, { ...where, delta, ...(kind === 'output_text' ? { logprobs: [] } : {}) });
  };
  const callItem = (call: OpenCall, status: 'in_progress' | 'completed' | 'incomplete'): OutputItem => ({
    type: 'function_call',
    id: call.id,
    call_id: call.callId,
    name: call.name,
    arguments: call.arguments,
    status,
  });

  return {
    chunk(chunk) {
      if (done) return '';
      if (!started && chunk.model) model = chunk.model;
      let text = start();
      if (chunk.usage) usage = chunk.usage;
      const choice = chunk.choices[0];
      if (choice === undefined) return text;
      const delta = choice.delta;
      if (typeof delta.content === 'string' && delta.content !== '') text += appendText('output_text', delta.content);
      if (typeof delta.refusal === 'string' && delta.refusal !== '') text += appendText('refusal', delta.refusal);
      for (const fragment of delta.tool_calls ?? []) {
        let call = calls.get(fragment.index);
        if (call === undefined) {
          // A call ends the message before it; text after it opens a new message.
          text += closeMessage('completed');
          const id = functionCallId(envelope.id, calls.size);
          const callId = fragment.id || `call_${envelope.id.slice('resp_'.length)}_${calls.size}`;
          call = { outputIndex: output.length, id, callId, name: fragment.function?.name ?? '', arguments: '' };
          calls.set(fragment.index, call);
          output.push(callItem(call, 'in_progress'));
          text += event('response.output_item.added', { output_index: call.outputIndex, item: callItem(call, 'in_progress') });
        } else if (!call.name && fragment.function?.name) call.name = fragment.function.name;
        const json = fragment.function?.arguments;
        if (json) {
          call.arguments += json;
          text += event('response.function_call_arguments.delta', {
            item_id: call.id,
            output_index: call.outputIndex,
            delta: json,
          });
        }
      }
      if (choice.finish_reason) finish = choice.finish_reason;
      return text;
    },
    end(final) {
      if (final && !usage) usage = final;
      let text = start();
      const incomplete = incompleteFor(finish ?? 'stop');
      const status = incomplete ? 'incomplete' : 'completed';
      text += closeMessage(status);
      for (const call of calls.values()) {
        const where = { item_id: call.id, output_index: call.outputIndex };
        const item = callItem(call, status);
        output[call.outputIndex] = item;
        text += event('response.function_call_arguments.done', { ...where, arguments: call.arguments });
        text += event('response.output_item.done', { output_index: call.outputIndex, item });
      }
      calls.clear();
      done = true;
      const response = {
        ...snapshot(status),
        incomplete_details: incomplete ? { reason: incomplete } : null,
      };
      text += event(incomplete ? 'response.incomplete' : 'response.completed', { response });
      return { text, response };
    },
    error(error) {
      if (done) return '';
      done = true;
      // What was delivered stays in the failed response, marked incomplete.
      if (message !== undefined) {
        const open = message;
        const current = open.kind === 'output_text' ? outputText(open.text) : refusal(open.text);
        output[open.outputIndex] = messageItem(open.id, [...open.parts, current], 'incomplete');
      }
      for (const call of calls.values()) output[call.outputIndex] = callItem(call, 'incomplete');
      const failed = snapshot('failed', { code: error.code ?? error.type, message: error.message });
      return start() + event('response.failed', { response: failed });
    },
  };
}
