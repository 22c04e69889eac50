// The only I/O in providers/: HTTP to upstreams on undici, with one keep-alive pool
// per origin, connect / first-byte / idle timeouts, and the caller's AbortSignal
// carried into the socket so an abandoned call closes its upstream request.

import { Agent } from 'undici';
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
  async open(endpoint: Endpoint, wire: WireRequest, options: SendOptions): Promise<OpenResponse> {
    try {
      const response = await this.#agent.request({
        origin: endpoint.origin,
        path: endpoint.basePath + wire.path,
        method: 'POST',
        headers: withTraceparent(wire.headers),
        body: wire.body,
        signal: options.signal,
        headersTimeout: options.firstByteMs,
        bodyTimeout: options.idleMs,
      });
      const body = response.body;
      return {
        status: response.statusCode,
        headers: flattenHeaders(response.headers),
        // Leaving the loop early must not destroy the body: `release()` or an abort decides.
        body: guardBody(body.iterator({ destroyOnReturn: false })[Symbol.asyncIterator](), options),
        release: () => {
          body.dump().catch(() => {});
        },
        text: () => {
          const maxBytes =
            response.statusCode >= 400
              ? (options.maxErrorBodyBytes ?? defaultMaxErrorBodyBytes)
              : (options.maxBodyBytes ?? defaultMaxBodyBytes);
          return readBounded(body, response.headers['content-length'], maxBytes, options);
        },
      };
    } catch (error) {
      throw transportError(error, options);
    }
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
 * The body's chunks, its failures classified as this provider's (a break in the middle of the
 * body, not a refused connection). A plain iterator, not a generator: one layer less per chunk.
 */
function guardBody(body: AsyncIterator<Uint8Array>, options: SendOptions): AsyncIterableIterator<Uint8Array> {
  const fail = (thrown: unknown): never => {
    const error = transportError(thrown, options);
    if (error.kind !== 'connect') throw error;
    throw error.with({ message: error.message.replace(': ', ': body interrupted: '), code: 'body_interrupted' });
  };
  return {
    next: () => body.next().catch(fail),
    return: async () => {
      await body.return?.();
      return { value: undefined, done: true };
    },
    [Symbol.asyncIterator]() {
      return this;
    },
  };
}

type Body = AsyncIterable<Uint8Array> & { destroy(error?: Error): unknown; text(): Promise<string> };

/** Reads a body to its end as UTF-8, failing (and closing the connection) once it passes `maxBytes`. */
async function readBounded(body: Body, declared: unknown, maxBytes: number, options: SendOptions): Promise<string> {
  const tooLarge = () => {
    body.destroy();
    return malformed(options.provider, `answer larger than ${maxBytes} bytes`);
  };
  // A declared length over the cap fails before a byte is read; one within it is what arrives (the
  // HTTP client holds the body to it), so the usual answer is read the usual way.
  if (typeof declared === 'string' && declared !== '') {
    if (Number(declared) > maxBytes) throw tooLarge();
    return body.text().catch((error: unknown) => Promise.reject(transportError(error, options)));
  }
  const pieces: Uint8Array[] = [];
  let total = 0;
  try {
    for await (const piece of body) {
      total += piece.byteLength;
      if (total > maxBytes) throw tooLarge();
      pieces.push(piece);
    }
  } catch (error) {
    throw transportError(error, options);
  }
  return Buffer.concat(pieces, total).toString('utf8');
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
