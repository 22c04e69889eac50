// Reads a config file: YAML or JSON, `${VAR}` from the environment, then the schema.
import { readFile } from 'node:fs/promises';
import { parse as parseYaml } from 'yaml';
import { type Config, ConfigError, parseConfig } from './schema.ts';

const variable = /\$\{([A-Za-z_][A-Za-z0-9_]*)(?::-([^}]*))?\}/g;

/** What interpolation saw: the problems, and the unset `${VAR:-}` variables by the path they emptied. */
interface Interpolation {
  problems: string[];
  defaulted: Map<string, string>;
}

/**
 * Replaces `${VAR}` (and `${VAR:-default}`) in every string of a parsed config.
 * A variable that is unset and has no default is a problem named with its path.
 */
export function interpolate(
  value: unknown,
  env: NodeJS.ProcessEnv,
  path: string[] = [],
  seen: Interpolation = { problems: [], defaulted: new Map() },
): unknown {
  if (typeof value === 'string') {
    return value.replace(variable, (_, name: string, fallback: string | undefined) => {
      const found = env[name];
      if (found !== undefined && found !== '') return found;
      if (fallback !== undefined) {
        seen.defaulted.set(path.join('.'), name);
        return fallback;
      }
      seen.problems.push(`${path.join('.') || '(root)'}: environment variable ${name} is not set`);
      return '';
    });
  }
  if (Array.isArray(value)) return value.map((item, index) => interpolate(item, env, [...path, String(index)], seen));
  if (value !== null && typeof value === 'object') {
    const result: Record<string, unknown> = {};
    for (const [key, item] of Object.entries(value)) result[key] = interpolate(item, env, [...path, key], seen);
    return result;
  }
  return value;
}

/** A validated config and the providers it left out. */
export interface LoadedConfig {
  config: Config;
  /** Providers switched off because their key came out empty (`${VAR:-}` with VAR unset), each with the reason. */
  leftOut: Array<{ provider: string; reason: string }>;
}

/**
 * Parses config text (YAML, of which JSON is a subset), interpolates the environment and validates.
 * A provider whose `apiKey` comes out empty is left out unless it says `auth: none`: it could only
 * answer 401. Throws ConfigError with every problem found.
 */
export function readConfig(text: string, env: NodeJS.ProcessEnv = process.env, source = 'config'): LoadedConfig {
  let raw: unknown;
  try {
    raw = parseYaml(text);
  } catch (error) {
    throw new ConfigError([`${source}: not valid YAML or JSON: ${(error as Error).message.split('\n')[0]}`]);
  }
  const seen: Interpolation = { problems: [], defaulted: new Map() };
  const interpolated = interpolate(raw, env, [], seen);
  if (seen.problems.length > 0) throw new ConfigError(seen.problems);
  const config = parseConfig(interpolated);
  const leftOut: LoadedConfig['leftOut'] = [];
  for (const [name, provider] of Object.entries(config.providers)) {
    if (provider.enabled && provider.apiKey === '' && provider.auth !== 'none') {
      const unset = seen.defaulted.get(`providers.${name}.apiKey`);
      leftOut.push({ provider: name, reason: unset ? `${unset} is not set` : 'its apiKey is empty' });
      provider.enabled = false;
    }
  }
  return { config, leftOut };
}

/** `readConfig` without the report of what was left out. */
export function parseConfigText(text: string, env: NodeJS.ProcessEnv = process.env, source = 'config'): Config {
  return readConfig(text, env, source).config;
}

/** Reads a config file's text; throws ConfigError naming the file when it cannot. */
export async function readConfigFile(file: string): Promise<string> {
  try {
    return await readFile(file, 'utf8');
  } catch (error) {
    throw new ConfigError([`${file}: cannot read (${(error as NodeJS.ErrnoException).code ?? (error as Error).message})`]);
  }
}

/** Loads and validates a config file; throws ConfigError with every problem found. */
export async function loadConfig(file: string, env: NodeJS.ProcessEnv = process.env): Promise<Config> {
  return parseConfigText(await readConfigFile(file), env, file);
}
