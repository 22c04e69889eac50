// The attempt loop: try a model's candidate deployments in strategy order within one deadline,
// classify each failure through the tables in classify.ts, record its health consequence on
// every deployment it speaks for, and move on; then the model's fallbacks; and when nothing
// answered, the most telling error. An open circuit is never tried while a closed one can
// answer; when none can, one caller request may be the trial whose success closes it.
import type { Config } from '../config/schema.ts';
import type { Observer } from '../observe/observer.ts';
import { upstreamTraceparent } from '../observe/trace-context.ts';
import type { Usage } from '../protocol/chat.ts';
import { type Attempt, SwitchboardError } from '../protocol/errors.ts';
import { ownValue } from '../protocol/own-value.ts';
import { excerpt } from '../protocol/redact.ts';
import { readRateLimit } from '../providers/rate-limit.ts';
import { unfitError } from './capabilities.ts';
import { type Action, actionFor, consequenceFor, failureScope, isQuickRetry } from './classify.ts';
import type { Deployment } from './deployment.ts';
import { abandonedCost, estimateTokens, fits, inputTokensOf, raiseFloor } from './fit.ts';
import { type AttemptOptions, race, type Tried } from './hedge.ts';
import { allFailed, noProvider, summarize } from './outcomes.ts';
import { planCandidates } from './plan.ts';
import { jitter, type Run } from './run.ts';
import { type StrategyContext, spreadByWeight, strategies } from './strategies.ts';

import type { FailoverTracker } from './tracker.ts';
import type { SmoothWeights } from './weighted.ts';

/** What the router owns and replaces on reload; the failover loop reads it per request. */
export interface RoutingState {
  config: Config;
  /** Generic model → the deployments serving it. */
  byModel: Map<string, Deployment[]>;
  /** Provider name → its deployments. */
  byProvider: Map<string, Deployment[]>;
  /** Whether some provider has several keys (else the weighted spread is skipped). */
  severalKeys: boolean;
  tracker: FailoverTracker;
  /** Every configured credential (config/secrets.ts), scrubbed from every error message. */
  secrets: readonly string[];
  /** The generic names in `byModel` that are embedding models (never chat, never a fallback). */
  embeddingModels: ReadonlySet<string>;
  /** The running weights of the `weighted` strategy. */
  weights: SmoothWeights;
  /** Deployment → the share of its recent input tokens served from its prompt cache (as reported in usage). */
  cachedShares: Map<string, number>;
  /** Provider → its last failure told without upstream text (kind, status, code), for status pages shown to anyone. */
  failureSummaries: Map<string, string>;
  /** Events and recent history (the dashboard's); told of every attempt. */
  observer?: Observer;
}

/** What the loop needs of a request: the generic model it asks for. */
type Routed = Run<{ model: string }>;

type Outcome<T> = { value: T } | { error: SwitchboardError; final: boolean };

/** One attempt on one deployment. */
export type Attempter<T> = (deployment: Deployment, run: Routed, options?: AttemptOptions) => Promise<T>;

/** How a request is hedged (streams): the delay per deployment, the hedges it may start, how to release a loser's value. */
export interface Hedging<T> {
  delayMs(deployment: Deployment): number | undefined;
  budget: { left: number };
  dispose?(value: T): unknown;
}

export class Failover {
  readonly #state: RoutingState;

  constructor(state: RoutingState) {
    this.#state = state;
  }

  /**
   * Tries the asked model, then its fallbacks, until one answers. A content-policy refusal is
   * the answer after that one attempt, unless `contentPolicyFallbacks` names models for it; a
   * request no deployment of any of these models can take is a 400 saying why.
   */
  async route<T>(
    run: Routed,
    attempt: Attempter<T>,
    hedging?: Hedging<T>,
  ): Promise<{ value: T; deployment: Deployment; model: string }> {
    const routing = this.#state.config.routing;
    const asked = run.request.model;
    const chain = [asked, ...(ownValue(routing.fallbacks, asked) ?? [])];
    let refusal: SwitchboardError | undefined;
    for (const [index, model] of chain.entries()) {
      // A hedge may start on a later model of the chain when this one has no candidate left.
      const spill = (running: ReadonlySet<string>) => this.#firstOf(chain.slice(index + 1), run, running);
      const outcome = await this.routeModel(model, run, attempt, new Set(), hedging, spill);
      if ('value' in outcome) return this.#answered(run, outcome.value);
      if (outcome.final) throw this.#withAttempts(outcome.error, run);
      if (outcome.error.kind === 'content-policy') return this.#policyFallback(run, attempt, outcome.error);
      if (outcome.error.kind === 'context-length') refusal ??= outcome.error;
      if (run.signal.aborted) break;
    }
    if (refusal) throw this.#withAttempts(refusal, run);
    if (run.signal.aborted) throw this.#withAttempts(run.abortError(), run);
    if (run.attempts.length === 0 && run.unfit.size > 0) throw this.#unfit(run);
    throw allFailed(run, this.#untilReady(chain));
  }

  /** Sending a refused request to another model is a policy decision: only where `contentPolicyFallbacks` says so. */
  async #policyFallback<T>(
    run: Routed,
    attempt: Attempter<T>,
    refusal: SwitchboardError,
  ): Promise<{ value: T; deployment: Deployment; model: string }> {
    for (const model of ownValue(this.#state.config.routing.contentPolicyFallbacks, run.request.model) ?? []) {
      const outcome = await this.routeModel(model, run, attempt);
      if ('value' in outcome) return this.#answered(run, outcome.value);
      if (outcome.final || run.signal.aborted) throw this.#withAttempts(outcome.error, run);
    }
    throw this.#withAttempts(refusal, run);
  }

  /** The answer, its conversation pinned (renewed) to the deployment that gave it. */
  #answered<T>(run: Routed, answer: { value: T; deployment: Deployment }): { value: T; deployment: Deployment; model: string } {
    const { deployment } = answer;
    if (run.affinity !== undefined) {
      const ttlMs = deployment.provider.affinityTtlMs ?? this.#state.config.routing.affinity.ttlMs;
      this.#state.tracker.store.pin(run.affinity.key, deployment.id, ttlMs);
    }
    return { ...answer, model: deployment.model };
  }

  /** The 400 for a request no deployment could take (a feature, an output length, a window). */
  #unfit(run: Routed): SwitchboardError {
    const unfit = [...run.unfit.values()];
    const needs = run.needs ?? { features: [], outputTokens: 0 };
    return unfitError(unfit, needs, run.tokens === undefined ? undefined : Math.max(run.tokens.input, run.floorTokens));
  }

  /** Ms until the first provider of these models takes requests again (0 if one does now). */
  #untilReady(models: readonly string[]): number {
    const now = Date.now();
    let readyAt = Number.POSITIVE_INFINITY;
    for (const model of models) {
      for (const deployment of this.#state.byModel.get(model) ?? []) {
        readyAt = Math.min(readyAt, this.#state.tracker.readyAt(deployment.id, now));
      }
    }
    return readyAt - now;
  }

  /** The first deployment, in plan order, of the first of `models` that has one available now and not in `running`. */
  #firstOf(models: readonly string[], run: Routed, running: ReadonlySet<string>): Deployment | undefined {
    const tracker = this.#state.tracker;
    const now = Date.now();
    for (const model of models) {
      const candidates = (this.#state.byModel.get(model) ?? []).filter(
        (deployment) =>
          !running.has(deployment.id) &&
          !run.spent.has(deployment.id) &&
          (run.only === undefined || run.only.has(deployment.provider.name)),
      );
      const first = this.#plan(run, model, candidates, (id) => tracker.isAvailable(id, now))[0];
      if (first !== undefined) return first;
    }
    return undefined;
  }

  async routeModel<T>(
    model: string,
    run: Routed,
    attempt: Attempter<T>,
    exclude: ReadonlySet<string> = new Set(),
    hedging?: Hedging<T>,
    spill?: (running: ReadonlySet<string>) => Deployment | undefined,
  ): Promise<Outcome<{ value: T; deployment: Deployment }>> {
    const routing = this.#state.config.routing;
    const tracker = this.#state.tracker;
    const only = run.only;
    const all = this.#state.byModel.get(model) ?? [];
    const serving = only === undefined ? all : all.filter((deployment) => only.has(deployment.provider.name));
    const tries = new Map<string, number>();
    const excluded = new Set<string>([...exclude, ...run.spent]);
    const eligible = (deployment: Deployment) =>
      !excluded.has(deployment.id) && (tries.get(deployment.id) ?? 0) < routing.maxAttemptsPerProvider;
    await estimateTokens(run, serving);
    let lastError: SwitchboardError | undefined;
    let trialTaken = false;
    for (let waits = 0; ; waits += 1) {
      const now = Date.now();
      const ordered = this.#plan(run, model, serving.filter(eligible), (id) => tracker.isAvailable(id, now));
      for (let index = 0; index < ordered.length || !trialTaken; index += 1) {
        let deployment = ordered[index];
        let trial = false;
        if (deployment === undefined) {
          // No closed circuit is left to try: one caller request may be the trial of an open one
          // whose probe is due, so a caller is not refused while the upstream may be back.
          trialTaken = true;
          deployment = this.#trialCandidate(serving.filter(eligible), run, model);
          if (deployment === undefined) break;
          trial = true;
        }
        if (run.signal.aborted) return { error: run.abortError(), final: true };
        if (!trial && (!eligible(deployment) || !fits(run, deployment) || !tracker.isAvailable(deployment.id, Date.now()))) {
          continue;
        }
        let result: Tried<T> | { error: SwitchboardError };
        if (hedging !== undefined && !trial) {
          const raced = await race(deployment, {
            start: (candidate, options) => this.#tryOnce(candidate, run, attempt, tries, options),
            delayMs: (candidate) => hedging.delayMs(candidate),
            budget: hedging.budget,
            next: (running) => this.#hedgeCandidate(run, model, serving, eligible, running) ?? spill?.(running),
            failed: (candidate, error) => {
              lastError = error;
              run.spent.add(candidate.id);
              return this.#settle(run, candidate, error, false, excluded);
            },
            lost: (candidate) => abandonedCost(run, candidate),
            ...(hedging.dispose && { dispose: hedging.dispose }),
          });
          if ('value' in raced) return { value: { value: raced.value, deployment: raced.deployment } };
          if (!raced.alone) {
            if (raced.action === 'return') return { error: run.signal.aborted ? run.abortError() : raced.error, final: true };
            if (raced.action === 'policy-fallback') return { error: raced.error, final: false };
            continue;
          }
          result = { error: raced.error };
        } else {
          result = await this.#tryOnce(deployment, run, attempt, tries);
        }
        if ('error' in result && isQuickRetry(result.error) && eligible(deployment) && !run.signal.aborted && !trial) {
          this.recordFailure(deployment, result.error);
          await run.sleep(jitter(routing.retryDelayMs));
          result = await this.#tryOnce(deployment, run, attempt, tries);
        }
        if ('value' in result) return { value: { value: result.value, deployment } };
        const error = result.error;
        lastError = error;
        const action = this.#settle(run, deployment, error, trial, excluded);
        if (action === 'return') return { error: run.signal.aborted ? run.abortError() : error, final: true };
        if (action === 'policy-fallback') return { error, final: false };
      }
      // Nothing answered: wait for the earliest rate-limit reset if the deadline allows. An open
      // circuit is not waited on: the caller is better told at once when it may come back.
      const waiting = serving.filter(
        (deployment) => eligible(deployment) && fits(run, deployment) && tracker.isHealthy(deployment.id),
      );
      if (waiting.length === 0 || waits >= routing.maxAttemptsPerProvider || run.signal.aborted) break;
      const readyAt = Math.min(...waiting.map((deployment) => tracker.readyAt(deployment.id, Date.now())));
      const pause = Math.max(0, readyAt - Date.now()) + jitter(routing.retryDelayMs);
      if (Date.now() + pause >= run.deadline) break;
      await run.sleep(pause);
    }
    if (run.signal.aborted) return { error: run.abortError(), final: true };
    if (lastError) return { error: lastError, final: false };
    return { error: noProvider(model, run, this.#untilReady([model])), final: false };
  }

  /** Records a failed attempt and leaves out what it speaks for; returns the failover action. */
  #settle(run: Routed, deployment: Deployment, error: SwitchboardError, trial: boolean, excluded: Set<string>): Action {
    const action = this.recordFailure(deployment, error, trial);
    if (action === 'larger-context') raiseFloor(run, deployment);
    if (action !== 'skip-until-reset') for (const id of this.#reach(deployment, error)) excluded.add(id);
    return action;
  }

  /** The next deployment of this model to hedge with: the plan's first that is not already running. */
  #hedgeCandidate(
    run: Routed,
    model: string,
    serving: readonly Deployment[],
    eligible: (deployment: Deployment) => boolean,
    running: ReadonlySet<string>,
  ): Deployment | undefined {
    const now = Date.now();
    const candidates = serving.filter((deployment) => eligible(deployment) && !running.has(deployment.id));
    return this.#plan(run, model, candidates, (id) => this.#state.tracker.isAvailable(id, now))[0];
  }

  /** The model's candidates that can take the request now, in the order to try them; records the ones that never can. */
  #plan(run: Routed, model: string, candidates: readonly Deployment[], available: (id: string) => boolean): Deployment[] {
    const needs = run.needs ?? { features: [], outputTokens: 0 };
    const { ordered, unfit } = planCandidates({
      candidates,
      strategy: run.strategy,
      context: this.#strategyContext(model),
      needs,
      inputTokens: inputTokensOf(run),
      available,
      headroomLimit: this.#state.config.routing.rateLimitHeadroom,
      pinned: run.affinity?.follow ? this.#state.tracker.store.pinned(run.affinity.key) : undefined,
      ...(this.#state.severalKeys &&
        run.strategy !== strategies.weighted && { spread: (list) => spreadByWeight(list, Math.random) }),
    });
    for (const { deployment, reason } of unfit) run.unfit.set(deployment.id, { model, reason });
    return ordered;
  }

  #strategyContext(model: string): StrategyContext {
    const tracker = this.#state.tracker;
    return {
      model,
      now: Date.now(),
      health: (id) => tracker.health(id),
      random: Math.random,
      exploreShare: this.#state.config.routing.exploreShare,
      weights: this.#state.weights,
      cachedShare: (id) => this.#state.cachedShares.get(id),
    };
  }

  /** The open deployment, in strategy order, whose probe is due, not rate-limited; its trial is begun. */
  #trialCandidate(candidates: Deployment[], run: Routed, model: string): Deployment | undefined {
    const tracker = this.#state.tracker;
    const now = Date.now();
    const open = (id: string) => !tracker.isHealthy(id) && tracker.health(id).health.rateLimitedUntil <= now;
    for (const deployment of this.#plan(run, model, candidates, open)) {
      if (tracker.beginTrial(deployment.id, now, Math.max(1, run.remainingMs()))) return deployment;
    }
    return undefined;
  }

  /** The ids of the deployments a failure speaks for (classify.ts's scope). */
  #reach(deployment: Deployment, error: SwitchboardError): string[] {
    const scope = failureScope(error);
    if (scope === 'deployment') return [deployment.id];
    const siblings = this.#state.byProvider.get(deployment.provider.name) ?? [deployment];
    return siblings
      .filter((sibling) => scope === 'provider' || sibling.key.index === deployment.key.index)
      .map((sibling) => sibling.id);
  }

  async #tryOnce<T>(
    deployment: Deployment,
    run: Routed,
    attempt: Attempter<T>,
    tries: Map<string, number>,
    options?: AttemptOptions,
  ): Promise<Tried<T>> {
    const tracker = this.#state.tracker;
    tries.set(deployment.id, (tries.get(deployment.id) ?? 0) + 1);
    tracker.countRequest(deployment.id);
    tracker.store.count(deployment.id, 'inflight', 1);
    const started = performance.now();
    const provider = deployment.provider.name;
    const span = run.trace?.attempt({
      id: deployment.id,
      provider,
      providerModel: deployment.providerModel,
      protocol: deployment.provider.protocol,
    });
    try {
      const value = await (span === undefined
        ? attempt(deployment, run, options)
        : upstreamTraceparent.run(span.traceparent, () => attempt(deployment, run, options)));
      const latencyMs = performance.now() - started;
      span?.end({
        outcome: 'ok',
        status: 200,
        hedge: options?.hedge,
        usage: (value as { usage?: Usage | null }).usage,
        ...((run.request as { stream?: boolean }).stream === true && { firstTokenMs: latencyMs }),
      });
      tracker.recordSuccess(deployment.id, latencyMs);
      this.#state.observer?.attempt(deployment.id, true, latencyMs);
      const record: Attempt = { provider, model: deployment.providerModel, status: 200, outcome: 'ok', latencyMs };
      run.attempts.push(record);
      return { value, attempt: record };
    } catch (thrown) {
      const error = this.#asError(thrown, deployment);
      const status = error.kind === 'connect' || error.kind === 'timeout' || error.kind === 'aborted' ? 0 : error.status;
      const record: Attempt = {
        provider,
        model: deployment.providerModel,
        status,
        outcome: error.kind,
        reason: error.message,
        latencyMs: performance.now() - started,
      };
      run.attempts.push(record);
      span?.end({ outcome: error.kind, status, hedge: options?.hedge });
      if (error.kind !== 'aborted') this.#state.observer?.attempt(deployment.id, false, record.latencyMs);
      return { error, attempt: record };
    } finally {
      tracker.store.count(deployment.id, 'inflight', -1);
    }
  }

  /**
   * Applies the failover table's health consequence for one failed attempt to every deployment
   * it speaks for; returns the action. A failed trial keeps its circuit open until the next probe.
   */
  recordFailure(deployment: Deployment, error: SwitchboardError, trial = false) {
    const action = actionFor[error.kind];
    const tracker = this.#state.tracker;
    const now = Date.now();
    // A request refused before it was sent (it cannot be encoded, or asks for what the provider's
    // protocol cannot express) says nothing about the provider: no error is counted against it.
    if (error.provider === undefined && error.kind === 'bad-request') {
      if (trial) tracker.endTrial(deployment.id);
      return action;
    }
    const { health } = consequenceFor[error.kind];
    if (trial) tracker.trialFailed(deployment.id, now, error.message);
    const summary = error.kind === 'aborted' ? undefined : summarize(error);
    for (const id of this.#reach(deployment, error)) {
      if (summary !== undefined && (health !== 'none' || id === deployment.id)) this.#state.failureSummaries.set(id, summary);
      if (trial && id === deployment.id && health !== 'hold') continue;
      if (health === 'count') tracker.recordFailure(id, now, error.message);
      else if (health === 'trip') tracker.takeOut(id, now, error.message);
      else if (health === 'hold') {
        tracker.noteError(id, now, error.message);
        tracker.rateLimitedUntil(id, now + (error.retryAfterMs ?? this.#state.config.routing.rateLimitWaitMs));
      } else if (error.kind !== 'aborted' && id === deployment.id) tracker.noteError(id, now, error.message);
    }
    return action;
  }

  #asError(thrown: unknown, deployment: Deployment): SwitchboardError {
    const provider = deployment.provider;
    const error =
      thrown instanceof SwitchboardError
        ? thrown
        : new SwitchboardError(
            {
              message: `${provider.name}: ${(thrown as Error)?.message ?? String(thrown)}`,
              status: 502,
              type: 'server_error',
              kind: 'malformed',
              provider: provider.name,
            },
            { cause: thrown },
          );
    // Scrubbed, then cut: the message goes to the caller, the attempt list, the log and /status.
    const message = excerpt(error.message, this.#state.secrets);
    if (message !== error.message) error.message = message;
    return error;
  }

  /** Records what a response's headers say of the deployment's rate limits; returns its wait hint in ms. */
  noteHeaders(deployment: Deployment, headers: Record<string, string>): number | undefined {
    const provider = deployment.provider;
    if (provider.rateLimitHeaders === 'none' && headers['retry-after'] === undefined) return undefined;
    const now = Date.now();
    const info = readRateLimit(headers, provider.rateLimitHeaders, now);
    if (info === undefined) return undefined;
    this.#state.tracker.noteRateLimit(deployment.id, info);
    return info.retryAt === undefined ? undefined : info.retryAt - now;
  }

  #withAttempts(error: SwitchboardError, run: Routed): SwitchboardError {
    if (error.attempts.length > 0 || run.attempts.length === 0) return error;
    return error.with({ attempts: run.attempts });
  }
}
