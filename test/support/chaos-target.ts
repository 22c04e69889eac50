// The thing the reliability suite attacks: `switchboard serve` in its own process in front of chaos
// upstreams, a client with the gateway's key, and a way to count the requests upstreams received.
import { type ChaosClient, createChaosClient } from './chaos-client.ts';
import { type ChaosSecrets, chaosConfig } from './chaos-config.ts';
import { type ChaosOptions, type ChaosUpstream, startChaosUpstream } from './chaos-upstream.ts';
import { type GatewayProcess, startGatewayProcess } from './gateway-process.ts';

export interface ChaosTarget {
  upstreams: ChaosUpstream[];
  gateway: GatewayProcess;
  client: ChaosClient;
  secrets: ChaosSecrets;
  config: object;
  /** Requests all upstreams have received so far. */
  upstreamCalls(): number;
  dispose(): Promise<void>;
}

export async function startChaosTarget(
  options: {
    upstreams?: number;
    server?: object;
    routing?: object;
    /** More top-level config (`state`, `usage`), and the secrets it holds. */
    extra?: object;
    extraSecrets?: string[];
    upstream?: ChaosOptions;
    timeoutMs?: number;
  } = {},
): Promise<ChaosTarget> {
  const upstreams = await Promise.all(Array.from({ length: options.upstreams ?? 3 }, () => startChaosUpstream(options.upstream)));
  const { config, secrets } = chaosConfig(
    upstreams.map((upstream) => upstream.url),
    {
      ...(options.server && { server: options.server }),
      ...(options.routing && { routing: options.routing }),
      ...(options.extra && { extra: options.extra }),
      ...(options.extraSecrets && { extraSecrets: options.extraSecrets }),
    },
  );
  let gateway: GatewayProcess;
  try {
    gateway = await startGatewayProcess(config);
  } catch (error) {
    await Promise.all(upstreams.map((upstream) => upstream.close()));
    throw error;
  }
  const client = createChaosClient(gateway.url, { apiKey: secrets.gatewayKey, timeoutMs: options.timeoutMs ?? 40_000 });
  return {
    upstreams,
    gateway,
    client,
    secrets,
    config,
    upstreamCalls: () => upstreams.reduce((sum, upstream) => sum + upstream.requests, 0),
    async dispose() {
      await Promise.allSettled([client.close(), gateway.dispose(), ...upstreams.map((upstream) => upstream.close())]);
    },
  };
}
