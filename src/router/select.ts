// The simplest routing question, as a pure function the router's priority strategy agrees with.

export interface ProviderChoice {
  name: string;
  priority: number;
  healthy: boolean;
  models: readonly string[];
}

/**
 * The healthy provider with the lowest priority number that serves `model`, or null.
 * Ties go to the one listed first.
 */
export function selectProvider(providers: readonly ProviderChoice[], model: string): string | null {
  let best: ProviderChoice | null = null;
  for (const provider of providers) {
    if (!provider.healthy || !provider.models.includes(model)) continue;
    if (best === null || provider.priority < best.priority) best = provider;
  }
  return best?.name ?? null;
}
