// The attempt loop: try a model's candidates in strategy order within one deadline, classify
// each failure through the table in classify.ts, record its health consequence, and move on;
// then the model's fallbacks; and when nothing answered, the most telling error.
import type { Config } from '../config/schema.ts';
import { errorTypeFor, SwitchboardError } from '../protocol/errors.ts';
import { ownValue } from '../protocol/own-value.ts';
import { excerpt } from '../protocol/redact.ts';
import type { Target } from '../providers/adapter.ts';
import { readRateLimit } from '../providers/rate-limit.ts';
import { actionFor, isQuickRetry } from './classify.ts';
import type { Provider } from './provider.ts';
import { jitter, type Run } from './run.ts';
import { headroom, type Strategy } from './strategies.ts';
import type { FailoverTracker } from './tracker.ts';

/** What the router owns and replaces on reload; the failover loop reads it per request. */
export interface RoutingState {
  config: Config;
  /** Generic model → the providers serving it. */
  byModel: Map<string, Provider[]>;
  tracker: FailoverTracker;
  /** Every configured credential (config/secrets.ts), scrubbed from every error message. */
  secrets: readonly string[];
  /** The generic names in `byModel` that are embedding models (never chat, never a fallback). */
  embeddingModels: ReadonlySet<string>;
  /** Provider → its last failure told without upstream text (kind, status, code), for status pages shown to anyone. */
  failureSummaries: Map<string, string>;
}

/** What the loop needs of a request: the generic model it asks for. */
type Routed = Run<{ model: string }>;

type Outcome<T> = { value: T } | { error: SwitchboardError; final: boolean };

/** Raised inside an attempt with what the router needs to account for it. */
export type Attempter<T> = (provider: Provider, target: Target, run: Routed, model: string) => Promise<T>;

export class Failover {
  readonly #state: RoutingState;

  constructor(state: RoutingState) {
    this.#state = state;
  }

  /** Tries the asked model, then its fallbacks, until one answers. */
  async route<T>(run: Routed, attempt: Attempter<T>): Promise<{ value: T; provider: Provider; model: string }> {
    const chain = [run.request.model, ...(ownValue(this.#state.config.routing.fallbacks, run.request.model) ?? [])];
    let refusal: SwitchboardError | undefined;
    for (const model of chain) {
      const outcome = await this.routeModel(model, run, attempt);
      if ('value' in outcome) return { ...outcome.value, model };
      if (outcome.final) throw this.#withAttempts(outcome.error, run);
      if (outcome.error.kind === 'context-length' || outcome.error.kind === 'content-policy') refusal ??= outcome.error;
      if (run.signal.aborted) break;
    }
    if (refusal) throw this.#withAttempts(refusal, run);
    if (run.signal.aborted) throw this.#withAttempts(run.abortError(), run);
    throw allFailed(run, this.#untilReady(chain));
  }

  /** Ms until the first provider of these models takes requests again (0 if one does now). */
  #untilReady(models: readonly string[]): number {
    const now = Date.now();
    let readyAt = Number.POSITIVE_INFINITY;
    for (const model of models) {
      for (const provider of this.#state.byModel.get(model) ?? []) {
        readyAt = Math.min(readyAt, this.#state.tracker.readyAt(provider.name, now));
      }
    }
    return readyAt - now;
  }

  async routeModel<T>(
    model: string,
    run: Routed,
    attempt: Attempter<T>,
    exclude: ReadonlySet<string> = new Set(),
  ): Promise<Outcome<{ value: T; provider: Provider }>> {
    const routing = this.#state.config.routing;
    const only = run.only;
    const all = this.#state.byModel.get(model) ?? [];
    const serving = only === undefined ? all : all.filter((provider) => only.has(provider.name));
    const tries = new Map<string, number>();
    const excluded = new Set<string>(exclude);
    const eligible = (provider: Provider) =>
      !excluded.has(provider.name) && (tries.get(provider.name) ?? 0) < routing.maxAttemptsPerProvider;
    let lastError: SwitchboardError | undefined;
    for (let waits = 0; ; waits += 1) {
      const now = Date.now();
      const ordered = this.#order(
        serving.filter((provider) => eligible(provider) && this.#state.tracker.isAvailable(provider.name, now)),
        run.strategy,
        model,
      );
      for (const provider of ordered) {
        if (run.signal.aborted) return { error: run.abortError(), final: true };
        if (!this.#state.tracker.admit(provider.name, Date.now())) continue;
        const target: Target = {
          ...provider.target,
          model: (ownValue(provider.models, model) ?? ownValue(provider.embeddings, model)) as string,
        };
        let result = await this.#tryOnce(provider, target, model, run, attempt, tries);
        if ('error' in result && isQuickRetry(result.error) && eligible(provider) && !run.signal.aborted) {
          this.recordFailure(provider, result.error);
          await run.sleep(jitter(routing.retryDelayMs));
          result = await this.#tryOnce(provider, target, model, run, attempt, tries);
        }
        if ('value' in result) return { value: { value: result.value, provider } };
        const error = result.error;
        lastError = error;
        const action = this.recordFailure(provider, error);
        if (action === 'return') return { error: run.signal.aborted ? run.abortError() : error, final: true };
        if (action === 'larger-context' || action === 'policy-fallback') return { error, final: false };
        if (action !== 'skip-until-reset') excluded.add(provider.name);
      }
      // Nothing answered: wait for the earliest rate-limit reset if the deadline allows. An open
      // circuit is not waited on: its cooldown is long, and the caller is better told at once.
      const waiting = serving.filter(
        (provider) => eligible(provider) && this.#state.tracker.isCircuitAdmissible(provider.name, Date.now()),
      );
      if (waiting.length === 0 || waits >= routing.maxAttemptsPerProvider || run.signal.aborted) break;
      const readyAt = Math.min(...waiting.map((provider) => this.#state.tracker.readyAt(provider.name, Date.now())));
      const pause = Math.max(0, readyAt - Date.now()) + jitter(routing.retryDelayMs);
      if (Date.now() + pause >= run.deadline) break;
      await run.sleep(pause);
    }
    if (run.signal.aborted) return { error: run.abortError(), final: true };
    if (lastError) return { error: lastError, final: false };
    return { error: noProvider(model, run, this.#untilReady([model])), final: false };
  }

  async #tryOnce<T>(
    provider: Provider,
    target: Target,
    model: string,
    run: Routed,
    attempt: Attempter<T>,
    tries: Map<string, number>,
  ): Promise<{ value: T } | { error: SwitchboardError }> {
    tries.set(provider.name, (tries.get(provider.name) ?? 0) + 1);
    this.#state.tracker.countRequest(provider.name);
    const started = performance.now();
    try {
      const value = await attempt(provider, target, run, model);
      const latencyMs = performance.now() - started;
      this.#state.tracker.recordSuccess(provider.name, latencyMs);
      run.attempts.push({ provider: provider.name, model: target.model, status: 200, outcome: 'ok', latencyMs });
      return { value };
    } catch (thrown) {
      const error = this.#asError(thrown, provider);
      const status = error.kind === 'connect' || error.kind === 'timeout' || error.kind === 'aborted' ? 0 : error.status;
      run.attempts.push({
        provider: provider.name,
        model: target.model,
        status,
        outcome: error.kind,
        reason: error.message,
        latencyMs: performance.now() - started,
      });
      return { error };
    }
  }

  /** Applies the failover table's health consequence for one failed attempt; returns the action. */
  recordFailure(provider: Provider, error: SwitchboardError) {
    const action = actionFor[error.kind];
    // A request refused before it was sent (it cannot be encoded, or asks for what the provider's
    // protocol cannot express) says nothing about the provider: no error is counted against it.
    if (error.provider === undefined && error.kind === 'bad-request') return action;
    const now = Date.now();
    if (error.kind !== 'aborted') this.#state.failureSummaries.set(provider.name, summarize(error));
    if (action === 'count-and-next') this.#state.tracker.recordFailure(provider.name, now, error.message);
    else if (action === 'take-out') this.#state.tracker.takeOut(provider.name, now, error.message);
    else if (action === 'skip-until-reset') {
      this.#state.tracker.noteError(provider.name, now, error.message);
      this.#state.tracker.rateLimitedUntil(
        provider.name,
        now + (error.retryAfterMs ?? this.#state.config.routing.rateLimitWaitMs),
      );
    } else if (error.kind !== 'aborted') this.#state.tracker.noteError(provider.name, now, error.message);
    return action;
  }

  #asError(thrown: unknown, provider: Provider): SwitchboardError {
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

  /** Records what a response's headers say of the provider's rate limits; returns its wait hint in ms. */
  noteHeaders(provider: Provider, headers: Record<string, string>): number | undefined {
    if (provider.rateLimitHeaders === 'none' && headers['retry-after'] === undefined) return undefined;
    const now = Date.now();
    const info = readRateLimit(headers, provider.rateLimitHeaders, now);
    if (info === undefined) return undefined;
    this.#state.tracker.noteRateLimit(provider.name, info);
    return info.retryAt === undefined ? undefined : info.retryAt - now;
  }

  #order(candidates: Provider[], strategy: Strategy, model: string): Provider[] {
    if (candidates.length <= 1) return candidates;
    const health = (name: string) => this.#state.tracker.health(name);
    const now = Date.now();
    const ordered = strategy(candidates, { model, health, now });
    // A provider close to its rate limit goes after the others, whatever the strategy says.
    const limit = this.#state.config.routing.rateLimitHeadroom;
    const roomy = ordered.filter((provider) => headroom(health(provider.name), now) >= limit);
    return roomy.length === ordered.length ? ordered : [...roomy, ...ordered.filter((provider) => !roomy.includes(provider))];
  }

  #withAttempts(error: SwitchboardError, run: Routed): SwitchboardError {
    if (error.attempts.length > 0 || run.attempts.length === 0) return error;
    return error.with({ attempts: run.attempts });
  }
}

/**
 * A failure in words that carry no upstream or caller text: its kind, the upstream's status and a
 * code that looks like an identifier (`server (HTTP 503, overloaded)`, `timeout (upstream_timeout)`).
 * An upstream's message can quote a request (a 400 naming the prompt) or an address; this cannot.
 */
export function summarize(error: SwitchboardError): string {
  const details: string[] = [];
  if (error.kind !== 'connect' && error.kind !== 'timeout' && error.status > 0) details.push(`HTTP ${error.status}`);
  if (error.code !== null && /^[A-Za-z0-9_.-]{1,64}$/.test(error.code)) details.push(error.code);
  return details.length > 0 ? `${error.kind} (${details.join(', ')})` : error.kind;
}

/** A wait hint only when it is one: positive and finite. */
function hint(retryAfterMs: number | undefined): { retryAfterMs?: number } {
  return retryAfterMs !== undefined && retryAfterMs > 0 && Number.isFinite(retryAfterMs) ? { retryAfterMs } : {};
}

function noProvider(model: string, run: Routed, retryAfterMs?: number): SwitchboardError {
  return new SwitchboardError({
    message: `no provider for "${model}" is available now (all cooling down or rate-limited)`,
    status: 503,
    type: 'server_error',
    code: 'no_provider_available',
    kind: 'server',
    attempts: run.attempts,
    ...hint(retryAfterMs),
  });
}

const kindOfStatus = { 404: 'model-not-found', 429: 'rate-limited', 503: 'server', 504: 'timeout' } as const;

/**
 * The error for "every candidate failed": the most telling status (404 or 504 when every attempt
 * failed that way, 429 when any was rate-limited, else 503), every attempt listed, and when to
 * come back if that is known.
 */
export function allFailed(run: Routed, retryAfterMs?: number): SwitchboardError {
  const attempts = run.attempts;
  if (attempts.length === 0) return noProvider(run.request.model, run, retryAfterMs);
  const kinds = new Set(attempts.map((attempt) => attempt.outcome));
  const only = kinds.size === 1 ? [...kinds][0] : undefined;
  const status = only === 'model-not-found' ? 404 : only === 'timeout' ? 504 : kinds.has('rate-limited') ? 429 : 503;
  const list = attempts.map(
    (attempt) => `${attempt.provider} (${attempt.status || attempt.outcome}: ${attempt.reason ?? attempt.outcome})`,
  );
  return new SwitchboardError({
    message: `every provider failed for "${run.request.model}": ${list.join('; ')}`,
    status,
    type: errorTypeFor(status),
    code: 'all_providers_failed',
    kind: kindOfStatus[status],
    attempts,
    ...hint(retryAfterMs),
  });
}
