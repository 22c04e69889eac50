// What the Responses routes need besides the dialect: reading and deleting stored responses
// (`GET` and `DELETE /v1/responses/{id}`), and which providers run a request's built-in tools.
import type { FastifyRequest } from 'fastify';
import { invalidRequest } from '../protocol/errors.ts';
import type { GatewayContext } from './context.ts';
import type { Dialect } from './dialects.ts';
import { createResponsesDialect } from './responses-dialect.ts';

/** The Responses dialect for a gateway, over its store and its router's providers. */
export function responsesDialect(context: GatewayContext): Dialect {
  return createResponsesDialect({
    store: context.responses,
    providersForTools: (model, tools) => providersForTools(context, model, tools),
    onStoreError: (error) => context.logger.warn({ err: error }, 'a response could not be stored'),
  });
}

/** `GET /v1/responses/{id}`: the stored response object. */
export async function getStoredResponse(context: GatewayContext, request: FastifyRequest): Promise<unknown> {
  const id = idOf(request);
  const stored = await context.responses.get(id);
  // Another caller's response is as unknown as a missing one.
  if (stored === undefined || stored.owner !== request.switchboardKeyId) throw notFound(id);
  return stored.response;
}

/** `DELETE /v1/responses/{id}`: forgets a stored response. */
export async function deleteStoredResponse(context: GatewayContext, request: FastifyRequest): Promise<unknown> {
  const id = idOf(request);
  const stored = await context.responses.get(id);
  if (stored === undefined || stored.owner !== request.switchboardKeyId || !(await context.responses.delete(id))) {
    throw notFound(id);
  }
  return { id, object: 'response', deleted: true };
}

function idOf(request: FastifyRequest): string {
  return (request.params as { id: string }).id;
}

function notFound(id: string) {
  return invalidRequest(`Response with id '${id}' not found.`, 'response_id', 'not_found', 404);
}

/**
 * The providers of `model` that declared every one of `tools` in `builtinTools`. When none did,
 * a 400 names each tool and the providers that do not run it. An unknown model passes, for the
 * router's own 404.
 */
function providersForTools(context: GatewayContext, model: string, tools: readonly string[]): readonly string[] {
  const serving = context.router.models().find((info) => info.id === model)?.providers;
  if (serving === undefined) return [];
  const configured = context.router.config.providers;
  const runs = (provider: string, tool: string) => configured[provider]?.builtinTools.includes(tool) ?? false;
  const able = serving.filter((provider) => tools.every((tool) => runs(provider, tool)));
  if (able.length > 0) return able;
  const missing = [...new Set(tools)].map((tool) => {
    const lacking = serving.filter((provider) => !runs(provider, tool));
    return `'${tool}' is not run by ${lacking.join(', ')}`;
  });
  const message = `No provider of model '${model}' runs the built-in tools of this request: ${missing.join('; ')}. A provider that runs them lists them in its builtinTools.`;
  throw invalidRequest(message, 'tools', 'unsupported_tool');
}
