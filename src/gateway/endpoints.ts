// What the gateway serves, for the answers to what it does not: the unknown URL's 404 lists the
// endpoints (collected as routes register, so a new route is listed without being named here),
// the legacy completions endpoint says which one to use, and a path under /v1/messages gets its
// errors in Anthropic's shape even when no route matched.
import type { FastifyInstance } from 'fastify';
import { SwitchboardError } from '../protocol/errors.ts';
import { anthropicDialect, type Dialect, openaiDialect } from './dialects.ts';
import { pathOf } from './errors.ts';

/** The legacy text completions endpoint, answered only to say it is not served. */
export const legacyCompletionsPath = '/v1/completions';

/** Collects `METHOD /path` for every route registered after this call (the 405 catch-alls, HEAD and the legacy path left out). */
export function collectEndpoints(server: FastifyInstance): readonly string[] {
  const endpoints: string[] = [];
  server.addHook('onRoute', (route) => {
    if (typeof route.method !== 'string' || route.method === 'HEAD' || route.url === legacyCompletionsPath) return;
    endpoints.push(`${route.method} ${route.url.replace(/\/\*$/, '/{id}').replace(/:(\w+)/g, '{$1}')}`);
  });
  return endpoints;
}

/** A bounded, printable excerpt of something the client sent, for a message. */
export function clip(text: string, max = 120): string {
  // biome-ignore lint/suspicious/noControlCharactersInRegex: control characters are what is replaced
  const printable = text.replace(/[\u0000-\u001f\u007f]/g, '?');
  return printable.length > max ? `${printable.slice(0, max)}…` : printable;
}

export function routeNotFound(method: string, url: string, endpoints: readonly string[]): SwitchboardError {
  return new SwitchboardError({
    message: `Invalid URL (${clip(method, 16)} ${clip(pathOf(url))}). This gateway serves: ${endpoints.join(', ')}.`,
    status: 404,
    type: 'invalid_request_error',
    code: 'unknown_url',
    kind: 'bad-request',
  });
}

/** The legacy text completions endpoint: not served, and the message says what to use. */
export function legacyCompletions(): SwitchboardError {
  return new SwitchboardError({
    message:
      'POST /v1/completions (legacy text completions) is not served by this gateway. Send chat requests to POST /v1/chat/completions: put the prompt in a user message (`messages: [{"role":"user","content": prompt}]`).',
    status: 404,
    type: 'invalid_request_error',
    code: 'unsupported_endpoint',
    kind: 'bad-request',
  });
}

/** The dialect whose error shape a path's answers take: Anthropic's under /v1/messages, else OpenAI's. */
export function dialectForPath(url: string): Dialect {
  const path = pathOf(url);
  return path === '/v1/messages' || path.startsWith('/v1/messages/') ? anthropicDialect : openaiDialect;
}
