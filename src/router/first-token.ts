// `firstTokenMs: auto`: each deployment gets a first-token deadline from its own
// measured times to first token, so a provider that is usually fast is given up on
// quickly when it stalls, and a slow one is not cut off for being itself.

export interface AutoFirstToken {
  /** Which measured time to take: 0.95 is the 95th percentile. */
  percentile: number;
  /** The deadline is the percentile times this. */
  margin: number;
  minMs: number;
  maxMs: number;
  /** Samples needed before the learned value is trusted; until then `maxMs` applies. */
  minSamples: number;
}

// 128 recent samples: the 99th percentile by the rank used below is then the largest, which a
// new sample of the same behaviour exceeds about once in 129 requests.
const keep = 128;

/** Where `value` goes in ascending `sorted` (after equal values). */
function insertionPoint(sorted: readonly number[], value: number): number {
  let low = 0;
  let high = sorted.length;
  while (low < high) {
    const middle = (low + high) >>> 1;
    if ((sorted[middle] as number) <= value) low = middle + 1;
    else high = middle;
  }
  return low;
}

export class FirstTokenTimes {
  /** Per deployment: its recent samples in arrival order, and the same kept sorted, so a percentile is one lookup. */
  readonly #samples = new Map<string, { recent: number[]; sorted: number[] }>();

  /** Keeps one time to first token (ms) of a deployment. */
  record(deployment: string, ms: number): void {
    let samples = this.#samples.get(deployment);
    if (samples === undefined) {
      samples = { recent: [], sorted: [] };
      this.#samples.set(deployment, samples);
    }
    samples.recent.push(ms);
    samples.sorted.splice(insertionPoint(samples.sorted, ms), 0, ms);
    // A bounded window: recent behaviour counts, memory does not grow.
    if (samples.recent.length > keep) {
      const oldest = samples.recent.shift() as number;
      samples.sorted.splice(insertionPoint(samples.sorted, oldest) - 1, 1);
    }
  }

  /** The deadline for the next stream to this deployment. */
  deadline(deployment: string, auto: AutoFirstToken): number {
    const sorted = this.#samples.get(deployment)?.sorted;
    if (sorted === undefined || sorted.length < auto.minSamples) return auto.maxMs;
    const index = Math.min(sorted.length - 1, Math.ceil(auto.percentile * sorted.length) - 1);
    const learned = (sorted[index] as number) * auto.margin;
    return Math.round(Math.min(auto.maxMs, Math.max(auto.minMs, learned)));
  }

  /**
   * The `percentile` (0.99: the time 99 % of recent first tokens came within) of the deployment's
   * recent times to first content in ms, or undefined with fewer than `minSamples` samples. The
   * rank is rounded up, so at most about 1 − `percentile` of requests like the recent ones exceed it.
   */
  percentile(deployment: string, percentile: number, minSamples: number): number | undefined {
    const sorted = this.#samples.get(deployment)?.sorted;
    if (sorted === undefined || sorted.length < minSamples) return undefined;
    return sorted[Math.min(sorted.length - 1, Math.ceil(percentile * sorted.length))];
  }

  forget(deployment: string): void {
    this.#samples.delete(deployment);
  }
}
