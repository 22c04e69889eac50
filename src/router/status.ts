// What a status page shows: every deployment's state, grouped by provider, with a summary
// per provider. Pure: records and `now` in, plain JSON out (no key ever appears).
import type { RateLimitSnapshot } from '../state/store.ts';
import type { Deployment } from './deployment.ts';
import { circuitState } from './health.ts';
import type { Provider } from './provider.ts';
import { headroom } from './strategies.ts';
import type { FailoverTracker } from './tracker.ts';

/** One deployment (provider × model × key) as a status page shows it. */
export interface DeploymentStatus {
  /** `provider/model`, or `provider/model#n` with several keys. */
  id: string;
  provider: string;
  /** The generic model name. */
  model: string;
  /** The provider's name for it. */
  providerModel: string;
  /** Which of the provider's keys (1-based), null when it has one. */
  key: number | null;
  healthy: boolean;
  /** `half-open` while a probe or trial runs. */
  state: 'closed' | 'open' | 'half-open';
  consecutiveFailures: number;
  latencyEmaMs: number | null;
  /** Moving average of the time to first content of streams. */
  firstTokenEmaMs: number | null;
  requests: number;
  errors: number;
  inflight: number;
  lastError: string | null;
  lastErrorAt: number | null;
  /** Epoch ms when an open circuit is next probed; null when closed. */
  nextProbeAt: number | null;
  /** Epoch ms until which it is held off for its rate limits; null when not. */
  rateLimitedUntil: number | null;
  rateLimit: RateLimitSnapshot | null;
  /** Remaining share of the tighter rate-limit bucket, 1 when unknown. */
  headroom: number;
  /** USD its answers cost (from the provider's pricing), counted in the state store: every replica's when it is Redis. */
  spendUsd: number;
}

/** A provider's state: its deployments and a summary of them. */
export interface ProviderStatus {
  name: string;
  /** Whether at least one of its deployments is in service. */
  healthy: boolean;
  /** `closed` when every deployment is, `open` when none is (`half-open` while one is probed), `degraded` in between. */
  state: 'closed' | 'open' | 'half-open' | 'degraded';
  /** The most among its deployments. */
  consecutiveFailures: number;
  /** The mean of its deployments' averages, null before any sample. */
  latencyEmaMs: number | null;
  requests: number;
  errors: number;
  lastError: string | null;
  lastErrorAt: number | null;
  /** Epoch ms of the earliest next probe among its open deployments; null when none is open. */
  cooldownUntil: number | null;
  /** Epoch ms until which every deployment is held off for rate limits (the earliest); null when one is free. */
  rateLimitedUntil: number | null;
  /** The last rate-limit state a deployment reported. */
  rateLimit: RateLimitSnapshot | null;
  /** The least headroom among its deployments. */
  headroom: number;
  priority: number;
  models: string[];
  deployments: DeploymentStatus[];
}

const round = (value: number | null) => (value === null ? null : Math.round(value * 100) / 100);

export function deploymentStatus(deployment: Deployment, tracker: FailoverTracker, now: number): DeploymentStatus {
  const record = tracker.health(deployment.id);
  const { circuit } = record.health;
  const state = circuitState(circuit, now);
  return {
    id: deployment.id,
    provider: deployment.provider.name,
    model: deployment.model,
    providerModel: deployment.providerModel,
    key: deployment.provider.keys.length > 1 ? deployment.key.index + 1 : null,
    healthy: state === 'closed',
    state,
    consecutiveFailures: circuit.failures,
    latencyEmaMs: round(record.latencyEmaMs),
    firstTokenEmaMs: round(record.firstTokenEmaMs),
    requests: record.requests,
    errors: record.errors,
    inflight: record.inflight,
    lastError: record.health.lastError,
    lastErrorAt: record.health.lastErrorAt,
    nextProbeAt: circuit.state === 'open' ? circuit.nextProbeAt : null,
    rateLimitedUntil: record.health.rateLimitedUntil > now ? record.health.rateLimitedUntil : null,
    rateLimit: record.health.rateLimit,
    headroom: headroom(record, now),
    spendUsd: 0,
  };
}

export function providerStatus(provider: Provider, deployments: DeploymentStatus[]): ProviderStatus {
  const closed = deployments.filter((deployment) => deployment.state === 'closed').length;
  const state =
    closed === deployments.length
      ? 'closed'
      : closed > 0
        ? 'degraded'
        : deployments.some((deployment) => deployment.state === 'half-open')
          ? 'half-open'
          : 'open';
  const measured = deployments.flatMap((deployment) => (deployment.latencyEmaMs === null ? [] : [deployment.latencyEmaMs]));
  const latest = deployments.reduce<DeploymentStatus | undefined>(
    (best, deployment) => ((deployment.lastErrorAt ?? -1) > (best?.lastErrorAt ?? -1) ? deployment : best),
    undefined,
  );
  const probes = deployments.flatMap((deployment) => (deployment.nextProbeAt === null ? [] : [deployment.nextProbeAt]));
  const holds = deployments.map((deployment) => deployment.rateLimitedUntil);
  return {
    name: provider.name,
    healthy: closed > 0,
    state,
    consecutiveFailures: Math.max(0, ...deployments.map((deployment) => deployment.consecutiveFailures)),
    latencyEmaMs: measured.length === 0 ? null : round(measured.reduce((sum, value) => sum + value, 0) / measured.length),
    requests: deployments.reduce((sum, deployment) => sum + deployment.requests, 0),
    errors: deployments.reduce((sum, deployment) => sum + deployment.errors, 0),
    lastError: latest?.lastError ?? null,
    lastErrorAt: latest?.lastErrorAt ?? null,
    cooldownUntil: probes.length === 0 ? null : Math.min(...probes),
    rateLimitedUntil: holds.every((hold) => hold !== null) ? Math.min(...(holds as number[])) : null,
    rateLimit: deployments.find((deployment) => deployment.rateLimit !== null)?.rateLimit ?? null,
    headroom: Math.min(1, ...deployments.map((deployment) => deployment.headroom)),
    priority: provider.priority,
    models: Object.keys(provider.models),
    deployments,
  };
}
