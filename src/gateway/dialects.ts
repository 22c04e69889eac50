// The wire dialects clients speak to the gateway. OpenAI Chat Completions is the canonical
// format, so its dialect passes bodies through; Anthropic Messages (`POST /v1/messages`, for the
// Anthropic SDK) is translated at the edge by the pure functions of providers/anthropic-inbound.ts;
// the Responses API (`POST /v1/responses`) is responses-dialect.ts.
import { type ChatChunk, type ChatRequest, wireText } from '../protocol/chat.ts';
import type { SwitchboardError } from '../protocol/errors.ts';
import { anthropicErrorBody, createMessagesStreamEncoder, messagesResponseFromChat } from '../providers/anthropic-answer.ts';
import { chatRequestFromMessages } from '../providers/anthropic-inbound.ts';
import type { CompletionResult } from '../router/router.ts';
import type { StreamResult } from '../router/stream.ts';
import { errorEvent } from './errors.ts';

/** How one stream's events are written: text for each chunk, for a complete end, and for a failure. */
export interface EventEncoder {
  chunk(chunk: ChatChunk): string;
  /** May wait, e.g. to store the answer before the client hears that it is complete. */
  end(result: StreamResult): string | Promise<string>;
  error(error: SwitchboardError): string;
}

export interface Dialect {
  /** Used in logs and as the route's name. */
  name: 'openai' | 'anthropic' | 'responses';
  /**
   * The canonical request for a parsed body; throws SwitchboardError (400 naming the field).
   * `keyId` is the gateway key the caller presented (null without keys), for state kept per caller.
   */
  request(body: unknown, keyId: string | null): ChatRequest | Promise<ChatRequest>;
  /** The body of a complete, non-streamed answer (or a promise of it). */
  response(result: CompletionResult, request: ChatRequest): unknown;
  /** The only providers that may answer this request, when the dialect restricts them. */
  only?(request: ChatRequest): readonly string[] | undefined;
  /** An encoder for one stream (may hold state, so one per stream). */
  events(request: ChatRequest): EventEncoder;
  /** The body of an error answer; its status is `error.status`. */
  error(error: SwitchboardError): unknown;
  /** The header to ask for a key in, on a 401. */
  challenge: string;
}

// Stateless, so every OpenAI stream shares it.
const openaiEvents: EventEncoder = {
  // A chunk no one changed goes out as the text it came as: parsed once to check it, never re-serialised.
  chunk: (chunk) => `data: ${chunk[wireText] ?? JSON.stringify(chunk)}\n\n`,
  end: () => 'data: [DONE]\n\n',
  error: errorEvent,
};

export const openaiDialect: Dialect = {
  name: 'openai',
  // Already checked against chatRequestSchema by Fastify.
  request: (body) => body as ChatRequest,
  response: (result) => result.response,
  events: () => openaiEvents,
  error: (error) => error.toJSON(),
  challenge: 'Bearer',
};

export const anthropicDialect: Dialect = {
  name: 'anthropic',
  request: chatRequestFromMessages,
  // The client sees the model name it asked for, as Anthropic echoes it.
  response: (result, request) => messagesResponseFromChat(result.response, request.model),
  events(request) {
    const encoder = createMessagesStreamEncoder(request.model);
    return {
      chunk: (chunk) => encoder.encode(chunk),
      end: (result) => encoder.end(result.usage),
      error: (error) => encoder.error(error),
    };
  },
  error: anthropicErrorBody,
  challenge: 'x-api-key',
};
