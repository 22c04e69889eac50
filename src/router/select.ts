// The simplest routing question, as a pure function the router's priority strategy agrees with.

export interface ProviderChoice {
  name: string;
  priority: number;
  healthy: boolean;
  models: readonly string[];
}

/** The tutorial's spelling of the same thing. */
export interface ProviderChoiceSnakeCase {
  name: string;
  priority: number;
  is_healthy: boolean;
  models: readonly string[];
}

function describe(value: unknown): string {
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'an array';
  return typeof value === 'object' ? `an object with keys ${Object.keys(value).join(', ') || '(none)'}` : typeof value;
}

/** Reads one entry in either spelling; throws TypeError naming what is wrong. */
function readChoice(entry: unknown, index: number): ProviderChoice {
  const where = `selectProvider: providers[${index}]`;
  if (entry === null || typeof entry !== 'object' || Array.isArray(entry)) {
    throw new TypeError(`${where} must be { name, priority, healthy | is_healthy, models }, got ${describe(entry)}`);
  }
  const record = entry as Record<string, unknown>;
  const healthy = 'healthy' in record ? record.healthy : record.is_healthy;
  if (typeof record.name !== 'string') throw new TypeError(`${where}.name must be a string, got ${describe(record.name)}`);
  if (typeof record.priority !== 'number' || Number.isNaN(record.priority)) {
    throw new TypeError(`${where}.priority must be a number, got ${describe(record.priority)}`);
  }
  if (typeof healthy !== 'boolean') {
    throw new TypeError(`${where} needs a boolean \`healthy\` (or \`is_healthy\`), got ${describe(entry)}`);
  }
  if (!Array.isArray(record.models) || !record.models.every((model) => typeof model === 'string')) {
    throw new TypeError(`${where}.models must be an array of model names, got ${describe(record.models)}`);
  }
  return { name: record.name, priority: record.priority, healthy, models: record.models as string[] };
}

/**
 * The healthy provider with the lowest priority number that serves `model`, or null when none
 * does. Ties go to the one listed first. Entries may say `healthy` or, as the tutorial writes
 * them, `is_healthy`; any other shape throws TypeError.
 */
export function selectProvider(providers: readonly (ProviderChoice | ProviderChoiceSnakeCase)[], model: string): string | null {
  if (!Array.isArray(providers)) throw new TypeError(`selectProvider: providers must be an array, got ${describe(providers)}`);
  if (typeof model !== 'string') throw new TypeError(`selectProvider: model must be a string, got ${describe(model)}`);
  let best: ProviderChoice | null = null;
  for (const [index, entry] of providers.entries()) {
    const provider = readChoice(entry, index);
    if (!provider.healthy || !provider.models.includes(model)) continue;
    if (best === null || provider.priority < best.priority) best = provider;
  }
  return best?.name ?? null;
}
