// The only I/O in providers/: HTTP to upstreams on undici, with one keep-alive pool
// per origin, connect / first-byte / idle timeouts, and the caller's AbortSignal
// carried into the socket so an abandoned call closes its upstream request.

import { createRequire } from 'node:module';
import { Agent, type Dispatcher } from 'undici';
import { upstreamTraceparent } from '../observe/trace-context.ts';
import { abortedBy, SwitchboardError } from '../protocol/errors.ts';
import type { WireRequest, WireResponse } from './adapter.ts';
import { Exchange } from './exchange.ts';

export interface TransportOptions {
  /** Time to establish a TCP/TLS connection; default 5000. */
  connectMs?: number;
  /** Most sockets per upstream origin; default unlimited (each open stream holds one). */
  connectionsPerOrigin?: number;
}

export interface SendOptions {
  provider: string;
  /** Aborts the request; a SwitchboardError given as the abort reason is thrown as is. */
  signal?: AbortSignal;
  /** Time from sending until the response headers arrive. */
  firstByteMs: number;
  /** Longest silence between two pieces of the body. */
  idleMs: number;
  /**
   * `send()` only: time from sending until the whole answer has been read. Without it an upstream
   * that drips its body a byte at a time, never idle for `idleMs`, holds the attempt indefinitely.
   */
  answerMs?: number;
  /** Most bytes of a whole answer read by `text()`; default 32 MiB. */
  maxBodyBytes?: number;
  /** Most bytes of an error answer's body (status >= 400) read by `text()`; default 64 KiB. */
  maxErrorBodyBytes?: number;
}

/** A response whose body is still arriving. */
export interface OpenResponse {
  status: number;
  headers: Record<string, string>;
  body: AsyncIterable<Uint8Array>;
  /**
   * Lets go of a body that was read to its protocol end (`[DONE]`): what is left (the chunked
   * terminator) is consumed so the connection returns to the pool, without the cost of an abort.
   */
  release(): void;
  /**
   * Reads the rest of the body as text, up to `maxBodyBytes` (`maxErrorBodyBytes` for a status of
   * 400 or more); a longer body is abandoned and rejects as a malformed answer.
   */
  text(): Promise<string>;
}

/** An upstream endpoint, split once so each request only joins strings. */
export interface Endpoint {
  origin: string;
  basePath: string;
}

export function parseEndpoint(baseUrl: string): Endpoint {
  const url = new URL(baseUrl);
  return { origin: url.origin, basePath: url.pathname.replace(/\/+$/, '') };
}

export class Transport {
  readonly #agent: Agent;

  constructor(options: TransportOptions = {}) {
    this.#agent = new Agent({
      connect: { timeout: options.connectMs ?? 5000 },
      connections: options.connectionsPerOrigin ?? null,
      keepAliveTimeout: 30_000,
    });
  }

  /** Sends a request and returns as soon as the headers are in; the body streams. */
  open(endpoint: Endpoint, wire: WireRequest, options: SendOptions): Promise<OpenResponse> {
    const { signal } = options;
    if (signal?.aborted) return Promise.reject(abortedBy(signal.reason, options.provider));
    const exchange = new Exchange(options);
    const request: Dispatcher.DispatchOptions & { [queued: symbol]: unknown } = {
      origin: endpoint.origin,
      path: endpoint.basePath + wire.path,
      method: 'POST',
      headers: withTraceparent(wire.headers),
      body: wire.body,
      headersTimeout: options.firstByteMs,
      bodyTimeout: options.idleMs,
    };
    if (signal !== undefined && queuedAbort !== undefined) {
      request[queuedAbort] = (cancel: (reason: unknown) => void) => exchange.queued(cancel);
    }
    this.#agent.dispatch(request, exchange);
    return exchange.opened;
  }

  /** Sends a request and reads the whole answer, within `answerMs` when given. */
  async send(endpoint: Endpoint, wire: WireRequest, options: SendOptions): Promise<WireResponse> {
    const { answerMs } = options;
    if (answerMs === undefined) {
      const response = await this.open(endpoint, wire, options);
      return { status: response.status, headers: response.headers, body: await response.text() };
    }
    // The timeout is the abort reason, so it surfaces as this provider's timeout, not the caller's abort.
    // The caller's abort is forwarded by a listener: AbortSignal.any() costs weak references and a
    // registry entry per call (measured: about 2 % of the gateway's CPU per JSON request).
    const deadline = new AbortController();
    const timer = setTimeout(() => deadline.abort(answerTimeout(options.provider, answerMs)), answerMs);
    const caller = options.signal;
    const onCallerAbort = () => deadline.abort(caller?.reason);
    if (caller?.aborted) onCallerAbort();
    else caller?.addEventListener('abort', onCallerAbort, { once: true });
    try {
      const response = await this.open(endpoint, wire, { ...options, signal: deadline.signal });
      return { status: response.status, headers: response.headers, body: await response.text() };
    } finally {
      clearTimeout(timer);
      caller?.removeEventListener('abort', onCallerAbort);
    }
  }

  close(): Promise<void> {
    return this.#agent.close();
  }
}

/**
 * The dispatch option through which undici hands a waiting request's handler a way to take it out
 * of its queue (and to give up a connection nothing else waits for), as its own `request()` does for
 * a signal. It is undici's internal (lib/core/symbols.js); without it an aborted request still
 * settles at once, and is ended when it reaches a connection.
 */
const queuedAbort = ((): symbol | undefined => {
  try {
    const found: unknown = createRequire(import.meta.url)('undici/lib/core/symbols.js').kQueuedAbort;
    return typeof found === 'symbol' ? found : undefined;
  } catch {
    return undefined;
  }
})();

function answerTimeout(provider: string, answerMs: number): SwitchboardError {
  return new SwitchboardError({
    message: `${provider}: no whole answer within ${answerMs} ms`,
    status: 504,
    type: 'timeout_error',
    code: 'upstream_timeout',
    kind: 'timeout',
    provider,
  });
}

/** The attempt's `traceparent` when tracing is on (observe/tracing.ts); the headers as they are otherwise. */
function withTraceparent(headers: Record<string, string>): Record<string, string> {
  const traceparent = upstreamTraceparent.getStore();
  return traceparent === undefined ? headers : { ...headers, traceparent };
}
