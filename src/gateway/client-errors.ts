// Answers for requests that never reach a route: what Node's HTTP parser refuses (a malformed
// request line, a bad header, headers over the size limit) comes back in OpenAI's error shape with
// its proper status instead of Fastify's `{"error":"Bad Request","message":"Client Error"}`; and a
// body refused as too large is answered in a way a client that writes its whole body before
// reading can still read.
import type { Socket } from 'node:net';
import type { FastifyReply, FastifyRequest } from 'fastify';

/**
 * Node's parser error codes (llhttp's `HPE_*`) worth their own words; the rest are "not valid HTTP".
 * A request that times out is answered by errors.ts's answerRequestTimeout, which runs first.
 */
const parserErrors: Record<string, { status: number; code: string; message: string }> = {
  HPE_HEADER_OVERFLOW: {
    status: 431,
    code: 'request_header_fields_too_large',
    message: "The request's headers are larger than the gateway accepts.",
  },
  HPE_INVALID_METHOD: { status: 400, code: 'invalid_http', message: 'The request line has an unknown method.' },
  HPE_INVALID_URL: { status: 400, code: 'invalid_http', message: 'The request line has an invalid URL.' },
  HPE_INVALID_VERSION: { status: 400, code: 'invalid_http', message: 'The request line has an invalid HTTP version.' },
  HPE_INVALID_HEADER_TOKEN: { status: 400, code: 'invalid_http', message: 'A request header has an invalid name or value.' },
  HPE_INVALID_CONTENT_LENGTH: { status: 400, code: 'invalid_http', message: 'The Content-Length header is invalid.' },
  HPE_UNEXPECTED_CONTENT_LENGTH: {
    status: 400,
    code: 'invalid_http',
    message: 'The request has both Content-Length and Transfer-Encoding.',
  },
  HPE_INVALID_CHUNK_SIZE: { status: 400, code: 'invalid_http', message: 'The chunked request body is malformed.' },
};

/**
 * The reason phrases of the statuses above. Not node:http's STATUS_CODES: importing node:http from
 * an ES module loads Node's bundled fetch along with it (13 MB of RSS measured), which nothing else
 * in the gateway needs.
 */
const reasons: Record<number, string> = { 400: 'Bad Request', 431: 'Request Header Fields Too Large' };

/** How long a socket answered with a parser error may take to close on its side before it is destroyed. */
const closeGraceMs = 1000;

/**
 * Fastify's `clientErrorHandler`: answers a request Node's HTTP parser refused, in OpenAI's error
 * shape, and closes the connection (what follows on it cannot be trusted to be a request).
 */
export function answerClientError(error: Error & { code?: string }, socket: Socket): void {
  // A reset connection has nobody to answer; Node reports it here too.
  if (error.code === 'ECONNRESET' || socket.destroyed) return;
  const known = parserErrors[error.code ?? ''];
  const status = known?.status ?? 400;
  const body = JSON.stringify({
    error: {
      message: known?.message ?? `The request is not valid HTTP (${error.code ?? 'parse error'}).`,
      type: 'invalid_request_error',
      code: known?.code ?? 'invalid_http',
      param: null,
    },
  });
  if (socket.writable) {
    socket.end(
      `HTTP/1.1 ${status} ${reasons[status]}\r\nContent-Type: application/json\r\nContent-Length: ${Buffer.byteLength(body)}\r\nConnection: close\r\n\r\n${body}`,
    );
  }
  setTimeout(() => socket.destroy(), closeGraceMs).unref();
}

/**
 * After an error answer to a request whose body was not read (413), keeps reading and discarding
 * the rest of the body, up to `maxBytes` and `maxMs`, before the connection is closed. Closing at
 * once makes the kernel reset the connection while the client still writes, and a client that
 * writes its whole body before reading (most SDKs) then sees a reset instead of the 413 (RFC 9112
 * §9.6 calls this a lingering close). A body declared longer than `maxBytes` is not waited for.
 */
export function lingerOnUnreadBody(request: FastifyRequest, reply: FastifyReply, maxBytes: number, maxMs: number): void {
  const raw = request.raw;
  if (raw.complete) return;
  const declared = Number(raw.headers['content-length'] ?? Number.NaN);
  if (Number.isFinite(declared) && declared > maxBytes) return; // Fastify's `connection: close` stands.
  // Keep-alive, so Node does not close the socket when the answer is written; Node then reads the
  // rest of the body off the wire and drops it. The guard below bounds what it may read.
  reply.removeHeader('connection');
  const socket = raw.socket;
  const startBytes = socket.bytesRead;
  const giveUp = () => {
    cleanUp();
    socket.destroy();
  };
  const onData = () => {
    if (socket.bytesRead - startBytes > maxBytes) giveUp();
  };
  const timer = setTimeout(giveUp, maxMs);
  timer.unref();
  const cleanUp = () => {
    clearTimeout(timer);
    socket.removeListener('data', onData);
    socket.removeListener('close', cleanUp);
    raw.removeListener('end', cleanUp);
  };
  socket.on('data', onData);
  socket.once('close', cleanUp);
  // The body was read to its end: the connection is in step again and may be reused.
  raw.once('end', cleanUp);
}
