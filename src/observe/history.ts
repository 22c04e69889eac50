// Recent history per deployment at a coarse step (10 s by default, the last hour): requests,
// errors, latency and time-to-first-token percentiles. A request costs two array increments;
// percentiles are worked out when a bucket closes, on a timer. The bins are fixed, so steps
// counted by several replicas add up bin by bin (fleet-history.ts) before percentiles are taken.
import type { StepCounts } from '../state/history-steps.ts';

/** Log-scale latency bins: bin i holds samples up to 5 ms × 1.4^i (the last bin is unbounded). */
const binCount = 40;
const binBase = 5;
const binGrowth = 1.4;
const logGrowth = Math.log(binGrowth);

function binOf(ms: number): number {
  if (!(ms > binBase)) return 0;
  return Math.min(binCount - 1, Math.ceil(Math.log(ms / binBase) / logGrowth));
}

function binUpperMs(bin: number): number {
  return binBase * binGrowth ** bin;
}

/** The value below which `share` of the counted samples fall (a bin's upper bound); null without samples. */
function percentile(bins: ArrayLike<number>, count: number, share: number): number | null {
  if (count === 0) return null;
  const rank = Math.max(1, Math.ceil(count * share));
  let seen = 0;
  for (let bin = 0; bin < bins.length; bin++) {
    seen += bins[bin] as number;
    if (seen >= rank) return Math.round(binUpperMs(bin));
  }
  return Math.round(binUpperMs(bins.length - 1));
}

/** One closed step of one deployment. */
export interface HistoryPoint {
  /** Epoch ms when the step began. */
  at: number;
  requests: number;
  errors: number;
  latencyP50Ms: number | null;
  latencyP95Ms: number | null;
  firstTokenP50Ms: number | null;
  firstTokenP95Ms: number | null;
}

function sum(bins: ArrayLike<number>): number {
  let total = 0;
  for (let bin = 0; bin < bins.length; bin++) total += bins[bin] as number;
  return total;
}

/** The point of a step from its counts (one replica's or the fleet's summed). */
export function pointOf(at: number, counts: StepCounts): HistoryPoint {
  const latencyCount = sum(counts.latencyBins);
  const firstTokenCount = sum(counts.firstTokenBins);
  return {
    at,
    requests: counts.requests,
    errors: counts.errors,
    latencyP50Ms: percentile(counts.latencyBins, latencyCount, 0.5),
    latencyP95Ms: percentile(counts.latencyBins, latencyCount, 0.95),
    firstTokenP50Ms: percentile(counts.firstTokenBins, firstTokenCount, 0.5),
    firstTokenP95Ms: percentile(counts.firstTokenBins, firstTokenCount, 0.95),
  };
}

/** The counts of a step that closed, per deployment. */
export interface ClosedStep {
  /** Epoch ms when the step began. */
  at: number;
  counts: Record<string, StepCounts>;
}

class OpenStep {
  requests = 0;
  errors = 0;
  latencyCount = 0;
  firstTokenCount = 0;
  readonly latency = new Uint32Array(binCount);
  readonly firstToken = new Uint32Array(binCount);

  close(at: number): HistoryPoint {
    return {
      at,
      requests: this.requests,
      errors: this.errors,
      latencyP50Ms: percentile(this.latency, this.latencyCount, 0.5),
      latencyP95Ms: percentile(this.latency, this.latencyCount, 0.95),
      firstTokenP50Ms: percentile(this.firstToken, this.firstTokenCount, 0.5),
      firstTokenP95Ms: percentile(this.firstToken, this.firstTokenCount, 0.95),
    };
  }

  counts(): StepCounts {
    return {
      requests: this.requests,
      errors: this.errors,
      latencyBins: Array.from(this.latency),
      firstTokenBins: Array.from(this.firstToken),
    };
  }

  reset(): void {
    this.requests = 0;
    this.errors = 0;
    this.latencyCount = 0;
    this.firstTokenCount = 0;
    this.latency.fill(0);
    this.firstToken.fill(0);
  }
}

interface Series {
  open: OpenStep;
  points: HistoryPoint[];
}

export interface HistoryOptions {
  /** The step, in ms; default 10 s. */
  stepMs?: number;
  /** How far back it keeps, in ms; default one hour. */
  windowMs?: number;
}

/** Per-deployment history: an open step counted into, and the closed steps of the window. */
export class History {
  readonly stepMs: number;
  readonly maxPoints: number;
  readonly #series = new Map<string, Series>();
  #stepStart: number;
  #lastClosed: ClosedStep | undefined;

  constructor(options: HistoryOptions = {}, now = Date.now()) {
    this.stepMs = options.stepMs ?? 10_000;
    this.maxPoints = Math.max(1, Math.ceil((options.windowMs ?? 3_600_000) / this.stepMs));
    this.#stepStart = Math.floor(now / this.stepMs) * this.stepMs;
  }

  #of(id: string): Series {
    let series = this.#series.get(id);
    if (series === undefined) {
      series = { open: new OpenStep(), points: [] };
      this.#series.set(id, series);
    }
    return series;
  }

  /** An attempt ended: counted, with its latency when it answered. */
  attempt(id: string, ok: boolean, latencyMs: number): void {
    const open = this.#of(id).open;
    open.requests++;
    if (ok) {
      open.latency[binOf(latencyMs)]!++;
      open.latencyCount++;
    } else {
      open.errors++;
    }
  }

  firstToken(id: string, ms: number): void {
    const open = this.#of(id).open;
    open.firstToken[binOf(ms)]!++;
    open.firstTokenCount++;
  }

  /** Closes the open step once its time is over (steps with nothing in them are kept as zeros); true when one closed. */
  roll(now = Date.now()): boolean {
    if (now < this.#stepStart + this.stepMs) return false;
    const at = this.#stepStart;
    const counts: Record<string, StepCounts> = {};
    for (const [id, series] of this.#series) {
      series.points.push(series.open.close(at));
      if (series.points.length > this.maxPoints) series.points.shift();
      if (series.open.requests > 0 || series.open.firstTokenCount > 0) counts[id] = series.open.counts();
      series.open.reset();
    }
    this.#lastClosed = { at, counts };
    this.#stepStart = Math.floor(now / this.stepMs) * this.stepMs;
    return true;
  }

  /** The step closed last, with the counts of the deployments that counted anything in it; undefined before the first. */
  get lastClosed(): Readonly<ClosedStep> | undefined {
    return this.#lastClosed;
  }

  /** Where the open step began (epoch ms). */
  get openAt(): number {
    return this.#stepStart;
  }

  /** Forgets deployments that are no longer configured. */
  retain(ids: ReadonlySet<string>): void {
    for (const id of this.#series.keys()) if (!ids.has(id)) this.#series.delete(id);
  }

  /** Each deployment's closed steps after `after` (epoch ms; all when omitted), then its open step so far. */
  read(after = Number.NEGATIVE_INFINITY): Record<string, HistoryPoint[]> {
    const shown: Record<string, HistoryPoint[]> = {};
    for (const [id, series] of this.#series) {
      shown[id] = [...series.points.filter((point) => point.at > after), series.open.close(this.#stepStart)];
    }
    return shown;
  }
}
