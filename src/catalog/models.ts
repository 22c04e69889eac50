// The model catalog, as data: which provider calls a model what, what it costs there, how long a
// context it takes. Every fact names the page it was read from and when; a fact that could not
// be confirmed from a public page is left out rather than guessed (a missing price means
// "unknown", never "free"). Config entries override anything here.
import type { PresetName } from '../providers/presets.ts';

/** Where a fact was read, and on which day (YYYY-MM-DD). */
export interface CatalogSource {
  url: string;
  readOn: string;
}

/** USD per million tokens. */
export interface CatalogPrice {
  input: number;
  output: number;
  /** Input tokens served from the provider's prompt cache. */
  cachedInput?: number;
}

/** One provider's offer of a model. */
export interface CatalogOffer {
  /** The provider's own model id. */
  id: string;
  price?: CatalogPrice;
  /** Context window at this provider, when it differs from the model's or the model has none listed. */
  contextTokens?: number;
  maxOutputTokens?: number;
  source: CatalogSource;
}

export interface CatalogCapabilities {
  tools?: boolean;
  vision?: boolean;
  /** `response_format: { type: "json_schema" }` is honoured. */
  jsonSchema?: boolean;
  /** A final assistant message is continued (mid-stream recovery relies on it). */
  prefill?: boolean;
}

/** One model under its generic name, and every provider known to serve it. */
export interface CatalogModel {
  /** The generic name a config and a client use. */
  name: string;
  kind: 'chat' | 'embedding';
  family: string;
  contextTokens?: number;
  maxOutputTokens?: number;
  capabilities: CatalogCapabilities;
  providers: Partial<Record<PresetName, CatalogOffer>>;
}

const today = '2026-11-29';
const groqModels: CatalogSource = { url: 'https://console.groq.com/docs/models', readOn: today };
const groqViaMastra: CatalogSource = { url: 'https://mastra.ai/models/providers/groq', readOn: today };
const claudePricing: CatalogSource = { url: 'https://platform.claude.com/docs/en/about-claude/pricing', readOn: today };
// Simon Willison's llm-prices records each vendor's pricing page; read at commit 723ef0b (2026-08-05).
const llmPrices = (vendor: string): CatalogSource => ({
  url: `https://github.com/simonw/llm-prices/blob/723ef0bd3a6254436e9fe8d7f05d4d787e99f4c5/data/${vendor}.json`,
  readOn: today,
});
const openaiPrices = llmPrices('openai');
const googlePrices = llmPrices('google');
const mistralPrices = llmPrices('mistral');
const xaiPrices = llmPrices('xai');
const deepseekDocs: CatalogSource = { url: 'https://api-docs.deepseek.com/quick_start/pricing', readOn: today };
const fireworksViaLava: CatalogSource = { url: 'https://www.lava.so/docs/gateway/providers/fireworks', readOn: today };
const cerebrasModels: CatalogSource = { url: 'https://inference-docs.cerebras.ai/models/overview', readOn: today };
const sambanovaModels: CatalogSource = {
  url: 'https://raw.githubusercontent.com/juspay/neurolink/master/docs/getting-started/providers/sambanova.md',
  readOn: today,
};
const hyperbolicModels: CatalogSource = { url: 'https://docs.litellm.ai/docs/providers/hyperbolic', readOn: today };
const nebiusModels: CatalogSource = { url: 'https://docs.pipecat.ai/api-reference/server/services/llm/nebius', readOn: today };
const nebiusLlama: CatalogSource = { url: 'https://www.mintlify.com/docker/docker-agent/providers/nebius', readOn: today };
const perplexityModels: CatalogSource = { url: 'https://mastra.ai/models/providers/perplexity', readOn: today };
const togetherModels: CatalogSource = {
  url: 'https://theneuralbase.com/together-ai/learn/beginner/per-token-pricing-by-model/',
  readOn: today,
};
const openrouterModels: CatalogSource = {
  url: 'https://www.unfragile.ai/api/v1/passport/meta-llama-llama-3.1-8b-instruct',
  readOn: today,
};
const llama8bProviders: CatalogSource = {
  url: 'https://cloudprice.net/models/friendliai/meta-llama-3.1-8b-instruct',
  readOn: today,
};
const geminiOpenai: CatalogSource = { url: 'https://ai.google.dev/gemini-api/docs/openai', readOn: today };
const azureV1: CatalogSource = { url: 'https://learn.microsoft.com/azure/foundry/openai/api-version-lifecycle', readOn: today };

const openaiChat: CatalogCapabilities = { tools: true, vision: true, jsonSchema: true, prefill: false };
const claude: CatalogCapabilities = { tools: true, vision: true, prefill: true };

export const catalog: readonly CatalogModel[] = [
  // Llama
  {
    name: 'llama-3.1-8b',
    kind: 'chat',
    family: 'llama',
    contextTokens: 131_072,
    capabilities: { tools: true, vision: false },
    providers: {
      groq: {
        id: 'llama-3.1-8b-instant',
        price: { input: 0.05, output: 0.08 },
        contextTokens: 131_072,
        maxOutputTokens: 131_072,
        source: groqModels,
      },
      // Together's id as this repository's example config and recorded traffic use it.
      together: { id: 'meta-llama/Meta-Llama-3.1-8B-Instruct-Turbo', source: togetherModels },
      openrouter: { id: 'meta-llama/llama-3.1-8b-instruct', source: openrouterModels },
      deepinfra: {
        id: 'meta-llama/Meta-Llama-3.1-8B-Instruct',
        price: { input: 0.03, output: 0.05 },
        source: llama8bProviders,
      },
    },
  },
  {
    name: 'llama-3.3-70b',
    kind: 'chat',
    family: 'llama',
    contextTokens: 131_072,
    capabilities: { tools: true, vision: false },
    providers: {
      groq: {
        id: 'llama-3.3-70b-versatile',
        price: { input: 0.59, output: 0.79 },
        contextTokens: 131_072,
        maxOutputTokens: 32_768,
        source: groqModels,
      },
      together: { id: 'meta-llama/Llama-3.3-70B-Instruct-Turbo', source: togetherModels },
      sambanova: { id: 'Meta-Llama-3.3-70B-Instruct', contextTokens: 131_072, source: sambanovaModels },
      hyperbolic: { id: 'meta-llama/Llama-3.3-70B-Instruct', contextTokens: 131_072, source: hyperbolicModels },
      nebius: { id: 'meta-llama/Llama-3.3-70B-Instruct', source: nebiusLlama },
      fireworks: {
        id: 'accounts/fireworks/models/llama-v3p3-70b-instruct',
        price: { input: 0.9, output: 0.9 },
        source: fireworksViaLava,
      },
    },
  },
  {
    name: 'llama-4-scout',
    kind: 'chat',
    family: 'llama',
    capabilities: { vision: true },
    providers: {
      groq: {
        id: 'meta-llama/llama-4-scout-17b-16e-instruct',
        price: { input: 0.11, output: 0.34 },
        contextTokens: 131_072,
        source: groqViaMastra,
      },
    },
  },
  {
    name: 'llama-4-maverick',
    kind: 'chat',
    family: 'llama',
    capabilities: { vision: true },
    providers: {
      groq: {
        id: 'meta-llama/llama-4-maverick-17b-128e-instruct',
        price: { input: 0.2, output: 0.6 },
        contextTokens: 131_072,
        source: groqViaMastra,
      },
    },
  },
  // gpt-oss (open weights)
  {
    name: 'gpt-oss-120b',
    kind: 'chat',
    family: 'gpt-oss',
    contextTokens: 131_072,
    capabilities: { tools: true },
    providers: {
      groq: {
        id: 'openai/gpt-oss-120b',
        price: { input: 0.15, output: 0.6, cachedInput: 0.075 },
        contextTokens: 131_072,
        maxOutputTokens: 65_536,
        source: groqModels,
      },
      fireworks: {
        id: 'accounts/fireworks/models/gpt-oss-120b',
        price: { input: 0.15, output: 0.6 },
        source: fireworksViaLava,
      },
      cerebras: { id: 'gpt-oss-120b', contextTokens: 131_072, source: cerebrasModels },
      sambanova: { id: 'gpt-oss-120b', contextTokens: 131_072, source: sambanovaModels },
      nebius: { id: 'openai/gpt-oss-120b', source: nebiusModels },
    },
  },
  {
    name: 'gpt-oss-20b',
    kind: 'chat',
    family: 'gpt-oss',
    contextTokens: 131_072,
    capabilities: { tools: true },
    providers: {
      groq: {
        id: 'openai/gpt-oss-20b',
        price: { input: 0.075, output: 0.3 },
        contextTokens: 131_072,
        maxOutputTokens: 65_536,
        source: groqModels,
      },
      fireworks: {
        id: 'accounts/fireworks/models/gpt-oss-20b',
        price: { input: 0.07, output: 0.3 },
        source: fireworksViaLava,
      },
    },
  },
  // Qwen, DeepSeek, Mistral, Gemma
  {
    name: 'qwen-2.5-72b',
    kind: 'chat',
    family: 'qwen',
    capabilities: {},
    providers: {
      hyperbolic: { id: 'Qwen/Qwen2.5-72B-Instruct', contextTokens: 131_072, source: hyperbolicModels },
      nebius: { id: 'Qwen/Qwen2.5-72B-Instruct', source: nebiusLlama },
    },
  },
  {
    name: 'qwen-3-235b-a22b',
    kind: 'chat',
    family: 'qwen',
    capabilities: {},
    providers: {
      hyperbolic: { id: 'Qwen/Qwen3-235B-A22B', contextTokens: 131_072, source: hyperbolicModels },
    },
  },
  {
    name: 'deepseek-v3',
    kind: 'chat',
    family: 'deepseek',
    capabilities: {},
    providers: {
      hyperbolic: { id: 'deepseek-ai/DeepSeek-V3', contextTokens: 131_072, source: hyperbolicModels },
      nebius: { id: 'deepseek-ai/DeepSeek-V3', source: nebiusLlama },
    },
  },
  {
    name: 'deepseek-v3.1',
    kind: 'chat',
    family: 'deepseek',
    capabilities: {},
    providers: {
      fireworks: { id: 'accounts/fireworks/models/deepseek-v3p1', source: fireworksViaLava },
      sambanova: { id: 'DeepSeek-V3.1', contextTokens: 131_072, source: sambanovaModels },
    },
  },
  {
    name: 'deepseek-chat',
    kind: 'chat',
    family: 'deepseek',
    capabilities: { tools: true },
    providers: { deepseek: { id: 'deepseek-chat', source: deepseekDocs } },
  },
  {
    name: 'deepseek-reasoner',
    kind: 'chat',
    family: 'deepseek',
    capabilities: {},
    providers: { deepseek: { id: 'deepseek-reasoner', source: deepseekDocs } },
  },
  {
    name: 'mistral-small',
    kind: 'chat',
    family: 'mistral',
    capabilities: { tools: true },
    providers: {
      mistral: { id: 'mistral-small-latest', price: { input: 0.1, output: 0.3 }, source: mistralPrices },
    },
  },
  {
    name: 'mistral-large',
    kind: 'chat',
    family: 'mistral',
    capabilities: { tools: true },
    providers: {
      mistral: { id: 'mistral-large-latest', price: { input: 2, output: 6 }, source: mistralPrices },
    },
  },
  {
    name: 'mixtral-8x7b',
    kind: 'chat',
    family: 'mistral',
    capabilities: {},
    providers: {
      mistral: { id: 'open-mixtral-8x7b', price: { input: 0.7, output: 0.7 }, source: mistralPrices },
    },
  },
  {
    name: 'gemma-4-31b',
    kind: 'chat',
    family: 'gemma',
    capabilities: { vision: true },
    providers: { sambanova: { id: 'gemma-4-31B-it', source: sambanovaModels } },
  },
  // OpenAI
  ...(
    [
      ['gpt-4.1', 2, 8, 0.5, 1_047_576],
      ['gpt-4.1-mini', 0.4, 1.6, 0.1, 1_047_576],
      ['gpt-4.1-nano', 0.1, 0.4, 0.025, 1_047_576],
      ['gpt-4o', 2.5, 10, 1.25, 128_000],
      ['gpt-4o-mini', 0.15, 0.6, 0.075, 128_000],
      ['gpt-5', 1.25, 10, 0.125, undefined],
      ['gpt-5-mini', 0.25, 2, 0.025, undefined],
      ['gpt-5-nano', 0.05, 0.4, 0.005, undefined],
      ['gpt-5.1', 1.25, 10, 0.125, undefined],
    ] as const
  ).map(
    ([name, input, output, cachedInput, contextTokens]): CatalogModel => ({
      name,
      kind: 'chat',
      family: name.startsWith('gpt-5') ? 'gpt-5' : name.startsWith('gpt-4o') ? 'gpt-4o' : 'gpt-4.1',
      ...(contextTokens === undefined ? {} : { contextTokens }),
      capabilities: openaiChat,
      providers: {
        openai: { id: name, price: { input, output, cachedInput }, source: openaiPrices },
        ...(name === 'gpt-4.1-mini' && { azure: { id: name, source: azureV1 } }),
      },
    }),
  ),
  {
    name: 'o4-mini',
    kind: 'chat',
    family: 'o-series',
    capabilities: { tools: true, vision: true, jsonSchema: true, prefill: false },
    providers: {
      openai: { id: 'o4-mini', price: { input: 1.1, output: 4.4, cachedInput: 0.275 }, source: openaiPrices },
    },
  },
  {
    name: 'o3-mini',
    kind: 'chat',
    family: 'o-series',
    capabilities: { tools: true, jsonSchema: true, prefill: false },
    providers: {
      openai: { id: 'o3-mini', price: { input: 1.1, output: 4.4, cachedInput: 0.55 }, source: openaiPrices },
    },
  },
  {
    // o3's price is left out: the sources read disagree ($10/$40 against $2/$8 after June 2025's cut).
    name: 'o3',
    kind: 'chat',
    family: 'o-series',
    capabilities: { tools: true, vision: true, jsonSchema: true, prefill: false },
    providers: { openai: { id: 'o3', source: openaiPrices } },
  },
  // Anthropic
  ...(
    [
      ['claude-opus-4.5', 'claude-opus-4-5', 5, 25, 0.5],
      ['claude-opus-4.1', 'claude-opus-4-1', 15, 75, 1.5],
      ['claude-sonnet-4.5', 'claude-sonnet-4-5', 3, 15, 0.3],
      ['claude-sonnet-4', 'claude-sonnet-4-0', 3, 15, 0.3],
      ['claude-haiku-4.5', 'claude-haiku-4-5', 1, 5, 0.1],
    ] as const
  ).map(
    ([name, id, input, output, cachedInput]): CatalogModel => ({
      name,
      kind: 'chat',
      family: 'claude',
      capabilities: claude,
      providers: { anthropic: { id, price: { input, output, cachedInput }, source: claudePricing } },
    }),
  ),
  // Google
  ...(
    [
      ['gemini-2.5-pro', 1.25, 10, 0.125],
      ['gemini-2.5-flash', 0.3, 2.5, 0.03],
      ['gemini-2.5-flash-lite', 0.1, 0.4, 0.01],
      ['gemini-2.0-flash', 0.1, 0.4, undefined],
    ] as const
  ).map(
    ([name, input, output, cachedInput]): CatalogModel => ({
      name,
      kind: 'chat',
      family: 'gemini',
      capabilities: { tools: true, vision: true },
      providers: {
        gemini: {
          id: name,
          price: cachedInput === undefined ? { input, output } : { input, output, cachedInput },
          source: { ...googlePrices, url: `${googlePrices.url} (endpoint: ${geminiOpenai.url})` },
        },
      },
    }),
  ),
  // xAI
  {
    name: 'grok-4',
    kind: 'chat',
    family: 'grok',
    capabilities: { tools: true },
    providers: { xai: { id: 'grok-4', price: { input: 3, output: 15, cachedInput: 0.75 }, source: xaiPrices } },
  },
  {
    name: 'grok-3-mini',
    kind: 'chat',
    family: 'grok',
    capabilities: { tools: true },
    providers: { xai: { id: 'grok-3-mini', price: { input: 0.3, output: 0.5, cachedInput: 0.075 }, source: xaiPrices } },
  },
  // Perplexity (search-grounded answers; no other provider serves these)
  {
    name: 'sonar',
    kind: 'chat',
    family: 'sonar',
    contextTokens: 128_000,
    capabilities: {},
    providers: { perplexity: { id: 'sonar', price: { input: 1, output: 1 }, source: perplexityModels } },
  },
  {
    name: 'sonar-pro',
    kind: 'chat',
    family: 'sonar',
    contextTokens: 200_000,
    capabilities: {},
    providers: { perplexity: { id: 'sonar-pro', price: { input: 3, output: 15 }, source: perplexityModels } },
  },
  // Embeddings
  {
    name: 'text-embedding-3-small',
    kind: 'embedding',
    family: 'openai-embedding',
    capabilities: {},
    providers: {
      openai: {
        id: 'text-embedding-3-small',
        price: { input: 0.02, output: 0 },
        source: { url: 'https://tokenmath.io/openai-api-pricing-explained', readOn: today },
      },
    },
  },
  {
    name: 'text-embedding-3-large',
    kind: 'embedding',
    family: 'openai-embedding',
    capabilities: {},
    providers: { openai: { id: 'text-embedding-3-large', source: openaiPrices } },
  },
];
