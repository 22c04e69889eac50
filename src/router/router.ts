// The router's public face: its config and reload, complete() and stream(), health checks and
// status. The attempt loop itself (plan, attempt, classify, fail over, record) is failover.ts.
import { isDeepStrictEqual } from 'node:util';
import { type Config, type ConfigInput, parseConfig } from '../config/schema.ts';
import { secretsOf } from '../config/secrets.ts';
import type { ChatChunk, ChatRequest, ChatResponse } from '../protocol/chat.ts';
import type { EmbeddingRequest } from '../protocol/embeddings.ts';
import { type Attempt, invalidRequest, SwitchboardError } from '../protocol/errors.ts';
import { ownValue } from '../protocol/own-value.ts';
import { excerpt } from '../protocol/redact.ts';
import type { Target, WireRequest } from '../providers/adapter.ts';
import { type CountTokensBody, estimateCountTokens } from '../providers/anthropic-count.ts';
import { Transport } from '../providers/transport.ts';
import { costOf } from './cost.ts';
import { attemptCount, checkCountRequest, loadTokenizer, type TokenCountResult } from './count-tokens.ts';
import {
  attemptEmbedding,
  checkEmbeddingRequest,
  type EmbeddingResult,
  embeddingCost,
  embeddingsUnavailable,
  notAnEmbeddingModel,
} from './embed.ts';
import { type Attempter, Failover, type RoutingState } from './failover.ts';
import { FirstTokenTimes } from './first-token.ts';
import { settle } from './health.ts';
import { type ProbeResult, probeProvider } from './probe.ts';
import { buildProviders, encodeFor, type Provider } from './provider.ts';
import { Run } from './run.ts';
import { headroom, type Strategy, strategies, strategyNames } from './strategies.ts';
import { openSegment, relay, type Segment, type StreamContext, StreamResult } from './stream.ts';
import { FailoverTracker, type ProviderHealth } from './tracker.ts';

export interface RequestOptions {
  /** Aborting it abandons the request and closes the upstream connection. */
  signal?: AbortSignal;
  /** A strategy by name (`priority`, `fastest`, `cheapest`, `headroom`); default from the config. */
  strategy?: string;
  /** The only providers that may answer (say, those that run a built-in tool the request uses); default all. */
  only?: readonly string[];
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

export class Router {
  readonly #state = {} as RoutingState;
  readonly #failover = new Failover(this.#state);
  #providers: Provider[] = [];
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
    return this.#state.config;
  }

  /** The health records, for tests and the dashboard. */
  get tracker(): FailoverTracker {
    return this.#state.tracker;
  }

  /**
   * Replaces the configuration. Providers whose config did not change keep their health;
   * changed or new ones start afresh. Throws ConfigError and keeps the old config when invalid.
   */
  reload(input: ConfigInput | Config): void {
    const config = parseConfig(input);
    const providers = buildProviders(config);
    const routing = config.routing;
    if (ownValue(strategies, routing.strategy) === undefined) {
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
    const tracker = this.#state.tracker ?? new FailoverTracker(policy);
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
    const embeddingModels = new Set<string>();
    for (const provider of providers) {
      for (const model of [...Object.keys(provider.models), ...Object.keys(provider.embeddings)]) {
        const list = byModel.get(model) ?? [];
        list.push(provider);
        byModel.set(model, list);
      }
      for (const model of Object.keys(provider.embeddings)) embeddingModels.add(model);
    }
    const secrets = secretsOf(config);
    const failureSummaries = this.#state.failureSummaries ?? new Map<string, string>();
    for (const name of failureSummaries.keys())
      if (!providers.some((provider) => provider.name === name)) failureSummaries.delete(name);
    Object.assign(this.#state, { config, byModel, tracker, secrets, embeddingModels, failureSummaries } satisfies RoutingState);
    this.#providers = providers;
    this.#scheduleHealthChecks(routing.healthCheck.intervalMs);
  }

  /** Sends a chat completion to the first provider that can answer it. Throws SwitchboardError. */
  async complete(request: ChatRequest, options: RequestOptions = {}): Promise<CompletionResult> {
    const run = this.#begin(request, options);
    try {
      const { value, provider, model } = await this.#failover.route(run, (provider, target) =>
        this.#attemptComplete(provider, target, run),
      );
      if (this.#state.config.routing.responseModel === 'generic') value.model = model;
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
      const { value, provider, model } = await this.#failover.route(run, (provider, target, _run, model) =>
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

  /**
   * Sends an embeddings request (OpenAI's body) to the providers of its model, failing over only
   * between them: never to another model, whose vectors would not be comparable. Throws
   * SwitchboardError: 400 for a bad body or a chat model, 404 for an unknown model, 503 (or 429,
   * 504) listing every deployment of the model when none answered.
   */
  async embed(request: EmbeddingRequest, options: RequestOptions = {}): Promise<EmbeddingResult> {
    checkEmbeddingRequest(request);
    const model = request.model;
    if (!this.#state.embeddingModels.has(model)) {
      throw notAnEmbeddingModel(model, this.#state.byModel.has(model), this.#state.embeddingModels);
    }
    const run = new Run(request, this.#strategy(options), this.#state.config.routing.timeouts.totalMs, options.signal);
    try {
      const outcome = await this.#failover.routeModel(model, run, (provider, target) =>
        attemptEmbedding(provider, target, run, (provider, wire) => this.#exchange(provider, wire, run)),
      );
      if ('error' in outcome) {
        const { error } = outcome;
        if (outcome.final || error.kind === 'context-length' || error.kind === 'content-policy') {
          throw error.attempts.length > 0 ? error : error.with({ attempts: run.attempts });
        }
        const serving = this.#state.byModel.get(model) ?? [];
        const readyAt = Math.min(...serving.map((provider) => this.#state.tracker.readyAt(provider.name, Date.now())));
        throw embeddingsUnavailable(run, serving, readyAt - Date.now());
      }
      const { value, provider } = outcome.value;
      if (this.#state.config.routing.responseModel === 'generic') value.model = model;
      return {
        response: value,
        provider: provider.name,
        model,
        latencyMs: run.elapsedMs(),
        attempts: run.attempts,
        costUsd: embeddingCost(provider, model, value),
      };
    } finally {
      run.finish();
    }
  }

  /**
   * Counts the input tokens of an Anthropic Messages body (`messages.countTokens`): Anthropic's own
   * count from an Anthropic deployment of the model (failing over between them), else an estimate
   * with an OpenAI tokenizer, `estimated: true`. Throws SwitchboardError: 400 for a bad body or an
   * Anthropic 400, 404 for an unknown model.
   */
  async countTokens(body: CountTokensBody, options: RequestOptions = {}): Promise<TokenCountResult> {
    checkCountRequest(body);
    const model = body.model;
    if (this.#state.embeddingModels.has(model)) {
      throw invalidRequest(`"${model}" is an embedding model; count tokens for a chat model`, 'model', 'wrong_model_type');
    }
    const serving = this.#state.byModel.get(model);
    if (serving === undefined) throw this.#unknownModel(model);
    let attempts: Attempt[] = [];
    const others = serving.filter((provider) => provider.protocol !== 'anthropic');
    if (others.length < serving.length) {
      const run = new Run(body, this.#strategy(options), this.#state.config.routing.timeouts.totalMs, options.signal);
      try {
        const exclude = new Set(others.map((provider) => provider.name));
        const outcome = await this.#failover.routeModel(
          model,
          run,
          (provider, target) => attemptCount(provider, target, body, (provider, wire) => this.#exchange(provider, wire, run)),
          exclude,
        );
        if ('value' in outcome) {
          return {
            inputTokens: outcome.value.value,
            estimated: false,
            provider: outcome.value.provider.name,
            attempts: run.attempts,
          };
        }
        // Anthropic refused the request itself (a 400), or the caller left: that is the answer.
        if (outcome.final)
          throw outcome.error.attempts.length > 0 ? outcome.error : outcome.error.with({ attempts: run.attempts });
        attempts = run.attempts;
      } finally {
        run.finish();
      }
    }
    const count = await loadTokenizer();
    return { inputTokens: estimateCountTokens(body, count), estimated: true, provider: undefined, attempts };
  }

  readonly #streamContext: StreamContext = {
    transport: () => this.#transport,
    config: () => this.#state.config,
    secrets: () => this.#state.secrets,
    firstTokenMs: (provider, model) => {
      const timeouts = this.#state.config.routing.timeouts;
      return timeouts.firstTokenMs === 'auto'
        ? this.#firstTokens.deadline(provider.name, model, timeouts.firstTokenAuto)
        : timeouts.firstTokenMs;
    },
    noteFirstToken: (provider, model, ms) => this.#firstTokens.record(provider.name, model, ms),
    noteHeaders: (provider, headers) => this.#failover.noteHeaders(provider, headers),
    recordFailure: (provider, error) => this.#failover.recordFailure(provider, error),
    recover: (run, model, text, exclude) => this.#recover(run, model, text, exclude),
  };

  /** Continues a broken stream on another provider of the same model, from the text delivered. */
  async #recover(run: Run, model: string, text: string, exclude: ReadonlySet<string>): Promise<{ value: Segment }> {
    const context = this.#streamContext;
    const outcome = await this.#failover.routeModel(
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
    if (this.#state.embeddingModels.has(request.model)) {
      throw invalidRequest(
        `"${request.model}" is an embedding model; send it to POST /v1/embeddings (router.embed)`,
        'model',
        'wrong_model_type',
      );
    }
    if (!this.#state.byModel.has(request.model)) throw this.#unknownModel(request.model);
    const { totalMs } = this.#state.config.routing.timeouts;
    return new Run(request, this.#strategy(options), totalMs, options.signal, options.only);
  }

  #unknownModel(model: string): SwitchboardError {
    return new SwitchboardError({
      message: `model "${excerpt(model, this.#state.secrets, 100)}" is not served here; known models: ${[...this.#state.byModel.keys()].join(', ')}`,
      status: 404,
      type: 'invalid_request_error',
      code: 'model_not_found',
      kind: 'model-not-found',
      param: 'model',
    });
  }

  #strategy(options: RequestOptions): Strategy {
    const name = options.strategy ?? this.#state.config.routing.strategy;
    const strategy = ownValue(strategies, name);
    if (strategy === undefined) {
      throw invalidRequest(
        `unknown strategy "${excerpt(name, this.#state.secrets, 100)}"; known: ${strategyNames.join(', ')}`,
        'strategy',
        'unknown_strategy',
      );
    }
    return strategy;
  }

  /** One non-streamed exchange under the run's deadline; notes the rate-limit headers and returns their wait hint. */
  async #exchange(provider: Provider, wire: WireRequest, run: Run<{ model: string }>) {
    const { timeouts, limits } = this.#state.config.routing;
    const response = await this.#transport.send(provider.endpoint, wire, {
      provider: provider.name,
      signal: run.signal,
      firstByteMs: Math.max(1, Math.min(timeouts.responseMs, run.remainingMs())),
      idleMs: timeouts.idleMs,
      maxBodyBytes: limits.responseBytes,
      maxErrorBodyBytes: limits.errorBodyBytes,
    });
    return { response, retryAfterMs: this.#failover.noteHeaders(provider, response.headers) };
  }

  async #attemptComplete(provider: Provider, target: Target, run: Run): Promise<ChatResponse> {
    const wire = encodeFor(provider, run.request, target);
    const { timeouts, limits } = this.#state.config.routing;
    const response = await this.#transport.send(provider.endpoint, wire, {
      provider: provider.name,
      signal: run.signal,
      firstByteMs: Math.max(1, Math.min(timeouts.responseMs, run.remainingMs())),
      idleMs: timeouts.idleMs,
      maxBodyBytes: limits.responseBytes,
      maxErrorBodyBytes: limits.errorBodyBytes,
    });
    const retryAfterMs = this.#failover.noteHeaders(provider, response.headers);
    try {
      return provider.adapter.decode(response, target);
    } catch (error) {
      if (error instanceof SwitchboardError && retryAfterMs !== undefined && error.retryAfterMs === undefined) {
        throw error.with({ retryAfterMs });
      }
      throw error;
    }
  }

  /** Probes every provider at once with a 1-token request and records what it finds. */
  async checkHealth(): Promise<ProbeResult[]> {
    const { timeoutMs } = this.#state.config.routing.healthCheck;
    return Promise.all(
      this.#providers.map(async (provider) => {
        const result = await probeProvider(provider, this.#transport, timeoutMs, this.#state.secrets);
        if (result.error === undefined) {
          this.#state.tracker.recordSuccess(provider.name, result.latencyMs);
          this.#failover.noteHeaders(provider, result.headers ?? {});
        } else {
          this.#failover.recordFailure(provider, result.error);
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

  /**
   * A snapshot per provider: what a dashboard needs. With `detail: false`, `lastError` is told
   * without the upstream's words (`server (HTTP 503, overloaded)`): an upstream's message can quote
   * another caller's request or name an internal address. Default `detail: true`.
   */
  status(options: { detail?: boolean } = {}): Record<string, ProviderStatus> {
    const detail = options.detail ?? true;
    const now = Date.now();
    const snapshot: Record<string, ProviderStatus> = {};
    for (const provider of this.#providers) {
      const health = this.#state.tracker.health(provider.name);
      const circuit = settle(health.circuit, now);
      snapshot[provider.name] = {
        name: provider.name,
        healthy: circuit.state === 'closed',
        state: circuit.state,
        consecutiveFailures: circuit.failures,
        latencyEmaMs: health.latencyEmaMs === null ? null : Math.round(health.latencyEmaMs * 100) / 100,
        requests: health.requests,
        errors: health.errors,
        lastError:
          detail || health.lastError === null ? health.lastError : (this.#state.failureSummaries.get(provider.name) ?? 'error'),
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
    return [...this.#state.byModel].map(([id, providers]) => ({ id, providers: providers.map((provider) => provider.name) }));
  }

  /** Stops background checks and, if the router made it, closes the HTTP transport. */
  async close(): Promise<void> {
    clearInterval(this.#healthTimer);
    if (this.#ownsTransport) await this.#transport.close();
  }
}

/** Creates a router from a config object (the same shape as the config file, defaults optional). */
export function createRouter(config: ConfigInput | Config, options?: RouterOptions): Router {
  return new Router(config, options);
}

export type { Attempter, ChatChunk, CountTokensBody, EmbeddingResult, TokenCountResult };
export { StreamResult };
