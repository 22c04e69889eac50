// The recent history the dashboard draws, shared by every replica: each replica adds the counts
// of each history step it closes, and any replica reads the fleet's sums. Counts only add, so
// the replicas' steps sum into the fleet's without coordination; the latency bins are the
// observer's (observe/history.ts), kept here as plain arrays of counts.

/** One deployment's counts over one history step. */
export interface StepCounts {
  /** Attempts sent. */
  requests: number;
  /** Attempts that failed. */
  errors: number;
  /** Answered attempts per latency bin (index = bin). */
  latencyBins: number[];
  /** Streams per time-to-first-token bin (index = bin). */
  firstTokenBins: number[];
}

/** The fleet's counts of some steps: step start (epoch ms) → deployment id → counts. */
export type FleetSteps = Map<number, Record<string, StepCounts>>;

/**
 * History steps shared between replicas (`StateStore.historySteps()`; only a shared store has
 * them). Steps are told apart by their length and their start, so replicas with different step
 * lengths never mix.
 */
export interface HistorySteps {
  /**
   * Adds this replica's counts of the step of `stepMs` that began at `at` (epoch ms) to the
   * fleet's, kept until `expiresAt` (epoch ms). Never waits and never throws: it is one write in
   * the background; a step closed while the backend is away is sent when it returns (if it has
   * not expired by then), and a failed send is not repeated (a count is never added twice).
   */
  add(stepMs: number, at: number, counts: Readonly<Record<string, StepCounts>>, expiresAt: number): void;
  /**
   * The fleet's counts of the steps of `stepMs` that began at `starts`; a step nobody counted
   * anything in (or that expired) is absent. Rejects when the backend cannot be reached.
   */
  read(stepMs: number, starts: readonly number[]): Promise<FleetSteps>;
}
