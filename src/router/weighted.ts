// Smooth weighted round-robin (the interleaving nginx uses for upstream weights): over a run of
// picks every deployment is chosen in proportion to its weight, and picks of a heavy one are
// spread out rather than bunched (weights 5:1:1 give a a b a c a a, not a a a a a b c).
import type { Deployment } from './deployment.ts';

/** Most deployments one rotation remembers; past it the oldest entries are forgotten. */
const keep = 10_000;

/** The running "current weight" of each deployment; one per router, read and changed per pick. */
export class SmoothWeights {
  readonly #current = new Map<string, number>();

  /**
   * Picks the next deployment among `candidates` and returns them all, the pick first, then the
   * others by weight (heaviest first). Only the candidates given take part in this pick, so a
   * deployment that is out does not bank turns while it is away.
   */
  order(candidates: readonly Deployment[]): Deployment[] {
    if (candidates.length <= 1) return [...candidates];
    let total = 0;
    let best: Deployment | undefined;
    let bestWeight = Number.NEGATIVE_INFINITY;
    for (const deployment of candidates) {
      const current = (this.#current.get(deployment.id) ?? 0) + deployment.weight;
      this.#current.set(deployment.id, current);
      total += deployment.weight;
      if (current > bestWeight) {
        best = deployment;
        bestWeight = current;
      }
    }
    const chosen = best as Deployment;
    this.#current.set(chosen.id, bestWeight - total);
    if (this.#current.size > keep) this.#current.delete(this.#current.keys().next().value as string);
    const rest = candidates.filter((deployment) => deployment !== chosen).sort((a, b) => b.weight - a.weight);
    return [chosen, ...rest];
  }
}
