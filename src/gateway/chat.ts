// The chat routes' handler, shared by both dialects. The hot path: one JSON parse (Fastify),
// one compiled schema check (OpenAI) or translation (Anthropic), the router, one serialisation
// out. The handler is made once per route; a request allocates its Exchange and AbortController.
import type { ServerResponse } from 'node:http';
import type { FastifyReply, FastifyRequest } from 'fastify';
import type { Usage } from '../protocol/chat.ts';
import type { Attempt, SwitchboardError } from '../protocol/errors.ts';
import { boundedMessage, excerpt } from '../protocol/redact.ts';
import type { UsageRow } from '../usage/database.ts';
import type { GatewayContext } from './context.ts';
import type { Dialect } from './dialects.ts';
import { clientClosed, pathOf, shuttingDown } from './errors.ts';
import { formatMs, writeStream } from './stream.ts';

/** The routes whose requests go to the router, counted in the request metrics even when refused. */
export const chatPaths: ReadonlySet<string> = new Set([
  '/v1/chat/completions',
  '/v1/messages',
  '/v1/responses',
  '/v1/embeddings',
]);

/** One routed request's bookkeeping, from the handler to its log line. */
export class Exchange {
  readonly context: GatewayContext;
  readonly controller = new AbortController();
  readonly stream: boolean;
  /** Epoch ms when the request reached the handler. */
  readonly at = Date.now();
  readonly askedModel: string;
  readonly keyId: string | null;
  model: string;
  /** Tokens of the answer, as the provider reported them (0 when it did not). */
  inputTokens = 0;
  outputTokens = 0;
  provider = 'none';
  attempts: readonly Attempt[] = [];
  error: SwitchboardError | undefined = undefined;
  costUsd: number | undefined = undefined;
  recoveries = 0;
  /** Logged and counted; a client that left may bring two paths here. */
  finished = false;
  constructor(context: GatewayContext, request: { model: string; stream?: boolean | null | undefined }, keyId: string | null) {
    this.context = context;
    this.stream = request.stream === true;
    this.model = request.model;
    this.askedModel = request.model;
    this.keyId = keyId;
  }
}

interface TrackedResponse extends ServerResponse {
  switchboardExchange?: Exchange;
}

/** Shared by every chat response: a client that leaves aborts the upstream work, and drain counts down. */
function onExchangeClose(this: TrackedResponse): void {
  const exchange = this.switchboardExchange!;
  if (!this.writableFinished) exchange.controller.abort(clientClosed());
  const context = exchange.context;
  context.inflight -= 1;
  if (context.inflight === 0 && context.closing) context.onIdle?.();
}

/**
 * The whole response is written but may sit in the socket's buffer, for a client that stopped
 * reading: give it `writeTimeoutMs` to take it, then close the connection, so that it holds
 * neither a file descriptor nor a drain forever.
 */
function onExchangeEnded(this: TrackedResponse): void {
  const ms = this.switchboardExchange!.context.writeTimeoutMs;
  const socket = this.socket;
  if (ms === 0 || socket === null || socket.writableLength === 0) return;
  const timer = setTimeout(() => {
    if (!this.writableFinished) this.destroy();
  }, ms);
  timer.unref();
  const clear = () => clearTimeout(timer);
  this.once('finish', clear);
  this.once('close', clear);
}

/** Starts the bookkeeping of a routed request: the client leaving aborts it, and drain waits for it. */
export function beginExchange(
  context: GatewayContext,
  reply: FastifyReply,
  request: { model: string; stream?: boolean | null | undefined },
): Exchange {
  const exchange = new Exchange(context, request, reply.request.switchboardKeyId);
  const response = reply.raw as TrackedResponse;
  response.switchboardExchange = exchange;
  context.inflight += 1;
  response.once('close', onExchangeClose);
  response.once('prefinish', onExchangeEnded);
  return exchange;
}

export function createChatHandler(context: GatewayContext, dialect: Dialect) {
  return async (request: FastifyRequest, reply: FastifyReply) => {
    if (context.closing) throw shuttingDown();
    const requested = dialect.request(request.body, request.switchboardKeyId);
    // Only a dialect with stored state (Responses) needs to wait; the others stay synchronous.
    const chat = requested instanceof Promise ? await requested : requested;
    const exchange = beginExchange(context, reply, chat);
    const response = reply.raw as TrackedResponse;
    const strategy = request.headers['x-switchboard-strategy'];
    const session = request.headers[context.router.config.routing.affinity.header];
    const only = dialect.only?.(chat);
    const options = {
      signal: exchange.controller.signal,
      strategy: typeof strategy === 'string' ? strategy : undefined,
      ...(typeof session === 'string' && { session }),
      ...(only !== undefined && { only }),
      ...(typeof request.headers.traceparent === 'string' && { traceparent: request.headers.traceparent }),
    };

    if (exchange.stream) {
      const result = await context.router.stream(chat, options);
      exchange.model = result.model;
      exchange.attempts = result.attempts;
      context.metrics.recordFirstToken(result.provider, result.latencyMs / 1000);
      reply.hijack();
      if (response.destroyed) {
        exchange.error = clientClosed();
        await result.cancel();
      } else {
        exchange.error = await writeStream(
          response,
          result,
          dialect.events(chat),
          request.id,
          exchange.controller.signal,
          context.writeTimeoutMs,
        );
      }
      // Read at the end: a stream recovered elsewhere has changed provider, and its cost is known now.
      exchange.provider = result.provider;
      exchange.costUsd = result.costUsd;
      countTokens(exchange, result.usage);
      exchange.recoveries = result.recoveries;
      finish(request, exchange, 200, reply.elapsedTime);
      return reply;
    }

    const result = await context.router.complete(chat, options);
    exchange.provider = result.provider;
    exchange.model = result.model;
    exchange.attempts = result.attempts;
    exchange.costUsd = result.costUsd;
    countTokens(exchange, result.response.usage);
    setAnswerHeaders(reply, request.id, result);
    return dialect.response(result, chat);
  };
}

/** The `x-switchboard-*` headers of a whole (not streamed) answer, shared by chat and embeddings. */
export function setAnswerHeaders(
  reply: FastifyReply,
  requestId: string,
  result: { provider: string; model: string; attempts: readonly Attempt[]; latencyMs: number; costUsd?: number },
): void {
  reply.headers({
    'x-request-id': requestId,
    'x-switchboard-provider': result.provider,
    'x-switchboard-model': result.model,
    'x-switchboard-attempts': String(result.attempts.length),
    'x-switchboard-latency-ms': formatMs(result.latencyMs),
  });
  if (result.costUsd !== undefined) reply.header('x-switchboard-cost-usd', String(result.costUsd));
}

/** Keeps an error on its chat exchange, if the request got that far; accounts for it now if the client is gone. */
export function noteError(request: FastifyRequest, reply: FastifyReply, error: SwitchboardError): void {
  const response = reply.raw as TrackedResponse;
  const exchange = response.switchboardExchange;
  if (exchange === undefined) return;
  exchange.error = error;
  if (error.attempts.length > 0) exchange.attempts = error.attempts;
  if (error.provider !== undefined) exchange.provider = error.provider;
  // No 'finish' and so no onResponse hook will come for a destroyed response.
  if (response.destroyed) finish(request, exchange, error.status, reply.elapsedTime);
}

/** The one log line and the metrics of a finished response (onResponse hook, or a stream's end). */
export function logResponse(context: GatewayContext, request: FastifyRequest, reply: FastifyReply): void {
  const exchange = (reply.raw as TrackedResponse).switchboardExchange;
  if (exchange !== undefined) finish(request, exchange, reply.statusCode, reply.elapsedTime);
  else logOther(context, request, reply.statusCode, reply.elapsedTime);
}

function finish(request: FastifyRequest, exchange: Exchange, status: number, elapsedMs: number): void {
  if (exchange.finished) return;
  exchange.finished = true;
  const { context, error, attempts } = exchange;
  // A stream that broke after its 200 went out is counted and logged with its error's status.
  const outcome = error !== undefined && exchange.stream ? error.status : status;
  context.metrics.recordRequest({
    model: context.knownModels.has(exchange.model) ? exchange.model : 'unknown',
    provider: exchange.provider,
    status: outcome,
    stream: exchange.stream,
    seconds: elapsedMs / 1000,
    attempts,
    costUsd: exchange.costUsd,
    recoveries: exchange.recoveries,
  });
  const line: Record<string, unknown> = {
    reqId: request.id,
    // A name the caller made up may be megabytes long, or a key pasted in the wrong field.
    model: context.knownModels.has(exchange.model) ? exchange.model : excerpt(exchange.model, context.secrets, 100),
    provider: exchange.provider,
    attempts: attempts.length,
    status: outcome,
    latencyMs: Math.round(elapsedMs * 10) / 10,
    stream: exchange.stream,
  };
  if (attempts.length > 1)
    line.tried = attempts.map((attempt) => `${attempt.provider}:${attempt.status || attempt.outcome}`).join(' ');
  if (exchange.recoveries > 0) line.recoveries = exchange.recoveries;
  if (exchange.costUsd !== undefined) line.costUsd = exchange.costUsd;
  if (error !== undefined) {
    line.error = error.code ?? error.type;
    line.message = boundedMessage(error.message, context.secrets);
  }
  if (outcome >= 500) context.logger.warn(line, 'chat completion failed');
  else context.logger.info(line, 'chat completion');
  const row = usageRow(exchange, outcome, elapsedMs);
  context.usage?.record(row);
  if (row.provider !== null) countSpend(context, row);
}

/** Spend per provider, model and key in the state store: with Redis, every replica's requests add up there. */
function countSpend(context: GatewayContext, row: UsageRow): void {
  const delta = { requests: 1, inputTokens: row.inputTokens, outputTokens: row.outputTokens, costUsd: row.costUsd ?? 0 };
  context.store.addSpend(`provider:${row.provider}`, delta);
  context.store.addSpend(`model:${row.model ?? row.askedModel}`, delta);
  context.store.addSpend(`key:${row.keyId ?? '(none)'}`, delta);
}

function countTokens(exchange: Exchange, usage: Usage | null | undefined): void {
  exchange.inputTokens = usage?.prompt_tokens ?? 0;
  exchange.outputTokens = usage?.completion_tokens ?? 0;
}

function usageRow(exchange: Exchange, status: number, elapsedMs: number): UsageRow {
  // A recovered stream has several answering attempts: the provider that finished it is named.
  const answered = exchange.attempts.findLast((attempt) => attempt.outcome === 'ok' && attempt.provider === exchange.provider);
  const ok = answered !== undefined;
  return {
    at: exchange.at,
    keyId: exchange.keyId,
    // As in the log line: a made-up name may be megabytes (stored, then served by GET /usage) or a key.
    askedModel: exchange.context.knownModels.has(exchange.askedModel)
      ? exchange.askedModel
      : excerpt(exchange.askedModel, exchange.context.secrets, 100),
    model: ok ? exchange.model : null,
    providerModel: ok ? answered.model : null,
    provider: ok ? answered.provider : null,
    attempts: exchange.attempts.length,
    status,
    inputTokens: exchange.inputTokens,
    outputTokens: exchange.outputTokens,
    costUsd: exchange.costUsd ?? null,
    latencyMs: Math.round(elapsedMs * 10) / 10,
    stream: exchange.stream,
  };
}

/** Requests that never became an exchange: other routes, and chat requests refused before the router. */
function logOther(context: GatewayContext, request: FastifyRequest, status: number, elapsedMs: number): void {
  const path = pathOf(request.url);
  const line = { reqId: request.id, method: request.method, path, status, latencyMs: Math.round(elapsedMs * 10) / 10 };
  if (chatPaths.has(path)) {
    const seconds = elapsedMs / 1000;
    context.metrics.recordRequest({ model: 'unknown', provider: 'none', status, stream: false, seconds, attempts: [] });
  }
  // The dashboard polls /status every second: routine reads stay at debug.
  if (status >= 400 || path.startsWith('/v1/')) context.logger.info(line, 'request');
  else context.logger.debug(line, 'request');
}
