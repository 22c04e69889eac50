// A small typed view of the catalog (models.ts): lookups by generic name and by a provider's own
// model id, built once. Routing by context window or capability (issue 12) reads it through here.
import type { PresetName } from '../providers/presets.ts';
import { type CatalogCapabilities, type CatalogModel, type CatalogOffer, type CatalogPrice, catalog } from './models.ts';

export type { CatalogCapabilities, CatalogModel, CatalogOffer, CatalogPrice, CatalogSource } from './models.ts';

const byName = new Map(catalog.map((model) => [model.name, model]));
const byOffer = new Map<string, { model: CatalogModel; offer: CatalogOffer }>();
for (const model of catalog) {
  for (const [preset, offer] of Object.entries(model.providers)) {
    byOffer.set(`${preset}\u0000${offer.id}`, { model, offer });
  }
}

/** Every model in the catalog. */
export function catalogModels(): readonly CatalogModel[] {
  return catalog;
}

/** A model by its generic name. */
export function catalogModel(name: string): CatalogModel | undefined {
  return byName.get(name);
}

/** The catalog's entry for a provider's own model id at a preset (`groq`, `llama-3.1-8b-instant`). */
export function catalogOffer(
  preset: PresetName | undefined,
  providerModelId: string,
): { model: CatalogModel; offer: CatalogOffer } | undefined {
  return preset === undefined ? undefined : byOffer.get(`${preset}\u0000${providerModelId}`);
}

/** USD per million tokens for a provider's model id at a preset, when the catalog knows it. */
export function catalogPrice(preset: PresetName | undefined, providerModelId: string): CatalogPrice | undefined {
  return catalogOffer(preset, providerModelId)?.offer.price;
}

/** The context window in tokens: the provider's own limit where known, else the model's. */
export function contextWindow(model: string, preset?: PresetName): number | undefined {
  const entry = byName.get(model);
  if (entry === undefined) return undefined;
  return (preset === undefined ? undefined : entry.providers[preset]?.contextTokens) ?? entry.contextTokens;
}

/** What a model is documented to support; empty when nothing is confirmed. */
export function capabilitiesOf(model: string): CatalogCapabilities {
  return byName.get(model)?.capabilities ?? {};
}

/** The catalog's models a preset serves: generic name, the preset's id, and the model. */
export function modelsServedBy(preset: PresetName): Array<{ name: string; id: string; model: CatalogModel }> {
  return catalog.flatMap((model) => {
    const offer = model.providers[preset];
    return offer === undefined ? [] : [{ name: model.name, id: offer.id, model }];
  });
}

/**
 * A provider's prices with the catalog's filled in: for every mapped model without a configured
 * price, the catalog's price for that provider's model id (input, output and cached input where
 * known; configured prices always win, whole).
 */
export function pricingWithCatalog<Price extends CatalogPrice>(
  preset: PresetName | undefined,
  mapped: Readonly<Record<string, string>>,
  configured: Readonly<Record<string, Price>>,
): Record<string, Price | CatalogPrice> {
  const pricing: Record<string, Price | CatalogPrice> = { ...configured };
  for (const [generic, id] of Object.entries(mapped)) {
    if (Object.hasOwn(configured, generic)) continue;
    const price = catalogPrice(preset, id);
    if (price) pricing[generic] = { ...price };
  }
  return pricing;
}
