// One request's life in the router: its deadline, its abort signal, and the attempts
// made for it. Every attempt of a request shares the one deadline.
import { setTimeout as delay } from 'node:timers/promises';
import type { RequestTrace } from '../observe/tracing.ts';
import type { ChatRequest } from '../protocol/chat.ts';
import { type Attempt, abortedBy, SwitchboardError } from '../protocol/errors.ts';
import type { Needs, Unfit } from './capabilities.ts';
import type { Strategy } from './strategies.ts';

/** Each request is routed by its generic model; chat and embedding requests alike. */
export class Run<Request extends { model: string } = ChatRequest> {
  readonly request: Request;
  readonly strategy: Strategy;
  readonly attempts: Attempt[] = [];
  /** The only providers that may answer, when the request needs something only they have. */
  readonly only: ReadonlySet<string> | undefined;
  /** `performance.now()` when the request arrived. */
  readonly startedAt = performance.now();
  /** Epoch ms after which no attempt may run. */
  readonly deadline: number;
  /** What the request needs of a deployment (chat requests; none for the others). */
  needs: Needs | undefined;
  /** Estimated input tokens, once a window had to be compared; `counted` when the tokenizer counted them. */
  tokens: { input: number; counted: boolean } | undefined;
  /** The fewest input tokens the request can have: raised past a window whose deployment said it is too long. */
  floorTokens = 0;
  /** Deployments left out because they cannot take the request (by id), with the model they serve. */
  readonly unfit = new Map<string, { model: string; reason: Unfit }>();
  /** Deployments that failed as part of a hedged race: not tried again in this request. */
  readonly spent = new Set<string>();
  /** USD estimated for attempts abandoned after they were sent (hedges that lost). */
  abandonedCostUsd: number | undefined;
  /** The conversation the request belongs to, when affinity applies, and whether it goes where that is pinned. */
  affinity: { key: string; follow: boolean } | undefined;
  /** The request's span when tracing is on; ended by finish(). */
  trace: RequestTrace | undefined;
  readonly #controller = new AbortController();
  readonly #timer: NodeJS.Timeout;
  readonly #callerSignal: AbortSignal | undefined;
  readonly #onCallerAbort = () => this.#controller.abort(this.#callerSignal?.reason);

  constructor(request: Request, strategy: Strategy, totalMs: number, signal: AbortSignal | undefined, only?: readonly string[]) {
    this.request = request;
    this.only = only === undefined ? undefined : new Set(only);
    this.strategy = strategy;
    this.deadline = Date.now() + totalMs;
    this.#callerSignal = signal;
    this.#timer = setTimeout(() => {
      this.#controller.abort(
        new SwitchboardError({
          message: `no answer within the request deadline of ${totalMs} ms`,
          status: 504,
          type: 'timeout_error',
          code: 'deadline_exceeded',
          kind: 'timeout',
        }),
      );
    }, totalMs);
    this.#timer.unref();
    if (signal?.aborted) this.#onCallerAbort();
    else signal?.addEventListener('abort', this.#onCallerAbort, { once: true });
  }

  /** Aborted when the caller gives up or the deadline passes; the reason says which. */
  get signal(): AbortSignal {
    return this.#controller.signal;
  }

  remainingMs(): number {
    return Math.max(0, this.deadline - Date.now());
  }

  elapsedMs(): number {
    return performance.now() - this.startedAt;
  }

  /** The error that ends the run because it was aborted, classified like any other. */
  abortError(): SwitchboardError {
    return abortedBy(this.signal.reason);
  }

  /** Waits, unless the run is aborted first. */
  async sleep(ms: number): Promise<void> {
    if (ms <= 0) return;
    try {
      await delay(ms, undefined, { signal: this.signal });
    } catch {
      // Aborted: the caller checks the signal.
    }
  }

  finish(): void {
    this.trace?.end();
    clearTimeout(this.#timer);
    this.#callerSignal?.removeEventListener('abort', this.#onCallerAbort);
  }
}

/** A delay of about `ms`, spread by half either way so retries from many requests do not line up. */
export function jitter(ms: number): number {
  return ms * (0.5 + Math.random());
}
