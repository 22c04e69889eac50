// Holds each deployment's health record in a state store and applies the pure rules of
// health.ts to it. The names are deployment ids in the router; used on its own (the tutorial's
// `new FailoverTracker(3)`), any name will do.
import { MemoryStore } from '../state/memory.ts';
import type { DeploymentRecord, RateLimitSnapshot, StateStore } from '../state/store.ts';
import {
  type BreakerPolicy,
  beginTrial,
  isAdmissible,
  probeDue,
  readyAt,
  recordFailure,
  recordSuccess,
  trialFailed,
  trip,
} from './health.ts';

/** A deployment's record as the router keeps it (see `StateStore`). */
export type DeploymentHealthRecord = DeploymentRecord;

export interface TrackerPolicy extends BreakerPolicy {
  /** Weight of the newest sample in the latency and first-token averages. */
  latencyAlpha: number;
}

export const defaultTrackerPolicy: TrackerPolicy = Object.freeze({
  failureThreshold: 3,
  probeDelaysMs: [500, 1000, 2000, 4000],
  probeJitter: 0.2,
  latencyAlpha: 0.3,
});

export interface TrackerOptions {
  /** Where the records live; a new in-memory store by default. */
  store?: StateStore;
  /** The source of jitter, in [0, 1); tests pass their own. */
  random?: () => number;
}

function policyFrom(policy: unknown): TrackerPolicy {
  if (typeof policy === 'number') {
    if (!Number.isInteger(policy) || policy < 1) {
      throw new RangeError(`FailoverTracker: the failure threshold must be a positive integer, got ${policy}`);
    }
    return { ...defaultTrackerPolicy, failureThreshold: policy };
  }
  if (policy === undefined) return { ...defaultTrackerPolicy };
  if (policy === null || typeof policy !== 'object') {
    throw new TypeError('FailoverTracker: pass a failure threshold (a number) or a policy object');
  }
  const merged = { ...defaultTrackerPolicy, ...(policy as Partial<TrackerPolicy>) };
  if (!Number.isInteger(merged.failureThreshold) || merged.failureThreshold < 1) {
    throw new RangeError(`FailoverTracker: failureThreshold must be a positive integer, got ${merged.failureThreshold}`);
  }
  return merged;
}

/**
 * Consecutive failures per name and the circuit breaker over them. `new FailoverTracker(3)` takes
 * a name out after 3 consecutive failures; `recordSuccess` brings it back. `isHealthy` is true
 * below the threshold and for names it has never seen; `getStatus()` maps each name it has seen
 * to its consecutive failures. A policy object sets more (see `TrackerPolicy`); a threshold that
 * is not a positive integer throws RangeError, any other argument TypeError.
 */
export class FailoverTracker {
  readonly policy: TrackerPolicy;
  readonly store: StateStore;
  readonly #random: () => number;
  readonly #seen = new Set<string>();

  constructor(policy?: number | Partial<TrackerPolicy>, options: TrackerOptions = {}) {
    this.policy = policyFrom(policy);
    this.store = options.store ?? new MemoryStore();
    this.#random = options.random ?? Math.random;
  }

  /** The record for a name (a fresh one when nothing is known). */
  health(name: string): Readonly<DeploymentRecord> {
    return this.store.get(name);
  }

  recordSuccess(name: string, latencyMs?: number): void {
    this.#seen.add(name);
    this.store.update(name, (health) => {
      const circuit = recordSuccess(health.circuit);
      return circuit === health.circuit ? health : { ...health, circuit };
    });
    if (latencyMs !== undefined) this.store.sample(name, 'latencyEmaMs', latencyMs, this.policy.latencyAlpha);
  }

  recordFailure(name: string, now = Date.now(), reason?: string): void {
    const random = this.#random();
    this.#change(name, now, reason, (circuit) => recordFailure(circuit, now, this.policy, random));
  }

  /** Takes a name out at once (its key was refused). */
  takeOut(name: string, now = Date.now(), reason?: string): void {
    const random = this.#random();
    this.#change(name, now, reason, (circuit) => trip(circuit, now, this.policy, random));
  }

  /** A probe or trial failed: stays out, next probe by the schedule. A probe is not a request: `countError` false leaves the error count alone. */
  trialFailed(name: string, now = Date.now(), reason?: string, countError = true): void {
    const random = this.#random();
    this.#change(name, now, reason, (circuit) => trialFailed(circuit, now, this.policy, random), countError);
  }

  /** An error that says nothing about health (a 429, a bad request) still shows as the last error. */
  noteError(name: string, now = Date.now(), reason?: string): void {
    this.#change(name, now, reason, (circuit) => circuit);
  }

  #change(
    name: string,
    now: number,
    reason: string | undefined,
    next: (circuit: DeploymentRecord['health']['circuit']) => DeploymentRecord['health']['circuit'],
    countError = true,
  ): void {
    this.#seen.add(name);
    this.store.update(name, (health) => ({
      ...health,
      circuit: next(health.circuit),
      lastError: reason ?? null,
      lastErrorAt: now,
    }));
    if (countError) this.store.count(name, 'errors');
  }

  /**
   * Starts a probe or trial if one is due (open, its time come, none running); true if this call
   * started it. It then runs for at most `durationMs` before another may start.
   */
  beginTrial(name: string, now: number, durationMs: number): boolean {
    let started = false;
    this.store.update(name, (health) => {
      started = probeDue(health.circuit, now);
      return started ? { ...health, circuit: beginTrial(health.circuit, now, durationMs) } : health;
    });
    return started;
  }

  /** Ends a trial that told nothing (the request never left): the next probe keeps its time. */
  endTrial(name: string): void {
    this.store.update(name, (health) =>
      health.circuit.state === 'open' && health.circuit.trialUntil !== 0
        ? { ...health, circuit: { ...health.circuit, trialUntil: 0 } }
        : health,
    );
  }

  countRequest(name: string): void {
    this.store.count(name, 'requests');
  }

  /** Folds a time to first content (ms) into the deployment's average. */
  noteFirstToken(name: string, ms: number): void {
    this.store.sample(name, 'firstTokenEmaMs', ms, this.policy.latencyAlpha);
  }

  rateLimitedUntil(name: string, until: number): void {
    this.store.update(name, (health) => (until > health.rateLimitedUntil ? { ...health, rateLimitedUntil: until } : health));
  }

  /** Keeps what the provider said of its limits; a bucket at zero, or a Retry-After, holds it off until the reset. */
  noteRateLimit(name: string, info: RateLimitSnapshot): void {
    let until = info.retryAt ?? 0;
    if (info.remainingRequests === 0 && info.resetRequestsAt !== undefined) until = Math.max(until, info.resetRequestsAt);
    if (info.remainingTokens === 0 && info.resetTokensAt !== undefined) until = Math.max(until, info.resetTokensAt);
    this.store.update(name, (health) => ({
      ...health,
      rateLimit: info,
      rateLimitedUntil: Math.max(health.rateLimitedUntil, until),
    }));
  }

  /** Below the failure threshold (closed circuit). */
  isHealthy(name: string): boolean {
    return isAdmissible(this.store.get(name).health.circuit);
  }

  /** Each name seen → its consecutive failures. */
  getStatus(): Record<string, number> {
    const status: Record<string, number> = {};
    for (const name of new Set([...this.#seen, ...this.store.ids()])) status[name] = this.store.get(name).health.circuit.failures;
    return status;
  }

  /** Whether a request could go now without being a trial: circuit closed and not rate-limited. */
  isAvailable(name: string, now = Date.now()): boolean {
    const health = this.store.get(name).health;
    return isAdmissible(health.circuit) && health.rateLimitedUntil <= now;
  }

  /** When the name may take requests again (now if it does). */
  readyAt(name: string, now = Date.now()): number {
    const health = this.store.get(name).health;
    return Math.max(readyAt(health.circuit, now), health.rateLimitedUntil);
  }

  /** Forgets names that are no longer configured; keeps the rest as they are. */
  retain(names: ReadonlySet<string>): void {
    this.store.retain(names);
    for (const name of this.#seen) if (!names.has(name)) this.#seen.delete(name);
  }

  /** Starts a name's record afresh (its config changed). */
  reset(name: string): void {
    this.store.reset(name);
  }
}
