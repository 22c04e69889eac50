// Everything the router remembers about its deployments, behind one interface: circuits and
// their probe schedule, rate-limit holds, latency and time-to-first-token averages, counters,
// in-flight requests, spend, and the leases that let one replica probe a deployment at a time.
// The records are plain JSON, the same in memory and in Redis; the rules that change a circuit
// live in router/health.ts as pure functions and reach the store as transforms.
import type { HistorySteps } from './history-steps.ts';

/**
 * A deployment's circuit breaker, as JSON. Closed: in service. Open: out of service until a
 * probe (or, when nothing else can answer, one caller request) succeeds; `nextProbeAt` is when
 * the next probe is due and `trialUntil` is when a probe or trial that is running may be given
 * up on (0 when none is running). Instants are epoch ms.
 */
export type Circuit =
  | { state: 'closed'; failures: number }
  | {
      state: 'open';
      failures: number;
      /** Times the circuit opened since it was last closed. */
      trips: number;
      openedAt: number;
      /** Probes (and caller trials) that failed since the circuit opened. */
      probes: number;
      nextProbeAt: number;
      trialUntil: number;
    };

/** What a provider said about its limits (the shape of providers/rate-limit.ts's RateLimitInfo); instants are epoch ms. */
export interface RateLimitSnapshot {
  limitRequests?: number;
  remainingRequests?: number;
  resetRequestsAt?: number;
  limitTokens?: number;
  remainingTokens?: number;
  resetTokensAt?: number;
  retryAt?: number;
}

/** The part of a record that changes by read-modify-write, through `StateStore.update`. */
export interface DeploymentHealth {
  circuit: Circuit;
  /** Not to be sent to before this instant (429, Retry-After, a bucket at zero); 0 when free. */
  rateLimitedUntil: number;
  rateLimit: RateLimitSnapshot | null;
  /** The last error's message (never a credential), and when it happened. */
  lastError: string | null;
  lastErrorAt: number | null;
}

/** The counters of a record, changed only by `StateStore.count`. */
export type Counter = 'requests' | 'errors' | 'inflight';

/** The moving averages of a record, changed only by `StateStore.sample`. */
export type Average = 'latencyEmaMs' | 'firstTokenEmaMs';

/** One deployment's record. Unknown deployments read as `freshRecord()`. */
export interface DeploymentRecord {
  health: DeploymentHealth;
  /** Attempts sent to the deployment. */
  requests: number;
  /** Attempts that failed, whatever the reason. */
  errors: number;
  /** Attempts running now (summed over every replica sharing the store). */
  inflight: number;
  /** Exponential moving average of attempt latency in ms; null before the first sample. */
  latencyEmaMs: number | null;
  /** Exponential moving average of the time to first content of streams in ms; null before the first sample. */
  firstTokenEmaMs: number | null;
}

/** Money and tokens counted under one scope. */
export interface Spend {
  requests: number;
  inputTokens: number;
  outputTokens: number;
  costUsd: number;
}

/** Where the store keeps its state and whether it can reach it now (for logs and `/status`). */
export interface StoreConnection {
  /** `memory` or `redis`. */
  backend: string;
  /** Whether other processes see the same state. */
  shared: boolean;
  /** False while a shared backend is unreachable (the store then serves from its local copy). */
  connected: boolean;
  /** The last connection error, without credentials; null when connected. */
  error: string | null;
}

/** A pure function from one health record to the next; returning its argument unchanged means "no change". */
export type HealthTransform = (health: DeploymentHealth) => DeploymentHealth;

/**
 * What the router remembers, keyed by deployment id (`provider/model`, or `provider/model#key`
 * with several keys). The request path only ever calls the synchronous methods; a store shared
 * between processes keeps a local copy, updated by messages from the others, and sends its own
 * writes off in the background. What every implementation guarantees:
 *
 * - **Reads are synchronous and local.** `get`, `spend` and `ids` never wait on I/O; they answer
 *   from the local copy. An unknown id reads as `freshRecord()` (it is not created by reading).
 * - **Own writes are visible at once.** After `update`, `count`, `sample`, `addSpend` or `reset`
 *   returns, `get`/`spend` in the same process reflect it, before any I/O has completed.
 * - **Writes are atomic where they are shared.** `count`, `sample` and `addSpend` are increments:
 *   concurrent calls from any number of processes all add up, none is lost. `update` is a
 *   read-modify-write: the transform may run more than once (on the local copy, then against the
 *   shared value, again if another process wrote in between), so it must be pure, and the shared
 *   value ends as the transform applied to the latest shared value. A transform that returns its
 *   argument (the same object) writes nothing and notifies nobody.
 * - **Others' writes arrive by messages, not polling**, within 1 s while the backend is reachable.
 *   When a deployment's health changes (`update`, `reset`, here or in another process),
 *   `subscribe` listeners are told its id; counters and averages change too often to notify.
 * - **Records are JSON.** `get(id)` survives `JSON.parse(JSON.stringify(...))` unchanged.
 * - **Leases are exclusive across every process sharing the store** and expire by themselves
 *   after `ttlMs`; `acquireLease` is the only call that waits on the backend, and the request path
 *   never makes it (probes do). If the backend is unreachable it falls back to a lease held in
 *   this process alone, so recovery probes go on (one per replica) while the backend is away.
 * - **A backend failure never fails a call.** Writes still apply locally, `connection()` says the
 *   backend is unreachable, and the store rejoins when it returns.
 * - `inflight` never reads below 0; `close()` is idempotent and ends every timer and connection.
 */
export interface StateStore {
  /** Resolves once the local copy is loaded (at once for memory). Never rejects: an unreachable backend is reported by `connection()`. */
  ready(): Promise<void>;
  /** The record of one deployment. */
  get(id: string): Readonly<DeploymentRecord>;
  /** Ids with a record (in any process sharing the store, as far as the local copy knows). */
  ids(): string[];
  /** Applies `transform` to the deployment's health; returns the local result. */
  update(id: string, transform: HealthTransform): Readonly<DeploymentHealth>;
  /** Adds `delta` (may be negative) to a counter. */
  count(id: string, counter: Counter, delta?: number): void;
  /** Folds a sample into a moving average: `alpha * sample + (1 - alpha) * average`; the first sample sets it. */
  sample(id: string, average: Average, value: number, alpha: number): void;
  /** Adds to the spend counted under `scope` (e.g. `provider:groq`, `deployment:groq/llama`, `key:team-a`). */
  addSpend(scope: string, delta: Partial<Spend>): void;
  /** What `scope` has spent; zeros when nothing was counted. */
  spend(scope: string): Readonly<Spend>;
  /** Tries to take the lease `name` for `ttlMs`; true if this store now holds it. Not re-entrant. */
  acquireLease(name: string, ttlMs: number): Promise<boolean>;
  /** Gives a lease back if this store holds it. */
  releaseLease(name: string): Promise<void>;
  /** Starts a deployment afresh everywhere (its config changed). */
  reset(id: string): void;
  /** Drops from the local copy every deployment not in `ids` (a shared backend keeps them: another replica may still use them). */
  retain(ids: ReadonlySet<string>): void;
  /**
   * The deployment a conversation (`key`, an opaque hash) is pinned to, or undefined when it is
   * not or the pin has expired. Synchronous and local like every read; pins set by another
   * replica arrive by message.
   */
  pinned(key: string): string | undefined;
  /** Pins a conversation to a deployment for `ttlMs` from now; a later pin replaces it. Shared with every replica. */
  pin(key: string, id: string, ttlMs: number): void;
  /** Calls `listener` with the id of each deployment whose health changed; returns the unsubscribe function. */
  subscribe(listener: (id: string) => void): () => void;
  /**
   * The dashboard's history steps shared with every replica, for a store that is shared;
   * undefined for one that is not (the observer keeps this process's history alone).
   */
  historySteps(): HistorySteps | undefined;
  connection(): StoreConnection;
  close(): Promise<void>;
}

/** A deployment nobody has recorded anything about: closed, no holds, no samples. */
export function freshRecord(): DeploymentRecord {
  return {
    health: {
      circuit: { state: 'closed', failures: 0 },
      rateLimitedUntil: 0,
      rateLimit: null,
      lastError: null,
      lastErrorAt: null,
    },
    requests: 0,
    errors: 0,
    inflight: 0,
    latencyEmaMs: null,
    firstTokenEmaMs: null,
  };
}

/** Spend of nothing. */
export function noSpend(): Spend {
  return { requests: 0, inputTokens: 0, outputTokens: 0, costUsd: 0 };
}

/** The moving-average rule both stores apply; the first sample sets the average. */
export function foldAverage(average: number | null, sample: number, alpha: number): number {
  return average === null ? sample : alpha * sample + (1 - alpha) * average;
}
