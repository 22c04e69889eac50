// Holds each provider's health record and applies the pure rules of health.ts to it.
// Records are plain JSON so a shared store can keep them as they are.
import type { RateLimitInfo } from '../providers/rate-limit.ts';
import {
  admit,
  type BreakerPolicy,
  type Circuit,
  closedCircuit,
  isAdmissible,
  readyAt,
  recordFailure,
  recordSuccess,
  settle,
  trip,
  updateAverage,
} from './health.ts';

export interface ProviderHealth {
  circuit: Circuit;
  /** Exponential moving average of attempt latency (time to first content for streams). */
  latencyEmaMs: number | null;
  requests: number;
  errors: number;
  lastError: string | null;
  lastErrorAt: number | null;
  /** Not to be sent to before this instant (429 / Retry-After / a bucket at zero). */
  rateLimitedUntil: number;
  rateLimit: RateLimitInfo | null;
}

export interface TrackerPolicy extends BreakerPolicy {
  latencyAlpha: number;
}

function freshHealth(): ProviderHealth {
  return {
    circuit: closedCircuit,
    latencyEmaMs: null,
    requests: 0,
    errors: 0,
    lastError: null,
    lastErrorAt: null,
    rateLimitedUntil: 0,
    rateLimit: null,
  };
}

/**
 * Consecutive failures per provider and the circuit breaker over them.
 * `isHealthy` is true below the threshold and for providers it has never seen.
 */
export class FailoverTracker {
  readonly policy: TrackerPolicy;
  readonly #records = new Map<string, ProviderHealth>();

  constructor(policy: Partial<TrackerPolicy> & Pick<TrackerPolicy, 'failureThreshold'>) {
    this.policy = {
      cooldownMs: 30_000,
      maxCooldownMs: 300_000,
      trialTimeoutMs: 30_000,
      latencyAlpha: 0.3,
      ...policy,
    };
  }

  /** The record for a provider, created on first use. */
  health(name: string): ProviderHealth {
    let record = this.#records.get(name);
    if (record === undefined) {
      record = freshHealth();
      this.#records.set(name, record);
    }
    return record;
  }

  recordSuccess(name: string, latencyMs?: number): void {
    const record = this.health(name);
    record.circuit = recordSuccess(record.circuit);
    if (latencyMs !== undefined) record.latencyEmaMs = updateAverage(record.latencyEmaMs, latencyMs, this.policy.latencyAlpha);
  }

  recordFailure(name: string, now = Date.now(), reason?: string): void {
    const record = this.health(name);
    record.circuit = recordFailure(record.circuit, now, this.policy);
    this.#noteError(record, now, reason);
  }

  /** Takes a provider out at once (its key was refused). */
  takeOut(name: string, now = Date.now(), reason?: string): void {
    const record = this.health(name);
    record.circuit = trip(record.circuit, now, this.policy);
    this.#noteError(record, now, reason);
  }

  /** An error that says nothing about health (429, a model it lacks) still shows as the last error. */
  noteError(name: string, now = Date.now(), reason?: string): void {
    this.#noteError(this.health(name), now, reason);
  }

  #noteError(record: ProviderHealth, now: number, reason: string | undefined): void {
    record.errors += 1;
    record.lastError = reason ?? null;
    record.lastErrorAt = now;
  }

  countRequest(name: string): void {
    this.health(name).requests += 1;
  }

  rateLimitedUntil(name: string, until: number): void {
    const record = this.health(name);
    record.rateLimitedUntil = Math.max(record.rateLimitedUntil, until);
  }

  /** Keeps what the provider said of its limits; a bucket at zero, or a Retry-After, holds it off until the reset. */
  noteRateLimit(name: string, info: RateLimitInfo): void {
    const record = this.health(name);
    record.rateLimit = info;
    let until = info.retryAt ?? 0;
    if (info.remainingRequests === 0 && info.resetRequestsAt !== undefined) until = Math.max(until, info.resetRequestsAt);
    if (info.remainingTokens === 0 && info.resetTokensAt !== undefined) until = Math.max(until, info.resetTokensAt);
    if (until > 0) record.rateLimitedUntil = Math.max(record.rateLimitedUntil, until);
  }

  isHealthy(name: string, now = Date.now()): boolean {
    const record = this.#records.get(name);
    return record === undefined || settle(record.circuit, now).state === 'closed';
  }

  /** Provider → consecutive failures. */
  getStatus(): Record<string, number> {
    const status: Record<string, number> = {};
    for (const [name, record] of this.#records) status[name] = record.circuit.failures;
    return status;
  }

  /** Lets a request through if the circuit allows it (taking the half-open trial). */
  admit(name: string, now = Date.now()): boolean {
    const record = this.health(name);
    const result = admit(record.circuit, now, this.policy);
    record.circuit = result.circuit;
    return result.admitted;
  }

  /** Whether a request could go now: circuit admissible and not rate-limited. */
  isAvailable(name: string, now = Date.now()): boolean {
    const record = this.#records.get(name);
    return record === undefined || (isAdmissible(record.circuit, now) && record.rateLimitedUntil <= now);
  }

  /** Whether the circuit would let a request through now (rate limits aside). */
  isCircuitAdmissible(name: string, now = Date.now()): boolean {
    const record = this.#records.get(name);
    return record === undefined || isAdmissible(record.circuit, now);
  }

  /** When the provider will next take a request. */
  readyAt(name: string, now = Date.now()): number {
    const record = this.#records.get(name);
    if (record === undefined) return now;
    return Math.max(readyAt(record.circuit, now), record.rateLimitedUntil);
  }

  /** Forgets providers that are no longer configured; keeps the rest as they are. */
  retain(names: ReadonlySet<string>): void {
    for (const name of this.#records.keys()) if (!names.has(name)) this.#records.delete(name);
  }

  /** Starts a provider's record afresh (its config changed). */
  reset(name: string): void {
    this.#records.delete(name);
  }
}
