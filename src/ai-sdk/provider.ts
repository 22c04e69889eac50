// `switchboard/ai-sdk`: the router as a Vercel AI SDK provider, in process, no gateway needed.
import { type EmbeddingModelV4, type LanguageModelV4, NoSuchModelError, type ProviderV4 } from '@ai-sdk/provider';
import type { Config, ConfigInput } from '../config/schema.ts';
import { createRouter, type Router } from '../router/router.ts';
import { SwitchboardEmbeddingModel } from './embedding-model.ts';
import { SwitchboardLanguageModel } from './language-model.ts';

/** An AI SDK provider whose models are the router's generic model names. */
export interface Switchboard extends ProviderV4 {
  /** The language model for a generic model name, as `languageModel(modelId)`. */
  (modelId: string): LanguageModelV4;
  /** Throws NoSuchModelError when no provider in the config serves `modelId`. */
  languageModel(modelId: string): LanguageModelV4;
  /** An embedding model for `embed` and `embedMany`; fails over only between deployments of the same vectors. */
  embeddingModel(modelId: string): EmbeddingModelV4;
  /** The same as `embeddingModel`, under the name earlier AI SDK versions use. */
  textEmbeddingModel(modelId: string): EmbeddingModelV4;
  /** The router behind the models: its `status()`, `models()` and `reload()`. */
  readonly router: Router;
  /** Stops the router's background work; a router passed in is left to its owner. */
  close(): Promise<void>;
}

/**
 * Creates an AI SDK provider from a router config (the config file's shape) or from a router you
 * made, e.g. `generateText({ model: createSwitchboard(config)('llama-3.1-8b'), prompt })`.
 * Throws ConfigError for an invalid config.
 */
export function createSwitchboard(source: ConfigInput | Config | Router): Switchboard {
  const owned = !isRouter(source);
  const router = isRouter(source) ? source : createRouter(source);
  // Checked when a model is made, so a typo fails at start-up rather than on the first call.
  const served = (modelId: string) => router.models().some((model) => model.id === modelId);
  const embeddingNames = () =>
    new Set(Object.values(router.config.providers).flatMap((provider) => Object.keys(provider.embeddings)));
  const languageModel = (modelId: string): LanguageModelV4 => {
    const embeddings = embeddingNames();
    if (!served(modelId) || embeddings.has(modelId)) {
      const known = router.models().filter((model) => !embeddings.has(model.id));
      throw new NoSuchModelError({
        modelId,
        modelType: 'languageModel',
        message: `switchboard: "${modelId}" is not a chat model served here; chat models: ${known.map((model) => model.id).join(', ')}`,
      });
    }
    return new SwitchboardLanguageModel(router, modelId);
  };
  const embeddingModel = (modelId: string): EmbeddingModelV4 => {
    const embeddings = embeddingNames();
    if (!served(modelId) || !embeddings.has(modelId)) {
      throw new NoSuchModelError({
        modelId,
        modelType: 'embeddingModel',
        message: `switchboard: "${modelId}" is not an embedding model served here; embedding models: ${[...embeddings].join(', ') || '(none configured)'}`,
      });
    }
    return new SwitchboardEmbeddingModel(router, modelId);
  };
  const provider = (modelId: string) => languageModel(modelId);
  return Object.assign(provider, {
    specificationVersion: 'v4' as const,
    router,
    languageModel,
    embeddingModel,
    textEmbeddingModel: embeddingModel,
    imageModel(modelId: string): never {
      throw new NoSuchModelError({ modelId, modelType: 'imageModel', message: 'switchboard routes no image models' });
    },
    async close() {
      if (owned) await router.close();
    },
  }) satisfies Switchboard;
}

// By shape, not instanceof: a router built from another copy of the package (dist and sources
// side by side) is still a router.
function isRouter(source: ConfigInput | Config | Router): source is Router {
  return typeof (source as Router).complete === 'function' && typeof (source as Router).stream === 'function';
}
