// Every error the gateway answers with, in OpenAI's shape: `{"error":{"message","type","code","param"}}`.
// A SwitchboardError carries its own status; Fastify's own errors (body too large, bad JSON,
// schema violations) are translated here, and anything unexpected becomes a 500 that says
// nothing of its internals.
import type { Duplex } from 'node:stream';
import { invalidRequest, SwitchboardError } from '../protocol/errors.ts';
import { excerpt } from '../protocol/redact.ts';
import { type SchemaIssue, schemaError } from './schema.ts';

/** The error a gateway answers with for anything thrown while handling a request. */
export function toHttpError(thrown: unknown): SwitchboardError {
  if (thrown instanceof SwitchboardError) return thrown;
  const error = thrown as { statusCode?: unknown; code?: unknown; message?: unknown; validation?: SchemaIssue[] } | null;
  const issue = error?.validation?.[0];
  if (issue) return schemaError(issue);
  const status = typeof error?.statusCode === 'number' ? error.statusCode : 500;
  if (status === 413) {
    return invalidRequest('The request body is larger than the gateway accepts.', null, 'request_too_large', 413);
  }
  if (status === 415) return invalidRequest('Send the request body as JSON.', null, 'unsupported_media_type', 415);
  if (status >= 400 && status < 500) {
    const code = error?.code === 'FST_ERR_CTP_INVALID_JSON_BODY' || error?.code === 'FST_ERR_CTP_EMPTY_JSON_BODY';
    // Fastify's 4xx messages describe the request (and never our internals), so they are safe to pass on.
    // Some quote the request (a content type, a header), so they are bounded and scrubbed like any quotation.
    const message = code ? 'The request body is not valid JSON.' : excerpt(String(error?.message ?? 'Bad request'));
    return invalidRequest(message, null, code ? 'invalid_json' : null, status);
  }
  return new SwitchboardError(
    {
      message: 'The gateway failed to handle the request.',
      status: 500,
      type: 'server_error',
      code: 'internal_error',
      kind: 'server',
    },
    { cause: thrown },
  );
}

/**
 * A `clientError` listener for the server: a request whose headers or body did not all arrive
 * within server.requestTimeoutMs gets a 408 in OpenAI's shape, if the socket can still take it,
 * and its connection is closed. Other client errors are left to the next listener.
 */
export function answerRequestTimeout(error: NodeJS.ErrnoException, socket: Duplex): void {
  if (error.code !== 'ERR_HTTP_REQUEST_TIMEOUT' || socket.destroyed) return;
  if (socket.writable) {
    const body = JSON.stringify(
      invalidRequest('The request did not arrive in time (server.requestTimeoutMs).', null, 'request_timeout', 408).toJSON(),
    );
    socket.write(
      'HTTP/1.1 408 Request Timeout\r\nconnection: close\r\ncontent-type: application/json; charset=utf-8\r\n' +
        `content-length: ${Buffer.byteLength(body)}\r\n\r\n${body}`,
    );
  }
  socket.destroy();
}

/** Headers an error answer carries: how many attempts were made, and when to come back. */
export function errorHeaders(error: SwitchboardError): Record<string, string> {
  const headers: Record<string, string> = {};
  if (error.attempts.length > 0) headers['x-switchboard-attempts'] = String(error.attempts.length);
  // Only when one provider's answer is what is passed on (a 400 it gave), not for "every provider failed".
  if (error.provider !== undefined) headers['x-switchboard-provider'] = error.provider;
  if (error.retryAfterMs !== undefined && error.retryAfterMs > 0) {
    headers['retry-after'] = String(Math.ceil(error.retryAfterMs / 1000));
  }
  return headers;
}

/** `{"error":{...}}` as one SSE event, for a stream that fails after it has started. */
export function errorEvent(error: SwitchboardError): string {
  return `data: ${JSON.stringify(error.toJSON())}\n\n`;
}

export function methodNotAllowed(method: string, url: string, allowed: string): SwitchboardError {
  return new SwitchboardError({
    message: `Method ${method} is not allowed on ${pathOf(url)}; use ${allowed}.`,
    status: 405,
    type: 'invalid_request_error',
    code: 'method_not_allowed',
    kind: 'bad-request',
  });
}

export function unauthorized(presented: boolean): SwitchboardError {
  return new SwitchboardError({
    message: presented
      ? 'Incorrect API key provided.'
      : 'Missing API key: send it as `Authorization: Bearer <key>` (one of server.apiKeys).',
    status: 401,
    type: 'authentication_error',
    code: 'invalid_api_key',
    kind: 'auth',
  });
}

export function shuttingDown(): SwitchboardError {
  return new SwitchboardError({
    message: 'The gateway is shutting down; retry on another instance.',
    status: 503,
    type: 'server_error',
    code: 'shutting_down',
    kind: 'server',
    retryAfterMs: 1000,
  });
}

/** The reason a request's upstream work is abandoned when its client goes away. */
export function clientClosed(): SwitchboardError {
  return new SwitchboardError({
    message: 'The client closed the connection.',
    status: 499,
    type: 'request_aborted',
    code: 'client_closed_request',
    kind: 'aborted',
  });
}

/** The path of a URL without its query, which may hold things that do not belong in messages or logs; at most 200 characters. */
export function pathOf(url: string): string {
  const query = url.indexOf('?');
  const path = query === -1 ? url : url.slice(0, query);
  return path.length > 200 ? excerpt(path, [], 200) : path;
}
