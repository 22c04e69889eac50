// The seam between the canonical format and one wire protocol.
// Adapters are pure: plain data in, plain data out, no I/O, no timers, no clocks.
import type { ChatChunk, ChatRequest, ChatResponse } from '../protocol/chat.ts';
import type { EmbeddingRequest, EmbeddingResponse } from '../protocol/embeddings.ts';
import type { Quirk } from './presets.ts';

/** What the transport sends: a path below the provider's base URL, headers and a body. */
export interface WireRequest {
  path: string;
  headers: Record<string, string>;
  body: string;
}

/** What the transport got back, with lower-case header names. */
export interface WireResponse {
  status: number;
  headers: Record<string, string>;
  body: string;
}

/** One server-sent event as the SSE parser delivers it. */
export interface SseEvent {
  event: string | undefined;
  data: string;
}

export type AuthStyle = 'bearer' | 'x-api-key' | 'api-key' | 'none';

/** Everything an adapter needs to know about where a request goes. */
export interface Target {
  /** The provider's name in the config, for error messages. */
  provider: string;
  /** The model name the provider knows. */
  model: string;
  apiKey: string | undefined;
  auth: AuthStyle;
  /** Extra headers from the preset and the config (OpenRouter's HTTP-Referer, anthropic-version, …). */
  headers: Record<string, string>;
  /** Anthropic requires max_tokens; this is used when the caller gave none. */
  defaultMaxTokens: number;
  /** The vendor's known deviations from OpenAI's schema (the preset's), fixed by the adapter. */
  quirks?: readonly Quirk[];
}

/** Per-stream bookkeeping an adapter keeps between events. */
export interface StreamState {
  /** The provider's name, for error messages. */
  provider: string;
  /** True once the protocol's own end marker arrived (`[DONE]`, `message_stop`). */
  done: boolean;
  /** Events whose payload could not be parsed; they are skipped, not fatal. */
  malformed: number;
}

export interface Adapter<State extends StreamState = StreamState> {
  /** Builds the upstream request; throws SwitchboardError (bad-request) for what the protocol cannot express. */
  encode(request: ChatRequest, target: Target): WireRequest;
  /** Turns a complete upstream answer into a response; throws SwitchboardError for error statuses and bad bodies. */
  decode(response: WireResponse, target: Target): ChatResponse;
  startStream(target: Target, request: ChatRequest): State;
  /** Turns one event into zero or more chunks; throws SwitchboardError for an error event. */
  decodeEvent(event: SseEvent, state: State): ChatChunk[];
  /** Chunks owed at the end of a stream that ended cleanly (for example a final usage chunk). */
  endStream?(state: State): ChatChunk[];
}

/** Pure transforms for one protocol's embeddings endpoint. */
export interface EmbeddingsCodec {
  encode(request: EmbeddingRequest, target: Target): WireRequest;
  /** Checks the answer against the request (one vector per input, the dimensions asked for); throws SwitchboardError. */
  decode(response: WireResponse, target: Target, request: EmbeddingRequest): EmbeddingResponse;
}

/** Builds the authentication and content headers common to every protocol. */
export function baseHeaders(target: Target): Record<string, string> {
  const headers: Record<string, string> = { 'content-type': 'application/json', ...target.headers };
  if (target.apiKey) {
    if (target.auth === 'bearer') headers.authorization = `Bearer ${target.apiKey}`;
    else if (target.auth === 'x-api-key') headers['x-api-key'] = target.apiKey;
    // Azure OpenAI's key header.
    else if (target.auth === 'api-key') headers['api-key'] = target.apiKey;
  }
  return headers;
}
