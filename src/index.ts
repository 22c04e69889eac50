// Switchboard's public API: the router as a library, its types, and its one error type.

// First: on a Node too old for Switchboard this stops with one line before anything else loads.
import './node-version.ts';

export {
  type CatalogCapabilities,
  type CatalogModel,
  type CatalogOffer,
  type CatalogPrice,
  type CatalogSource,
  capabilitiesOf,
  catalogModel,
  catalogModels,
  catalogOffer,
  catalogPrice,
  contextWindow,
  modelsServedBy,
} from './catalog/catalog.ts';
export { type LoadedConfig, loadConfig, parseConfigText, readConfig } from './config/load.ts';
export { type Config, ConfigError, type ConfigInput, ConfigSchema, parseConfig } from './config/schema.ts';
export type * from './protocol/chat.ts';
export type * from './protocol/embeddings.ts';
export { type Attempt, type FailureKind, SwitchboardError } from './protocol/errors.ts';
export type { CountTokensBody } from './providers/anthropic-count.ts';
export { type Preset, type PresetName, presets, type Quirk } from './providers/presets.ts';
export { type Action, actionFor, consequenceFor, type HealthEffect, type Scope } from './router/classify.ts';
export type { TokenCountResult } from './router/count-tokens.ts';
export type { Deployment } from './router/deployment.ts';
export type { EmbeddingResult } from './router/embed.ts';
export type { BreakerPolicy, Circuit, CircuitState } from './router/health.ts';
export type { ProbeResult } from './router/probe.ts';
export type {
  CompletionResult,
  DeploymentStatus,
  ModelInfo,
  ProviderStatus,
  RequestOptions,
  RouterOptions,
} from './router/router.ts';
export { createRouter, Router } from './router/router.ts';
export { type ProviderChoice, type ProviderChoiceSnakeCase, selectProvider } from './router/select.ts';
export { type Strategy, type StrategyContext, strategies } from './router/strategies.ts';
export { StreamResult } from './router/stream.ts';
export { FailoverTracker, type TrackerPolicy } from './router/tracker.ts';
export { MemoryStore } from './state/memory.ts';
export type { DeploymentRecord, Spend, StateStore, StoreConnection } from './state/store.ts';
