// What the routes share with the server: created once per gateway, swapped in place on reload.
import type { Logger } from 'pino';
import type { Router } from '../router/router.ts';
import type { ResponseStore } from '../state/responses.ts';
import type { StateStore } from '../state/store.ts';
import type { UsageLedger } from '../usage/ledger.ts';
import type { GatewayMetrics } from './metrics.ts';

export interface GatewayContext {
  router: Router;
  logger: Logger;
  metrics: GatewayMetrics;
  /** Stored Responses conversations; kept across reloads. */
  responses: ResponseStore;
  /** SHA-256 of each configured API key; empty means no key is needed. */
  keyDigests: Buffer[];
  /** The usage ledger's id of each configured API key, in the same order. */
  keyIds: string[];
  /** Where finished requests are recorded; undefined when the ledger is off or could not be opened. */
  usage: UsageLedger | undefined;
  /** Where spend per provider, model and key is counted (shared between replicas when it is Redis). */
  store: StateStore;
  /** `memory`, or the Redis URL without its password: for logs and /status. */
  stateLocation: string;
  /** Every configured credential (config/secrets.ts): scrubbed from error answers and log lines. */
  secrets: readonly string[];
  /** Generic model names, so only known names become metric labels. */
  knownModels: Set<string>;
  /** Set by close(): new chat requests get a 503. */
  closing: boolean;
  /** Chat requests being handled, streams included. */
  inflight: number;
  /** `server.writeTimeoutMs`: how long a response may wait on a client that stopped reading (0: forever). */
  writeTimeoutMs: number;
  /** Ends each open /status/stream (close() ends them first: they never finish by themselves). */
  statusStreams: Set<() => void>;
  /** Called when `inflight` drops to 0 while closing. */
  onIdle: (() => void) | undefined;
}

declare module 'fastify' {
  interface FastifyRequest {
    /** The id of the gateway key the request carried (set by the key check); null when none is needed. */
    switchboardKeyId: string | null;
  }
}
