// Configs for the reliability suite: providers in front of chaos upstreams with short timeouts,
// so a silent upstream costs a second, not a minute, and credentials in every place a config can
// hold them, none shaped like a vendor key (so only knowing them, not their shape, can hide them).
import { randomBytes } from 'node:crypto';

/** A credential that looks like no vendor's key: 24 letters and digits. */
export function secret(label: string): string {
  return `${label}${randomBytes(18).toString('base64url').replace(/[-_]/g, 'Q')}`.slice(0, 24);
}

export interface ChaosSecrets {
  gatewayKey: string;
  /** Every credential the config holds, the gateway key included. */
  all: string[];
}

/** Per provider: an apiKey, a custom auth header, an Azure-style `api-key` header. */
export function chaosConfig(
  urls: string[],
  options: { server?: object; routing?: object; extra?: object; extraSecrets?: string[] } = {},
): { config: object; secrets: ChaosSecrets } {
  const gatewayKey = secret('gw');
  const all = [gatewayKey];
  const providers: Record<string, object> = {};
  for (const [index, url] of urls.entries()) {
    const apiKey = secret(`k${index}`);
    const custom = secret(`c${index}`);
    const azure = secret(`a${index}`);
    all.push(apiKey, custom, azure);
    providers[`up${index}`] = {
      baseUrl: url,
      apiKey,
      headers: { 'x-custom-auth': custom, 'api-key': azure },
      priority: index + 1,
      prefill: true,
      models: { chaos: `chaos-${index}` },
    };
  }
  all.push(...(options.extraSecrets ?? []));
  const config = {
    ...options.extra,
    server: { apiKeys: [gatewayKey], drainMs: 3000, logLevel: 'info', ...options.server },
    providers,
    routing: {
      failureThreshold: 3,
      cooldownMs: 1500,
      maxCooldownMs: 3000,
      retryDelayMs: 5,
      rateLimitWaitMs: 500,
      // Short enough that a silent upstream costs seconds, long enough for a healthy one on a loaded machine.
      timeouts: { connectMs: 1000, firstTokenMs: 2500, responseMs: 4000, idleMs: 1500, totalMs: 20_000 },
      ...options.routing,
    },
  };
  return { config, secrets: { gatewayKey, all } };
}

/** How much to do: the CI run by default, ten times more with CHAOS_LONG=1. */
export const scale = process.env.CHAOS_LONG === '1' ? 10 : 1;
