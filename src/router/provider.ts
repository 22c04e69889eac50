// A configured upstream: its preset merged with the user's fields, resolved once at start.
import { pricingWithCatalog } from '../catalog/catalog.ts';
import type { Config, ProviderConfig } from '../config/schema.ts';
import type { ChatRequest } from '../protocol/chat.ts';
import { invalidRequest, SwitchboardError } from '../protocol/errors.ts';
import type { Adapter, EmbeddingsCodec, Target, WireRequest } from '../providers/adapter.ts';
import { anthropicAdapter } from '../providers/anthropic.ts';
import { openaiAdapter } from '../providers/openai.ts';
import { openaiEmbeddings } from '../providers/openai-embeddings.ts';
import { type Preset, type Protocol, presets, type RateLimitDialect } from '../providers/presets.ts';
import { type Endpoint, parseEndpoint } from '../providers/transport.ts';
import type { Capabilities } from './capabilities.ts';

/** One of a provider's keys; each key × model is a deployment. */
export interface ProviderKey {
  apiKey: string | undefined;
  /** Share of the provider's traffic relative to its other keys. */
  weight: number;
  /** Position in the config (0-based); names the key in ids and status without showing it. */
  index: number;
}

export interface Provider {
  name: string;
  protocol: Protocol;
  adapter: Adapter;
  baseUrl: string;
  endpoint: Endpoint;
  priority: number;
  /** Generic model name → this provider's model name. */
  models: Readonly<Record<string, string>>;
  /** Generic embedding model name → this provider's name. */
  embeddings: Readonly<Record<string, string>>;
  /** The protocol's embeddings endpoint; undefined when it has none (the config refuses embeddings there). */
  embedder: EmbeddingsCodec | undefined;
  pricing: ProviderConfig['pricing'];
  /** Per generic model: what the config states this provider's deployment supports. */
  capabilities: ProviderConfig['capabilities'];
  /** What the vendor supports for every model (the preset's); the config's per-model entries win. */
  presetCapabilities: Capabilities | undefined;
  /** Share of traffic under the `weighted` strategy. */
  weight: number;
  /** How long a conversation stays pinned here; undefined: the routing default. */
  affinityTtlMs: number | undefined;
  rateLimitHeaders: RateLimitDialect;
  prefill: boolean;
  /** One entry per configured key (one with `apiKey: undefined` when the provider needs none). */
  keys: ProviderKey[];
  /** Everything the adapter needs except the model and the key, which differ per deployment. */
  target: Omit<Target, 'model'>;
  /** The config this provider was built from, to tell on reload whether it changed. */
  source: ProviderConfig;
}

const adapters: Record<Protocol, Adapter> = { openai: openaiAdapter, anthropic: anthropicAdapter };
// Anthropic has no embeddings API.
const embedders: Partial<Record<Protocol, EmbeddingsCodec>> = { openai: openaiEmbeddings };

/** Merges a provider's config over its preset; explicit fields always win. */
export function buildProvider(name: string, config: ProviderConfig): Provider {
  const preset: Partial<Preset> = config.preset ? presets[config.preset] : {};
  const protocol = config.protocol ?? preset.protocol ?? 'openai';
  // The schema guarantees a baseUrl from the config or the preset.
  const baseUrl = (config.baseUrl ?? preset.baseUrl) as string;
  const headers: Record<string, string> = { ...preset.headers };
  if (config.app && preset.appHeaders) {
    if (config.app.url) headers[preset.appHeaders.url] = config.app.url;
    if (config.app.name) headers[preset.appHeaders.name] = config.app.name;
  }
  Object.assign(headers, config.headers);
  const listed = config.keys ?? config.apiKeys?.map((key) => ({ key, weight: 1 }));
  const keys: ProviderKey[] =
    listed !== undefined && listed.length > 0
      ? listed.map((entry, index) => ({ apiKey: entry.key || undefined, weight: entry.weight, index }))
      : [{ apiKey: config.apiKey || undefined, weight: 1, index: 0 }];
  return {
    name,
    protocol,
    adapter: adapters[protocol],
    baseUrl,
    endpoint: parseEndpoint(baseUrl),
    priority: config.priority,
    models: config.models,
    embeddings: config.embeddings,
    embedder: embedders[protocol],
    // The catalog's price for a mapped model the config leaves unpriced (configured prices win).
    pricing: pricingWithCatalog(config.preset, { ...config.models, ...config.embeddings }, config.pricing),
    capabilities: config.capabilities,
    presetCapabilities: preset.capabilities,
    weight: config.weight,
    affinityTtlMs: config.affinityTtlMs,
    rateLimitHeaders: config.rateLimitHeaders ?? preset.rateLimitHeaders ?? 'none',
    prefill: config.prefill ?? preset.prefill ?? false,
    keys,
    target: {
      provider: name,
      apiKey: keys[0]?.apiKey,
      auth: config.auth ?? preset.auth ?? (protocol === 'anthropic' ? 'x-api-key' : 'bearer'),
      headers,
      defaultMaxTokens: config.defaultMaxTokens,
      ...(preset.quirks === undefined ? {} : { quirks: preset.quirks }),
    },
    source: config,
  };
}

export function buildProviders(config: Config): Provider[] {
  return Object.entries(config.providers)
    .filter(([, provider]) => provider.enabled)
    .map(([name, provider]) => buildProvider(name, provider));
}

/**
 * The provider's wire request for a caller's request. An encoding that fails (a value nested past
 * the stack, a cycle from a library caller) is the caller's bad request, never the provider's
 * failure: a 400 without a provider, which the failover loop neither retries nor counts.
 */
export function encodeFor(provider: Provider, request: ChatRequest, target: Target): WireRequest {
  try {
    return provider.adapter.encode(request, target);
  } catch (thrown) {
    if (thrown instanceof SwitchboardError) throw thrown;
    throw invalidRequest(
      `The request cannot be encoded for an upstream (${thrown instanceof Error ? thrown.name : 'error'}): nest it less deeply.`,
      null,
      'request_not_encodable',
    );
  }
}
