// The gateway: an OpenAI-compatible HTTP server (Fastify) in front of one router.
// First: on a Node too old for Switchboard this stops with one line before anything else loads.
import '../node-version.ts';
import type { AddressInfo } from 'node:net';
import { isDeepStrictEqual } from 'node:util';
import Fastify, { type FastifyInstance, type FastifyReply } from 'fastify';
import type { Logger } from 'pino';
import { type Config, ConfigError, type ConfigInput, parseConfig } from '../config/schema.ts';
import { secretsOf } from '../config/secrets.ts';
import { createRouter, type Router } from '../router/router.ts';
import { type CreatedStore, createStateStore, redisUrlOf } from '../state/create.ts';
import { createMemoryResponseStore, type ResponseStore } from '../state/responses.ts';
import { openRedisResponseStore } from '../state/responses-redis.ts';
import type { StateStore } from '../state/store.ts';
import { digestKeys, gatewayKeyId } from './auth.ts';
import { answerClientError } from './client-errors.ts';
import type { GatewayContext } from './context.ts';
import { dialectForPath } from './endpoints.ts';
import { answerRequestTimeout, toHttpError } from './errors.ts';
import { installJsonParser } from './json-body.ts';
import { createLogger, type LoggerOption } from './logger.ts';
import { createIdleCollector } from './memory.ts';
import { createMetrics } from './metrics.ts';
import { registerRoutes } from './routes.ts';
import { openLedger } from './usage.ts';

export interface GatewayOptions {
  /** The whole config; `server` settings apply to the gateway, the rest to the router it creates. */
  config: Config | ConfigInput;
  /** Overrides `server.port`; 0 picks a free port. */
  port?: number;
  /** Overrides `server.host`. Ignored (127.0.0.1 is used) while `server.apiKeys` is empty. */
  host?: string;
  /** pino options, a pino logger to log through, or false for no logs; default JSON lines at `server.logLevel`. */
  logger?: LoggerOption;
  /** A router to serve instead of creating one from `config`; the gateway then leaves closing it to the caller. */
  router?: Router;
  /**
   * The state store for the router the gateway creates (health, rate limits, probe leases) and for
   * spend; default the `router`'s when one is given, else one made from `state` (Redis when
   * `state.redis` or REDIS_URL is set, else memory). A store passed in is left open on close.
   */
  store?: StateStore;
}

export interface Gateway {
  /** Where it listens, e.g. `http://127.0.0.1:4000` (loopback shown for a wildcard host). */
  readonly url: string;
  readonly router: Router;
  readonly server: FastifyInstance;
  /**
   * Applies a new config: the router's (providers that did not change keep their health) and
   * the API keys. Port, host and body limit need a restart. Throws ConfigError and changes
   * nothing when the config is invalid, or when it would remove the API keys of a gateway that
   * listens beyond loopback.
   */
  reload(config: Config | ConfigInput): void;
  /**
   * Drains and stops: no new connections, new chat requests on open ones get a 503, in-flight
   * requests (streams included) may finish for up to `graceMs` (default `server.drainMs`), then
   * every remaining connection is closed, which aborts its upstream request. Safe to call twice.
   */
  close(graceMs?: number): Promise<void>;
}

const loopback = '127.0.0.1';
/** What a caller's x-request-id may be to be used as is: 1 to 200 visible ASCII characters. */
const callerRequestId = /^[\x21-\x7e]{1,200}$/;

/** Starts the gateway and resolves once it listens. */
export async function startGateway(options: GatewayOptions): Promise<Gateway> {
  let config = parseConfig(options.config);
  const logger = await createLogger(options.logger, config.server.logLevel);
  // A router passed in keeps its own store; otherwise the gateway makes the one the config asks for.
  const created = options.store === undefined && options.router === undefined ? openStateStore(config, logger) : undefined;
  const store = options.store ?? options.router?.store ?? created!.store;
  await store.ready();
  const router = options.router ?? createRouter(config, { store });
  await router
    .tracingReady()
    .catch((error: Error) => logger.error({ err: error }, 'tracing could not start; requests go untraced'));
  const ownsRouter = options.router === undefined;

  const context: GatewayContext = {
    router,
    logger,
    metrics: createMetrics(
      () => router.status(),
      () => context.inflight,
      () => store.connection(),
    ),
    responses: openResponseStore(config),
    keyDigests: digestKeys(config.server.apiKeys),
    keyIds: config.server.apiKeys.map(gatewayKeyId),
    usage: openLedger(config.usage, logger),
    store,
    stateLocation: created?.location ?? (store.connection().shared ? 'shared' : 'memory'),
    secrets: [...secretsOf(config), ...redisSecrets(config)],
    knownModels: knownModels(router),
    closing: false,
    inflight: 0,
    writeTimeoutMs: config.server.writeTimeoutMs,
    onIdle: undefined,
    statusStreams: new Set(),
  };

  let requestCount = 0;
  const server = Fastify({
    logger: false,
    bodyLimit: config.server.bodyLimitBytes,
    // The caller's x-request-id when it is a plausible id; anything else (up to the 16 KB header
    // limit) would be echoed whole into the response and every log line of the request.
    requestIdHeader: false,
    genReqId: (request) => {
      const given = request.headers['x-request-id'];
      return typeof given === 'string' && callerRequestId.test(given) ? given : `req-${++requestCount}`;
    },
    // Our own 503 in OpenAI's shape (routes.ts) instead of Fastify's.
    return503OnClosing: false,
    routerOptions: { ignoreTrailingSlash: true },
    ...requestTimeouts(config.server.requestTimeoutMs),
    ajv: { customOptions: { coerceTypes: false, useDefaults: false, removeAdditional: false, allowUnionTypes: true } },
    clientErrorHandler: answerClientError,
    frameworkErrors: (error, request, reply) => {
      // Malformed URLs and the like, answered before any route runs.
      const mapped = toHttpError(error);
      (reply as unknown as FastifyReply).code(mapped.status).send(dialectForPath(request.url).error(mapped));
    },
  });
  // Before Fastify's own listener, which then finds the socket closed and leaves it.
  server.server.prependListener('clientError', answerRequestTimeout);
  const collector = createIdleCollector({ busy: () => context.inflight > 0 });
  installJsonParser(server, config.server.bodyLimitBytes, () => config.server.maxJsonDepth, collector.noteBody);
  registerRoutes(server, context);

  const open = config.server.apiKeys.length === 0;
  const asked = options.host ?? config.server.host;
  const host = open ? loopback : (asked ?? '0.0.0.0');
  if (open) {
    logger.warn(
      { host, ...(asked !== undefined && asked !== loopback && { askedHost: asked }) },
      'server.apiKeys is empty: the gateway needs no key, so it listens on 127.0.0.1 only',
    );
  }
  try {
    await server.listen({ port: options.port ?? config.server.port, host });
  } catch (error) {
    context.usage?.close();
    if (ownsRouter) await router.close();
    if (created !== undefined) await store.close();
    await context.responses.close();
    throw error;
  }
  const address = server.server.address() as AddressInfo;
  const shownHost = host === '0.0.0.0' || host === '::' ? loopback : host;
  const url = `http://${shownHost.includes(':') ? `[${shownHost}]` : shownHost}:${address.port}`;
  logger.info(
    { url, providers: Object.keys(router.status()), models: router.models().map((model) => model.id) },
    'switchboard gateway listening',
  );

  let closed: Promise<void> | undefined;
  return {
    url,
    router,
    server,
    reload(input) {
      const next = parseConfig(input);
      if (next.server.apiKeys.length === 0 && host !== loopback) {
        throw new ConfigError([
          `server.apiKeys: cannot be emptied while the gateway listens on ${host}; restart it to listen on ${loopback} without keys`,
        ]);
      }
      router.reload(next);
      context.keyDigests = digestKeys(next.server.apiKeys);
      context.keyIds = next.server.apiKeys.map(gatewayKeyId);
      context.secrets = [...secretsOf(next), ...redisSecrets(next)];
      context.knownModels = knownModels(router);
      context.writeTimeoutMs = next.server.writeTimeoutMs;
      const restart = (['port', 'host', 'bodyLimitBytes', 'requestTimeoutMs'] as const)
        .filter((key) => next.server[key] !== config.server[key])
        .map((key) => `server.${key}`);
      if (!isDeepStrictEqual(next.responses, config.responses)) restart.push('responses');
      if (!isDeepStrictEqual(next.usage, config.usage)) restart.push('usage');
      if (!isDeepStrictEqual(next.state, config.state)) restart.push('state');
      if (restart.length > 0) logger.warn({ settings: restart }, 'these take effect on restart');
      config = next;
      logger.info({ providers: Object.keys(router.status()) }, 'config reloaded');
    },
    close(graceMs = config.server.drainMs) {
      closed ??= drain(server, context, graceMs).then(async () => {
        collector.stop();
        // Every request has finished: the rows queued for them are written before the file closes.
        context.usage?.close();
        if (ownsRouter) await router.close();
        if (created !== undefined) await store.close();
        await context.responses.close();
        logger.info('switchboard gateway closed');
        await flushed(logger);
      });
      return closed;
    },
  };
}

/** How long close() waits for the request log to go out: a reader that stopped reading must not hold it up. */
const logFlushMs = 1000;

/** Resolves once every line logged so far is out (or dropped), so that whoever exits after close() loses none. */
function flushed(logger: Logger): Promise<void> {
  return new Promise((resolve) => {
    const timer = setTimeout(resolve, logFlushMs);
    timer.unref();
    logger.flush(() => {
      clearTimeout(timer);
      resolve();
    });
  });
}

async function drain(server: FastifyInstance, context: GatewayContext, graceMs: number): Promise<void> {
  context.closing = true;
  for (const end of context.statusStreams) end();
  // Stops listening and closes idle keep-alive connections; resolves once every connection is gone.
  const stopped = server.close();
  if (context.inflight > 0) {
    let timer: NodeJS.Timeout | undefined;
    await new Promise<void>((resolve) => {
      context.onIdle = resolve;
      timer = setTimeout(resolve, graceMs);
    });
    clearTimeout(timer);
    if (context.inflight > 0) {
      context.logger.warn({ inflight: context.inflight, graceMs }, 'drain grace period over: closing the remaining connections');
    }
  }
  // Whatever is left (requests past the grace period, idle keep-alive sockets) is cut now.
  server.server.closeAllConnections();
  await stopped;
}

/** The store the config asks for, its connection changes logged (once per outage, once on return). */
function openStateStore(config: Config, logger: Logger): CreatedStore {
  const created = createStateStore(config.state, {
    onConnectionChange: (connection) => {
      const fields = { state: created.location, ...(connection.error !== null && { error: connection.error }) };
      if (connection.connected) logger.info(fields, 'state store: Redis reachable again; state is shared again');
      else logger.warn(fields, 'state store: Redis unreachable; serving from local state until it returns');
    },
  });
  return created;
}

/** Stored Responses conversations: in the state's Redis when there is one (every replica sees them), else in memory. */
function openResponseStore(config: Config): ResponseStore {
  const url = redisUrlOf(config.state);
  if (url === undefined) return createMemoryResponseStore(config.responses);
  return openRedisResponseStore(url, { retentionMs: config.responses.retentionMs, prefix: `${config.state.prefix}:` });
}

/** The password of a Redis URL taken from REDIS_URL (one in the config is among the config's secrets). */
function redisSecrets(config: Config): string[] {
  const url = config.state.redis === undefined ? redisUrlOf(config.state) : undefined;
  if (url === undefined) return [];
  try {
    const password = new URL(url).password;
    return password === '' ? [] : [password, decodeURIComponent(password)];
  } catch {
    return [];
  }
}

function knownModels(router: Router): Set<string> {
  return new Set(router.models().map((model) => model.id));
}

/**
 * Node's own timers for a request that arrives too slowly: its headers and its whole body must be
 * in within `ms` (Fastify's requestTimeout is Node's). Node looks for late ones at an interval,
 * 30 s by default; a quarter of the limit keeps the cut close to it.
 */
function requestTimeouts(ms: number): {
  requestTimeout?: number;
  http?: { headersTimeout: number; connectionsCheckingInterval: number };
} {
  if (ms === 0) return {};
  return {
    requestTimeout: ms,
    // Headers get Node's usual 60 s at most, however long a body may take.
    http: {
      headersTimeout: Math.min(ms, 60_000),
      connectionsCheckingInterval: Math.min(5000, Math.max(100, Math.floor(ms / 4))),
    },
  };
}
