// What the Responses routes need besides the dialect: reading and deleting stored responses
// (`GET` and `DELETE /v1/responses/{id}`, `GET …/input_items`), and which providers run a
// request's built-in tools.
import type { FastifyRequest } from 'fastify';
import { invalidRequest } from '../protocol/errors.ts';
import type { ConversationItem } from '../protocol/responses.ts';
import type { GatewayContext } from './context.ts';
import type { Dialect } from './dialects.ts';
import { clip } from './endpoints.ts';
import { outputText } from './responses-answer.ts';
import { createResponsesDialect } from './responses-dialect.ts';

/** The Responses dialect for a gateway, over its store and its router's providers. */
export function responsesDialect(context: GatewayContext): Dialect {
  return createResponsesDialect({
    store: context.responses,
    providersForTools: (model, tools) => providersForTools(context, model, tools),
    // The message only: a driver's error (its cause) may name the store's address.
    onStoreError: (error) =>
      context.logger.warn({ error: error instanceof Error ? error.message : String(error) }, 'a response could not be stored'),
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

/**
 * `GET /v1/responses/{id}/input_items`: the items the response was given (its earlier conversation
 * included), as a cursor page: `limit` (1–100, default 20), `order` (`desc` by default), `after`
 * and `before` item ids.
 */
export async function listInputItems(context: GatewayContext, request: FastifyRequest): Promise<unknown> {
  const id = idOf(request);
  const stored = await context.responses.get(id);
  if (stored === undefined || stored.owner !== request.switchboardKeyId) throw notFound(id);
  const query = request.query as Record<string, unknown>;
  const limit = query.limit === undefined ? 20 : Number(query.limit);
  if (!Number.isInteger(limit) || limit < 1 || limit > 100) {
    throw invalidRequest("Invalid 'limit': expected an integer from 1 to 100.", 'limit', 'invalid_value');
  }
  if (query.order !== undefined && query.order !== 'asc' && query.order !== 'desc') {
    throw invalidRequest("Invalid 'order': expected 'asc' or 'desc'.", 'order', 'invalid_value');
  }
  let items = stored.conversation.map((item) => inputItemView(item));
  if (query.order !== 'asc') items = items.reverse();
  const cursor = (name: 'after' | 'before') => {
    const value = query[name];
    if (value === undefined) return undefined;
    const at = items.findIndex((item) => item.id === value);
    if (at === -1)
      throw invalidRequest(`No input item '${clip(String(value))}' in response '${clip(id)}'.`, name, 'invalid_value');
    return at;
  };
  const after = cursor('after');
  const before = cursor('before');
  const window = items.slice(after === undefined ? 0 : after + 1, before ?? items.length);
  const data = window.slice(0, limit);
  return {
    object: 'list',
    data,
    first_id: data[0]?.id ?? null,
    last_id: data.at(-1)?.id ?? null,
    has_more: window.length > limit,
  };
}

// Listed input messages carry their content as parts, as OpenAI lists them.
function inputItemView(item: ConversationItem): ConversationItem & { id: string } {
  const id = item.id ?? '';
  if (item.type !== 'message' || typeof item.content !== 'string') return { ...item, id };
  const content = item.role === 'assistant' ? [outputText(item.content)] : [{ type: 'input_text' as const, text: item.content }];
  return { ...item, id, content, status: item.status ?? 'completed' };
}

function idOf(request: FastifyRequest): string {
  return (request.params as { id: string }).id;
}

function notFound(id: string) {
  return invalidRequest(`Response with id '${clip(id)}' not found.`, 'response_id', 'not_found', 404);
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
