// One upstream request's answer as undici's dispatcher hands it over (transport.ts dispatches it):
// the body's chunks queued for their reader, the socket paused when the reader falls behind, the
// whole body read within its cap, and the failures classified where they are first understood.

import type { Dispatcher } from 'undici';
import { abortedBy, type FailureKind, SwitchboardError } from '../protocol/errors.ts';
import { malformed } from './failure.ts';
import type { OpenResponse, SendOptions } from './transport.ts';

const defaultMaxBodyBytes = 32 * 1024 * 1024;
const defaultMaxErrorBodyBytes = 64 * 1024;

/** Bytes a reader may fall behind by before the upstream socket is paused. */
const highWaterMark = 64 * 1024;
/** Every this many queued chunks, those that average under `coalesceBelowBytes` are joined into one. */
const coalesceChunks = 256;
const coalesceBelowBytes = 256;

type Controller = Dispatcher.DispatchController;

/**
 * One request's answer, as undici's dispatcher hands it over: its chunks go straight to whoever
 * reads them, with no stream objects in between. (undici's `request()` puts a Readable and an
 * async generator between the socket and the reader; each costs every chunk of a stream a few
 * promises. Measured on a 20-chunk stream: those layers were 5-8 % of the gateway's CPU.)
 * It is the answer's body iterator too; a slow reader pauses the socket at `highWaterMark`.
 */
export class Exchange implements Dispatcher.DispatchHandler, AsyncIterableIterator<Uint8Array> {
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
    this.#clearQueue();
    if (this.#controller?.paused) this.#controller.resume();
  }

  #text(): Promise<string> {
    const { maxBodyBytes = defaultMaxBodyBytes, maxErrorBodyBytes = defaultMaxErrorBodyBytes } = this.#options;
    const maxBytes = this.#status >= 400 ? maxErrorBodyBytes : maxBodyBytes;
    // A declared length over the cap fails before a byte is read.
    const declared = this.#headers['content-length'];
    if (declared !== undefined && declared !== '' && Number(declared) > maxBytes) return this.#refuse(maxBytes);
    if (this.#error !== undefined) return Promise.reject(this.#error);
    if (this.#queued > maxBytes) return this.#refuse(maxBytes);
    if (this.#ended) return Promise.resolve(this.#drain());
    return new Promise((resolve, reject) => {
      this.#whole = { maxBytes, bytes: this.#queued, resolve, reject };
      if (this.#controller?.paused) this.#controller.resume();
    });
  }

  #drain(): string {
    const body = this.#queue.length === 1 ? this.#queue[0]! : Buffer.concat(this.#queue, this.#queued);
    this.#clearQueue();
    // A UTF-8 byte order mark is no part of the text (request()'s text() dropped it): JSON.parse fails on one.
    const start = body.length > 2 && body[0] === 0xef && body[1] === 0xbb && body[2] === 0xbf ? 3 : 0;
    return body.toString('utf8', start);
  }

  #tooLarge(maxBytes: number): SwitchboardError {
    return malformed(this.#options.provider, `answer larger than ${maxBytes} bytes`);
  }

  /** Closes the connection of an answer over `maxBytes`; its `text()` rejects. */
  #refuse(maxBytes: number): Promise<never> {
    const error = this.#tooLarge(maxBytes);
    this.#controller?.abort(error);
    return Promise.reject(error);
  }

  #clearQueue(): void {
    this.#queue.length = 0;
    this.#queued = 0;
    this.#recent = 0;
    this.#recentBytes = 0;
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
