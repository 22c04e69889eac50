// A deployment: one provider serving one model with one key. It is the unit of health, rate
// limits and routing; a provider with three models and two keys is six deployments.

import { catalogModel, catalogOffer } from '../catalog/catalog.ts';
import type { Target } from '../providers/adapter.ts';
import { type Capabilities, mergeCapabilities } from './capabilities.ts';
import type { Provider, ProviderKey } from './provider.ts';

export interface Deployment {
  /** `provider/model`, or `provider/model#n` (n from 1) when the provider has several keys; never contains a key. */
  id: string;
  provider: Provider;
  /** The generic model name. */
  model: string;
  /** The provider's name for it. */
  providerModel: string;
  /** An embedding model (from the provider's `embeddings`), not a chat model. */
  embedding: boolean;
  key: ProviderKey;
  /** What the adapter needs to send to this deployment. */
  target: Target;
  /** What it supports, from the preset, then the config (unstated: assumed supported). */
  capabilities: Capabilities;
  /** Share of traffic under `weighted`: the provider's weight times the key's. */
  weight: number;
}

/** The deployment id for a provider, a generic model and a key index (0-based) among `keyCount` keys. */
export function deploymentId(provider: string, model: string, keyIndex: number, keyCount: number): string {
  return keyCount > 1 ? `${provider}/${model}#${keyIndex + 1}` : `${provider}/${model}`;
}

/**
 * What the model catalog says of a deployment: found by the provider's own model id at its preset,
 * else by the generic name; the provider's window where the catalog has one, else the model's.
 */
export function catalogCapabilities(provider: Provider, model: string, providerModel: string): Capabilities | undefined {
  const preset = provider.source.preset;
  const found = catalogOffer(preset, providerModel);
  const entry = found?.model ?? catalogModel(model);
  if (entry === undefined || entry.kind !== 'chat') return undefined;
  const offer = found?.offer ?? (preset === undefined ? undefined : entry.providers[preset]);
  const { tools, vision, jsonSchema } = entry.capabilities;
  return {
    tools,
    vision,
    jsonSchema,
    contextTokens: offer?.contextTokens ?? entry.contextTokens,
    maxOutputTokens: offer?.maxOutputTokens ?? entry.maxOutputTokens,
  };
}

/** Every key × model of a provider (chat models, then embedding models), in config order. */
export function buildDeployments(provider: Provider): Deployment[] {
  const deployments: Deployment[] = [];
  const models = [
    ...Object.entries(provider.models).map(([model, providerModel]) => ({ model, providerModel, embedding: false })),
    ...Object.entries(provider.embeddings).map(([model, providerModel]) => ({ model, providerModel, embedding: true })),
  ];
  for (const { model, providerModel, embedding } of models) {
    for (const key of provider.keys) {
      deployments.push({
        id: deploymentId(provider.name, model, key.index, provider.keys.length),
        provider,
        model,
        providerModel,
        embedding,
        key,
        target: { ...provider.target, apiKey: key.apiKey, model: providerModel },
        capabilities: mergeCapabilities(
          embedding ? undefined : catalogCapabilities(provider, model, providerModel),
          provider.presetCapabilities,
          Object.hasOwn(provider.capabilities, model) ? provider.capabilities[model] : undefined,
        ),
        weight: provider.weight * key.weight,
      });
    }
  }
  return deployments;
}
