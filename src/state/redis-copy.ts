// The Redis store's local copy of one deployment or spend scope: what Redis last said (with its
// version), what this process has added since and not yet sent, and the record `get()` returns,
// which is always the shared value with this process's own unsent writes on top. Pure
// bookkeeping; the store does the I/O.
import {
  type DeploymentHealth,
  type DeploymentRecord,
  foldAverage,
  freshRecord,
  type HealthTransform,
  type Spend,
} from './store.ts';

/** Samples kept per average while they wait to be sent; older ones are folded locally only. */
const maxSamples = 64;
/** Health changes kept while they wait to be sent; beyond it they collapse into "set to my copy". */
const maxTransforms = 64;

export interface Deltas {
  requests: number;
  errors: number;
  inflight: number;
  /** (sample, alpha) pairs, oldest first. */
  latencyEmaMs: number[];
  firstTokenEmaMs: number[];
}

export interface SharedCounters {
  requests: number;
  errors: number;
  inflight: number;
  latencyEmaMs: number | null;
  firstTokenEmaMs: number | null;
}

export function noDeltas(): Deltas {
  return { requests: 0, errors: 0, inflight: 0, latencyEmaMs: [], firstTokenEmaMs: [] };
}

function noCounters(): SharedCounters {
  return { requests: 0, errors: 0, inflight: 0, latencyEmaMs: null, firstTokenEmaMs: null };
}

export function hasDeltas(deltas: Deltas): boolean {
  return (
    deltas.requests !== 0 ||
    deltas.errors !== 0 ||
    deltas.inflight !== 0 ||
    deltas.latencyEmaMs.length > 0 ||
    deltas.firstTokenEmaMs.length > 0
  );
}

/** `earlier` then `later`, as one set of deltas (a send that failed goes back in front). */
export function mergeDeltas(earlier: Deltas, later: Deltas): Deltas {
  return {
    requests: earlier.requests + later.requests,
    errors: earlier.errors + later.errors,
    inflight: earlier.inflight + later.inflight,
    latencyEmaMs: [...earlier.latencyEmaMs, ...later.latencyEmaMs].slice(-2 * maxSamples),
    firstTokenEmaMs: [...earlier.firstTokenEmaMs, ...later.firstTokenEmaMs].slice(-2 * maxSamples),
  };
}

function foldPairs(average: number | null, pairs: readonly number[]): number | null {
  let result = average;
  for (let index = 0; index < pairs.length; index += 2) result = foldAverage(result, pairs[index]!, pairs[index + 1]!);
  return result;
}

export class DeploymentCopy {
  /** What `get()` returns. */
  record: DeploymentRecord = freshRecord();
  /** Whether anything is known of it (a reset or an unknown id is not listed by `ids()`). */
  listed = false;
  /** Redis's health version and value as last seen; 0 and null when Redis has none. */
  healthVersion = 0;
  sharedHealth: DeploymentHealth | null = null;
  /** Health changes made here and not yet written to Redis, oldest first. */
  transforms: HealthTransform[] = [];
  /** A compare-and-set is on its way. */
  writing = false;
  counterVersion = 0;
  shared: SharedCounters = noCounters();
  pending: Deltas = noDeltas();
  /** Deltas on their way to Redis. */
  sending: Deltas | null = null;

  /** A change made here: applied at once, kept to be written. */
  applyLocal(transform: HealthTransform, next: DeploymentHealth): void {
    this.listed = true;
    this.record.health = next;
    this.transforms.push(transform);
    if (this.transforms.length > maxTransforms) {
      const snapshot = next;
      this.transforms = [() => snapshot];
    }
  }

  /** The health `get()` shows: the shared value with the unwritten changes applied. Returns whether it changed. */
  refreshHealth(): boolean {
    let health = this.sharedHealth ?? freshRecord().health;
    for (const transform of this.transforms) health = transform(health);
    const changed = health !== this.record.health;
    this.record.health = health;
    return changed;
  }

  addDelta(counter: 'requests' | 'errors' | 'inflight', delta: number): void {
    this.listed = true;
    this.pending[counter] += delta;
    this.record[counter] = Math.max(0, this.record[counter] + delta);
  }

  addSample(average: 'latencyEmaMs' | 'firstTokenEmaMs', value: number, alpha: number): void {
    this.listed = true;
    const pairs = this.pending[average];
    pairs.push(value, alpha);
    if (pairs.length > 2 * maxSamples) pairs.splice(0, 2);
    this.record[average] = foldAverage(this.record[average], value, alpha);
  }

  /** Counters and averages as `get()` shows them: shared, plus what is on its way, plus what is pending. */
  refreshCounters(): void {
    const layers = this.sending === null ? [this.pending] : [this.sending, this.pending];
    const record = this.record;
    record.requests = this.shared.requests;
    record.errors = this.shared.errors;
    record.inflight = this.shared.inflight;
    record.latencyEmaMs = this.shared.latencyEmaMs;
    record.firstTokenEmaMs = this.shared.firstTokenEmaMs;
    for (const layer of layers) {
      record.requests += layer.requests;
      record.errors += layer.errors;
      record.inflight += layer.inflight;
      record.latencyEmaMs = foldPairs(record.latencyEmaMs, layer.latencyEmaMs);
      record.firstTokenEmaMs = foldPairs(record.firstTokenEmaMs, layer.firstTokenEmaMs);
    }
    record.requests = Math.max(0, record.requests);
    record.errors = Math.max(0, record.errors);
    record.inflight = Math.max(0, record.inflight);
  }

  /** Moves the pending deltas to `sending`; undefined when there are none (unless `always`). */
  beginSend(always = false): Deltas | undefined {
    if (!always && !hasDeltas(this.pending)) return undefined;
    this.sending = this.pending;
    this.pending = noDeltas();
    return this.sending;
  }

  /** Ends a send with Redis's counters after it, or, when it failed, puts its deltas back in front. */
  endSend(reply: { version: number; counters: SharedCounters } | undefined): void {
    if (reply !== undefined) this.takeCounters(reply.version, reply.counters);
    else if (this.sending !== null) this.pending = mergeDeltas(this.sending, this.pending);
    this.sending = null;
    this.refreshCounters();
  }

  /** Takes Redis's counters if they are newer than what is known. */
  takeCounters(version: number, counters: SharedCounters): void {
    if (version <= this.counterVersion) return;
    this.counterVersion = version;
    this.shared = counters;
    this.listed = true;
  }

  /** Takes Redis's health if it is newer; returns whether it was. */
  takeHealth(version: number, health: DeploymentHealth | null): boolean {
    if (version <= this.healthVersion) return false;
    this.healthVersion = version;
    this.sharedHealth = health;
    this.listed = true;
    return true;
  }

  /** Forgets the shared value (a reset): fresh, at the given versions, with nothing pending. */
  restart(healthVersion: number, counterVersion: number): void {
    this.healthVersion = healthVersion;
    this.counterVersion = counterVersion;
    this.sharedHealth = null;
    this.shared = noCounters();
    this.transforms = [];
    this.pending = noDeltas();
    this.sending = null;
    this.record = freshRecord();
    this.listed = false;
  }

  /** Replaces what is known of Redis wholesale (after a reconnect, Redis may have restarted empty). */
  resync(healthVersion: number, health: DeploymentHealth | null, counterVersion: number, counters: SharedCounters): void {
    this.healthVersion = healthVersion;
    this.sharedHealth = health;
    this.counterVersion = counterVersion;
    this.shared = counters;
  }
}

/** A spend scope's copy; cost is kept in integer nano-USD so sums across replicas are exact. */
export class SpendCopy {
  view: Spend = { requests: 0, inputTokens: 0, outputTokens: 0, costUsd: 0 };
  version = 0;
  shared: SpendNanos = noSpendNanos();
  pending: SpendNanos = noSpendNanos();
  sending: SpendNanos | null = null;

  add(delta: Partial<Spend>): void {
    this.pending.requests += delta.requests ?? 0;
    this.pending.inputTokens += delta.inputTokens ?? 0;
    this.pending.outputTokens += delta.outputTokens ?? 0;
    this.pending.costNanos += toNanos(delta.costUsd ?? 0);
    this.refresh();
  }

  /** Moves the pending spend to `sending`; undefined when there is none. */
  beginSend(): SpendNanos | undefined {
    if (!hasSpend(this.pending)) return undefined;
    this.sending = this.pending;
    this.pending = noSpendNanos();
    return this.sending;
  }

  /** Ends a send with Redis's totals after it, or, when it failed, puts its spend back in front. */
  endSend(reply: { version: number; shared: SpendNanos } | undefined): void {
    if (reply !== undefined) this.take(reply.version, reply.shared);
    else if (this.sending !== null) this.pending = addSpendNanos(this.sending, this.pending);
    this.sending = null;
    this.refresh();
  }

  take(version: number, shared: SpendNanos): void {
    if (version <= this.version) return;
    this.version = version;
    this.shared = shared;
  }

  refresh(): void {
    const sending = this.sending ?? noSpendNanos();
    const sum = (field: keyof SpendNanos) => this.shared[field] + sending[field] + this.pending[field];
    this.view = {
      requests: sum('requests'),
      inputTokens: sum('inputTokens'),
      outputTokens: sum('outputTokens'),
      costUsd: sum('costNanos') / 1e9,
    };
  }
}

export interface SpendNanos {
  requests: number;
  inputTokens: number;
  outputTokens: number;
  costNanos: number;
}

export function noSpendNanos(): SpendNanos {
  return { requests: 0, inputTokens: 0, outputTokens: 0, costNanos: 0 };
}

export function hasSpend(spend: SpendNanos): boolean {
  return spend.requests !== 0 || spend.inputTokens !== 0 || spend.outputTokens !== 0 || spend.costNanos !== 0;
}

export function addSpendNanos(a: SpendNanos, b: SpendNanos): SpendNanos {
  return {
    requests: a.requests + b.requests,
    inputTokens: a.inputTokens + b.inputTokens,
    outputTokens: a.outputTokens + b.outputTokens,
    costNanos: a.costNanos + b.costNanos,
  };
}

export function toNanos(usd: number): number {
  return Math.round(usd * 1e9);
}
