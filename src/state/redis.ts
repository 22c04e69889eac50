// The shared state store: Redis (through ioredis) behind a local copy. Reads never leave the
// process; writes apply to the copy at once and go to Redis in the background — health by
// compare-and-set (one in flight per deployment, later changes batched behind it), counters,
// averages and spend every `flushMs` by atomic Lua increments. Every write publishes what it
// changed, and the other replicas fold it into their copies: pub/sub, not polling. When Redis is
// unreachable the copy keeps serving and keeps what is unsent; on reconnect the store reloads
// Redis's state (re-seeding what a restarted, empty Redis lost) and sends what it kept.
import { randomUUID } from 'node:crypto';
import type { Redis } from 'ioredis';
import { PinTable } from './pins.ts';
import {
  type Client,
  createConnections,
  parseCounters,
  parseMessage,
  parseSpend,
  queueCounters,
  queueSpend,
  RedisKeys,
  type ScriptPipeline,
  secretsOf,
} from './redis-client.ts';
import { DeploymentCopy, SpendCopy } from './redis-copy.ts';
import { RedisHistorySteps } from './redis-history.ts';
import { RedisLeases } from './redis-leases.ts';
import { applyMessage, loadShared } from './redis-load.ts';
import {
  type Average,
  type Counter,
  type DeploymentHealth,
  type DeploymentRecord,
  freshRecord,
  type HealthTransform,
  noSpend,
  type Spend,
  type StateStore,
  type StoreConnection,
} from './store.ts';

export { describeRedisUrl } from './redis-client.ts';

export interface RedisStoreOptions {
  /** `redis://[:password@]host:port[/db]` (or `rediss://`). Its password never appears in errors or logs. */
  url: string;
  /** Prefix of every key and of the channel, so several deployments of Switchboard can share one Redis (default `switchboard`). */
  prefix?: string;
  /** How often counters, averages and spend are sent, ms (default 100). */
  flushMs?: number;
  /** Longest wait for a Redis command or connection, ms (default 1000). */
  timeoutMs?: number;
  /** Told when Redis becomes unreachable and when the store has rejoined; once per change. */
  onConnectionChange?: (connection: StoreConnection) => void;
}

const fresh: Readonly<DeploymentRecord> = Object.freeze(freshRecord());

/** How often a store says it is alive, how long that lasts, and how often others' in-flight counts are re-summed (ms). */
const beatMs = 1000;
const aliveMs = 3000;
const sweepMs = 2000;

/** A `StateStore` shared through Redis by every replica configured with the same URL and prefix. */
export class RedisStore implements StateStore {
  readonly #client: Client;
  readonly #subscriber: Redis;
  readonly #origin = randomUUID();
  /** Conversation pins, this replica's and those other replicas published. */
  readonly #pins = new PinTable();
  readonly #keys: RedisKeys;
  readonly #secrets: string[];
  readonly #onConnectionChange: (connection: StoreConnection) => void;
  readonly #records = new Map<string, DeploymentCopy>();
  readonly #spend = new Map<string, SpendCopy>();
  readonly #dirtyCounters = new Set<string>();
  readonly #dirtySpend = new Set<string>();
  /** Deployments whose only unsent change is a routine rate-limit snapshot: written with the next flush. */
  readonly #routineHealth = new Set<string>();
  readonly #listeners = new Set<(id: string) => void>();
  readonly #leases: RedisLeases;
  readonly #history: RedisHistorySteps;
  readonly #timer: NodeJS.Timeout;
  #retained: ReadonlySet<string> | undefined;
  #connected = false;
  /** Whether an outage was announced, so the return is announced too. */
  #announcedDown = false;
  #error: string | null = null;
  /** Deployments whose requests in flight are to be re-summed with the next flush. */
  readonly #sweep = new Set<string>();
  #nextBeatAt = 0;
  #nextSweepAt = 0;
  #nextHealAt = 0;
  /** Health writes on their way, awaited on close. */
  readonly #writes = new Set<Promise<void>>();
  /** The flush on its way, if any. */
  #flushing: Promise<void> | undefined;
  #syncing: Promise<void> | undefined;
  #syncAgain = false;
  #ready: Promise<void> | undefined;
  #closed = false;

  constructor(options: RedisStoreOptions) {
    this.#keys = new RedisKeys(options.prefix ?? 'switchboard');
    this.#secrets = secretsOf(options.url);
    this.#onConnectionChange = options.onConnectionChange ?? (() => {});
    const { client, subscriber } = createConnections(options.url, options.timeoutMs ?? 1000);
    this.#client = client;
    this.#subscriber = subscriber;
    this.#leases = new RedisLeases({
      client,
      keys: this.#keys,
      origin: this.#origin,
      connected: () => this.#connected,
      down: (error) => this.#down(error),
    });
    this.#history = new RedisHistorySteps({ client, keys: this.#keys, connected: () => this.#connected });
    for (const connection of [this.#client, this.#subscriber]) {
      connection.on('error', (error: Error) => this.#down(error));
      connection.on('close', () => this.#down(new Error('connection to Redis closed')));
      connection.on('ready', () => this.#sync());
    }
    this.#subscriber.on('message', (_channel: string, text: string) => this.#onMessage(text));
    this.#timer = setInterval(() => this.#tick(), options.flushMs ?? 100);
    this.#timer.unref();
  }

  ready(): Promise<void> {
    this.#ready ??= (async () => {
      try {
        await Promise.all([this.#client.connect(), this.#subscriber.connect()]);
        await this.#sync();
      } catch (error) {
        // Unreachable at start: serve from the local copy; ioredis keeps trying and 'ready' syncs.
        this.#down(error);
      }
    })();
    return this.#ready;
  }

  get(id: string): Readonly<DeploymentRecord> {
    return this.#records.get(id)?.record ?? fresh;
  }

  ids(): string[] {
    const ids: string[] = [];
    for (const [id, copy] of this.#records) if (copy.listed) ids.push(id);
    return ids;
  }

  update(id: string, transform: HealthTransform): Readonly<DeploymentHealth> {
    const current = this.get(id).health;
    const next = transform(current);
    if (next === current) return current;
    const copy = this.#copy(id);
    copy.applyLocal(transform, next);
    this.#notify(id);
    // A provider's rate-limit headers come with every answer: a snapshot that holds nothing off
    // waits for the next flush instead of costing every replica a message per request.
    if (!isRoutine(current, next)) void this.#writeHealth(id, copy);
    else this.#routineHealth.add(id);
    return next;
  }

  count(id: string, counter: Counter, delta = 1): void {
    this.#copy(id).addDelta(counter, delta);
    this.#dirtyCounters.add(id);
  }

  sample(id: string, average: Average, value: number, alpha: number): void {
    this.#copy(id).addSample(average, value, alpha);
    this.#dirtyCounters.add(id);
  }

  addSpend(scope: string, delta: Partial<Spend>): void {
    let copy = this.#spend.get(scope);
    if (copy === undefined) {
      copy = new SpendCopy();
      this.#spend.set(scope, copy);
    }
    copy.add(delta);
    this.#dirtySpend.add(scope);
  }

  spend(scope: string): Readonly<Spend> {
    return this.#spend.get(scope)?.view ?? noSpend();
  }

  acquireLease(name: string, ttlMs: number): Promise<boolean> {
    return this.#leases.acquire(name, ttlMs);
  }

  releaseLease(name: string): Promise<void> {
    return this.#leases.release(name);
  }

  reset(id: string): void {
    const copy = this.#records.get(id);
    if (copy === undefined && !this.#connected) return;
    const target = copy ?? this.#copy(id);
    const wasListed = target.listed;
    target.restart(target.healthVersion, target.counterVersion);
    this.#dirtyCounters.delete(id);
    if (wasListed) this.#notify(id);
    if (!this.#connected) return;
    const fresh = JSON.stringify(freshRecord().health);
    this.#client
      .resetRecord(this.#keys.record(id), this.#keys.ids, this.#keys.channel, id, this.#origin, fresh)
      .then(([healthVersion, counterVersion]) => {
        if (healthVersion > target.healthVersion) target.healthVersion = healthVersion;
        if (counterVersion > target.counterVersion) target.counterVersion = counterVersion;
      })
      .catch((error: unknown) => this.#down(error));
  }

  retain(ids: ReadonlySet<string>): void {
    this.#retained = new Set(ids);
    for (const id of this.#records.keys()) {
      if (ids.has(id)) continue;
      this.#records.delete(id);
      this.#dirtyCounters.delete(id);
    }
  }

  pinned(key: string): string | undefined {
    return this.#pins.get(key, Date.now());
  }

  pin(key: string, id: string, ttlMs: number): void {
    const now = Date.now();
    const unchanged = this.#pins.get(key, now) === id && (this.#pins.until(key) ?? 0) - now > ttlMs / 2;
    const until = now + ttlMs;
    this.#pins.set(key, id, until);
    // Every turn of a conversation renews its pin: telling the other replicas each time would cost
    // a message per request, so only a new pin, or one past half its life, is published.
    if (unchanged || !this.#connected) return;
    const message = JSON.stringify({ t: 'p', id: key, o: this.#origin, d: id, u: until });
    this.#client.publish(this.#keys.channel, message).catch((error: unknown) => this.#down(error));
  }

  subscribe(listener: (id: string) => void): () => void {
    this.#listeners.add(listener);
    return () => this.#listeners.delete(listener);
  }

  historySteps(): RedisHistorySteps {
    return this.#history;
  }

  connection(): StoreConnection {
    return { backend: 'redis', shared: true, connected: this.#connected, error: this.#connected ? null : this.#error };
  }

  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    clearInterval(this.#timer);
    if (this.#connected) {
      // What this replica counted last goes out before it leaves: after a flush on its way, one more.
      await this.#flushing;
      await this.#flush();
      await Promise.all(this.#writes);
      await this.#history.settle();
      await this.#client.del(this.#keys.alivePrefix + this.#origin).catch(() => {});
      await this.#leases.releaseAll();
    }
    this.#connected = false;
    this.#client.disconnect();
    this.#subscriber.disconnect();
  }

  #copy(id: string): DeploymentCopy {
    let copy = this.#records.get(id);
    if (copy === undefined) {
      copy = new DeploymentCopy();
      this.#records.set(id, copy);
    }
    return copy;
  }

  #notify(id: string): void {
    if (this.#listeners.size === 0) return;
    for (const listener of this.#listeners) listener(id);
  }

  /** Writes the copy's pending health changes by compare-and-set, retrying against what another replica wrote. */
  #writeHealth(id: string, copy: DeploymentCopy): Promise<void> {
    if (copy.writing || !this.#connected) return Promise.resolve();
    const write = this.#compareAndSet(id, copy).finally(() => this.#writes.delete(write));
    this.#writes.add(write);
    return write;
  }

  async #compareAndSet(id: string, copy: DeploymentCopy): Promise<void> {
    copy.writing = true;
    try {
      for (let round = 0; round < 16 && copy.transforms.length > 0 && this.#records.get(id) === copy; round += 1) {
        const batch = copy.transforms.length;
        const base = copy.sharedHealth ?? freshRecord().health;
        let next = base;
        for (const transform of copy.transforms.slice(0, batch)) next = transform(next);
        if (next === base) {
          copy.transforms.splice(0, batch);
          continue;
        }
        const [written, version, current] = await this.#client.casHealth(
          this.#keys.record(id),
          this.#keys.ids,
          copy.healthVersion,
          JSON.stringify(next),
          this.#keys.channel,
          id,
          this.#origin,
        );
        if (written === 1) {
          copy.healthVersion = Number(version);
          copy.sharedHealth = next;
          copy.transforms.splice(0, batch);
        } else {
          // Another replica wrote first: its value is the truth the changes apply to.
          copy.healthVersion = Number(version);
          copy.sharedHealth = current ? (JSON.parse(current) as DeploymentHealth) : null;
        }
      }
    } catch (error) {
      this.#down(error);
    } finally {
      copy.writing = false;
    }
    if (copy.refreshHealth()) this.#notify(id);
    if (copy.transforms.length > 0 && this.#connected) setTimeout(() => void this.#writeHealth(id, copy), 10).unref();
  }

  /**
   * Every flush interval: says this store is alive (its requests in flight count only while it
   * is), now and then re-sums the deployments others count requests in flight for (dropping
   * what a dead replica left), and flushes.
   */
  #tick(): void {
    const now = Date.now();
    if (!this.#connected) this.#heal(now);
    if (this.#connected && now >= this.#nextBeatAt) this.#beat(now);
    if (this.#connected && now >= this.#nextSweepAt) {
      this.#nextSweepAt = now + sweepMs;
      for (const [id, copy] of this.#records) if (copy.shared.inflight > 0) this.#sweep.add(id);
    }
    void this.#flush();
  }

  /**
   * A command that timed out (Redis stalled: a slow script, a fork, a full disk) marks the store
   * unreachable while both connections stay up, so no 'ready' event will come to rejoin it: it
   * tries from here, once a second at most, whenever both connections say they are ready.
   */
  #heal(now: number): void {
    if (this.#closed || now < this.#nextHealAt) return;
    if (this.#client.status !== 'ready' || this.#subscriber.status !== 'ready') return;
    this.#nextHealAt = now + beatMs;
    void this.#sync();
  }

  #beat(now: number): void {
    this.#nextBeatAt = now + beatMs;
    this.#client.set(this.#keys.alivePrefix + this.#origin, '1', 'PX', aliveMs).catch((error: unknown) => this.#down(error));
  }

  /** Sends counters, averages and spend added since the last flush, in one pipeline. */
  async #flush(): Promise<void> {
    if (!this.#connected) return;
    for (const id of this.#routineHealth) {
      const copy = this.#records.get(id);
      if (copy !== undefined) void this.#writeHealth(id, copy);
    }
    this.#routineHealth.clear();
    const idle = this.#dirtyCounters.size === 0 && this.#dirtySpend.size === 0 && this.#sweep.size === 0;
    if (this.#flushing !== undefined || idle) return;
    this.#flushing = this.#send().finally(() => {
      this.#flushing = undefined;
    });
    return this.#flushing;
  }

  async #send(): Promise<void> {
    const ids = [...new Set([...this.#dirtyCounters, ...this.#sweep])];
    const swept = new Set(this.#sweep);
    const scopes = [...this.#dirtySpend];
    this.#dirtyCounters.clear();
    this.#dirtySpend.clear();
    this.#sweep.clear();
    const pipeline = this.#client.pipeline() as unknown as ScriptPipeline;
    const sentCounters: [string, DeploymentCopy][] = [];
    for (const id of ids) {
      const copy = this.#records.get(id);
      const deltas = copy?.beginSend(swept.has(id));
      if (copy === undefined || deltas === undefined) continue;
      sentCounters.push([id, copy]);
      queueCounters(pipeline, this.#keys, this.#origin, id, deltas);
    }
    const sentSpend: [string, SpendCopy][] = [];
    for (const scope of scopes) {
      const copy = this.#spend.get(scope);
      const delta = copy?.beginSend();
      if (copy === undefined || delta === undefined) continue;
      sentSpend.push([scope, copy]);
      queueSpend(pipeline, this.#keys, this.#origin, scope, delta);
    }
    let results: [Error | null, unknown][] = [];
    try {
      if (sentCounters.length + sentSpend.length > 0) results = (await pipeline.exec()) ?? [];
    } catch (error) {
      this.#down(error);
    }
    // A send that failed keeps its deltas, to go again once Redis answers.
    for (const [index, [id, copy]] of sentCounters.entries()) {
      const [error, reply] = results[index] ?? [new Error('not sent')];
      copy.endSend(
        error === null ? { version: Number((reply as string[])[0]), counters: parseCounters(reply as string[]) } : undefined,
      );
      if (error !== null) this.#dirtyCounters.add(id);
    }
    for (const [index, [scope, copy]] of sentSpend.entries()) {
      const [error, reply] = results[sentCounters.length + index] ?? [new Error('not sent')];
      copy.endSend(
        error === null ? { version: Number((reply as string[])[0]), shared: parseSpend(reply as string[]) } : undefined,
      );
      if (error !== null) this.#dirtySpend.add(scope);
    }
    const failed = results.find(([error]) => error !== null);
    if (failed !== undefined) this.#down(failed[0]);
  }

  #onMessage(text: string): void {
    const message = parseMessage(text);
    // Our own writes are taken from their replies; a message may come before or after them.
    if (message === undefined || message.o === this.#origin) return;
    if ((message.t as string) === 'p') {
      const { d: id, u: until } = message as unknown as { d?: unknown; u?: unknown };
      if (typeof id === 'string' && typeof until === 'number') this.#pins.set(message.id, id, until);
      return;
    }
    const target = { records: this.#records, spend: this.#spend, retained: this.#retained };
    const effect = applyMessage(message, target);
    if (effect === 'restarted') this.#dirtyCounters.delete(message.id);
    if (effect === 'changed' || effect === 'restarted') this.#notify(message.id);
  }

  /** Reloads Redis's state into the copy; one at a time, again if asked while running. */
  #sync(): Promise<void> {
    if (this.#closed) return Promise.resolve();
    if (this.#syncing !== undefined) {
      this.#syncAgain = true;
      return this.#syncing;
    }
    this.#syncing = (async () => {
      do {
        this.#syncAgain = false;
        if (this.#client.status !== 'ready' || this.#subscriber.status !== 'ready') return;
        try {
          await this.#subscriber.subscribe(this.#keys.channel);
          await this.#load();
          this.#up();
        } catch (error) {
          this.#down(error);
        }
      } while (this.#syncAgain);
    })().finally(() => {
      this.#syncing = undefined;
    });
    return this.#syncing;
  }

  async #load(): Promise<void> {
    const target = { records: this.#records, spend: this.#spend, retained: this.#retained };
    const loaded = await loadShared(this.#client, this.#keys, target);
    for (const id of loaded.dirtyCounters) this.#dirtyCounters.add(id);
    for (const scope of loaded.dirtySpend) this.#dirtySpend.add(scope);
    for (const id of loaded.changed) this.#notify(id);
  }

  #up(): void {
    // Local leases were this replica's own while Redis was away; Redis's leases rule again.
    this.#leases.forgetLocal();
    this.#connected = true;
    this.#error = null;
    this.#beat(Date.now());
    if (this.#announcedDown) {
      this.#announcedDown = false;
      this.#onConnectionChange(this.connection());
    }
    for (const [id, copy] of this.#records) if (copy.transforms.length > 0) void this.#writeHealth(id, copy);
    this.#history.resend();
    void this.#flush();
  }

  #down(thrown: unknown): void {
    this.#connected = false;
    if (this.#closed) return;
    this.#error = this.#redact(thrown instanceof Error ? thrown.message || thrown.name : String(thrown));
    // Once per outage (or once when it is unreachable from the start), however many errors it brings.
    if (!this.#announcedDown) {
      this.#announcedDown = true;
      this.#onConnectionChange(this.connection());
    }
  }

  #redact(message: string): string {
    let redacted = message;
    for (const secret of this.#secrets) redacted = redacted.replaceAll(secret, '***');
    return redacted;
  }
}

/** Creates a Redis-backed store; call `ready()` before use (it never rejects). */
export function createRedisStore(options: RedisStoreOptions): RedisStore {
  return new RedisStore(options);
}

/** A change of the rate-limit snapshot alone, which holds nothing off (no new hold, circuit untouched). */
function isRoutine(current: DeploymentHealth, next: DeploymentHealth): boolean {
  return (
    next.circuit === current.circuit &&
    next.rateLimitedUntil === current.rateLimitedUntil &&
    next.lastError === current.lastError &&
    next.lastErrorAt === current.lastErrorAt
  );
}
