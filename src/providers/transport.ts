// The only I/O in providers/: HTTP to upstreams on undici, with one keep-alive pool
// per origin, connect / first-byte / idle timeouts, and the caller's AbortSignal
// carried into the socket so an abandoned call closes its upstream request.

import { createRequire } from 'node:module';
import { Agent, type Dispatcher } from 'undici';
import { upstreamTraceparent } from '../observe/trace-context.ts';
import { abortedBy, type FailureKind, SwitchboardError } from '../protocol/errors.ts';
import type { WireRequest, WireResponse } from './adapter.ts';
import { malformed } from './failure.ts';

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

const defaultMaxBodyBytes = 32 * 1024 * 1024;
const defaultMaxErrorBodyBytes = 64 * 1024;

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

/** Bytes a reader may fall behind by before the upstream socket is paused. */
const highWaterMark = 64 * 1024;
/** Every this many queued chunks, those that average under `coalesceBelowBytes` are joined into one. */
const coalesceChunks = 256;
const coalesceBelowBytes = 256;

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

type Controller = Dispatcher.DispatchController;

/**
 * One request's answer, as undici's dispatcher hands it over: its chunks go straight to whoever
 * reads them, with no stream objects in between. (undici's `request()` puts a Readable and an
 * async generator between the socket and the reader; each costs every chunk of a stream a few
 * promises. Measured on a 20-chunk stream: those layers were 5-8 % of the gateway's CPU.)
 * It is the answer's body iterator too; a slow reader pauses the socket at `highWaterMark`.
 */
class Exchange implements Dispatcher.DispatchHandler, AsyncIterableIterator<Uint8Array> {
  readonly opened: Promise<OpenResponse>;
  readonly #options: SendOptions;
  #controller: Controller | undefined;
  #settle: { resolve(response: OpenResponse): void; reject(error: unknown): void } | undefined;
  readonly #queue: Buffer[] = [];
  #queued = 0;
  #waiter: { resolve(result: IteratorResult<Uint8Array>): void; reject(error: unknown): void } | undefined;
  #ended = false;
  #error: SwitchboardError | undefined;
  /** Set by `release()`: what still arrives is dropped, so the connection goes back to the pool. */
  #dropping = false;
  #releasedAt = 0;
  /** Set by `text()`: the whole body is read, up to this many bytes. */
  #whole: { maxBytes: number; bytes: number; resolve(text: string): void; reject(error: unknown): void } | undefined;
  /** The chunks queued since the last `#coalesce()` (the queue's tail), and their bytes. */
  #recent = 0;
  #recentBytes = 0;
  #status = 0;
  #headers: Record<string, string> = {};
  readonly #onAbort: (() => void) | undefined;
  /** Takes the request out of the dispatcher's queue while it waits for a connection. */
  #cancelQueued: ((reason: unknown) => void) | undefined;

  constructor(options: SendOptions) {
    this.#options = options;
    this.opened = new Promise((resolve, reject) => {
      this.#settle = { resolve, reject };
    });
    const { signal } = options;
    if (signal !== undefined) {
      this.#onAbort = () => {
        if (this.#controller !== undefined) return this.#controller.abort(signal.reason);
        // Still waiting for a connection (being made, or the pool is full): out of the queue, and the
        // caller answered now. Should it stay queued (undici was handing it over), `onRequestStart`
        // ends it before a byte is sent. Waiting would hold a failover until the connect timeout, or
        // until a stream elsewhere gives its connection back.
        const cancel = this.#cancelQueued;
        this.#cancelQueued = undefined;
        cancel?.(signal.reason);
        if (this.#settle !== undefined) this.#fail(signal.reason);
      };
      signal.addEventListener('abort', this.#onAbort, { once: true });
    }
  }

  /** Called by the dispatcher each time the request waits in a queue (the pool's, then a connection's). */
  queued(cancel: (reason: unknown) => void): void {
    this.#cancelQueued = cancel;
  }

  onRequestStart(controller: Controller): void {
    this.#controller = controller;
    this.#cancelQueued = undefined;
    // Aborted while it waited for a connection: it ends here, before a byte is sent.
    if (this.#options.signal?.aborted) controller.abort(this.#options.signal.reason);
  }

  onResponseStart(controller: Controller, statusCode: number, headers: Record<string, string | string[] | undefined>): void {
    if (statusCode < 200) return;
    this.#status = statusCode;
    this.#headers = flattenHeaders(headers);
    // The header block as read (a Buffer per name and value): parsed above, and otherwise kept for
    // the answer's life, 2-3 KB on every open stream.
    controller.rawHeaders = null;
    const settle = this.#settle;
    this.#settle = undefined;
    settle?.resolve({
      status: statusCode,
      headers: this.#headers,
      body: this,
      release: () => this.#release(),
      text: () => this.#text(),
    });
  }

  onResponseData(controller: Controller, chunk: Buffer): void {
    if (this.#dropping) {
      // What follows the protocol's end is a terminator, not a flood nor a drip (which the idle
      // timeout never catches): past 64 KB or `idleMs` the connection goes instead.
      this.#queued += chunk.byteLength;
      if (this.#queued > highWaterMark || performance.now() - this.#releasedAt > this.#options.idleMs) {
        controller.abort(new Error('more than a terminator after the body was released'));
      }
      return;
    }
    const whole = this.#whole;
    if (whole !== undefined) {
      whole.bytes += chunk.byteLength;
      if (whole.bytes > whole.maxBytes) {
        controller.abort(this.#tooLarge(whole.maxBytes));
        return;
      }
    }
    const waiter = this.#waiter;
    if (waiter !== undefined) {
      this.#waiter = undefined;
      waiter.resolve({ value: chunk, done: false });
      return;
    }
    this.#queue.push(chunk);
    this.#queued += chunk.byteLength;
    this.#recentBytes += chunk.byteLength;
    if (++this.#recent === coalesceChunks) this.#coalesce();
    if (whole === undefined && this.#queued > highWaterMark) controller.pause();
  }

  /**
   * Joins the last `coalesceChunks` queued chunks into one when they are small. Each chunk is an
   * object of its own (about 100 bytes, plus a view into the socket's read buffer): an upstream
   * that sends its body a byte per HTTP chunk would otherwise make a 32 MiB answer take gigabytes.
   */
  #coalesce(): void {
    const recentBytes = this.#recentBytes;
    this.#recent = 0;
    this.#recentBytes = 0;
    if (recentBytes >= coalesceChunks * coalesceBelowBytes) return;
    const queue = this.#queue;
    const from = queue.length - coalesceChunks;
    const joined = Buffer.concat(queue.slice(from), recentBytes);
    queue.length = from;
    queue.push(joined);
  }

  onResponseEnd(): void {
    this.#ended = true;
    this.#detach();
    const whole = this.#whole;
    if (whole !== undefined) {
      this.#whole = undefined;
      whole.resolve(this.#drain());
    }
    const waiter = this.#waiter;
    this.#waiter = undefined;
    waiter?.resolve({ value: undefined, done: true });
  }

  onResponseError(_controller: Controller | null, thrown: Error): void {
    this.#fail(thrown);
  }

  #fail(thrown: unknown): void {
    this.#detach();
    const error = transportError(thrown, this.#options);
    const settle = this.#settle;
    if (settle !== undefined) {
      this.#settle = undefined;
      settle.reject(error);
      return;
    }
    // After the headers. `text()` fails as the request does (what `readBounded` threw before);
    // a streamed body that broke is this provider's failure, not a refused connection.
    this.#error = error;
    if (this.#dropping) return;
    const whole = this.#whole;
    this.#whole = undefined;
    whole?.reject(error);
    const waiter = this.#waiter;
    this.#waiter = undefined;
    waiter?.reject(this.#interrupted());
  }

  /** The stored failure as the body's iterator throws it. */
  #interrupted(): SwitchboardError {
    const error = this.#error!;
    if (error.kind !== 'connect') return error;
    return error.with({ message: error.message.replace(': ', ': body interrupted: '), code: 'body_interrupted' });
  }

  [Symbol.asyncIterator](): this {
    return this;
  }

  next(): Promise<IteratorResult<Uint8Array>> {
    const chunk = this.#queue.shift();
    if (chunk !== undefined) {
      this.#queued -= chunk.byteLength;
      // The recent chunks are the queue's tail: this one was among them only if they were all of it.
      if (this.#recent > this.#queue.length) {
        this.#recent--;
        this.#recentBytes -= chunk.byteLength;
      }
      if (this.#queued <= highWaterMark && this.#controller?.paused) this.#controller.resume();
      return Promise.resolve({ value: chunk, done: false });
    }
    if (this.#error !== undefined) return Promise.reject(this.#interrupted());
    if (this.#ended) return Promise.resolve({ value: undefined, done: true });
    return new Promise((resolve, reject) => {
      this.#waiter = { resolve, reject };
    });
  }

  /** Stops reading; the connection is left to `release()` or the caller's abort. */
  return(): Promise<IteratorResult<Uint8Array>> {
    return Promise.resolve({ value: undefined, done: true });
  }

  #release(): void {
    this.#dropping = true;
    this.#releasedAt = performance.now();
    this.#queue.length = 0;
    this.#queued = 0;
    this.#recent = 0;
    if (this.#controller?.paused) this.#controller.resume();
  }

  #text(): Promise<string> {
    const { maxBodyBytes = defaultMaxBodyBytes, maxErrorBodyBytes = defaultMaxErrorBodyBytes } = this.#options;
    const maxBytes = this.#status >= 400 ? maxErrorBodyBytes : maxBodyBytes;
    // A declared length over the cap fails before a byte is read.
    const declared = this.#headers['content-length'];
    if (declared !== undefined && declared !== '' && Number(declared) > maxBytes) {
      const error = this.#tooLarge(maxBytes);
      this.#controller?.abort(error);
      return Promise.reject(error);
    }
    if (this.#error !== undefined) return Promise.reject(this.#error);
    if (this.#queued > maxBytes) {
      const error = this.#tooLarge(maxBytes);
      this.#controller?.abort(error);
      return Promise.reject(error);
    }
    if (this.#ended) return Promise.resolve(this.#drain());
    return new Promise((resolve, reject) => {
      this.#whole = { maxBytes, bytes: this.#queued, resolve, reject };
      if (this.#controller?.paused) this.#controller.resume();
    });
  }

  #drain(): string {
    const body = this.#queue.length === 1 ? this.#queue[0]! : Buffer.concat(this.#queue, this.#queued);
    this.#queue.length = 0;
    this.#queued = 0;
    this.#recent = 0;
    // A UTF-8 byte order mark is no part of the text (request()'s text() dropped it): JSON.parse fails on one.
    const start = body.length > 2 && body[0] === 0xef && body[1] === 0xbb && body[2] === 0xbf ? 3 : 0;
    return body.toString('utf8', start);
  }

  #tooLarge(maxBytes: number): SwitchboardError {
    return malformed(this.#options.provider, `answer larger than ${maxBytes} bytes`);
  }

  #detach(): void {
    if (this.#onAbort !== undefined) this.#options.signal?.removeEventListener('abort', this.#onAbort);
  }
}

function flattenHeaders(headers: Record<string, string | string[] | undefined>): Record<string, string> {
  const flat: Record<string, string> = {};
  for (const name in headers) {
    const value = headers[name];
    if (value !== undefined) flat[name] = Array.isArray(value) ? value.join(', ') : value;
  }
  return flat;
}

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

const timeoutCodes = new Set(['UND_ERR_CONNECT_TIMEOUT', 'UND_ERR_HEADERS_TIMEOUT', 'UND_ERR_BODY_TIMEOUT']);

/** Classifies a network failure where it is first understood. */
export function transportError(error: unknown, options: SendOptions): SwitchboardError {
  if (error instanceof SwitchboardError) return error;
  if (options.signal?.aborted) return abortedBy(options.signal.reason, options.provider);
  const code = (error as { code?: string }).code ?? '';
  const kind: FailureKind = timeoutCodes.has(code) ? 'timeout' : 'connect';
  const what =
    code === 'UND_ERR_HEADERS_TIMEOUT'
      ? `no response within ${options.firstByteMs} ms`
      : code === 'UND_ERR_BODY_TIMEOUT'
        ? `stream idle for ${options.idleMs} ms`
        : error instanceof Error
          ? `${code ? `${code}: ` : ''}${(error as Error).message}`
          : String(error);
  return new SwitchboardError(
    {
      message: `${options.provider}: ${what}`,
      status: kind === 'timeout' ? 504 : 502,
      type: kind === 'timeout' ? 'timeout_error' : 'server_error',
      code: kind === 'timeout' ? 'upstream_timeout' : 'upstream_unreachable',
      kind,
      provider: options.provider,
    },
    { cause: error },
  );
}

/** The attempt's `traceparent` when tracing is on (observe/tracing.ts); the headers as they are otherwise. */
function withTraceparent(headers: Record<string, string>): Record<string, string> {
  const traceparent = upstreamTraceparent.getStore();
  return traceparent === undefined ? headers : { ...headers, traceparent };
}
