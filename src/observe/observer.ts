// The router's flight recorder: it turns what the router does into events (events.ts) and
// recent history (history.ts). Per request it does O(1) work (two increments per attempt, one
// look at the attempt list); circuit changes come from the state store's notifications, the
// store's connection and the closing of history steps from a one-second timer. With a shared
// store the history shown is the fleet's (fleet-history.ts); while the store is away, this
// replica's own. The events stay this replica's own.
import type { Attempt } from '../protocol/errors.ts';
import type { StateStore } from '../state/store.ts';
import { EventRing, type ObservedEvent } from './events.ts';
import { FleetHistory } from './fleet-history.ts';
import { History, type HistoryOptions, type HistoryPoint } from './history.ts';

export interface ObserverOptions extends HistoryOptions {
  /** Most events kept; default 500. */
  eventCapacity?: number;
  /** With a shared store: how long after a step closes the fleet's steps are read, ms; default half a step, at most 2 s. */
  fleetSettleMs?: number;
}

/** What the observer shows: events after a sequence number, and history after an instant. */
export interface ObservedState {
  events: ObservedEvent[];
  history: Record<string, HistoryPoint[]>;
  stepMs: number;
  /** The newest step that will not change any more (epoch ms): a reader asks for the steps after it next time. */
  settledAt: number;
  /** `fleet`: every replica's counts summed (a shared store); `replica`: this process's alone. */
  historyScope: 'fleet' | 'replica';
}

/** What the observer needs to know of the deployments: their provider, and a failure told without upstream text. */
export interface ObservedDeployments {
  providerOf(id: string): string | undefined;
  summaryOf(id: string): string | undefined;
}

type Shown = 'closed' | 'open' | 'rate-limited';

/** Words for an attempt's failure: its kind and status. */
function failureWords(attempt: Attempt): string {
  return attempt.status > 0 ? `${attempt.outcome} (HTTP ${attempt.status})` : attempt.outcome;
}

function attemptName(attempt: Attempt): string {
  return `${attempt.provider} (${attempt.model})`;
}

export class Observer {
  readonly events: EventRing;
  readonly history: History;
  readonly #shown = new Map<string, Shown>();
  #deployments: ObservedDeployments = { providerOf: () => undefined, summaryOf: () => undefined };
  #store: StateStore | undefined;
  #unsubscribe: (() => void) | undefined;
  #connected: boolean | undefined;
  #fleet: FleetHistory | undefined;
  readonly #fleetSettleMs: number | undefined;
  readonly #timer: NodeJS.Timeout;

  constructor(options: ObserverOptions = {}) {
    this.events = new EventRing(options.eventCapacity);
    this.history = new History(options);
    this.#fleetSettleMs = options.fleetSettleMs;
    this.#timer = setInterval(() => this.tick(), Math.min(1000, this.history.stepMs));
    this.#timer.unref();
  }

  /** Follows a store's health records (trips, recoveries, rate limits) and its connection. */
  watch(store: StateStore, deployments: ObservedDeployments): void {
    this.#unsubscribe?.();
    this.#store = store;
    this.#deployments = deployments;
    this.#connected = store.connection().connected;
    this.#unsubscribe = store.subscribe((id) => this.#healthChanged(id));
    this.#fleet?.close();
    const steps = store.historySteps();
    this.#fleet =
      steps === undefined
        ? undefined
        : new FleetHistory(steps, {
            stepMs: this.history.stepMs,
            maxPoints: this.history.maxPoints,
            ...(this.#fleetSettleMs !== undefined && { settleMs: this.#fleetSettleMs }),
          });
    // The fleet's last hour at once, so a replica that just started shows it too.
    void this.#fleet?.refresh();
  }

  #healthChanged(id: string): void {
    const store = this.#store;
    if (store === undefined) return;
    const { health } = store.get(id);
    const now = Date.now();
    const shown: Shown = health.circuit.state === 'open' ? 'open' : health.rateLimitedUntil > now ? 'rate-limited' : 'closed';
    const before = this.#shown.get(id) ?? 'closed';
    if (shown === before) return;
    this.#shown.set(id, shown);
    const provider = this.#deployments.providerOf(id);
    const why = this.#deployments.summaryOf(id);
    if (shown === 'open') {
      this.events.push({ kind: 'trip', deployment: id, provider, message: `${id} taken out${why ? `: ${why}` : ''}` });
    } else if (shown === 'rate-limited') {
      const seconds = Math.max(1, Math.round((health.rateLimitedUntil - now) / 1000));
      this.events.push({ kind: 'rate-limited', deployment: id, provider, message: `${id} rate-limited for ${seconds} s` });
    } else if (before === 'open') {
      this.events.push({ kind: 'recovery', deployment: id, provider, message: `${id} back in service` });
    }
  }

  /** One attempt ended (hot path: two increments). */
  attempt(id: string, ok: boolean, latencyMs: number): void {
    this.history.attempt(id, ok, latencyMs);
  }

  firstToken(id: string, ms: number): void {
    this.history.firstToken(id, ms);
  }

  /** A request was answered by `deployment` after its `attempts`: a failover or a hedge is an event. */
  answered(deployment: string, provider: string, attempts: readonly Attempt[]): void {
    if (attempts.length < 2) return;
    const failed = attempts.filter((attempt) => attempt.outcome !== 'ok' && attempt.outcome !== 'aborted');
    if (failed.length > 0) {
      const from = failed.map(attemptName).join(', ');
      this.events.push({
        kind: 'failover',
        deployment,
        provider,
        from,
        to: deployment,
        message: `${from} → ${deployment}: ${failed.map(failureWords).join(', ')}`,
      });
    }
    const hedges = attempts.filter((attempt) => attempt.hedge === true);
    if (hedges.length > 0) {
      this.events.push({
        kind: 'hedge',
        deployment,
        provider,
        message: `hedged on ${hedges.map(attemptName).join(', ')}; ${deployment} answered first`,
      });
    }
  }

  /** A request that no deployment answered, after trying some. */
  failed(model: string, attempts: readonly Attempt[]): void {
    if (attempts.length === 0) return;
    this.events.push({
      kind: 'request-failed',
      message: `no answer for ${model}: ${attempts.map((attempt) => `${attemptName(attempt)} ${failureWords(attempt)}`).join(', ')}`,
    });
  }

  /** A probe's result: `error` is its failure kind and status, never the upstream's words. */
  probe(id: string, provider: string, healthy: boolean, latencyMs: number, error?: string): void {
    this.events.push({
      kind: 'probe',
      deployment: id,
      provider,
      message: healthy ? `probe of ${id} answered in ${Math.round(latencyMs)} ms` : `probe of ${id} failed: ${error ?? 'error'}`,
    });
  }

  reloaded(deploymentIds: ReadonlySet<string>): void {
    this.history.retain(deploymentIds);
    for (const id of this.#shown.keys()) if (!deploymentIds.has(id)) this.#shown.delete(id);
    this.events.push({ kind: 'reload', message: `config reloaded: ${deploymentIds.size} deployments` });
  }

  /** Closes history steps whose time is over and notices the store's connection changing. */
  tick(now = Date.now()): void {
    if (this.history.roll(now)) this.#fleet?.closed(this.history.lastClosed!);
    const store = this.#store;
    if (store === undefined) return;
    const { connected, backend } = store.connection();
    if (connected === this.#connected) return;
    this.#connected = connected;
    if (connected) void this.#fleet?.refresh(now);
    const alone = this.#fleet === undefined ? '' : '; the history shows this replica alone';
    this.events.push(
      connected
        ? { kind: 'store-regained', message: `${backend} state store reachable again` }
        : { kind: 'store-lost', message: `${backend} state store unreachable; state kept in memory meanwhile${alone}` },
    );
  }

  /**
   * Events after `seq`, and history after `after` (epoch ms) with the open step: the fleet's when
   * the store is shared and reachable, else this replica's.
   */
  read(seq = 0, after = Number.NEGATIVE_INFINITY): ObservedState {
    const events = this.events.since(seq);
    const stepMs = this.history.stepMs;
    const fleet = this.#fleet;
    if (fleet?.current && this.#store?.connection().connected === true) {
      const history = fleet.read(after, this.history.read(fleet.newestAt));
      return { events, history, stepMs, settledAt: fleet.settledAt, historyScope: 'fleet' };
    }
    const settledAt = this.history.lastClosed?.at ?? Number.NEGATIVE_INFINITY;
    return { events, history: this.history.read(after), stepMs, settledAt, historyScope: 'replica' };
  }

  close(): void {
    clearInterval(this.#timer);
    this.#unsubscribe?.();
    this.#fleet?.close();
  }
}

export type { ObservedEvent, ObservedEventKind } from './events.ts';
export type { HistoryPoint } from './history.ts';
