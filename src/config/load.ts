// Reads a config file: YAML or JSON, `${VAR}` from the environment, then the schema.
import { readFile } from 'node:fs/promises';
import { type Document, isMap, isNode, isScalar, isSeq, LineCounter, parseDocument, type YAMLError } from 'yaml';
import { baseUrlVariableOf, type PresetName, presetNames } from '../providers/presets.ts';
import { didYouMean, formatPath, type Problem, problemsOf, suggest, valueAt } from './issues.ts';
import { type Config, ConfigError, ConfigSchema } from './schema.ts';

const variable = /\$\{([A-Za-z_][A-Za-z0-9_]*)(?::-([^}]*))?\}/g;

/** What interpolation saw: the problems, and the unset `${VAR:-}` variables by the path they emptied. */
interface Interpolation {
  problems: string[];
  defaulted: Map<string, string>;
  /** Unset variables without a default, by the path they emptied. */
  unset?: Array<{ path: string[]; name: string }>;
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
      seen.unset?.push({ path, name });
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

/** Names only the caller knows (the router's strategies), checked in the same pass as the schema. */
export interface KnownNames {
  strategies?: readonly string[];
}

/**
 * Parses config text (YAML, of which JSON is a subset), interpolates the environment and validates.
 * A provider whose `apiKey` comes out empty is left out unless it says `auth: none`: it could only
 * answer 401. Throws ConfigError with every problem found in one pass: unset variables, schema
 * errors (with "did you mean" where a known name is close) and unknown strategies, each naming
 * its path and line; a YAML syntax error is shown with its line and a caret under the spot.
 */
export function readConfig(
  text: string,
  env: NodeJS.ProcessEnv = process.env,
  source = 'config',
  known: KnownNames = {},
): LoadedConfig {
  const lines = new LineCounter();
  const document = parseDocument(text, { lineCounter: lines, prettyErrors: false });
  if (document.errors.length > 0) {
    throw new ConfigError(document.errors.map((error) => syntaxProblem(error, text, lines, source)));
  }
  const raw: unknown = document.toJS();
  if (raw === null || raw === undefined) {
    throw new ConfigError([`${source}: the file is empty; it needs at least a providers section`]);
  }
  const unset: NonNullable<Interpolation['unset']> = [];
  const seen: Interpolation = { problems: [], defaulted: new Map(), unset };
  const interpolated = interpolate(raw, env, [], seen);
  const problems: Problem[] = unset.map(({ path, name }) => ({
    path,
    message: `environment variable ${name} is not set${didYouMean(
      name,
      Object.keys(env).filter((key) => env[key] !== ''),
    )}`,
  }));
  const unsetPaths = unset.map(({ path }) => path.join('.'));
  applyBaseUrlOverrides(interpolated, env);
  const result = ConfigSchema.safeParse(interpolated);
  if (!result.success) {
    for (const issue of result.error.issues) {
      // A value emptied by an unset variable is already reported as that.
      const at = issue.path.join('.');
      if (unsetPaths.some((path) => at === path || at.startsWith(`${path}.`))) continue;
      problems.push(...problemsOf(issue, ConfigSchema, interpolated));
    }
  }
  for (const name of presetNames) {
    const variable = baseUrlVariableOf(name);
    const value = env[variable];
    if (value && !URL.canParse(value)) {
      problems.push({ path: [], message: `environment variable ${variable} is not a URL: ${value.slice(0, 80)}` });
    }
  }
  const strategy = valueAt(interpolated, ['routing', 'strategy']);
  if (known.strategies && typeof strategy === 'string' && !known.strategies.includes(strategy)) {
    problems.push({
      path: ['routing', 'strategy'],
      message: `unknown strategy "${strategy}"${didYouMean(strategy, known.strategies)} (known: ${known.strategies.join(', ')})`,
    });
  }
  addPresetHints(interpolated, problems);
  if (problems.length > 0 || !result.success) {
    // In the order of the file, so a user can fix them top to bottom.
    const located = problems.map((problem) => ({ ...problem, line: lineOf(document, problem.path, lines) }));
    located.sort((a, b) => (a.line ?? Number.POSITIVE_INFINITY) - (b.line ?? Number.POSITIVE_INFINITY));
    throw new ConfigError(
      located.map(({ path, message, line }) => `${formatPath(path)}: ${message}${line === undefined ? '' : ` (line ${line})`}`),
    );
  }
  const config = result.data;
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

/**
 * `<PRESET>_BASE_URL` (as the OpenAI and Anthropic SDKs read OPENAI_BASE_URL and
 * ANTHROPIC_BASE_URL) replaces a preset's base URL for every provider that does not set its own:
 * corporate proxies, and tests that stand emulators in for the vendors.
 */
function applyBaseUrlOverrides(raw: unknown, env: NodeJS.ProcessEnv): void {
  const providers = valueAt(raw, ['providers']);
  if (providers === null || typeof providers !== 'object') return;
  for (const provider of Object.values(providers as Record<string, unknown>)) {
    if (provider === null || typeof provider !== 'object') continue;
    const fields = provider as Record<string, unknown>;
    if (typeof fields.preset !== 'string' || fields.baseUrl !== undefined) continue;
    if (!presetNames.includes(fields.preset as PresetName)) continue;
    const value = env[baseUrlVariableOf(fields.preset as PresetName)];
    if (value && URL.canParse(value)) fields.baseUrl = value;
  }
}

/** A provider named like a preset but without `preset` or `baseUrl` most likely meant that preset. */
function addPresetHints(raw: unknown, problems: Problem[]): void {
  for (const problem of problems) {
    const [section, name, field] = problem.path;
    if (section !== 'providers' || field !== 'baseUrl' || typeof name !== 'string') continue;
    if (valueAt(raw, ['providers', name, 'preset']) !== undefined) continue;
    const preset = presetNames.includes(name as PresetName) ? name : suggest(name, presetNames);
    if (preset !== undefined) problem.message += `; did you mean "preset: ${preset}"?`;
  }
}

/** `file:4:3: message`, then the line and a caret under the spot. */
function syntaxProblem(error: YAMLError, text: string, lines: LineCounter, source: string): string {
  const position = error.linePos?.[0] ?? lines.linePos(error.pos[0]);
  const message = error.message.split('\n')[0] ?? error.code;
  const line = text.split(/\r?\n/)[position.line - 1] ?? '';
  const number = String(position.line);
  return [
    `${source}:${position.line}:${position.col}: not valid YAML or JSON: ${message}`,
    `  ${number} | ${line}`,
    `  ${' '.repeat(number.length)} | ${' '.repeat(Math.max(0, position.col - 1))}^`,
  ].join('\n');
}

/** The line of the key (or value) at `path`, or of the deepest part of it the file has. */
function lineOf(document: Document, path: readonly PropertyKey[], lines: LineCounter): number | undefined {
  if (path.length === 0) return undefined;
  let node: unknown = document.contents;
  let offset = isNode(node) ? node.range?.[0] : undefined;
  for (const segment of path) {
    if (isMap(node)) {
      const pair = node.items.find((item) => isScalar(item.key) && String(item.key.value) === String(segment));
      if (pair === undefined) break;
      offset = isScalar(pair.key) ? pair.key.range?.[0] : offset;
      node = pair.value;
    } else if (isSeq(node)) {
      node = node.items[Number(segment)];
      if (!isNode(node)) break;
      offset = node.range?.[0] ?? offset;
    } else {
      break;
    }
  }
  return offset === undefined ? undefined : lines.linePos(offset).line;
}

/** `readConfig` without the report of what was left out. */
export function parseConfigText(
  text: string,
  env: NodeJS.ProcessEnv = process.env,
  source = 'config',
  known: KnownNames = {},
): Config {
  return readConfig(text, env, source, known).config;
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
