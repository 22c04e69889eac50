// Hedged attempts: when the attempt on one deployment has produced no first content by its hedge
// delay, the next candidate is started alongside it; the first to produce content wins and the
// others are aborted at once (their connections closed). The delay is checked by the attempt's
// own first-token timer (stream.ts), so a request whose attempt is on time pays for no timer
// beyond the one it always had.
import { type Attempt, SwitchboardError } from '../protocol/errors.ts';
import type { Action } from './classify.ts';
import type { Deployment } from './deployment.ts';

/** What an attempt is told beyond its deployment and run. */
export interface AttemptOptions {
  /** Aborts this attempt alone (another one answered first). */
  signal?: AbortSignal;
  /** If the attempt has no first content after `afterMs`, `start()` is called (once) and the attempt goes on. */
  late?: { afterMs: number; start(): void };
  /** The attempt was started as a hedge. */
  hedge?: boolean;
}

/** One attempt's outcome with the record it added to the run's attempts. */
export type Tried<T> = { value: T; attempt: Attempt } | { error: SwitchboardError; attempt: Attempt };

export interface RaceOptions<T> {
  /** Starts one attempt (recording it in the run's attempts). */
  start(deployment: Deployment, options: AttemptOptions): Promise<Tried<T>>;
  /** The hedge delay for an attempt on this deployment, in ms; undefined: it is not hedged. */
  delayMs(deployment: Deployment): number | undefined;
  /** The candidate to start alongside, never one of `running`; undefined when there is none. */
  next(running: ReadonlySet<string>): Deployment | undefined;
  /** Hedges the request may still start; shared by all its races. */
  budget: { left: number };
  /** Records the failure of one attempt of a race that had several; returns the failover action. */
  failed(deployment: Deployment, error: SwitchboardError): Action;
  /** An attempt that lost: its partial cost, in USD, when known. */
  lost(deployment: Deployment): number | undefined;
  /** Releases a value that came in after another won (a stream that also started). */
  dispose?(value: T): unknown;
}

export type RaceResult<T> =
  | { value: T; deployment: Deployment }
  /** `alone`: no hedge was started and the failure is not yet recorded (the loop handles it as any). */
  | { error: SwitchboardError; deployment: Deployment; alone: true }
  /** Every attempt of the race failed (each recorded through `failed`), or one failure ends the request (`action`). */
  | { error: SwitchboardError; deployment: Deployment; alone: false; action: Action };

/** The reason a losing attempt is aborted with; its record shows it as `aborted`. */
export function hedgeLost(): SwitchboardError {
  return new SwitchboardError({
    message: 'abandoned: a hedged attempt answered first',
    status: 499,
    type: 'request_aborted',
    code: 'hedge_lost',
    kind: 'aborted',
  });
}

/** Runs `first`, hedging it when late, until one attempt produces content or all have failed. */
export async function race<T>(first: Deployment, options: RaceOptions<T>): Promise<RaceResult<T>> {
  const running = new Map<string, { deployment: Deployment; controller: AbortController }>();
  const settled: Array<{ deployment: Deployment; tried: Tried<T> }> = [];
  const losses = new Map<string, number | undefined>();
  let wake: (() => void) | undefined;
  let over = false;
  let hedged = false;

  const launch = (deployment: Deployment, hedge: boolean): void => {
    const controller = new AbortController();
    running.set(deployment.id, { deployment, controller });
    const delay = options.budget.left > 0 ? options.delayMs(deployment) : undefined;
    const late =
      delay === undefined
        ? undefined
        : {
            afterMs: delay,
            start: () => {
              if (over || options.budget.left <= 0) return;
              const next = options.next(new Set(running.keys()));
              if (next === undefined) return;
              options.budget.left -= 1;
              hedged = true;
              launch(next, true);
            },
          };
    void options.start(deployment, { signal: controller.signal, hedge, ...(late && { late }) }).then((tried) => {
      running.delete(deployment.id);
      if (hedge) tried.attempt.hedge = true;
      if (over) {
        // Lost the race: its connection was closed when the winner came in.
        if ('value' in tried) void options.dispose?.(tried.value);
        const costUsd = losses.get(deployment.id);
        if (costUsd !== undefined) tried.attempt.costUsd = costUsd;
        return;
      }
      settled.push({ deployment, tried });
      wake?.();
    });
  };

  const abandonOthers = (winner: string | undefined): void => {
    over = true;
    for (const [id, { deployment, controller }] of running) {
      if (id === winner) continue;
      if (winner !== undefined) losses.set(id, options.lost(deployment));
      controller.abort(hedgeLost());
    }
  };

  launch(first, false);
  for (;;) {
    while (settled.length === 0) await new Promise<void>((resolve) => (wake = resolve));
    const { deployment, tried } = settled.shift() as { deployment: Deployment; tried: Tried<T> };
    if ('value' in tried) {
      abandonOthers(deployment.id);
      for (const late of settled.splice(0)) {
        if ('value' in late.tried) void options.dispose?.(late.tried.value);
      }
      return { value: tried.value, deployment };
    }
    if (!hedged && running.size === 0) return { error: tried.error, deployment, alone: true };
    const action = options.failed(deployment, tried.error);
    if (action === 'return' || action === 'policy-fallback') {
      abandonOthers(undefined);
      return { error: tried.error, deployment, alone: false, action };
    }
    if (running.size === 0 && settled.length === 0) return { error: tried.error, deployment, alone: false, action };
  }
}
