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
  baseUrl: string;
  /** How the key is sent: `Authorization: Bearer`, Anthropic's `x-api-key`, or not at all. */
  auth: 'bearer' | 'x-api-key' | 'none';
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
  },
  groq: {
    protocol: 'openai',
    baseUrl: 'https://api.groq.com/openai/v1',
    auth: 'bearer',
    rateLimitHeaders: 'openai',
    prefill: false,
  },
  together: {
    protocol: 'openai',
    baseUrl: 'https://api.together.xyz/v1',
    auth: 'bearer',
    rateLimitHeaders: 'openai',
    prefill: false,
    // Recorded: `delta.tool_calls: null`, `delta.role: null`, null tool-call id/type/name in later chunks; `eos` in 2024.
    quirks: ['stream-nulls', 'eos'],
  },
  openrouter: {
    protocol: 'openai',
    baseUrl: 'https://openrouter.ai/api/v1',
    auth: 'bearer',
    rateLimitHeaders: 'openrouter',
    appHeaders: { url: 'HTTP-Referer', name: 'X-Title' },
    // OpenRouter documents assistant prefill: a final assistant message is continued.
    prefill: true,
  },
  fireworks: {
    protocol: 'openai',
    baseUrl: 'https://api.fireworks.ai/inference/v1',
    auth: 'bearer',
    rateLimitHeaders: 'openai',
    prefill: false,
  },
  deepinfra: {
    protocol: 'openai',
    baseUrl: 'https://api.deepinfra.com/v1/openai',
    auth: 'bearer',
    rateLimitHeaders: 'none',
    prefill: false,
  },
  mistral: {
    protocol: 'openai',
    baseUrl: 'https://api.mistral.ai/v1',
    auth: 'bearer',
    // Mistral's own x-ratelimit-*-req-10-second / -tokens-minute family is not read yet; retry-after is.
    rateLimitHeaders: 'none',
    prefill: false,
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
  },
  // Ollama continues a trailing assistant message.
  ollama: { ...local, baseUrl: 'http://127.0.0.1:11434/v1', prefill: true },
  vllm: { ...local, baseUrl: 'http://127.0.0.1:8000/v1' },
  llamacpp: { ...local, baseUrl: 'http://127.0.0.1:8080/v1' },
  lmstudio: { ...local, baseUrl: 'http://127.0.0.1:1234/v1' },
} as const satisfies Record<string, Preset>;

export type PresetName = keyof typeof presets;
export const presetNames = Object.keys(presets) as PresetName[];
