// The router's public face: its config and reload, complete() and stream(), health checks and
// status. The attempt loop itself (plan, attempt, classify, fail over, record) is failover.ts.
import { isDeepStrictEqual } from 'node:util';
import { type Config, type ConfigInput, parseConfig } from '../config/schema.ts';
import { secretsOf } from '../config/secrets.ts';
import { Observer, type ObserverOptions } from '../observe/observer.ts';
import { Tracing, tracesEndpoint } from '../observe/tracing.ts';
import type { ChatChunk, ChatRequest, ChatResponse, Usage } from '../protocol/chat.ts';
import type { EmbeddingRequest } from '../protocol/embeddings.ts';
import { type Attempt, invalidRequest, SwitchboardError } from '../protocol/errors.ts';
import { ownValue } from '../protocol/own-value.ts';
import { excerpt } from '../protocol/redact.ts';
import type { WireRequest } from '../providers/adapter.ts';
import type { CountTokensBody } from '../providers/anthropic-count.ts';
import { Transport } from '../providers/transport.ts';
import { MemoryStore } from '../state/memory.ts';
import { foldAverage, type StateStore } from '../state/store.ts';
import { affinityKey } from './affinity.ts';
import { needsOf } from './capabilities.ts';
import { cachedTokensOf, costOf } from './cost.ts';
import { countTokensWith, type TokenCountResult } from './count-tokens.ts';
import { buildDeployments, type Deployment } from './deployment.ts';
import { type EmbeddingResult, embedWith } from './embed.ts';
import { type Attempter, Failover, type Hedging, type RoutingState } from './failover.ts';
import { FirstTokenTimes } from './first-token.ts';
import type { OneShotContext } from './one-shot.ts';
import { summarize } from './outcomes.ts';
import { type ProbeResult, probeDeployment } from './probe.ts';
import { buildProviders, encodeFor, type Provider } from './provider.ts';
import { Recovery } from './recovery.ts';
import { Run } from './run.ts';
import { deploymentStatus, type ProviderStatus, providerStatus } from './status.ts';
import { type Strategy, strategies, strategyNames } from './strategies.ts';
import { openSegment, relay, type Segment, type StreamContext, StreamResult } from './stream.ts';
import { FailoverTracker } from './tracker.ts';
import { SmoothWeights } from './weighted.ts';

export interface RequestOptions {
  /** Aborting it abandons the request and closes the upstream connection. */
  signal?: AbortSignal;
  /** A strategy by name (`priority`, `fastest`, `cheapest`, `headroom`); default from the config. */
  strategy?: string;
  /** The only providers that may answer (say, those that run a built-in tool the request uses); default all. */
  only?: readonly string[];
  /**
   * Names the conversation the request belongs to (the gateway passes `routing.affinity.header`),
   * so its turns stay on one deployment; after `prompt_cache_key`, before `user` and the prefix hash.
   */
  session?: string;
  /** The caller's W3C `traceparent`: the request's span is its child when tracing is on. */
  traceparent?: string;
}

/** What `router.complete()` returns. */
export interface CompletionResult {
  response: ChatResponse;
  /** The provider that answered. */
  provider: string;
  /** The deployment that answered (`provider/model`, with `#n` when the provider has several keys). */
  deployment: string;
  /** The generic model that answered: the one asked for, or a fallback (`response.model` has the provider's id for it). */
  model: string;
  /** From the call until the answer was complete, every attempt included. */
  latencyMs: number;
  /** Every provider tried, in order, the answering one last. */
  attempts: Attempt[];
  /** USD for the answer, from the answering provider's `pricing`; undefined when unpriced. Failed attempts are not billed. */
  costUsd: number | undefined;
}

export interface ModelInfo {
  id: string;
  providers: string[];
}

export interface RouterOptions {
  /** Share an HTTP transport between routers (the gateway keeps one across reloads). */
  transport?: Transport;
  /**
   * Where health, rate-limit and spend state lives; a new in-memory store by default. A store
   * passed in is shared, not owned: `close()` leaves it open.
   */
  store?: StateStore;
  /** The step and window of the recent history the dashboard shows; default 10 s steps over an hour. */
  history?: ObserverOptions;
}

export class Router {
  readonly #state = {} as RoutingState;
  readonly #failover = new Failover(this.#state);
  #providers: Provider[] = [];
  #deployments: Deployment[] = [];
  readonly #transport: Transport;
  readonly #ownsTransport: boolean;
  readonly #store: StateStore;
  readonly #ownsStore: boolean;
  readonly #recovery: Recovery;
  readonly #firstTokens = new FirstTokenTimes();
  readonly #observer: Observer;
  #tracing: Tracing | undefined;
  readonly #tracingReady: Promise<void>;

  constructor(config: ConfigInput | Config, options: RouterOptions = {}) {
    const parsed = parseConfig(config);
    this.#transport = options.transport ?? new Transport({ connectMs: parsed.routing.timeouts.connectMs });
    this.#ownsTransport = options.transport === undefined;
    this.#store = options.store ?? new MemoryStore();
    this.#ownsStore = options.store === undefined;
    this.#state.tracker = new FailoverTracker(trackerPolicy(parsed), { store: this.#store });
    this.#observer = new Observer(options.history);
    // The OpenTelemetry packages load only when an endpoint is configured; requests before then go untraced.
    const endpoint = tracesEndpoint(parsed);
    this.#tracingReady =
      endpoint === undefined
        ? Promise.resolve()
        : Tracing.open(endpoint, parsed.telemetry?.otlp?.headers).then((tracing) => {
            this.#tracing = tracing;
          });
    this.#state.observer = this.#observer;
    this.#observer.watch(this.#store, {
      providerOf: (id) => this.#deployments.find((deployment) => deployment.id === id)?.provider.name,
      summaryOf: (id) => this.#state.failureSummaries.get(id),
    });
    this.#recovery = new Recovery({
      tracker: this.#state.tracker,
      deployments: () => this.#deployments,
      probe: (deployment) => this.#probe(deployment),
      timeoutMs: () => this.#state.config.routing.healthCheck.timeoutMs,
      checkFailed: (deployment, result) => {
        if (result.error) this.#failover.recordFailure(deployment, result.error);
      },
      noteHeaders: (deployment, headers) => this.#failover.noteHeaders(deployment, headers),
    });
    this.reload(config);
  }

  get config(): Config {
    return this.#state.config;
  }

  /** Resolves once tracing is set up (at once when it is off); rejects when its packages cannot load. */
  tracingReady(): Promise<void> {
    return this.#tracingReady;
  }

  /** Events and recent history, for the dashboard. */
  get observer(): Observer {
    return this.#observer;
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
    const tracker = this.#state.tracker;
    Object.assign(tracker.policy, trackerPolicy(config));
    const previous = new Map(this.#providers.map((provider) => [provider.name, provider]));
    const before = new Map(this.#deployments.map((deployment) => [deployment.id, deployment]));
    const deployments = providers.flatMap(buildDeployments);
    tracker.retain(new Set(deployments.map((deployment) => deployment.id)));
    for (const provider of providers) {
      const old = previous.get(provider.name);
      if (old && !isDeepStrictEqual(old.source, provider.source)) {
        for (const [id, deployment] of before) {
          if (deployment.provider === old) {
            tracker.reset(id);
            this.#firstTokens.forget(id);
          }
        }
      }
    }
    const byModel = new Map<string, Deployment[]>();
    const byProvider = new Map<string, Deployment[]>();
    const embeddingModels = new Set<string>();
    for (const deployment of deployments) {
      byModel.set(deployment.model, [...(byModel.get(deployment.model) ?? []), deployment]);
      byProvider.set(deployment.provider.name, [...(byProvider.get(deployment.provider.name) ?? []), deployment]);
      if (deployment.embedding) embeddingModels.add(deployment.model);
    }
    const secrets = secretsOf(config);
    const severalKeys = providers.some((provider) => provider.keys.length > 1);
    const failureSummaries = this.#state.failureSummaries ?? new Map<string, string>();
    const ids = new Set(deployments.map((deployment) => deployment.id));
    for (const id of failureSummaries.keys()) if (!ids.has(id)) failureSummaries.delete(id);
    Object.assign(this.#state, {
      config,
      byModel,
      byProvider,
      severalKeys,
      tracker,
      secrets,
      embeddingModels,
      failureSummaries,
      weights: this.#state.weights ?? new SmoothWeights(),
      cachedShares: this.#state.cachedShares ?? new Map<string, number>(),
    } satisfies RoutingState);
    const first = this.#providers.length === 0 && this.#deployments.length === 0;
    this.#providers = providers;
    this.#deployments = deployments;
    if (!first) this.#observer.reloaded(ids);
    this.#recovery.scheduleChecks(routing.healthCheck.intervalMs);
    // Open circuits kept across the reload are probed on their schedule.
    this.#recovery.arm();
  }

  /** Sends a chat completion to the first provider that can answer it. Throws SwitchboardError. */
  async complete(request: ChatRequest, options: RequestOptions = {}): Promise<CompletionResult> {
    const run = this.#begin(request, options);
    try {
      const { value, deployment, model } = await this.#failover.route(run, (deployment) =>
        this.#attemptComplete(deployment, run),
      );
      if (this.#state.config.routing.responseModel === 'generic') value.model = model;
      this.#observer.answered(deployment.id, deployment.provider.name, run.attempts);
      const costUsd = this.#noteUsage(deployment, value.usage);
      run.trace?.answered({
        deployment: deployment.id,
        provider: deployment.provider.name,
        responseModel: value.model,
        usage: value.usage,
        costUsd,
      });
      return {
        response: value,
        provider: deployment.provider.name,
        deployment: deployment.id,
        model,
        latencyMs: run.elapsedMs(),
        attempts: run.attempts,
        costUsd,
      };
    } catch (error) {
      this.#observer.failed(run.request.model, run.attempts);
      if (error instanceof SwitchboardError) run.trace?.failed(error.kind, error.status);
      throw error;
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
      const { value, deployment, model } = await this.#failover.route(
        run,
        (deployment, _run, attempt) => openSegment(deployment, run, context, undefined, attempt),
        this.#hedging(run.request.model),
      );
      this.#observer.answered(deployment.id, deployment.provider.name, run.attempts);
      run.trace?.answered({ deployment: deployment.id, provider: deployment.provider.name });
      const result = new StreamResult({
        provider: deployment.provider.name,
        deployment: deployment.id,
        model,
        latencyMs: run.elapsedMs(),
        attempts: run.attempts,
        relay: (result) => relay(result, { first: value, run, context }),
        abandon: async () => {
          await value.close();
          run.finish();
        },
      });
      // Hedges that lost were sent and may be billed: their estimate is part of the answer's cost.
      result.costUsd = run.abandonedCostUsd;
      return result;
    } catch (error) {
      this.#observer.failed(run.request.model, run.attempts);
      if (error instanceof SwitchboardError) run.trace?.failed(error.kind, error.status);
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
  embed(request: EmbeddingRequest, options: RequestOptions = {}): Promise<EmbeddingResult> {
    return embedWith(this.#oneShot, request, options);
  }

  /**
   * Counts the input tokens of an Anthropic Messages body (`messages.countTokens`): Anthropic's own
   * count from an Anthropic deployment of the model (failing over between them), else an estimate
   * with an OpenAI tokenizer, `estimated: true`. Throws SwitchboardError: 400 for a bad body or an
   * Anthropic 400, 404 for an unknown model.
   */
  countTokens(body: CountTokensBody, options: RequestOptions = {}): Promise<TokenCountResult> {
    return countTokensWith(this.#oneShot, body, options);
  }

  /** What embed() and countTokens() need of the router: its state, the loop, one exchange. */
  readonly #oneShot: OneShotContext = {
    state: () => this.#state,
    failover: () => this.#failover,
    run: (request, options) =>
      new Run(request, this.#strategy(options), this.#state.config.routing.timeouts.totalMs, options.signal),
    exchange: (deployment, wire, run) => this.#exchange(deployment, wire, run),
    unknownModel: (model) => this.#unknownModel(model),
  };

  readonly #streamContext: StreamContext = {
    transport: () => this.#transport,
    config: () => this.#state.config,
    secrets: () => this.#state.secrets,
    firstTokenMs: (deployment) => {
      const timeouts = this.#state.config.routing.timeouts;
      return timeouts.firstTokenMs === 'auto'
        ? this.#firstTokens.deadline(deployment.id, timeouts.firstTokenAuto)
        : timeouts.firstTokenMs;
    },
    noteFirstToken: (deployment, ms) => {
      this.#firstTokens.record(deployment.id, ms);
      this.#observer.firstToken(deployment.id, ms);
      this.#state.tracker.noteFirstToken(deployment.id, ms);
    },
    noteHeaders: (deployment, headers) => this.#failover.noteHeaders(deployment, headers),
    recordFailure: (deployment, error) => this.#failover.recordFailure(deployment, error),
    noteUsage: (deployment, usage) => this.#noteUsage(deployment, usage),
    recover: (run, model, text, exclude) => this.#recover(run, model, text, exclude),
  };

  /** How a stream for `model` is hedged (routing.hedging and its per-model overrides); undefined when it is not. */
  #hedging(model: string): Hedging<Segment> | undefined {
    const settings = this.#state.config.routing.hedging;
    const override = ownValue(settings.models, model);
    const maxHedges = override?.maxHedges ?? settings.maxHedges;
    if (!(override?.enabled ?? settings.enabled) || maxHedges <= 0) return undefined;
    const delayMs = override?.delayMs ?? settings.delayMs;
    const { percentile, minSamples, minDelayMs } = settings;
    return {
      budget: { left: maxHedges },
      delayMs:
        delayMs === 'auto'
          ? (deployment) => {
              const learned = this.#firstTokens.percentile(deployment.id, percentile, minSamples);
              return learned === undefined ? undefined : Math.max(minDelayMs, learned);
            }
          : () => delayMs,
      dispose: (segment) => segment.close(),
    };
  }

  /** Folds the share of input read from the prompt cache into the deployment's average (for `cheapest`), counts the deployment's spend; returns the answer's cost. */
  #noteUsage(deployment: Deployment, usage: Usage | undefined | null): number | undefined {
    if (usage && usage.prompt_tokens > 0) {
      const share = cachedTokensOf(usage) / usage.prompt_tokens;
      const shares = this.#state.cachedShares;
      shares.set(deployment.id, foldAverage(shares.get(deployment.id) ?? null, share, this.#state.config.routing.latencyAlpha));
    }
    const costUsd = costOf(deployment.provider, deployment.model, usage);
    // Counted here, where the deployment that answered is known: the gateway sees only provider and model.
    if (usage) {
      this.#store.addSpend(`deployment:${deployment.id}`, {
        inputTokens: usage.prompt_tokens,
        outputTokens: usage.completion_tokens,
        costUsd: costUsd ?? 0,
      });
    }
    return costUsd;
  }

  /**
   * Continues a broken stream from the text delivered: on the other deployments of the model
   * answering, then of the asked model and its fallbacks models. A provider that takes a prefill
   * gets one; any other (or one that refuses the prefill as a bad request) is asked to continue.
   */
  async #recover(run: Run, model: string, text: string, exclude: ReadonlySet<string>): Promise<{ value: Segment }> {
    const context = this.#streamContext;
    const asked = run.request.model;
    const chain = [model, asked, ...(ownValue(this.#state.config.routing.fallbacks, asked) ?? [])];
    const continueOn = async (deployment: Deployment) => {
      if (deployment.provider.prefill) {
        try {
          return await openSegment(deployment, run, context, { text, mode: 'prefill' });
        } catch (error) {
          if (!(error instanceof SwitchboardError) || error.kind !== 'bad-request') throw error;
        }
      }
      return openSegment(deployment, run, context, { text, mode: 'instruct' });
    };
    let lastError: SwitchboardError | undefined;
    for (const candidate of new Set(chain)) {
      if (this.#state.embeddingModels.has(candidate)) continue;
      const outcome = await this.#failover.routeModel(candidate, run, continueOn, exclude);
      if ('value' in outcome) return { value: outcome.value.value };
      lastError = outcome.error;
      if (outcome.final) break;
    }
    throw lastError ?? run.abortError();
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
    const run = new Run(request, this.#strategy(options), totalMs, options.signal, options.only);
    run.needs = needsOf(request);
    run.trace = this.#tracing?.startRequest(request.model, options.traceparent);
    if (this.#state.config.routing.affinity.enabled && this.#hasChoice(request.model)) {
      run.affinity = affinityKey(request, options.session);
    }
    return run;
  }

  /**
   * Whether a request for `model` can land on more than one deployment, so that a conversation's
   * pin can matter. With one deployment and no fallbacks it cannot: no key is hashed, nothing pinned.
   */
  #hasChoice(model: string): boolean {
    const fallbacks = ownValue(this.#state.config.routing.fallbacks, model);
    return (this.#state.byModel.get(model)?.length ?? 0) > 1 || (fallbacks !== undefined && fallbacks.length > 0);
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
  async #exchange(deployment: Deployment, wire: WireRequest, run: Run<{ model: string }>) {
    const provider = deployment.provider;
    const { timeouts, limits } = this.#state.config.routing;
    const response = await this.#transport.send(provider.endpoint, wire, {
      provider: provider.name,
      signal: run.signal,
      firstByteMs: Math.max(1, Math.min(timeouts.responseMs, run.remainingMs())),
      answerMs: timeouts.responseMs,
      idleMs: timeouts.idleMs,
      maxBodyBytes: limits.responseBytes,
      maxErrorBodyBytes: limits.errorBodyBytes,
    });
    return { response, retryAfterMs: this.#failover.noteHeaders(deployment, response.headers) };
  }

  async #attemptComplete(deployment: Deployment, run: Run): Promise<ChatResponse> {
    const { provider, target } = deployment;
    const { response, retryAfterMs } = await this.#exchange(deployment, encodeFor(provider, run.request, target), run);
    try {
      return provider.adapter.decode(response, target);
    } catch (error) {
      if (error instanceof SwitchboardError && retryAfterMs !== undefined && error.retryAfterMs === undefined) {
        throw error.with({ retryAfterMs });
      }
      throw error;
    }
  }

  async #probe(deployment: Deployment, asked = false): Promise<ProbeResult> {
    const { timeoutMs } = this.#state.config.routing.healthCheck;
    const result = await probeDeployment(deployment, this.#transport, timeoutMs, this.#state.secrets);
    // A routine check that finds a healthy deployment healthy is no event; recovery probes, failures and asked-for probes are.
    if (asked || !result.healthy || !this.#state.tracker.isHealthy(deployment.id)) {
      const error = result.error === undefined ? undefined : summarize(result.error);
      this.#observer.probe(deployment.id, deployment.provider.name, result.healthy, result.latencyMs, error);
    }
    return result;
  }

  /**
   * Probes one deployment now (the dashboard's button) and records what it finds, as a health
   * check does; undefined for an unknown id.
   */
  async probeNow(
    id: string,
  ): Promise<{ deployment: string; healthy: boolean; latencyMs: number; error: string | null } | undefined> {
    const deployment = this.#deployments.find((candidate) => candidate.id === id);
    if (deployment === undefined) return undefined;
    const result = await this.#probe(deployment, true);
    if (result.error === undefined) {
      this.#state.tracker.recordSuccess(deployment.id, result.latencyMs);
      this.#failover.noteHeaders(deployment, result.headers ?? {});
    } else {
      this.#failover.recordFailure(deployment, result.error);
    }
    const error = result.error === undefined ? null : summarize(result.error);
    return { deployment: deployment.id, healthy: result.healthy, latencyMs: Math.round(result.latencyMs), error };
  }

  /** Probes every deployment at once with a 1-token request and records what it finds. */
  async checkHealth(): Promise<ProbeResult[]> {
    return Promise.all(
      this.#deployments.map(async (deployment) => {
        const result = await this.#probe(deployment);
        if (result.error === undefined) {
          this.#state.tracker.recordSuccess(deployment.id, result.latencyMs);
          this.#failover.noteHeaders(deployment, result.headers ?? {});
        } else {
          this.#failover.recordFailure(deployment, result.error);
        }
        return result;
      }),
    );
  }

  /**
   * A snapshot per provider, its deployments inside: what a dashboard needs. With `detail: false`,
   * `lastError` is told without the upstream's words (`server (HTTP 503, overloaded)`): an
   * upstream's message can quote another caller's request or name an internal address. Default
   * `detail: true`.
   */
  status(options: { detail?: boolean } = {}): Record<string, ProviderStatus> {
    const detail = options.detail ?? true;
    const summaries = this.#state.failureSummaries;
    const now = Date.now();
    const snapshot: Record<string, ProviderStatus> = {};
    for (const provider of this.#providers) {
      const deployments = (this.#state.byProvider.get(provider.name) ?? []).map((deployment) => {
        const status = deploymentStatus(deployment, this.#state.tracker, now);
        status.spendUsd = this.#store.spend(`deployment:${deployment.id}`).costUsd;
        if (!detail && status.lastError !== null) status.lastError = summaries.get(deployment.id) ?? 'error';
        return status;
      });
      snapshot[provider.name] = providerStatus(provider, deployments);
    }
    return snapshot;
  }

  /** Where the router's state lives and whether it is reachable. */
  get store(): StateStore {
    return this.#store;
  }

  /** The generic model names and the providers that serve each. */
  models(): ModelInfo[] {
    return [...this.#state.byModel].map(([id, deployments]) => ({
      id,
      providers: [...new Set(deployments.map((deployment) => deployment.provider.name))],
    }));
  }

  /** Stops probes and background checks and closes what the router made itself (transport, store). */
  async close(): Promise<void> {
    this.#recovery.close();
    this.#observer.close();
    await this.#tracing?.shutdown().catch(() => {});
    if (this.#ownsStore) await this.#store.close();
    if (this.#ownsTransport) await this.#transport.close();
  }
}

function trackerPolicy(config: Config) {
  return {
    failureThreshold: config.routing.failureThreshold,
    probeDelaysMs: config.routing.recovery.probeDelaysMs,
    probeJitter: config.routing.recovery.probeJitter,
    latencyAlpha: config.routing.latencyAlpha,
  };
}

/** Creates a router from a config object (the same shape as the config file, defaults optional). */
export function createRouter(config: ConfigInput | Config, options?: RouterOptions): Router {
  return new Router(config, options);
}

export type { DeploymentStatus } from './status.ts';
export type { Attempter, ChatChunk, CountTokensBody, EmbeddingResult, ProviderStatus, TokenCountResult };
export { StreamResult };
