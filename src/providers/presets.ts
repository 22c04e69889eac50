// Facts about vendors, as data. A vendor that speaks OpenAI's protocol is a row here, not a file.
// Any field set in a provider's config overrides its preset's.

export type Protocol = 'openai' | 'anthropic';

/**
 * What a vendor is known to send against OpenAI's published schema in its streams, fixed at the
 * edge for that vendor only so other streams pay nothing: `stream-nulls`, explicit nulls where
 * the schema has no null (delta.role, delta.tool_calls, a tool call's id, type and function
 * name), dropped; `eos`, the old `finish_reason: "eos"`, read as `stop`.
 */
export type Quirk = 'stream-nulls' | 'eos';
export type RateLimitDialect = 'openai' | 'anthropic' | 'openrouter' | 'none';

export interface Preset {
  protocol: Protocol;
  /** The vendor's base URL; empty when every account has its own (Azure: set `baseUrl`). */
  baseUrl: string;
  /** How the key is sent: `Authorization: Bearer`, Anthropic's `x-api-key`, Azure's `api-key`, or not at all. */
  auth: 'bearer' | 'x-api-key' | 'api-key' | 'none';
  /**
   * The environment variable the vendor's own SDKs and docs read the key from; `init` and a
   * config-less `serve` look for it. The base URL can be overridden as `<PRESET>_BASE_URL`
   * (or `baseUrlVariable`).
   */
  keyVariable?: string;
  /** The variable overriding the base URL, when it is not `<PRESET>_BASE_URL`. */
  baseUrlVariable?: string;
  /** A model id the vendor serves, as its docs write it; the catalog test checks that the catalog knows it. */
  exampleModel?: string;
  /** Which rate-limit headers the vendor sends. */
  rateLimitHeaders: RateLimitDialect;
  /** Headers every request carries. */
  headers?: Record<string, string>;
  /** Header names for the optional app attribution (OpenRouter's HTTP-Referer / X-Title). */
  appHeaders?: { url: string; name: string };
  /**
   * Whether the vendor continues a final assistant message (a "prefill") instead of
   * answering after it; mid-stream recovery relies on it.
   */
  prefill: boolean;
  /** Known deviations from OpenAI's schema that the adapter fixes for this vendor. */
  quirks?: readonly Quirk[];
  /** What no model of this vendor supports (router/capabilities.ts's fields); per-model facts come from the config. */
  capabilities?: { readonly audioInput?: boolean; readonly audioOutput?: boolean };
}

const local = { protocol: 'openai', auth: 'bearer', rateLimitHeaders: 'none', prefill: false } as const;

export const presets = {
  openai: {
    protocol: 'openai',
    baseUrl: 'https://api.openai.com/v1',
    auth: 'bearer',
    rateLimitHeaders: 'openai',
    prefill: false,
    keyVariable: 'OPENAI_API_KEY',
    exampleModel: 'gpt-4.1-mini',
  },
  groq: {
    protocol: 'openai',
    baseUrl: 'https://api.groq.com/openai/v1',
    auth: 'bearer',
    rateLimitHeaders: 'openai',
    prefill: false,
    keyVariable: 'GROQ_API_KEY',
    exampleModel: 'llama-3.1-8b-instant',
  },
  together: {
    protocol: 'openai',
    baseUrl: 'https://api.together.xyz/v1',
    auth: 'bearer',
    rateLimitHeaders: 'openai',
    prefill: false,
    // Recorded: `delta.tool_calls: null`, `delta.role: null`, null tool-call id/type/name in later chunks; `eos` in 2024.
    quirks: ['stream-nulls', 'eos'],
    keyVariable: 'TOGETHER_API_KEY',
    exampleModel: 'meta-llama/Meta-Llama-3.1-8B-Instruct-Turbo',
  },
  openrouter: {
    protocol: 'openai',
    baseUrl: 'https://openrouter.ai/api/v1',
    auth: 'bearer',
    rateLimitHeaders: 'openrouter',
    appHeaders: { url: 'HTTP-Referer', name: 'X-Title' },
    // OpenRouter documents assistant prefill: a final assistant message is continued.
    prefill: true,
    keyVariable: 'OPENROUTER_API_KEY',
    exampleModel: 'meta-llama/llama-3.1-8b-instruct',
  },
  fireworks: {
    protocol: 'openai',
    baseUrl: 'https://api.fireworks.ai/inference/v1',
    auth: 'bearer',
    rateLimitHeaders: 'openai',
    prefill: false,
    keyVariable: 'FIREWORKS_API_KEY',
    exampleModel: 'accounts/fireworks/models/gpt-oss-120b',
  },
  deepinfra: {
    protocol: 'openai',
    baseUrl: 'https://api.deepinfra.com/v1/openai',
    auth: 'bearer',
    rateLimitHeaders: 'none',
    prefill: false,
    keyVariable: 'DEEPINFRA_API_KEY',
    exampleModel: 'meta-llama/Meta-Llama-3.1-8B-Instruct',
  },
  mistral: {
    protocol: 'openai',
    baseUrl: 'https://api.mistral.ai/v1',
    auth: 'bearer',
    // Mistral's own x-ratelimit-*-req-10-second / -tokens-minute family is not read yet; retry-after is.
    rateLimitHeaders: 'none',
    prefill: false,
    keyVariable: 'MISTRAL_API_KEY',
    exampleModel: 'mistral-small-latest',
  },
  anthropic: {
    protocol: 'anthropic',
    baseUrl: 'https://api.anthropic.com/v1',
    auth: 'x-api-key',
    rateLimitHeaders: 'anthropic',
    headers: { 'anthropic-version': '2023-06-01' },
    // Anthropic continues a final assistant turn by design.
    prefill: true,
    // The Messages API takes text, images and documents, and answers in text: no audio either way.
    capabilities: { audioInput: false, audioOutput: false },
    keyVariable: 'ANTHROPIC_API_KEY',
    exampleModel: 'claude-sonnet-4-5',
  },
  // Google's OpenAI-compatible endpoint. Gemini sends no rate-limit headers (recorded: the retry
  // hint is only in a 429's body, RetryInfo.retryDelay), so a 429 holds it off for rateLimitWaitMs.
  gemini: {
    protocol: 'openai',
    baseUrl: 'https://generativelanguage.googleapis.com/v1beta/openai',
    auth: 'bearer',
    rateLimitHeaders: 'none',
    prefill: false,
    keyVariable: 'GEMINI_API_KEY',
    exampleModel: 'gemini-2.5-flash',
  },
  // Azure OpenAI's v1 API (https://RESOURCE.openai.azure.com/openai/v1): `model` is the deployment
  // name and no api-version is needed. Every resource has its own URL, so there is no default.
  azure: {
    protocol: 'openai',
    baseUrl: '',
    auth: 'api-key',
    rateLimitHeaders: 'openai',
    prefill: false,
    keyVariable: 'AZURE_OPENAI_API_KEY',
    baseUrlVariable: 'AZURE_OPENAI_BASE_URL',
  },
  deepseek: {
    protocol: 'openai',
    baseUrl: 'https://api.deepseek.com/v1',
    auth: 'bearer',
    // DeepSeek documents no rate-limit headers (it keeps slow connections open instead of a 429).
    rateLimitHeaders: 'none',
    prefill: false,
    keyVariable: 'DEEPSEEK_API_KEY',
    exampleModel: 'deepseek-chat',
  },
  xai: {
    protocol: 'openai',
    baseUrl: 'https://api.x.ai/v1',
    auth: 'bearer',
    rateLimitHeaders: 'none',
    prefill: false,
    keyVariable: 'XAI_API_KEY',
    exampleModel: 'grok-4',
  },
  cerebras: {
    protocol: 'openai',
    baseUrl: 'https://api.cerebras.ai/v1',
    auth: 'bearer',
    // Cerebras names its buckets x-ratelimit-*-requests-day / -tokens-minute, which are not read yet.
    rateLimitHeaders: 'none',
    prefill: false,
    keyVariable: 'CEREBRAS_API_KEY',
    exampleModel: 'gpt-oss-120b',
  },
  sambanova: {
    protocol: 'openai',
    baseUrl: 'https://api.sambanova.ai/v1',
    auth: 'bearer',
    rateLimitHeaders: 'none',
    prefill: false,
    keyVariable: 'SAMBANOVA_API_KEY',
    exampleModel: 'Meta-Llama-3.3-70B-Instruct',
  },
  hyperbolic: {
    protocol: 'openai',
    baseUrl: 'https://api.hyperbolic.xyz/v1',
    auth: 'bearer',
    rateLimitHeaders: 'none',
    prefill: false,
    keyVariable: 'HYPERBOLIC_API_KEY',
    exampleModel: 'meta-llama/Llama-3.3-70B-Instruct',
  },
  // Nebius Token Factory (formerly AI Studio, api.studio.nebius.ai).
  nebius: {
    protocol: 'openai',
    baseUrl: 'https://api.tokenfactory.nebius.com/v1',
    auth: 'bearer',
    rateLimitHeaders: 'none',
    prefill: false,
    keyVariable: 'NEBIUS_API_KEY',
    exampleModel: 'openai/gpt-oss-120b',
  },
  perplexity: {
    protocol: 'openai',
    baseUrl: 'https://api.perplexity.ai',
    auth: 'bearer',
    rateLimitHeaders: 'none',
    prefill: false,
    keyVariable: 'PERPLEXITY_API_KEY',
    exampleModel: 'sonar',
  },
  // Ollama continues a trailing assistant message.
  ollama: { ...local, baseUrl: 'http://127.0.0.1:11434/v1', prefill: true },
  vllm: { ...local, baseUrl: 'http://127.0.0.1:8000/v1' },
  llamacpp: { ...local, baseUrl: 'http://127.0.0.1:8080/v1' },
  lmstudio: { ...local, baseUrl: 'http://127.0.0.1:1234/v1' },
} as const satisfies Record<string, Preset>;

export type PresetName = keyof typeof presets;
export const presetNames = Object.keys(presets) as PresetName[];

/** The variable a preset's key is read from by convention, if it has one. */
export function keyVariableOf(name: PresetName): string | undefined {
  const preset: Preset = presets[name];
  return preset.keyVariable;
}

/** The variable that overrides a preset's base URL: `<PRESET>_BASE_URL` unless the preset names another. */
export function baseUrlVariableOf(name: PresetName): string {
  const preset: Preset = presets[name];
  return preset.baseUrlVariable ?? `${name.toUpperCase()}_BASE_URL`;
}
