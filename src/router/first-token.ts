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

const keep = 64;

export class FirstTokenTimes {
  readonly #samples = new Map<string, number[]>();

  /** Keeps one time to first token (ms) of a deployment. */
  record(deployment: string, ms: number): void {
    const key = deployment;
    let samples = this.#samples.get(key);
    if (samples === undefined) {
      samples = [];
      this.#samples.set(key, samples);
    }
    samples.push(ms);
    // A bounded window: recent behaviour counts, memory does not grow.
    if (samples.length > keep) samples.shift();
  }

  /** The deadline for the next stream to this deployment. */
  deadline(deployment: string, auto: AutoFirstToken): number {
    const samples = this.#samples.get(deployment);
    if (samples === undefined || samples.length < auto.minSamples) return auto.maxMs;
    const sorted = [...samples].sort((a, b) => a - b);
    const index = Math.min(sorted.length - 1, Math.ceil(auto.percentile * sorted.length) - 1);
    const learned = (sorted[index] as number) * auto.margin;
    return Math.round(Math.min(auto.maxMs, Math.max(auto.minMs, learned)));
  }

  forget(deployment: string): void {
    this.#samples.delete(deployment);
  }
}
