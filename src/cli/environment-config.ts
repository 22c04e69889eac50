// A config built from the provider keys in the environment and the model catalog: what
// `switchboard init` writes, and what `switchboard serve` runs without a config file.
import { catalogModels } from '../catalog/catalog.ts';
import type { CatalogModel, CatalogOffer } from '../catalog/models.ts';
import { baseUrlVariableOf, keyVariableOf, type Preset, type PresetName, presets } from '../providers/presets.ts';

/**
 * The order providers are tried in when several serve a model: dedicated inference hosts first
 * (fast, cheap, open models), then the vendors' own APIs, then OpenRouter, which routes on to
 * others and so makes the best last resort.
 */
export const presetOrder: readonly PresetName[] = [
  'groq',
  'cerebras',
  'sambanova',
  'fireworks',
  'together',
  'deepinfra',
  'nebius',
  'hyperbolic',
  'openai',
  'anthropic',
  'gemini',
  'mistral',
  'deepseek',
  'xai',
  'perplexity',
  'azure',
  'openrouter',
];

/** A provider whose conventional key variable is set. */
export interface FoundProvider {
  preset: PresetName;
  keyVariable: string;
  /** `<PRESET>_BASE_URL`'s value when it is set. */
  baseUrl: string | undefined;
}

/** The presets whose key variable is set (and not empty), in `presetOrder`. Never reads a key's value into anything but this check. */
export function findProviders(env: NodeJS.ProcessEnv): FoundProvider[] {
  return presetOrder.flatMap((preset) => {
    const keyVariable = keyVariableOf(preset);
    if (keyVariable === undefined || (env[keyVariable] ?? '') === '') return [];
    // Azure has no public URL: without its resource URL there is nothing to call.
    const baseUrl = env[baseUrlVariableOf(preset)] || undefined;
    if ((presets[preset] as Preset).baseUrl === '' && baseUrl === undefined) return [];
    return [{ preset, keyVariable, baseUrl }];
  });
}

/** Every key variable a preset is known by, for messages. */
export function keyVariables(): string[] {
  return presetOrder.flatMap((preset) => keyVariableOf(preset) ?? []);
}

/** A catalog model and the found providers that serve it, in priority order. */
export interface AvailableModel {
  model: CatalogModel;
  offers: Array<{ preset: PresetName; offer: CatalogOffer }>;
}

/** The catalog's models at least one found provider serves. */
export function availableModels(found: readonly FoundProvider[]): AvailableModel[] {
  return catalogModels().flatMap((model) => {
    const offers = found.flatMap(({ preset }) => {
      const offer = model.providers[preset];
      return offer === undefined ? [] : [{ preset, offer }];
    });
    return offers.length === 0 ? [] : [{ model, offers }];
  });
}

/** A YAML scalar: plain when it is safe to be, else JSON-quoted. */
function scalar(value: string): string {
  return /^[A-Za-z0-9][A-Za-z0-9._/:-]*$/.test(value) && !/^(true|false|null|yes|no|on|off|~)$/i.test(value)
    ? value
    : JSON.stringify(value);
}

/**
 * The commented `switchboard.yaml` for the found providers and the chosen generic models: each
 * provider maps every chosen model it serves, with the catalog's prices. Keys are written as
 * `${VAR:-}` references, never as values.
 */
export function buildConfigYaml(found: readonly FoundProvider[], chosen: ReadonlySet<string>, writtenOn: string): string {
  const models = availableModels(found).filter(({ model }) => chosen.has(model.name));
  const lines = [
    `# switchboard.yaml, written by \`switchboard init\` on ${writtenOn} from the provider keys in the environment.`,
    '# It holds no key: `${VAR:-}` is read from the environment each time the file loads, and a',
    '# provider whose variable is unset is left out (serve says so).',
    "# Prices are USD per million tokens from Switchboard's model catalog (each with its source:",
    '# `switchboard models`); change them to your own. A base URL comes from the preset, or from',
    '# <PRESET>_BASE_URL when that is set as the file loads (a proxy, a test server).',
    '',
    'server:',
    '  port: 4000',
    '  # apiKeys: ["${SWITCHBOARD_API_KEY}"]  # require a key from clients (and listen beyond 127.0.0.1)',
    '',
    'providers:',
  ];
  let priority = 0;
  for (const { preset, keyVariable, baseUrl } of found) {
    const served = models.flatMap(({ model, offers }) => {
      const offer = offers.find((entry) => entry.preset === preset)?.offer;
      return offer === undefined ? [] : [{ model, offer }];
    });
    if (served.length === 0) continue;
    priority += 1;
    const chat = served.filter(({ model }) => model.kind === 'chat');
    const embedding = served.filter(({ model }) => model.kind === 'embedding');
    const priced = served.filter(({ offer }) => offer.price !== undefined);
    const url = baseUrl === undefined ? (presets[preset] as Preset).baseUrl : `${baseUrlVariableOf(preset)} (now ${baseUrl})`;
    lines.push(
      `  ${preset}:`,
      `    preset: ${preset} # ${url}`,
      `    apiKey: \${${keyVariable}:-}`,
      `    priority: ${priority} # lower is tried first`,
    );
    if (chat.length > 0) {
      lines.push(`    models: # generic name -> ${preset}'s model id`);
      for (const { model, offer } of chat) lines.push(`      ${scalar(model.name)}: ${scalar(offer.id)}`);
    }
    if (embedding.length > 0) {
      lines.push('    embeddings: # every provider of one name must give the same vectors');
      for (const { model, offer } of embedding) lines.push(`      ${scalar(model.name)}: ${scalar(offer.id)}`);
    }
    if (priced.length > 0) {
      lines.push('    pricing: # USD per million tokens');
      for (const { model, offer } of priced) {
        const { input, output, cachedInput } = offer.price!;
        const cached = cachedInput === undefined ? '' : `, cachedInput: ${cachedInput}`;
        lines.push(`      ${scalar(model.name)}: { input: ${input}, output: ${output}${cached} }`);
      }
    }
  }
  lines.push(
    '',
    'routing:',
    '  strategy: priority # priority | fastest | cheapest | headroom; a request may ask for another',
    '',
  );
  return lines.join('\n');
}
