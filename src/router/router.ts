// The router: plan the candidates, attempt them, classify each failure, fail over, record.
import { isDeepStrictEqual } from 'node:util';
import { type Config, type ConfigInput, parseConfig } from '../config/schema.ts';
import type { ChatChunk, ChatRequest, ChatResponse } from '../protocol/chat.ts';
import { type Attempt, invalidRequest, SwitchboardError } from '../protocol/errors.ts';
import { redact } from '../protocol/redact.ts';
import type { Target } from '../providers/adapter.ts';
import { readRateLimit } from '../providers/rate-limit.ts';
import { Transport } from '../providers/transport.ts';
import { actionFor, isQuickRetry } from './classify.ts';
import { costOf } from './cost.ts';
import { FirstTokenTimes } from './first-token.ts';
import { settle } from './health.ts';
import { type ProbeResult, probeProvider } from './probe.ts';
import { buildProviders, type Provider } from './provider.ts';
import { jitter, Run } from './run.ts';
import { headroom, type Strategy, strategies, strategyNames } from './strategies.ts';
import { openSegment, relay, type Segment, type StreamContext, StreamResult } from './stream.ts';
import { FailoverTracker, type ProviderHealth } from './tracker.ts';

export interface RequestOptions {
  /** Aborting it abandons the request and closes the upstream connection. */
  signal?: AbortSignal;
  /** A strategy by name (`priority`, `fastest`, `cheapest`, `headroom`); default from the config. */
  strategy?: string;
}

/** What `router.complete()` returns. */
export interface CompletionResult {
  response: ChatResponse;
  /** The provider that answered. */
  provider: string;
  /** The generic model that answered: the one asked for, or a fallback. */
  model: string;
  /** From the call until the answer was complete, every attempt included. */
  latencyMs: number;
  /** Every provider tried, in order, the answering one last. */
  attempts: Attempt[];
  /** USD for the answer, from the answering provider's `pricing`; undefined when unpriced. Failed attempts are not billed. */
  costUsd: number | undefined;
}

/** A provider's state as a status page shows it. */
export interface ProviderStatus {
  name: string;
  healthy: boolean;
  state: 'closed' | 'open' | 'half-open';
  consecutiveFailures: number;
  latencyEmaMs: number | null;
  requests: number;
  errors: number;
  lastError: string | null;
  lastErrorAt: number | null;
  /** Epoch ms when an open circuit lets a trial through; null when not open. */
  cooldownUntil: number | null;
  /** Epoch ms until which the provider is held off for its rate limits; null when not. */
  rateLimitedUntil: number | null;
  rateLimit: ProviderHealth['rateLimit'];
  /** Remaining share of the tighter rate-limit bucket, 1 when unknown. */
  headroom: number;
  priority: number;
  models: string[];
}

export interface ModelInfo {
  id: string;
  providers: string[];
}

export interface RouterOptions {
  /** Share an HTTP transport between routers (the gateway keeps one across reloads). */
  transport?: Transport;
}

type Outcome<T> = { value: T } | { error: SwitchboardError; final: boolean };

/** Raised inside an attempt with what the router needs to account for it. */
export type Attempter<T> = (provider: Provider, target: Target, run: Run, model: string) => Promise<T>;

export class Router {
  #config!: Config;
  #providers: Provider[] = [];
  #byModel = new Map<string, Provider[]>();
  #secrets: string[] = [];
  #tracker!: FailoverTracker;
  readonly #transport: Transport;
  readonly #ownsTransport: boolean;
  #healthTimer: NodeJS.Timeout | undefined;
  readonly #firstTokens = new FirstTokenTimes();

  constructor(config: ConfigInput | Config, options: RouterOptions = {}) {
    this.#transport = options.transport ?? new Transport({ connectMs: parseConfig(config).routing.timeouts.connectMs });
    this.#ownsTransport = options.transport === undefined;
    this.reload(config);
  }

  get config(): Config {
    return this.#config;
  }

  /** The health records, for tests and the dashboard. */
  get tracker(): FailoverTracker {
    return this.#tracker;
  }

  /**
   * Replaces the configuration. Providers whose config did not change keep their health;
   * changed or new ones start afresh. Throws ConfigError and keeps the old config when invalid.
   */
  reload(input: ConfigInput | Config): void {
    const config = parseConfig(input);
    const providers = buildProviders(config);
    const routing = config.routing;
    if (!(routing.strategy in strategies)) {
      throw invalidRequest(`unknown routing.strategy "${routing.strategy}"; known: ${strategyNames.join(', ')}`);
    }
    const policy = {
      failureThreshold: routing.failureThreshold,
      cooldownMs: routing.cooldownMs,
      maxCooldownMs: routing.maxCooldownMs,
      trialTimeoutMs: routing.timeouts.totalMs,
      latencyAlpha: routing.latencyAlpha,
    };
    const previous = new Map(this.#providers.map((provider) => [provider.name, provider]));
    const tracker = this.#tracker ?? new FailoverTracker(policy);
    Object.assign(tracker.policy, policy);
    tracker.retain(new Set(providers.map((provider) => provider.name)));
    for (const provider of providers) {
      const before = previous.get(provider.name);
      if (before && !isDeepStrictEqual(before.source, provider.source)) {
        tracker.reset(provider.name);
        this.#firstTokens.forget(provider.name);
      }
    }
    const byModel = new Map<string, Provider[]>();
    for (const provider of providers) {
      for (const model of Object.keys(provider.models)) {
        const list = byModel.get(model) ?? [];
        list.push(provider);
        byModel.set(model, list);
      }
    }
    this.#config = config;
    this.#providers = providers;
    this.#byModel = byModel;
    this.#tracker = tracker;
    this.#secrets = providers.flatMap((provider) => (provider.target.apiKey ? [provider.target.apiKey] : []));
    Object.assign(this.#streamContext, { transport: this.#transport, config, secrets: this.#secrets });
    this.#scheduleHealthChecks(routing.healthCheck.intervalMs);
  }

  /** Sends a chat completion to the first provider that can answer it. Throws SwitchboardError. */
  async complete(request: ChatRequest, options: RequestOptions = {}): Promise<CompletionResult> {
    const run = this.#begin(request, options);
    try {
      const { value, provider, model } = await this.#route(run, (provider, target) =>
        this.#attemptComplete(provider, target, run),
      );
      if (this.#config.routing.responseModel === 'generic') value.model = model;
      return {
        response: value,
        provider: provider.name,
        model,
        latencyMs: run.elapsedMs(),
        attempts: run.attempts,
        costUsd: costOf(provider, model, value.usage),
      };
    } finally {
      run.finish();
    }
  }

  /**
   * Starts a streamed chat completion. Resolves once the first content has arrived, failing over
   * freely until then; the chunks, that first one included, are then read from the result.
   */
  async stream(request: ChatRequest, options: RequestOptions = {}): Promise<StreamResult> {
    const run = this.#begin({ ...request, stream: true }, options);
    try {
      const context = this.#streamContext;
      const { value, provider, model } = await this.#route(run, (provider, target, _run, model) =>
        openSegment(provider, target, run, model, context),
      );
      return new StreamResult({
        provider: provider.name,
        model,
        latencyMs: run.elapsedMs(),
        attempts: run.attempts,
        relay: (result) => relay(result, { first: value, run, context }),
        abandon: async () => {
          await value.close();
          run.finish();
        },
      });
    } catch (error) {
      run.finish();
      throw error;
    }
  }

  readonly #streamContext: StreamContext = {
    transport: undefined as unknown as Transport,
    config: undefined as unknown as Config,
    secrets: [],
    firstTokenMs: (provider, model) => {
      const timeouts = this.#config.routing.timeouts;
      return timeouts.firstTokenMs === 'auto'
        ? this.#firstTokens.deadline(provider.name, model, timeouts.firstTokenAuto)
        : timeouts.firstTokenMs;
    },
    noteFirstToken: (provider, model, ms) => this.#firstTokens.record(provider.name, model, ms),
    noteHeaders: (provider, headers) => this.#noteHeaders(provider, headers),
    recordFailure: (provider, error) => this.#recordFailure(provider, error),
    recover: (run, model, text, exclude) => this.#recover(run, model, text, exclude),
  };

  /** Continues a broken stream on another provider of the same model, from the text delivered. */
  async #recover(run: Run, model: string, text: string, exclude: ReadonlySet<string>): Promise<{ value: Segment }> {
    const context = this.#streamContext;
    const outcome = await this.#routeModel(
      model,
      run,
      async (provider, target) => {
        if (provider.prefill) {
          try {
            return await openSegment(provider, target, run, model, context, { text, prefill: true });
          } catch (error) {
            // A prefill refused as a bad request: restart there without it.
            if (!(error instanceof SwitchboardError) || error.kind !== 'bad-request') throw error;
          }
        }
        return openSegment(provider, target, run, model, context, { text, prefill: false });
      },
      exclude,
    );
    if ('error' in outcome) throw outcome.error;
    return { value: outcome.value.value };
  }

  #begin(request: ChatRequest, options: RequestOptions): Run {
    if (request === null || typeof request !== 'object') throw invalidRequest('the request body must be a JSON object');
    if (typeof request.model !== 'string' || request.model === '') throw invalidRequest('`model` is required', 'model');
    if (!Array.isArray(request.messages) || request.messages.length === 0) {
      throw invalidRequest('`messages` must be a non-empty array', 'messages');
    }
    if (!this.#byModel.has(request.model)) {
      throw new SwitchboardError({
        message: `model "${request.model}" is not served here; known models: ${[...this.#byModel.keys()].join(', ')}`,
        status: 404,
        type: 'invalid_request_error',
        code: 'model_not_found',
        kind: 'model-not-found',
        param: 'model',
      });
    }
    const name = options.strategy ?? this.#config.routing.strategy;
    const strategy = strategies[name];
    if (strategy === undefined) {
      throw invalidRequest(`unknown strategy "${name}"; known: ${strategyNames.join(', ')}`, 'strategy', 'unknown_strategy');
    }
    return new Run(request, strategy, this.#config.routing.timeouts.totalMs, options.signal);
  }

  /** Tries the asked model, then its fallbacks, until one answers. */
  async #route<T>(run: Run, attempt: Attempter<T>): Promise<{ value: T; provider: Provider; model: string }> {
    const chain = [run.request.model, ...(this.#config.routing.fallbacks[run.request.model] ?? [])];
    let refusal: SwitchboardError | undefined;
    for (const model of chain) {
      const outcome = await this.#routeModel(model, run, attempt);
      if ('value' in outcome) return { ...outcome.value, model };
      if (outcome.final) throw this.#withAttempts(outcome.error, run);
      if (outcome.error.kind === 'context-length' || outcome.error.kind === 'content-policy') refusal ??= outcome.error;
      if (run.signal.aborted) break;
    }
    if (refusal) throw this.#withAttempts(refusal, run);
    if (run.signal.aborted) throw this.#withAttempts(run.abortError(), run);
    throw allFailed(run);
  }

  async #routeModel<T>(
    model: string,
    run: Run,
    attempt: Attempter<T>,
    exclude: ReadonlySet<string> = new Set(),
  ): Promise<Outcome<{ value: T; provider: Provider }>> {
    const routing = this.#config.routing;
    const serving = this.#byModel.get(model) ?? [];
    const tries = new Map<string, number>();
    const excluded = new Set<string>(exclude);
    const eligible = (provider: Provider) =>
      !excluded.has(provider.name) && (tries.get(provider.name) ?? 0) < routing.maxAttemptsPerProvider;
    let lastError: SwitchboardError | undefined;
    for (let waits = 0; ; waits += 1) {
      const now = Date.now();
      const ordered = this.#order(
        serving.filter((provider) => eligible(provider) && this.#tracker.isAvailable(provider.name, now)),
        run.strategy,
        model,
      );
      for (const provider of ordered) {
        if (run.signal.aborted) return { error: run.abortError(), final: true };
        if (!this.#tracker.admit(provider.name, Date.now())) continue;
        const target: Target = { ...provider.target, model: provider.models[model] as string };
        let result = await this.#tryOnce(provider, target, model, run, attempt, tries);
        if ('error' in result && isQuickRetry(result.error) && eligible(provider) && !run.signal.aborted) {
          this.#recordFailure(provider, result.error);
          await run.sleep(jitter(routing.retryDelayMs));
          result = await this.#tryOnce(provider, target, model, run, attempt, tries);
        }
        if ('value' in result) return { value: { value: result.value, provider } };
        const error = result.error;
        lastError = error;
        const action = this.#recordFailure(provider, error);
        if (action === 'return') return { error: run.signal.aborted ? run.abortError() : error, final: true };
        if (action === 'larger-context' || action === 'policy-fallback') return { error, final: false };
        if (action !== 'skip-until-reset') excluded.add(provider.name);
      }
      // Nothing answered: wait for the earliest rate-limit reset if the deadline allows. An open
      // circuit is not waited on: its cooldown is long, and the caller is better told at once.
      const waiting = serving.filter(
        (provider) => eligible(provider) && this.#tracker.isCircuitAdmissible(provider.name, Date.now()),
      );
      if (waiting.length === 0 || waits >= routing.maxAttemptsPerProvider || run.signal.aborted) break;
      const readyAt = Math.min(...waiting.map((provider) => this.#tracker.readyAt(provider.name, Date.now())));
      const pause = Math.max(0, readyAt - Date.now()) + jitter(routing.retryDelayMs);
      if (Date.now() + pause >= run.deadline) break;
      await run.sleep(pause);
    }
    if (run.signal.aborted) return { error: run.abortError(), final: true };
    if (lastError) return { error: lastError, final: false };
    const now = Date.now();
    const readyAt = Math.min(...serving.map((provider) => this.#tracker.readyAt(provider.name, now)));
    return { error: noProvider(model, run, readyAt - now), final: false };
  }

  async #tryOnce<T>(
    provider: Provider,
    target: Target,
    model: string,
    run: Run,
    attempt: Attempter<T>,
    tries: Map<string, number>,
  ): Promise<{ value: T } | { error: SwitchboardError }> {
    tries.set(provider.name, (tries.get(provider.name) ?? 0) + 1);
    this.#tracker.countRequest(provider.name);
    const started = performance.now();
    try {
      const value = await attempt(provider, target, run, model);
      const latencyMs = performance.now() - started;
      this.#tracker.recordSuccess(provider.name, latencyMs);
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
  #recordFailure(provider: Provider, error: SwitchboardError) {
    const action = actionFor[error.kind];
    const now = Date.now();
    if (action === 'count-and-next') this.#tracker.recordFailure(provider.name, now, error.message);
    else if (action === 'take-out') this.#tracker.takeOut(provider.name, now, error.message);
    else if (action === 'skip-until-reset') {
      this.#tracker.noteError(provider.name, now, error.message);
      this.#tracker.rateLimitedUntil(provider.name, now + (error.retryAfterMs ?? this.#config.routing.rateLimitWaitMs));
    } else if (error.kind !== 'aborted') this.#tracker.noteError(provider.name, now, error.message);
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
    const message = redact(error.message, this.#secrets);
    if (message !== error.message) error.message = message;
    return error;
  }

  async #attemptComplete(provider: Provider, target: Target, run: Run): Promise<ChatResponse> {
    const wire = provider.adapter.encode(run.request, target);
    const response = await this.#transport.send(provider.endpoint, wire, {
      provider: provider.name,
      signal: run.signal,
      firstByteMs: Math.max(1, Math.min(this.#config.routing.timeouts.responseMs, run.remainingMs())),
      idleMs: this.#config.routing.timeouts.idleMs,
    });
    const retryAfterMs = this.#noteHeaders(provider, response.headers);
    try {
      return provider.adapter.decode(response, target);
    } catch (error) {
      if (error instanceof SwitchboardError && retryAfterMs !== undefined && error.retryAfterMs === undefined) {
        throw error.with({ retryAfterMs });
      }
      throw error;
    }
  }

  /** Records what a response's headers say of the provider's rate limits; returns its wait hint in ms. */
  #noteHeaders(provider: Provider, headers: Record<string, string>): number | undefined {
    if (provider.rateLimitHeaders === 'none' && headers['retry-after'] === undefined) return undefined;
    const now = Date.now();
    const info = readRateLimit(headers, provider.rateLimitHeaders, now);
    if (info === undefined) return undefined;
    this.#tracker.noteRateLimit(provider.name, info);
    return info.retryAt === undefined ? undefined : info.retryAt - now;
  }

  #order(candidates: Provider[], strategy: Strategy, model: string): Provider[] {
    if (candidates.length <= 1) return candidates;
    const health = (name: string) => this.#tracker.health(name);
    const now = Date.now();
    const ordered = strategy(candidates, { model, health, now });
    // A provider close to its rate limit goes after the others, whatever the strategy says.
    const limit = this.#config.routing.rateLimitHeadroom;
    const roomy = ordered.filter((provider) => headroom(health(provider.name), now) >= limit);
    return roomy.length === ordered.length ? ordered : [...roomy, ...ordered.filter((provider) => !roomy.includes(provider))];
  }

  #withAttempts(error: SwitchboardError, run: Run): SwitchboardError {
    if (error.attempts.length > 0 || run.attempts.length === 0) return error;
    return error.with({ attempts: run.attempts });
  }

  /** Probes every provider at once with a 1-token request and records what it finds. */
  async checkHealth(): Promise<ProbeResult[]> {
    const { timeoutMs } = this.#config.routing.healthCheck;
    return Promise.all(
      this.#providers.map(async (provider) => {
        const result = await probeProvider(provider, this.#transport, timeoutMs, this.#secrets);
        if (result.error === undefined) {
          this.#tracker.recordSuccess(provider.name, result.latencyMs);
          this.#noteHeaders(provider, result.headers ?? {});
        } else {
          this.#recordFailure(provider, result.error);
        }
        return result;
      }),
    );
  }

  #scheduleHealthChecks(intervalMs: number): void {
    clearInterval(this.#healthTimer);
    this.#healthTimer = undefined;
    if (intervalMs <= 0) return;
    this.#healthTimer = setInterval(() => {
      this.checkHealth().catch(() => {});
    }, intervalMs);
    // Background checks never keep the process alive on their own.
    this.#healthTimer.unref();
  }

  /** A snapshot per provider: what a dashboard needs. */
  status(): Record<string, ProviderStatus> {
    const now = Date.now();
    const snapshot: Record<string, ProviderStatus> = {};
    for (const provider of this.#providers) {
      const health = this.#tracker.health(provider.name);
      const circuit = settle(health.circuit, now);
      snapshot[provider.name] = {
        name: provider.name,
        healthy: circuit.state === 'closed',
        state: circuit.state,
        consecutiveFailures: circuit.failures,
        latencyEmaMs: health.latencyEmaMs === null ? null : Math.round(health.latencyEmaMs * 100) / 100,
        requests: health.requests,
        errors: health.errors,
        lastError: health.lastError,
        lastErrorAt: health.lastErrorAt,
        cooldownUntil: circuit.state === 'open' ? circuit.until : null,
        rateLimitedUntil: health.rateLimitedUntil > now ? health.rateLimitedUntil : null,
        rateLimit: health.rateLimit,
        headroom: headroom(health, now),
        priority: provider.priority,
        models: Object.keys(provider.models),
      };
    }
    return snapshot;
  }

  /** The generic model names and the providers that serve each. */
  models(): ModelInfo[] {
    return [...this.#byModel].map(([id, providers]) => ({ id, providers: providers.map((provider) => provider.name) }));
  }

  /** Stops background checks and, if the router made it, closes the HTTP transport. */
  async close(): Promise<void> {
    clearInterval(this.#healthTimer);
    if (this.#ownsTransport) await this.#transport.close();
  }
}

function noProvider(model: string, run: Run, retryAfterMs?: number): SwitchboardError {
  return new SwitchboardError({
    message: `no provider for "${model}" is available now (all cooling down or rate-limited)`,
    status: 503,
    type: 'server_error',
    code: 'no_provider_available',
    kind: 'server',
    attempts: run.attempts,
    ...(retryAfterMs !== undefined && retryAfterMs > 0 && Number.isFinite(retryAfterMs) ? { retryAfterMs } : {}),
  });
}

/** The error for "every candidate failed": the most telling status, every attempt listed. */
export function allFailed(run: Run): SwitchboardError {
  const attempts = run.attempts;
  if (attempts.length === 0) return noProvider(run.request.model, run);
  const kinds = new Set(attempts.map((attempt) => attempt.outcome));
  const only = kinds.size === 1 ? [...kinds][0] : undefined;
  const status =
    only === 'rate-limited'
      ? 429
      : only === 'model-not-found'
        ? 404
        : only === 'timeout'
          ? 504
          : kinds.has('rate-limited')
            ? 429
            : 503;
  const list = attempts.map(
    (attempt) => `${attempt.provider} (${attempt.status || attempt.outcome}: ${attempt.reason ?? attempt.outcome})`,
  );
  return new SwitchboardError({
    message: `every provider failed for "${run.request.model}": ${list.join('; ')}`,
    status,
    type:
      status === 429
        ? 'rate_limit_error'
        : status === 404
          ? 'not_found_error'
          : status === 504
            ? 'timeout_error'
            : 'server_error',
    code: 'all_providers_failed',
    kind: status === 429 ? 'rate-limited' : status === 404 ? 'model-not-found' : status === 504 ? 'timeout' : 'server',
    attempts,
  });
}

/** Creates a router from a config object (the same shape as the config file, defaults optional). */
export function createRouter(config: ConfigInput | Config, options?: RouterOptions): Router {
  return new Router(config, options);
}

export type { ChatChunk };
export { StreamResult };
