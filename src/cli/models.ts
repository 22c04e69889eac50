// `switchboard models`: what the config (or the environment) serves, by provider, with prices and
// context windows; or the whole catalog.
import { Command } from 'commander';
import { catalogModels, catalogOffer } from '../catalog/catalog.ts';
import { ConfigError } from '../config/schema.ts';
import type { PresetName } from '../providers/presets.ts';
import { environmentSource, type LoadedSource, loadConfigSource } from './config-file.ts';
import { type Output, standardOutput } from './output.ts';
import { formatTable } from './table.ts';

export interface ModelsOptions {
  config?: string;
  catalog?: boolean;
  json?: boolean;
}

/** One row: a provider's model, its price and where the price came from. */
export interface ModelRow {
  provider: string;
  model: string;
  id: string;
  kind: 'chat' | 'embedding';
  input: number | null;
  output: number | null;
  cachedInput: number | null;
  contextTokens: number | null;
  /** `config`, `catalog`, or null when unpriced. */
  priceFrom: 'config' | 'catalog' | null;
  /** Where the catalog read its facts, when it knows the model. */
  source: string | null;
  enabled: boolean;
}

export function modelsCommand(output: Output = standardOutput): Command {
  return new Command('models')
    .description('list the models served, by provider, with prices (USD per million tokens) and context windows')
    .option('-c, --config <file>', 'config file (default: ./switchboard.yaml, else the provider keys in the environment)')
    .option('--catalog', "list Switchboard's whole model catalog instead")
    .option('--json', 'print JSON')
    .addHelpText(
      'after',
      '\nWithout a config file or a provider key, the whole catalog is listed.\n' +
        'Prices set in the config win over the catalog\'s; "-" means unknown, never free.',
    )
    .action(async (options: ModelsOptions) => {
      process.exitCode = await listModels(options, output);
    });
}

/** Prints the table; returns the exit code. */
export async function listModels(options: ModelsOptions, output: Output = standardOutput, env = process.env): Promise<number> {
  let rows: ModelRow[];
  let title: string;
  if (options.catalog) {
    rows = catalogRows();
    title = 'catalog';
  } else {
    try {
      const loaded = await loadConfigSource(options.config, env);
      rows = configRows(loaded);
      title = loaded.file === environmentSource ? 'config built from the environment' : loaded.file;
    } catch (error) {
      // No file and no key: the catalog is what there is to show. A broken file is an error.
      if (!(error instanceof ConfigError) || options.config !== undefined || !/no provider key/.test(error.problems[0] ?? '')) {
        for (const problem of error instanceof ConfigError ? error.problems : [(error as Error).message]) output.error(problem);
        return 1;
      }
      rows = catalogRows();
      title = 'catalog (no config file and no provider key set)';
    }
  }
  if (options.json) {
    output.out(JSON.stringify({ source: title, models: rows }, null, 2));
    return 0;
  }
  output.out(`models: ${title}`);
  const price = (value: number | null) => (value === null ? '-' : `$${value}`);
  const table = rows.map((row) => [
    row.enabled ? row.provider : `${row.provider} (off)`,
    row.model,
    row.id,
    price(row.input),
    price(row.output),
    price(row.cachedInput),
    row.contextTokens === null ? '-' : `${Math.round(row.contextTokens / 1000)}K`,
    row.priceFrom ?? '',
  ]);
  for (const line of formatTable(
    ['PROVIDER', 'MODEL', 'PROVIDER ID', 'INPUT', 'OUTPUT', 'CACHED', 'CONTEXT', 'PRICE FROM'],
    table,
  )) {
    output.out(line);
  }
  return 0;
}

/** Every offer in the catalog, by provider. */
export function catalogRows(): ModelRow[] {
  return catalogModels()
    .flatMap((model) =>
      Object.entries(model.providers).map(([provider, offer]) => ({
        provider,
        model: model.name,
        id: offer.id,
        kind: model.kind,
        input: offer.price?.input ?? null,
        output: offer.price?.output ?? null,
        cachedInput: offer.price?.cachedInput ?? null,
        contextTokens: offer.contextTokens ?? model.contextTokens ?? null,
        priceFrom: offer.price ? ('catalog' as const) : null,
        source: `${offer.source.url} (${offer.source.readOn})`,
        enabled: true,
      })),
    )
    .sort((a, b) => a.provider.localeCompare(b.provider));
}

/** The config's providers and models, priced from the config, else the catalog. */
export function configRows(loaded: LoadedSource): ModelRow[] {
  return Object.entries(loaded.config.providers).flatMap(([provider, settings]) => {
    const mapped: Array<[string, string, 'chat' | 'embedding']> = [
      ...Object.entries(settings.models).map(([model, id]): [string, string, 'chat'] => [model, id, 'chat']),
      ...Object.entries(settings.embeddings).map(([model, id]): [string, string, 'embedding'] => [model, id, 'embedding']),
    ];
    return mapped.map(([model, id, kind]) => {
      const known = catalogOffer(settings.preset as PresetName | undefined, id);
      const configured = Object.hasOwn(settings.pricing, model) ? settings.pricing[model] : undefined;
      const price = configured ?? known?.offer.price;
      return {
        provider,
        model,
        id,
        kind,
        input: price?.input ?? null,
        output: price?.output ?? null,
        cachedInput: (configured ? configured.cachedInput : known?.offer.price?.cachedInput) ?? null,
        contextTokens: known?.offer.contextTokens ?? known?.model.contextTokens ?? null,
        priceFrom: configured ? 'config' : price ? 'catalog' : null,
        source: known ? `${known.offer.source.url} (${known.offer.source.readOn})` : null,
        enabled: settings.enabled,
      };
    });
  });
}
