// What the person on call reads: /status, its live stream, the probe button's route, /metrics,
// and the dashboard with its chart library. When the gateway has keys these need one too
// (`server.protectStatus`, on by default then); /healthz stays open for load balancers.
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import type { FastifyReply, FastifyRequest, HookHandlerDoneFunction } from 'fastify';
import { dashboardPage } from '../dashboard/page.ts';
import { invalidRequest, SwitchboardError } from '../protocol/errors.ts';
import { isAuthorized } from './auth.ts';
import type { GatewayContext } from './context.ts';

type Hook = (request: FastifyRequest, reply: FastifyReply, done: HookHandlerDoneFunction) => void;
type Handler = (request: FastifyRequest, reply: FastifyReply) => Promise<unknown>;
type Route = (method: 'GET' | 'POST', url: string, options: { onRequest?: Hook }, handler: Handler) => void;

/** One update a second at most; a reader that stops reading is dropped past this much unsent. */
const streamIntervalMs = 1000;
const maxUnsentBytes = 1024 * 1024;

const require = createRequire(import.meta.url);
/** uPlot, served by the gateway itself: the page loads nothing from elsewhere. Read once. */
const assets: Record<string, { type: string; body: string }> = {
  'uplot.js': {
    type: 'text/javascript; charset=utf-8',
    body: readFileSync(require.resolve('uplot/dist/uPlot.iife.min.js'), 'utf8'),
  },
  'uplot.css': { type: 'text/css; charset=utf-8', body: readFileSync(require.resolve('uplot/dist/uPlot.min.css'), 'utf8') },
};

const pageSecurity =
  "default-src 'none'; script-src 'self' 'unsafe-inline'; style-src 'self' 'unsafe-inline'; connect-src 'self'; img-src 'self' data:";

/** Whether the status routes need a key now (the config may have been reloaded). */
export function statusProtected(context: GatewayContext): boolean {
  const server = context.router.config.server;
  return context.keyDigests.length > 0 && (server.protectStatus ?? true);
}

/** The body of `/status`: upstream error texts only for a caller with a key. */
export function statusBody(context: GatewayContext, detail: boolean) {
  const { backend, shared, connected, error } = context.store.connection();
  return {
    status: context.closing ? 'draining' : 'ok',
    now: Date.now(),
    providers: context.router.status({ detail }),
    models: context.router.models(),
    ...(context.usage !== undefined && { usage: context.usage.status() }),
    state: { backend, shared, connected, ...(detail && { location: context.stateLocation, error }) },
  };
}

export function registerStatusRoutes(context: GatewayContext, route: Route, authenticate: Hook): void {
  const guard: Hook = (request, reply, done) => (statusProtected(context) ? authenticate(request, reply, done) : done());
  const detailFor = (request: FastifyRequest) =>
    isAuthorized(request.headers.authorization, request.headers['x-api-key'], context.keyDigests);

  route('GET', '/status', { onRequest: guard }, async (request, reply) => {
    reply.header('cache-control', 'no-store');
    return statusBody(context, detailFor(request));
  });

  route('GET', '/status/stream', { onRequest: guard }, async (request, reply) => {
    streamStatus(context, request, reply, detailFor(request));
  });

  route('POST', '/status/probe', { onRequest: guard }, async (request) => {
    const body = request.body as { deployment?: unknown } | null | undefined;
    const id = body !== null && typeof body === 'object' ? body.deployment : undefined;
    if (typeof id !== 'string' || id === '') throw invalidRequest('`deployment` (a deployment id) is required', 'deployment');
    const result = await context.router.probeNow(id);
    if (result === undefined) {
      throw new SwitchboardError({
        message: `no deployment "${id.slice(0, 100)}"`,
        status: 404,
        type: 'invalid_request_error',
        code: 'deployment_not_found',
        kind: 'model-not-found',
        param: 'deployment',
      });
    }
    return result;
  });

  route('GET', '/metrics', { onRequest: guard }, async (_request, reply) => {
    reply.header('content-type', context.metrics.registry.contentType);
    return context.metrics.registry.metrics();
  });

  // Without a key the page is answered 401 with its shell alone, which asks for the key: a
  // browser cannot send a header when it navigates. Every figure arrives over the stream.
  route('GET', '/', {}, async (request, reply) => {
    reply.headers({
      'content-type': 'text/html; charset=utf-8',
      'cache-control': 'no-cache',
      'content-security-policy': pageSecurity,
    });
    if (statusProtected(context) && !detailFor(request)) reply.code(401);
    return dashboardPage;
  });

  for (const [name, asset] of Object.entries(assets)) {
    route('GET', `/assets/${name}`, {}, async (_request, reply) => {
      reply.headers({ 'content-type': asset.type, 'cache-control': 'public, max-age=86400' });
      return asset.body;
    });
  }
}

/**
 * Server-sent events: at once the status, every kept event and the whole history; then once a
 * second the status, the events since, and the history steps since (the open one included).
 * The history is the fleet's when the state store is shared (`historyScope`), the events this
 * replica's.
 */
function streamStatus(context: GatewayContext, request: FastifyRequest, reply: FastifyReply, detail: boolean): void {
  reply.hijack();
  const socket = reply.raw;
  socket.writeHead(200, {
    'content-type': 'text/event-stream; charset=utf-8',
    'cache-control': 'no-store',
    'x-accel-buffering': 'no',
    connection: 'keep-alive',
  });
  const observer = context.router.observer;
  let seq = 0;
  let after = Number.NEGATIVE_INFINITY;
  const send = () => {
    if (context.closing || socket.writableLength > maxUnsentBytes) return stop();
    const { events, history, stepMs, settledAt, historyScope } = observer.read(seq, after);
    seq = events.at(-1)?.seq ?? seq;
    // Settled steps are sent once; the newer ones (the open step, and with Redis the fleet's
    // steps that may still grow) each time, and the page replaces them by their start.
    after = settledAt;
    const status = statusBody(context, detail);
    // Per deployment its last failure by kind (the page tells a refused key from an outage), and spend per provider.
    const failures: Record<string, string | null> = {};
    const spendUsd: Record<string, number> = {};
    for (const provider of Object.values(context.router.status({ detail: false }))) {
      for (const deployment of provider.deployments) failures[deployment.id] = deployment.lastError;
      spendUsd[provider.name] = context.store.spend(`provider:${provider.name}`).costUsd;
    }
    const update = { ...status, events, history, stepMs, historyScope, failures, spendUsd };
    socket.write(`event: status\ndata: ${JSON.stringify(update)}\n\n`);
  };
  const timer = setInterval(send, streamIntervalMs);
  const stop = () => {
    context.statusStreams.delete(stop);
    clearInterval(timer);
    if (!socket.writableEnded) socket.end();
  };
  context.statusStreams.add(stop);
  request.raw.once('close', stop);
  socket.once('close', stop);
  send();
}
