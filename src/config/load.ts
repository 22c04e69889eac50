// Reads a config file: YAML or JSON, `${VAR}` from the environment, then the schema.
import { readFile } from 'node:fs/promises';
import { parse as parseYaml } from 'yaml';
import { type Config, ConfigError, parseConfig } from './schema.ts';

const variable = /\$\{([A-Za-z_][A-Za-z0-9_]*)(?::-([^}]*))?\}/g;

/**
 * Replaces `${VAR}` (and `${VAR:-default}`) in every string of a parsed config.
 * A variable that is unset and has no default is a problem named with its path.
 */
export function interpolate(value: unknown, env: NodeJS.ProcessEnv, path: string[] = [], problems: string[] = []): unknown {
  if (typeof value === 'string') {
    return value.replace(variable, (_, name: string, fallback: string | undefined) => {
      const found = env[name];
      if (found !== undefined && found !== '') return found;
      if (fallback !== undefined) return fallback;
      problems.push(`${path.join('.') || '(root)'}: environment variable ${name} is not set`);
      return '';
    });
  }
  if (Array.isArray(value)) return value.map((item, index) => interpolate(item, env, [...path, String(index)], problems));
  if (value !== null && typeof value === 'object') {
    const result: Record<string, unknown> = {};
    for (const [key, item] of Object.entries(value)) result[key] = interpolate(item, env, [...path, key], problems);
    return result;
  }
  return value;
}

/** Parses config text (YAML, of which JSON is a subset), interpolates the environment, validates. */
export function parseConfigText(text: string, env: NodeJS.ProcessEnv = process.env, source = 'config'): Config {
  let raw: unknown;
  try {
    raw = parseYaml(text);
  } catch (error) {
    throw new ConfigError([`${source}: not valid YAML or JSON: ${(error as Error).message.split('\n')[0]}`]);
  }
  const problems: string[] = [];
  const interpolated = interpolate(raw, env, [], problems);
  if (problems.length > 0) throw new ConfigError(problems);
  return parseConfig(interpolated);
}

/** Loads and validates a config file; throws ConfigError with every problem found. */
export async function loadConfig(file: string, env: NodeJS.ProcessEnv = process.env): Promise<Config> {
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch (error) {
    throw new ConfigError([`${file}: cannot read (${(error as NodeJS.ErrnoException).code ?? (error as Error).message})`]);
  }
  return parseConfigText(text, env, file);
}
