// The default state store: plain objects in one process, no outside service.
import { PinTable } from './pins.ts';
import {
  type Average,
  type Counter,
  type DeploymentHealth,
  type DeploymentRecord,
  foldAverage,
  freshRecord,
  type HealthTransform,
  noSpend,
  type Spend,
  type StateStore,
  type StoreConnection,
} from './store.ts';

const fresh: Readonly<DeploymentRecord> = Object.freeze(freshRecord());

/** A `StateStore` held in this process's memory; as fast as plain fields. */
export class MemoryStore implements StateStore {
  readonly #records = new Map<string, DeploymentRecord>();
  readonly #spend = new Map<string, Spend>();
  /** Lease name → epoch ms when it expires. */
  readonly #leases = new Map<string, number>();
  readonly #listeners = new Set<(id: string) => void>();
  readonly #pins = new PinTable();
  readonly #now: () => number;

  /** `now` is the clock leases expire by (epoch ms); tests pass their own. */
  constructor(options: { now?: () => number } = {}) {
    this.#now = options.now ?? Date.now;
  }

  async ready(): Promise<void> {}

  get(id: string): Readonly<DeploymentRecord> {
    return this.#records.get(id) ?? fresh;
  }

  ids(): string[] {
    return [...this.#records.keys()];
  }

  #record(id: string): DeploymentRecord {
    let record = this.#records.get(id);
    if (record === undefined) {
      record = freshRecord();
      this.#records.set(id, record);
    }
    return record;
  }

  update(id: string, transform: HealthTransform): Readonly<DeploymentHealth> {
    const current = this.get(id).health;
    const next = transform(current);
    if (next === current) return current;
    this.#record(id).health = next;
    this.#notify(id);
    return next;
  }

  count(id: string, counter: Counter, delta = 1): void {
    const record = this.#record(id);
    record[counter] = Math.max(0, record[counter] + delta);
  }

  sample(id: string, average: Average, value: number, alpha: number): void {
    const record = this.#record(id);
    record[average] = foldAverage(record[average], value, alpha);
  }

  addSpend(scope: string, delta: Partial<Spend>): void {
    let spend = this.#spend.get(scope);
    if (spend === undefined) {
      spend = noSpend();
      this.#spend.set(scope, spend);
    }
    spend.requests += delta.requests ?? 0;
    spend.inputTokens += delta.inputTokens ?? 0;
    spend.outputTokens += delta.outputTokens ?? 0;
    spend.costUsd += delta.costUsd ?? 0;
  }

  spend(scope: string): Readonly<Spend> {
    return this.#spend.get(scope) ?? noSpend();
  }

  async acquireLease(name: string, ttlMs: number): Promise<boolean> {
    const now = this.#now();
    const expiresAt = this.#leases.get(name);
    if (expiresAt !== undefined && expiresAt > now) return false;
    this.#leases.set(name, now + ttlMs);
    return true;
  }

  async releaseLease(name: string): Promise<void> {
    this.#leases.delete(name);
  }

  reset(id: string): void {
    if (this.#records.delete(id)) this.#notify(id);
  }

  retain(ids: ReadonlySet<string>): void {
    for (const id of this.#records.keys()) if (!ids.has(id)) this.#records.delete(id);
  }

  pinned(key: string): string | undefined {
    return this.#pins.get(key, this.#now());
  }

  pin(key: string, id: string, ttlMs: number): void {
    this.#pins.set(key, id, this.#now() + ttlMs);
  }

  subscribe(listener: (id: string) => void): () => void {
    this.#listeners.add(listener);
    return () => this.#listeners.delete(listener);
  }

  #notify(id: string): void {
    // Most routers have no listener; skip the loop's setup on the hot path.
    if (this.#listeners.size === 0) return;
    for (const listener of this.#listeners) listener(id);
  }

  historySteps(): undefined {
    return undefined;
  }

  connection(): StoreConnection {
    return { backend: 'memory', shared: false, connected: true, error: null };
  }

  async close(): Promise<void> {
    this.#leases.clear();
  }
}

/** The default store. */
export function createMemoryStore(options?: { now?: () => number }): MemoryStore {
  return new MemoryStore(options);
}
