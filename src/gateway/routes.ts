// The gateway's routes: the two chat dialects, models, health, status, metrics and the dashboard,
// plus the error, 404 and 405 answers, all in the error shape of the route's dialect.
import type { FastifyInstance, FastifyReply, FastifyRequest, HookHandlerDoneFunction } from 'fastify';
import { SwitchboardError } from '../protocol/errors.ts';
import { boundedMessage } from '../protocol/redact.ts';
import type { ModelInfo } from '../router/router.ts';
import { matchKey } from './auth.ts';
import { createChatHandler, logResponse, noteError } from './chat.ts';
import { lingerOnUnreadBody } from './client-errors.ts';
import type { GatewayContext } from './context.ts';
import { createCountTokensHandler } from './count-tokens.ts';
import { anthropicDialect, type Dialect, openaiDialect } from './dialects.ts';
import { createEmbeddingsHandler } from './embeddings.ts';
import { clip, collectEndpoints, dialectForPath, legacyCompletions, legacyCompletionsPath, routeNotFound } from './endpoints.ts';
import { errorHeaders, methodNotAllowed, toHttpError, unauthorized } from './errors.ts';
import { deleteStoredResponse, getStoredResponse, listInputItems, responsesDialect } from './responses-routes.ts';
import { chatRequestSchema } from './schema.ts';
import { registerStatusRoutes } from './status-routes.ts';
import { formatMs } from './stream.ts';
import { usageReport } from './usage.ts';

/** How long a refused body may keep arriving before its connection is closed (see lingerOnUnreadBody). */
const lingerMs = 10_000;

const allMethods = ['GET', 'HEAD', 'POST', 'PUT', 'DELETE', 'PATCH', 'OPTIONS'] as const;

type Hook = (request: FastifyRequest, reply: FastifyReply, done: HookHandlerDoneFunction) => void;
type Handler = (request: FastifyRequest, reply: FastifyReply) => Promise<unknown>;
interface RouteOptions {
  onRequest?: Hook;
  schema?: object;
  dialect?: Dialect;
}

export function registerRoutes(server: FastifyInstance, context: GatewayContext): void {
  // The OpenAI SDK sends `Authorization: Bearer`, the Anthropic SDK `x-api-key`: either carries a key.
  const authenticate: Hook = (request, reply, done) => {
    const { authorization, 'x-api-key': apiKey } = request.headers;
    const index = matchKey(authorization, apiKey, context.keyDigests);
    if (index !== undefined) {
      request.switchboardKeyId = context.keyIds[index] ?? null;
      return done();
    }
    reply.header('www-authenticate', dialectOf(request).challenge);
    // The body may still be on its way, one byte at a time: close rather than wait to read it.
    reply.header('connection', 'close');
    done(unauthorized(authorization !== undefined || apiKey !== undefined));
  };

  server.decorateRequest('switchboardKeyId', null);
  server.setErrorHandler((thrown, request, reply) => {
    const error = toHttpError(thrown);
    if (error.code === 'internal_error') context.logger.error({ reqId: request.id, err: thrown }, 'unhandled error');
    noteError(request, reply, error);
    if (error.status === 413) {
      lingerOnUnreadBody(request, reply, 4 * context.router.config.server.bodyLimitBytes, lingerMs);
    }
    sendError(request, reply, scrubbed(error, context.secrets));
  });
  const endpoints = collectEndpoints(server);
  server.setNotFoundHandler((request, reply) => {
    sendError(request, reply, routeNotFound(request.method, request.url, endpoints));
  });
  server.addHook('onResponse', (request, reply, done) => {
    logResponse(context, request, reply);
    done();
  });

  route(
    server,
    'POST',
    '/v1/chat/completions',
    { onRequest: authenticate, schema: { body: chatRequestSchema } },
    createChatHandler(context, openaiDialect),
  );
  route(
    server,
    'POST',
    '/v1/messages',
    { onRequest: authenticate, dialect: anthropicDialect },
    createChatHandler(context, anthropicDialect),
  );

  route(
    server,
    'POST',
    '/v1/messages/count_tokens',
    { onRequest: authenticate, dialect: anthropicDialect },
    createCountTokensHandler(context),
  );
  route(server, 'POST', '/v1/embeddings', { onRequest: authenticate }, createEmbeddingsHandler(context));
  const responses = responsesDialect(context);
  route(server, 'POST', '/v1/responses', { onRequest: authenticate, dialect: responses }, createChatHandler(context, responses));
  routeMethods(
    server,
    '/v1/responses/:id',
    { onRequest: authenticate },
    {
      GET: (request) => getStoredResponse(context, request),
      DELETE: (request) => deleteStoredResponse(context, request),
    },
  );
  route(server, 'GET', '/v1/responses/:id/input_items', { onRequest: authenticate }, (request) =>
    listInputItems(context, request),
  );

  route(server, 'GET', '/v1/models', { onRequest: authenticate }, async () => ({
    object: 'list',
    data: context.router.models().map(modelObject),
  }));
  // A wildcard, for model ids with slashes (`meta-llama/llama-3.1-8b`), sent encoded or not.
  route(server, 'GET', '/v1/models/*', { onRequest: authenticate }, async (request) => {
    const id = (request.params as { '*': string })['*'];
    const model = context.router.models().find((candidate) => candidate.id === id);
    if (model === undefined) throw modelNotFound(id);
    return modelObject(model);
  });
  route(server, 'POST', legacyCompletionsPath, {}, async () => {
    throw legacyCompletions();
  });

  route(server, 'GET', '/healthz', {}, async (_request, reply) => {
    if (context.closing) reply.code(503);
    return { status: context.closing ? 'draining' : 'ok' };
  });

  route(server, 'GET', '/usage', { onRequest: authenticate }, async (request) => usageReport(context, request.query));

  registerStatusRoutes(context, (method, url, options, handler) => route(server, method, url, options, handler), authenticate);
}

/** Registers a route, and a 405 naming the allowed method for every other method on its path. */
function route(server: FastifyInstance, method: 'GET' | 'POST', url: string, options: RouteOptions, handler: Handler): void {
  routeMethods(server, url, options, { [method]: handler });
}

/** Registers a handler per method on one path, and a 405 naming them for every other method. */
function routeMethods(
  server: FastifyInstance,
  url: string,
  options: RouteOptions,
  handlers: Partial<Record<'GET' | 'POST' | 'DELETE', Handler>>,
): void {
  const { dialect, ...rest } = options;
  const config = { dialect: dialect ?? openaiDialect };
  const methods = Object.keys(handlers) as Array<keyof typeof handlers>;
  for (const method of methods) server.route({ method, url, ...rest, config, handler: handlers[method] as Handler });
  const taken = new Set<string>(methods.includes('GET') ? [...methods, 'HEAD'] : methods);
  const allowed = [...taken].join(', ');
  const others = allMethods.filter((other) => !taken.has(other));
  server.route({
    method: [...others],
    url,
    config,
    handler: async (request, reply) => {
      reply.header('allow', allowed);
      throw methodNotAllowed(request.method, request.url, allowed);
    },
  });
}

function dialectOf(request: FastifyRequest): Dialect {
  return (request.routeOptions.config as { dialect?: Dialect }).dialect ?? dialectForPath(request.url);
}

/** OpenAI's `Model` object, with the providers serving it as an extension. */
function modelObject(model: ModelInfo) {
  return { id: model.id, object: 'model', created: 0, owned_by: 'switchboard', providers: model.providers };
}

/** OpenAI's answer for an unknown model id, the id clipped. */
function modelNotFound(id: string): SwitchboardError {
  return new SwitchboardError({
    message: `The model '${clip(id)}' does not exist`,
    status: 404,
    type: 'invalid_request_error',
    code: 'model_not_found',
    kind: 'model-not-found',
    param: 'model',
  });
}

/** The last line of defence for an error answer: no configured credential leaves, whatever built the message. */
function scrubbed(error: SwitchboardError, secrets: readonly string[]): SwitchboardError {
  const message = boundedMessage(error.message, secrets);
  return message === error.message ? error : error.with({ message });
}

function sendError(request: FastifyRequest, reply: FastifyReply, error: SwitchboardError): void {
  reply.code(error.status);
  reply.headers(errorHeaders(error));
  reply.header('x-request-id', request.id);
  reply.header('x-switchboard-latency-ms', formatMs(reply.elapsedTime));
  reply.send(dialectOf(request).error(error));
}
