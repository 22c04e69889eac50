// The user's contract: the config file's shape, its defaults, and the checks that
// name the path of every mistake. The schema is the type; defaults live here only.
import { z } from 'zod';
import { presetNames, presets } from '../providers/presets.ts';
import { formatPath, problemsOf } from './issues.ts';

const positiveMs = z.number().int().positive();

const ModelPricingSchema = z.strictObject({
  /** USD per million input tokens. */
  input: z.number().nonnegative(),
  /** USD per million output tokens. */
  output: z.number().nonnegative(),
  /** USD per million input tokens read from the provider's prompt cache (as reported in usage); `input` when unset. */
  cachedInput: z.number().nonnegative().optional(),
});

/** What one deployment supports; anything unstated is assumed supported (and its 400 handled). */
const CapabilitiesSchema = z.strictObject({
  tools: z.boolean().optional(),
  vision: z.boolean().optional(),
  jsonSchema: z.boolean().optional(),
  audioInput: z.boolean().optional(),
  audioOutput: z.boolean().optional(),
  /** The context window in tokens (input and output together). */
  contextTokens: z.number().int().positive().optional(),
  /** The most output tokens one answer may have. */
  maxOutputTokens: z.number().int().positive().optional(),
});

const ProviderSchema = z
  .strictObject({
    preset: z.enum(presetNames).optional(),
    protocol: z.enum(['openai', 'anthropic']).optional(),
    baseUrl: z.url({ protocol: /^https?$/ }).optional(),
    apiKey: z.string().optional(),
    /** Several keys for one provider, equal weights; each key × model is a deployment. */
    apiKeys: z.array(z.string()).min(1).optional(),
    /** Several keys with weights: traffic spreads across them by weight. */
    keys: z
      .array(z.strictObject({ key: z.string(), weight: z.number().positive().default(1) }))
      .min(1)
      .optional(),
    auth: z.enum(['bearer', 'x-api-key', 'api-key', 'none']).optional(),
    headers: z.record(z.string(), z.string()).default({}),
    /** OpenRouter's app attribution (HTTP-Referer / X-Title). */
    app: z.strictObject({ url: z.string().optional(), name: z.string().optional() }).optional(),
    priority: z.number().int().default(100),
    models: z
      .record(z.string().min(1), z.string().min(1), { error: 'expected a map of generic model name to provider model name' })
      .default({}),
    /**
     * Embedding models: generic name → this provider's name. Every provider mapping one generic
     * name is declared to produce the same vectors; requests never cross to another name.
     */
    embeddings: z
      .record(z.string().min(1), z.string().min(1), {
        error: 'expected a map of generic embedding model name to provider model name',
      })
      .default({}),
    pricing: z.record(z.string(), ModelPricingSchema).default({}),
    /** Per generic model: what this provider's deployment of it supports; overrides the preset and catalog. */
    capabilities: z.record(z.string(), CapabilitiesSchema).default({}),
    /** Share of traffic under the `weighted` strategy, relative to other providers (times each key's weight). */
    weight: z.number().positive().default(1),
    /** How long a conversation stays pinned here (about as long as the provider's prompt cache lives); default `routing.affinity.ttlMs`. */
    affinityTtlMs: positiveMs.optional(),
    /** Whether the provider continues a final assistant message; defaults to the preset's. */
    prefill: z.boolean().optional(),
    rateLimitHeaders: z.enum(['openai', 'anthropic', 'openrouter', 'none']).optional(),
    /** Anthropic needs max_tokens on every request; used when the caller sets none. */
    defaultMaxTokens: z.number().int().positive().default(4096),
    /** Responses API built-in tools this provider runs itself (`web_search`, `file_search`, …); others never get them. */
    builtinTools: z.array(z.string().min(1)).default([]),
    enabled: z.boolean().default(true),
  })
  .superRefine((provider, context) => {
    const keyFields = (['apiKey', 'apiKeys', 'keys'] as const).filter((field) => provider[field] !== undefined);
    if (keyFields.length > 1) {
      context.addIssue({
        code: 'custom',
        path: [keyFields[1]!],
        message: `set one of apiKey, apiKeys, keys (got ${keyFields.join(', ')})`,
      });
    }
    if (!provider.baseUrl && !(provider.preset && presets[provider.preset].baseUrl)) {
      context.addIssue({
        code: 'custom',
        path: ['baseUrl'],
        message: provider.preset
          ? `set baseUrl: the ${provider.preset} preset has none`
          : 'set baseUrl, or a preset that has one',
      });
    }
    const embeddings = Object.keys(provider.embeddings);
    if (Object.keys(provider.models).length === 0 && embeddings.length === 0) {
      context.addIssue({ code: 'custom', path: ['models'], message: 'a provider needs at least one model' });
    }
    const protocol = provider.protocol ?? (provider.preset ? presets[provider.preset].protocol : 'openai');
    if (protocol === 'anthropic' && embeddings.length > 0) {
      context.addIssue({
        code: 'custom',
        path: ['embeddings'],
        message: "Anthropic's API has no embeddings endpoint; serve embedding models from an OpenAI-protocol provider",
      });
    }
    for (const model of embeddings) {
      if (Object.hasOwn(provider.models, model)) {
        context.addIssue({
          code: 'custom',
          path: ['embeddings', model],
          message: `"${model}" is also in models; a name is a chat model or an embedding model`,
        });
      }
    }
    for (const model of Object.keys(provider.capabilities)) {
      if (!Object.hasOwn(provider.models, model)) {
        context.addIssue({ code: 'custom', path: ['capabilities', model], message: `model "${model}" is not in models` });
      }
    }
    for (const model of Object.keys(provider.pricing)) {
      if (!Object.hasOwn(provider.models, model) && !Object.hasOwn(provider.embeddings, model)) {
        context.addIssue({ code: 'custom', path: ['pricing', model], message: `priced model "${model}" is not in models` });
      }
    }
  });

const TimeoutsSchema = z.strictObject({
  connectMs: positiveMs.default(5000),
  /** Time until the first content arrives; `auto` learns it per provider and model. */
  firstTokenMs: z.union([positiveMs, z.literal('auto')]).default(15_000),
  /** How `firstTokenMs: auto` derives a deadline from measured times to first token. */
  firstTokenAuto: z
    .strictObject({
      percentile: z.number().gt(0).lte(1).default(0.95),
      margin: z.number().gte(1).default(3),
      minMs: positiveMs.default(1000),
      maxMs: positiveMs.default(30_000),
      minSamples: z.number().int().positive().default(5),
    })
    .default({ percentile: 0.95, margin: 3, minMs: 1000, maxMs: 30_000, minSamples: 5 }),
  /** A non-streamed attempt: longest wait for one provider's whole answer (streams use firstTokenMs and idleMs). */
  responseMs: positiveMs.default(60_000),
  /** Longest silence inside a stream. */
  idleMs: positiveMs.default(30_000),
  /** One deadline for the whole request, every attempt included. */
  totalMs: positiveMs.default(120_000),
});

const UpstreamLimitsSchema = z.strictObject({
  /** A whole non-streamed answer. */
  responseBytes: z
    .number()
    .int()
    .positive()
    .default(32 * 1024 * 1024),
  /** One server-sent event (or one line of it) in a stream. */
  eventBytes: z
    .number()
    .int()
    .positive()
    .default(1024 * 1024),
  /** The body of an error answer (status >= 400): read this far, no further. */
  errorBodyBytes: z
    .number()
    .int()
    .positive()
    .default(64 * 1024),
});

/** Hedging settings that may differ per model. */
const HedgeOverrideSchema = z.strictObject({
  enabled: z.boolean().optional(),
  delayMs: z.union([positiveMs, z.literal('auto')]).optional(),
  maxHedges: z.number().int().nonnegative().optional(),
});

const HedgingSchema = z.strictObject({
  /** Start the next candidate when a stream's first content is late. */
  enabled: z.boolean().default(true),
  /** A fixed delay, or `auto`: the `percentile` of the deployment's recent times to first content. */
  delayMs: z.union([positiveMs, z.literal('auto')]).default('auto'),
  /** With `auto`: which recent time to first content is "late"; 0.99 fires on about 1 % of healthy requests. */
  percentile: z.number().gt(0).lt(1).default(0.99),
  /** With `auto`: samples needed before a deployment is hedged at all. */
  minSamples: z.number().int().positive().default(20),
  /** With `auto`: never hedge sooner than this. */
  minDelayMs: positiveMs.default(200),
  /** Hedges one request may start. */
  maxHedges: z.number().int().nonnegative().default(1),
  /** Per generic model (the one asked for): overrides of the settings above. */
  models: z.record(z.string(), HedgeOverrideSchema).default({}),
});

const AffinitySchema = z.strictObject({
  /** Keep the requests of one conversation on one deployment while it is healthy, so prompt caches hit. */
  enabled: z.boolean().default(true),
  /** The request header that names a conversation (after `prompt_cache_key`, before `user`). */
  header: z
    .string()
    .regex(/^[A-Za-z0-9-]+$/, 'a header name')
    .transform((name) => name.toLowerCase())
    .default('x-session-id'),
  /** How long a pin lives after its last use; a provider's `affinityTtlMs` overrides it. */
  ttlMs: positiveMs.default(300_000),
});

const RoutingSchema = z.strictObject({
  strategy: z.string().default('priority'),
  failureThreshold: z.number().int().positive().default(3),
  /** No longer used: an open circuit closes when a probe succeeds (see `recovery`). Accepted so older configs load. */
  cooldownMs: positiveMs.optional(),
  /** No longer used, like `cooldownMs`. */
  maxCooldownMs: positiveMs.optional(),
  /** How an open circuit is probed back into service. */
  recovery: z
    .strictObject({
      /** Delay before each probe after a trip; the last one repeats for as long as the deployment is out. */
      probeDelaysMs: z.array(positiveMs).min(1).default([500, 1000, 2000, 4000]),
      /** Share of each delay taken off at random, so deployments and replicas do not probe in step. */
      probeJitter: z.number().min(0).lt(1).default(0.2),
    })
    .default({ probeDelaysMs: [500, 1000, 2000, 4000], probeJitter: 0.2 }),
  latencyAlpha: z.number().gt(0).lte(1).default(0.3),
  timeouts: TimeoutsSchema.default(TimeoutsSchema.parse({})),
  healthCheck: z
    .strictObject({
      /** How often every healthy deployment is checked, spread over the interval; 0 (default) turns it off. */
      intervalMs: z.number().int().nonnegative().default(0),
      /** The longest a probe or check may take (recovery probes included). */
      timeoutMs: positiveMs.default(5000),
    })
    .default({ intervalMs: 0, timeoutMs: 5000 }),
  /** Generic models to try, in order, when every provider of a model failed or refused it. */
  fallbacks: z.record(z.string(), z.array(z.string())).default({}),
  /** Generic models a content-policy refusal may be sent to; without an entry the refusal is the answer. */
  contentPolicyFallbacks: z.record(z.string(), z.array(z.string())).default({}),
  /** Hedged streams: a second candidate started when the first is late with its first content. */
  hedging: HedgingSchema.default(HedgingSchema.parse({})),
  /** Conversations pinned to a deployment. */
  affinity: AffinitySchema.default(AffinitySchema.parse({})),
  /** Under `fastest`: share of requests that try a deployment with no latency sample first, so it gets measured. */
  exploreShare: z.number().min(0).max(1).default(0.05),
  /** Attempts one provider may get within one request (retries and waits on 429 included). */
  maxAttemptsPerProvider: z.number().int().positive().default(3),
  /** Base delay before the one quick retry of a reset or a plain 500 (jittered by half either way). */
  retryDelayMs: z.number().int().nonnegative().default(50),
  /** How long a 429 without Retry-After or reset headers holds a provider off. */
  rateLimitWaitMs: z.number().int().nonnegative().default(1000),
  /** A provider whose remaining requests or tokens fall below this share of its limit is tried last. */
  rateLimitHeadroom: z.number().min(0).max(1).default(0.05),
  /** Continue a broken stream on the next provider from the text already delivered. */
  streamRecovery: z.boolean().default(true),
  /** `model` in answers: the provider's own id for the model that answered (default), or the generic name asked for. */
  responseModel: z.enum(['generic', 'provider']).default('provider'),
  /** Upstream answers larger than these fail the attempt as malformed (it fails over); memory stays bounded. */
  limits: UpstreamLimitsSchema.default(UpstreamLimitsSchema.parse({})),
});

const ServerSchema = z.strictObject({
  port: z.number().int().min(0).max(65535).default(4000),
  host: z.string().optional(),
  apiKeys: z.array(z.string().min(1)).default([]),
  /**
   * Whether `/`, `/status`, `/status/stream`, `/status/probe` and `/metrics` need a gateway key;
   * unset: they do whenever `apiKeys` is set. `/healthz` is always open.
   */
  protectStatus: z.boolean().optional(),
  bodyLimitBytes: z
    .number()
    .int()
    .positive()
    .default(4 * 1024 * 1024),
  /** Deepest nesting of arrays and objects a request body may have; deeper bodies get a 400 before parsing. */
  maxJsonDepth: z.number().int().positive().default(64),
  /** How long in-flight requests may take to finish on SIGTERM. */
  drainMs: z.number().int().nonnegative().default(10_000),
  /**
   * How long a client may take to send a whole request, headers and body; a slower one gets a 408
   * and its connection is closed. 0: no limit. Needs a restart.
   */
  requestTimeoutMs: z.number().int().nonnegative().default(30_000),
  /** How long a response may wait on a client that has stopped reading before it is cut (and its upstream request aborted). 0: no limit. */
  writeTimeoutMs: z.number().int().nonnegative().default(5_000),
  logLevel: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).default('info'),
});

/** Stored Responses API conversations (`store`, `previous_response_id`), kept in memory. */
const ResponsesSchema = z.strictObject({
  /** How long a stored response can be continued or fetched; OpenAI keeps them 30 days. */
  retentionMs: positiveMs.default(30 * 24 * 60 * 60 * 1000),
  /** At most this many stored responses; the oldest are dropped first. */
  maxStored: z.number().int().positive().default(10_000),
  /** At most about this many bytes of stored JSON; the oldest are dropped first. */
  maxBytes: z
    .number()
    .int()
    .positive()
    .default(256 * 1024 * 1024),
});

/** Where the router's state lives: this process's memory, or a Redis shared by every replica. */
const StateSchema = z.strictObject({
  /**
   * `redis://[:password@]host:port[/db]` or `rediss://…`; unset, the REDIS_URL environment
   * variable is used when set, else memory. Never echoed in errors: it may carry a password.
   */
  redis: z
    .string()
    .regex(/^rediss?:\/\/[^\s]+$/, { error: 'expected a redis:// or rediss:// URL' })
    .optional(),
  /** Prefix of every Redis key and channel, so several Switchboard deployments can share one Redis. */
  prefix: z.string().min(1).default('switchboard'),
});

const UsageSchema = z.strictObject({
  /** Keep one row per request in a SQLite file. */
  enabled: z.boolean().default(true),
  /** The ledger file, relative to the working directory. */
  path: z.string().min(1).default('switchboard-usage.db'),
  /** Longest a row waits in memory before it is written. */
  flushMs: positiveMs.default(1000),
  /** Rows held in memory while writes fall behind; more are dropped (and counted). */
  maxPendingRows: z.number().int().positive().default(20_000),
});

/** OpenTelemetry tracing: off unless an endpoint is set here or in OTEL_EXPORTER_OTLP_(TRACES_)ENDPOINT. */
const TelemetrySchema = z.strictObject({
  otlp: z
    .strictObject({
      /** The collector's OTLP/HTTP base URL, e.g. `http://127.0.0.1:4318` (`/v1/traces` is added). */
      endpoint: z.string().url(),
      /** Headers for the collector (an auth token); kept out of logs like every configured header. */
      headers: z.record(z.string(), z.string()).default({}),
    })
    .optional(),
});

export const ConfigSchema = z
  .strictObject({
    telemetry: TelemetrySchema.optional(),
    server: ServerSchema.default(ServerSchema.parse({})),
    usage: UsageSchema.default(UsageSchema.parse({})),
    state: StateSchema.default(StateSchema.parse({})),
    providers: z.record(z.string().regex(/^[A-Za-z0-9_.-]+$/, 'use letters, digits, _ . -'), ProviderSchema),
    routing: RoutingSchema.default(RoutingSchema.parse({})),
    responses: ResponsesSchema.default(ResponsesSchema.parse({})),
  })
  .superRefine((config, context) => {
    if (Object.keys(config.providers).length === 0) {
      context.addIssue({ code: 'custom', path: ['providers'], message: 'configure at least one provider' });
    }
    const served = new Set(Object.values(config.providers).flatMap((provider) => Object.keys(provider.models)));
    const embedding = new Set(Object.values(config.providers).flatMap((provider) => Object.keys(provider.embeddings)));
    for (const [name, provider] of Object.entries(config.providers)) {
      for (const model of Object.keys(provider.models)) {
        if (embedding.has(model)) {
          context.addIssue({
            code: 'custom',
            path: ['providers', name, 'models', model],
            message: `"${model}" is an embedding model at another provider; a name is a chat model or an embedding model`,
          });
        }
      }
    }
    const chains = [
      ...Object.entries(config.routing.fallbacks).map(([model, chain]) => ['fallbacks', model, chain] as const),
      ...Object.entries(config.routing.contentPolicyFallbacks).map(
        ([model, chain]) => ['contentPolicyFallbacks', model, chain] as const,
      ),
    ];
    for (const [field, model, chain] of chains) {
      // Vectors from two embedding models live in different spaces: mixing them corrupts an index.
      if (embedding.has(model)) {
        context.addIssue({
          code: 'custom',
          path: ['routing', field, model],
          message: `"${model}" is an embedding model; embedding models never fall back to another model (their vectors are not comparable)`,
        });
        continue;
      }
      for (const [index, fallback] of chain.entries()) {
        if (!served.has(fallback)) {
          context.addIssue({
            code: 'custom',
            path: ['routing', field, model, index],
            message: embedding.has(fallback)
              ? `"${fallback}" is an embedding model, not a chat model`
              : `no provider serves "${fallback}"`,
          });
        }
      }
    }
  });

/** The config as written by a user (defaults optional). */
export type ConfigInput = z.input<typeof ConfigSchema>;
/** The config after validation, with every default filled in. */
export type Config = z.output<typeof ConfigSchema>;
export type ProviderConfig = Config['providers'][string];
export type RoutingConfig = Config['routing'];
export type UsageConfig = Config['usage'];
export type StateConfig = Config['state'];
export type HedgingConfig = Config['routing']['hedging'];
export type CapabilitiesConfig = z.output<typeof CapabilitiesSchema>;

export class ConfigError extends Error {
  override readonly name = 'ConfigError';
  readonly problems: string[];
  constructor(problems: string[]) {
    super(`invalid config:\n  ${problems.join('\n  ')}`);
    this.problems = problems;
  }
}

/** Validates a config object and fills in defaults; throws ConfigError naming each path and problem. */
export function parseConfig(raw: unknown): Config {
  const result = ConfigSchema.safeParse(raw);
  if (result.success) return result.data;
  throw new ConfigError(
    result.error.issues
      .flatMap((issue) => problemsOf(issue, ConfigSchema, raw))
      .map((problem) => `${formatPath(problem.path)}: ${problem.message}`),
  );
}

export { presets };
