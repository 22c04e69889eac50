// The history of every replica sharing the state store: each closed step's counts go to the
// store once (one write per step, from the observer's timer, never from a request), and the
// fleet's steps are read back once per step, a moment after the step closed so the other
// replicas have written theirs. Counts and bins are sums, so percentiles are taken from the
// fleet's bins, not averaged from the replicas' percentiles.
//
// A replica's timer closes a step up to a second after another's, so a step read once may still
// grow: it is read again with the next step, and only then called settled (sent once on the
// stream); the newer ones are sent again until they are.
import type { FleetSteps, HistorySteps, StepCounts } from '../state/history-steps.ts';
import { type ClosedStep, type HistoryPoint, pointOf } from './history.ts';

export interface FleetHistoryOptions {
  stepMs: number;
  /** Closed steps kept; the window is this many steps. */
  maxPoints: number;
  /** How long after a step closes the fleet's steps are read, ms; default half a step, at most 2 s. */
  settleMs?: number;
}

export class FleetHistory {
  readonly #steps: HistorySteps;
  readonly #stepMs: number;
  readonly #maxPoints: number;
  readonly #settleMs: number;
  /** Each step read from the fleet: deployment → its point (steps nobody counted in are empty). */
  readonly #read = new Map<number, Map<string, HistoryPoint>>();
  /** Per deployment, the fleet's points of the steps read, oldest first (zeros where it counted nothing). */
  #points: Record<string, HistoryPoint[]> = {};
  #newestAt = Number.NEGATIVE_INFINITY;
  #settledAt = Number.NEGATIVE_INFINITY;
  /** Whether the last read answered: while it did not, the observer shows its own history. */
  #current = false;
  #refreshing: Promise<void> | undefined;
  readonly #timers = new Set<NodeJS.Timeout>();

  constructor(steps: HistorySteps, options: FleetHistoryOptions) {
    this.#steps = steps;
    this.#stepMs = options.stepMs;
    this.#maxPoints = options.maxPoints;
    this.#settleMs = options.settleMs ?? Math.min(2000, Math.round(options.stepMs / 2));
  }

  /** Whether the fleet's steps were read last time they were asked for. */
  get current(): boolean {
    return this.#current;
  }

  /** The newest step every replica's counts are in (sent once); the newer ones may still grow. */
  get settledAt(): number {
    return this.#settledAt;
  }

  /** The newest step read from the fleet. */
  get newestAt(): number {
    return this.#newestAt;
  }

  /** This replica closed a step: its counts go to the fleet, whose steps are read a moment later. */
  closed(step: Readonly<ClosedStep>): void {
    this.#steps.add(this.#stepMs, step.at, step.counts, step.at + this.#stepMs * (this.#maxPoints + 1));
    const timer = setTimeout(() => {
      this.#timers.delete(timer);
      void this.refresh();
    }, this.#settleMs);
    timer.unref();
    this.#timers.add(timer);
  }

  /**
   * Reads the fleet's steps of the window whose time is over: those not read yet, and those not
   * settled. One read at a time; resolves when done, whether it answered or not.
   */
  refresh(now = Date.now()): Promise<void> {
    this.#refreshing ??= this.#refresh(now).finally(() => {
      this.#refreshing = undefined;
    });
    return this.#refreshing;
  }

  async #refresh(now: number): Promise<void> {
    const newest = Math.floor(now / this.#stepMs) * this.#stepMs - this.#stepMs;
    const oldest = newest - (this.#maxPoints - 1) * this.#stepMs;
    const starts: number[] = [];
    for (let at = oldest; at <= newest; at += this.#stepMs) {
      if (!this.#read.has(at) || at > this.#settledAt) starts.push(at);
    }
    let steps: FleetSteps;
    try {
      steps = await this.#steps.read(this.#stepMs, starts);
    } catch {
      this.#current = false;
      return;
    }
    for (const at of this.#read.keys()) if (at < oldest) this.#read.delete(at);
    for (const at of starts) this.#read.set(at, pointsOf(at, steps.get(at)));
    this.#newestAt = newest;
    // The step before the newest has now been read a step after it closed: every replica has written it.
    this.#settledAt = Math.max(this.#settledAt, newest - this.#stepMs);
    this.#points = this.#assemble();
    this.#current = true;
  }

  /** Per deployment, its points from the first step it counted anything in to the newest. */
  #assemble(): Record<string, HistoryPoint[]> {
    const shown: Record<string, HistoryPoint[]> = {};
    const starts = [...this.#read.keys()].sort((a, b) => a - b);
    for (const at of starts) {
      const points = this.#read.get(at)!;
      for (const id of points.keys()) shown[id] ??= [];
      for (const [id, series] of Object.entries(shown)) series.push(points.get(id) ?? pointOf(at, noCounts));
    }
    return shown;
  }

  /**
   * The fleet's points after `after` (epoch ms), then this replica's own points newer than the
   * fleet's newest step (a step just closed, not yet read back, and the open step).
   */
  read(after: number, local: Record<string, HistoryPoint[]>): Record<string, HistoryPoint[]> {
    const shown: Record<string, HistoryPoint[]> = {};
    for (const [id, points] of Object.entries(this.#points)) shown[id] = points.filter((point) => point.at > after);
    for (const [id, points] of Object.entries(local)) {
      const newer = points.filter((point) => point.at > this.#newestAt && point.at > after);
      shown[id] = [...(shown[id] ?? []), ...newer];
    }
    return shown;
  }

  close(): void {
    for (const timer of this.#timers) clearTimeout(timer);
    this.#timers.clear();
  }
}

const noCounts: StepCounts = { requests: 0, errors: 0, latencyBins: [], firstTokenBins: [] };

function pointsOf(at: number, counts: Record<string, StepCounts> | undefined): Map<string, HistoryPoint> {
  const points = new Map<string, HistoryPoint>();
  for (const [id, step] of Object.entries(counts ?? {})) points.set(id, pointOf(at, step));
  return points;
}
