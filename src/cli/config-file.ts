// Finding and loading the config file for the commands that need one, and describing it.
import { existsSync } from 'node:fs';
import { resolve } from 'node:path';
import { type LoadedConfig as LoadedConfigBase, readConfig, readConfigFile } from '../config/load.ts';
import { type Config, ConfigError } from '../config/schema.ts';
import { strategyNames } from '../router/strategies.ts';
import { availableModels, buildConfigYaml, type FoundProvider, findProviders, keyVariables } from './environment-config.ts';

export const defaultConfigFile = 'switchboard.yaml';

/** A loaded config, the providers it left out, and the file it came from. */
export interface LoadedConfig extends LoadedConfigBase {
  file: string;
  /** The file's text, to tell on a watch event whether it really changed. */
  text: string;
}

/** What `file` is when the config was built from the environment rather than read from a file. */
export const environmentSource = '(environment)';

/**
 * The config file to use: the one given, else `switchboard.yaml` in `cwd`.
 * Throws ConfigError saying how to get one when there is none.
 */
export function resolveConfigFile(given: string | undefined, cwd = process.cwd()): string {
  if (given !== undefined) return resolve(cwd, given);
  const found = resolve(cwd, defaultConfigFile);
  if (existsSync(found)) return found;
  throw new ConfigError([
    `no config file: there is no ${defaultConfigFile} in ${cwd} and no --config was given.`,
    'To see Switchboard work without keys, run `switchboard demo`.',
    `To route real traffic, set a provider key (${keyVariables().slice(0, 5).join(', ')}, …) and run \`switchboard init\`, or copy examples/switchboard.yaml to ./${defaultConfigFile}.`,
  ]);
}

/** A loaded config, and the providers it was built from when it came from the environment. */
export interface LoadedSource extends LoadedConfig {
  fromEnvironment: FoundProvider[] | undefined;
}

/**
 * The config to serve: the file given, else ./switchboard.yaml, else one built in memory from the
 * provider keys in the environment (the config `switchboard init --yes` would write). Throws
 * ConfigError with every problem, or saying how to start when there is no file and no key.
 */
export async function loadConfigSource(
  given: string | undefined,
  env: NodeJS.ProcessEnv = process.env,
  cwd = process.cwd(),
): Promise<LoadedSource> {
  if (given !== undefined || existsSync(resolve(cwd, defaultConfigFile))) {
    return { ...(await loadConfigFile(resolveConfigFile(given, cwd), env)), fromEnvironment: undefined };
  }
  const found = findProviders(env);
  if (found.length === 0) {
    throw new ConfigError([
      `no config file (no ${defaultConfigFile} in ${cwd}, no --config) and no provider key in the environment.`,
      'To see failover work without keys: `switchboard demo` (or `npm start`).',
      `To route real traffic: set one or more of ${keyVariables().join(', ')} and run this again,`,
      'or `switchboard init` to write the config to a file first.',
    ]);
  }
  return { ...parseConfigFile(environmentSource, environmentConfigText(env), env), fromEnvironment: found };
}

/** The YAML `init --yes` would write for the keys in `env`, with every model their providers serve. */
export function environmentConfigText(env: NodeJS.ProcessEnv): string {
  const found = findProviders(env);
  const models = new Set(availableModels(found).map(({ model }) => model.name));
  return buildConfigYaml(found, models, new Date().toISOString().slice(0, 10));
}

/** Reads, interpolates and validates a config file (see `readConfig`). Throws ConfigError with every problem found. */
export async function loadConfigFile(file: string, env: NodeJS.ProcessEnv = process.env): Promise<LoadedConfig> {
  return parseConfigFile(file, await readConfigFile(file), env);
}

/** `loadConfigFile` for text already read. Throws ConfigError. */
export function parseConfigFile(file: string, text: string, env: NodeJS.ProcessEnv = process.env): LoadedConfig {
  return { file, text, ...readConfig(text, env, file, { strategies: strategyNames }) };
}

/** What `serve` would make of a valid config: errors it refuses to start with, and warnings. */
export interface ConfigVerdict {
  errors: string[];
  warnings: string[];
}

/**
 * The one check `validate`, `serve` and a reload share after the file has loaded: no provider
 * able to take traffic is an error (serve refuses it); a model or fallback that only disabled
 * providers serve is a warning.
 */
export function judgeConfig(loaded: LoadedConfigBase): ConfigVerdict {
  const { config, leftOut } = loaded;
  const errors: string[] = [];
  const warnings: string[] = [];
  const why = (name: string) => leftOut.find((left) => left.provider === name)?.reason ?? 'enabled: false';
  const providers = Object.entries(config.providers);
  if (enabledProviders(config).length === 0) {
    errors.push(`providers: no provider can take traffic (${providers.map(([name]) => `${name}: ${why(name)}`).join('; ')})`);
    const unset = leftOut.map((left) => /^(\S+) is not set$/.exec(left.reason)?.[1]).filter((name) => name !== undefined);
    errors.push(
      unset.length > 0
        ? `  set ${unset.length === 1 ? unset[0] : `one of ${unset.join(', ')}`}, or run \`switchboard demo\` to try Switchboard without keys`
        : '  set enabled: true on one of them, or run `switchboard demo` to try Switchboard without keys',
    );
    return { errors, warnings };
  }
  const servedBy = (section: 'models' | 'embeddings') => {
    const byModel = new Map<string, string[]>();
    for (const [name, provider] of providers) {
      for (const model of Object.keys(provider[section])) byModel.set(model, [...(byModel.get(model) ?? []), name]);
    }
    return byModel;
  };
  for (const section of ['models', 'embeddings'] as const) {
    for (const [model, names] of servedBy(section)) {
      if (names.some((name) => config.providers[name]?.enabled)) continue;
      warnings.push(
        `${section === 'models' ? 'model' : 'embedding model'} ${model}: no enabled provider serves it (${names.map((name) => `${name}: ${why(name)}`).join('; ')}); requests for it get a 404`,
      );
    }
  }
  const chat = servedBy('models');
  for (const [model, chain] of Object.entries(config.routing.fallbacks)) {
    for (const fallback of chain) {
      const names = chat.get(fallback) ?? [];
      if (names.length > 0 && !names.some((name) => config.providers[name]?.enabled)) {
        warnings.push(`routing.fallbacks.${model}: ${fallback} has no enabled provider; the fallback is skipped`);
      }
    }
  }
  return { errors, warnings };
}

/** The names of the providers that will take traffic. */
export function enabledProviders(config: Config): string[] {
  return Object.entries(config.providers)
    .filter(([, provider]) => provider.enabled)
    .map(([name]) => name);
}

/** A few lines saying what a config sets up: providers, models, routing, server. */
export function describeConfig(loaded: LoadedConfig): string[] {
  const { config } = loaded;
  const enabled = Object.entries(config.providers).filter(([, provider]) => provider.enabled);
  const byModel = new Map<string, string[]>();
  for (const [name, provider] of enabled) {
    for (const model of Object.keys(provider.models)) byModel.set(model, [...(byModel.get(model) ?? []), name]);
  }
  const routing = config.routing;
  const server = config.server;
  const lines = [
    `providers  ${enabled.length === 0 ? '(none enabled)' : enabled.map(([name, provider]) => `${name} (priority ${provider.priority})`).join(', ')}`,
    `models     ${byModel.size === 0 ? '(none)' : [...byModel].map(([model, names]) => `${model} → ${names.join(', ')}`).join('; ')}`,
    `routing    ${routing.strategy}; ${routing.failureThreshold} consecutive failures take a deployment out until a probe succeeds (every ${seconds(routing.recovery.probeDelaysMs.at(-1) as number)} at most)` +
      (routing.healthCheck.intervalMs > 0 ? `; health check every ${seconds(routing.healthCheck.intervalMs)}` : ''),
    `server     port ${server.port}${server.host ? ` on ${server.host}` : ''}; ` +
      (server.apiKeys.length > 0 ? `${server.apiKeys.length} API key(s) required` : 'no API keys (loopback only)'),
  ];
  const disabled = Object.entries(config.providers).filter(
    ([name, provider]) => !provider.enabled && !loaded.leftOut.some((left) => left.provider === name),
  );
  for (const [name] of disabled) lines.push(`disabled   ${name} (enabled: false)`);
  for (const { provider, reason } of loaded.leftOut) lines.push(`left out   ${provider}: ${reason}`);
  return lines;
}

function seconds(ms: number): string {
  return ms % 1000 === 0 ? `${ms / 1000} s` : `${(ms / 1000).toFixed(1)} s`;
}
