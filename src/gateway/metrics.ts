// Prometheus metrics for one gateway, in a registry of its own (several gateways may share a
// process, as in tests). Counters and histograms are updated once per request from what the
// router returned; deployment health is read from `router.status()` at scrape time, never polled.
// Health gauges are labelled by provider and generic model: one series per configured deployment
// (a provider's keys are summed up in one), so their number is bounded by the config.
import { Counter, collectDefaultMetrics, Gauge, Histogram, Registry } from 'prom-client';
import type { Attempt } from '../protocol/errors.ts';
import type { DeploymentStatus, ProviderStatus } from '../router/router.ts';
import type { StoreConnection } from '../state/store.ts';

// LLM answers take from milliseconds (a cached or tiny completion) to minutes (a long stream).
const buckets = [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 120];
const circuitValue = { closed: 0, 'half-open': 1, open: 2 } as const;

/** A provider's deployments of one model (one per key), summed up as one series. */
interface ModelHealth {
  provider: string;
  model: string;
  keys: DeploymentStatus[];
}

function byModel(status: Record<string, ProviderStatus>): ModelHealth[] {
  const groups = new Map<string, ModelHealth>();
  for (const provider of Object.values(status)) {
    for (const deployment of provider.deployments) {
      const key = `${provider.name}\u0000${deployment.model}`;
      const group = groups.get(key);
      if (group === undefined) groups.set(key, { provider: provider.name, model: deployment.model, keys: [deployment] });
      else group.keys.push(deployment);
    }
  }
  return [...groups.values()];
}

export interface GatewayMetrics {
  readonly registry: Registry;
  /** One finished request: `provider` is the one that answered (or 'none'), `status` the HTTP status. */
  recordRequest(request: {
    model: string;
    provider: string;
    status: number;
    stream: boolean;
    seconds: number;
    attempts: readonly Attempt[];
    /** USD for the answer, when the provider's pricing is configured. */
    costUsd?: number | undefined;
    /** Times a broken stream was continued on another provider. */
    recoveries?: number;
  }): void;
  /** Time until a stream's first content reached the gateway. */
  recordFirstToken(provider: string, seconds: number): void;
}

/** Creates the registry; `status`, `inflight` and `state` are read at scrape time. */
export function createMetrics(
  status: () => Record<string, ProviderStatus>,
  inflight: () => number,
  state?: () => StoreConnection,
): GatewayMetrics {
  const registry = new Registry();
  const registers = [registry];
  collectDefaultMetrics({ register: registry });

  const requests = new Counter({
    name: 'switchboard_requests_total',
    help: 'Chat completion requests by answering provider, generic model and HTTP status (a stream cut after it started counts with its error status).',
    labelNames: ['provider', 'model', 'status'] as const,
    registers,
  });
  const failovers = new Counter({
    name: 'switchboard_failovers_total',
    help: 'Moves from one provider to the next within a request, by the provider given up on and the one tried next.',
    labelNames: ['from', 'to'] as const,
    registers,
  });
  const attempts = new Counter({
    name: 'switchboard_attempts_total',
    help: 'Upstream attempts by provider and outcome (ok or the failure kind).',
    labelNames: ['provider', 'outcome'] as const,
    registers,
  });
  const attemptSeconds = new Histogram({
    name: 'switchboard_attempt_duration_seconds',
    help: 'Duration of one upstream attempt (for a stream, until its first content), by provider and outcome.',
    labelNames: ['provider', 'outcome'] as const,
    buckets,
    registers,
  });
  const requestSeconds = new Histogram({
    name: 'switchboard_request_duration_seconds',
    help: 'End-to-end duration of a chat completion request at the gateway (for a stream, until its last byte).',
    labelNames: ['model', 'stream'] as const,
    buckets,
    registers,
  });
  const firstTokenSeconds = new Histogram({
    name: 'switchboard_time_to_first_token_seconds',
    help: 'Time from the request until the first content of a stream, every attempt included, by provider.',
    labelNames: ['provider'] as const,
    buckets,
    registers,
  });

  const cost = new Counter({
    name: 'switchboard_cost_usd_total',
    help: "USD spent on answers, from the answering provider's configured pricing and the reported usage.",
    labelNames: ['provider', 'model'] as const,
    registers,
  });
  const hedges = new Counter({
    name: 'switchboard_hedges_total',
    help: 'Hedged attempts (started alongside a late one) by provider: started, and won (answered first).',
    labelNames: ['provider', 'outcome'] as const,
    registers,
  });
  const recovered = new Counter({
    name: 'switchboard_stream_recoveries_total',
    help: 'Broken streams continued on another provider from the text already delivered.',
    registers,
  });

  const perModel = (name: string, help: string, value: (keys: DeploymentStatus[]) => number | null) =>
    new Gauge({
      name,
      help,
      labelNames: ['provider', 'model'] as const,
      registers,
      collect() {
        // Reset first so deployments removed by a reload disappear from the output.
        this.reset();
        for (const group of byModel(status())) {
          const current = value(group.keys);
          if (current !== null) this.set({ provider: group.provider, model: group.model }, current);
        }
      },
    });
  perModel(
    'switchboard_provider_circuit_state',
    'Circuit breaker state of the deployment (its best key): 0 closed, 1 half-open (probing), 2 open.',
    (keys) => Math.min(...keys.map((key) => circuitValue[key.state])),
  );
  perModel('switchboard_provider_healthy', '1 when a circuit of the deployment is closed.', (keys) =>
    keys.some((key) => key.healthy) ? 1 : 0,
  );
  perModel('switchboard_provider_latency_ema_seconds', 'Moving average of attempt latency.', (keys) => {
    const measured = keys.flatMap((key) => (key.latencyEmaMs === null ? [] : [key.latencyEmaMs]));
    return measured.length === 0 ? null : measured.reduce((sum, value) => sum + value, 0) / measured.length / 1000;
  });
  perModel('switchboard_provider_consecutive_failures', 'Failures since the last success.', (keys) =>
    Math.max(...keys.map((key) => key.consecutiveFailures)),
  );
  perModel('switchboard_provider_rate_limited', '1 while every key of the deployment is held off for its rate limits.', (keys) =>
    keys.every((key) => key.rateLimitedUntil !== null) ? 1 : 0,
  );
  if (state !== undefined) {
    new Gauge({
      name: 'switchboard_state_connected',
      help: 'Whether the state store can reach its backend: 1, or 0 while a shared Redis is unreachable and the gateway serves from local state.',
      labelNames: ['backend'],
      registers,
      collect() {
        const connection = state();
        this.reset();
        this.set({ backend: connection.backend }, connection.connected ? 1 : 0);
      },
    });
  }
  new Gauge({
    name: 'switchboard_inflight_requests',
    help: 'Chat completion requests being handled, streams included.',
    registers,
    collect() {
      this.set(inflight());
    },
  });

  // Every request updates these: their series are looked up once and kept (see `series`).
  const requestsBy = series<Counter.Internal>();
  const requestSecondsBy = series<Histogram.Internal<string>>();
  const attemptsBy = series<Counter.Internal>();
  const attemptSecondsBy = series<Histogram.Internal<string>>();
  const firstTokenSecondsBy = series<Histogram.Internal<string>>();

  return {
    registry,
    recordRequest({ model, provider, status, stream, seconds, attempts: tried, costUsd, recoveries }) {
      const requestKey = `${provider}\u0000${model}\u0000${status}`;
      (requestsBy.get(requestKey) ?? requestsBy.keep(requestKey, requests.labels(provider, model, String(status)))).inc();
      if (costUsd !== undefined && costUsd > 0) cost.inc({ provider, model }, costUsd);
      if (recoveries !== undefined && recoveries > 0) recovered.inc(recoveries);
      const streamed = stream ? 'true' : 'false';
      const secondsKey = `${model}\u0000${streamed}`;
      (requestSecondsBy.get(secondsKey) ?? requestSecondsBy.keep(secondsKey, requestSeconds.labels(model, streamed))).observe(
        seconds,
      );
      for (let index = 0; index < tried.length; index++) {
        const attempt = tried[index]!;
        const attemptKey = `${attempt.provider}\u0000${attempt.outcome}`;
        (attemptsBy.get(attemptKey) ?? attemptsBy.keep(attemptKey, attempts.labels(attempt.provider, attempt.outcome))).inc();
        if (attempt.hedge) {
          hedges.inc({ provider: attempt.provider, outcome: 'started' });
          if (attempt.outcome === 'ok') hedges.inc({ provider: attempt.provider, outcome: 'won' });
        }
        (
          attemptSecondsBy.get(attemptKey) ??
          attemptSecondsBy.keep(attemptKey, attemptSeconds.labels(attempt.provider, attempt.outcome))
        ).observe(attempt.latencyMs / 1000);
        const next = tried[index + 1];
        if (next !== undefined && next.provider !== attempt.provider)
          failovers.inc({ from: attempt.provider, to: next.provider });
      }
    },
    recordFirstToken(provider, seconds) {
      (firstTokenSecondsBy.get(provider) ?? firstTokenSecondsBy.keep(provider, firstTokenSeconds.labels(provider))).observe(
        seconds,
      );
    },
  };
}

/**
 * A metric's series by their label values joined, each looked up in prom-client once and then
 * kept: its per-call lookup builds and hashes a label object. The label values are the bounded
 * ones (configured providers and models, 'unknown', statuses, outcomes), so the map is bounded too.
 */
function series<Child>(): Map<string, Child> & { keep(key: string, child: Child): Child } {
  const cache = new Map<string, Child>() as Map<string, Child> & { keep(key: string, child: Child): Child };
  cache.keep = (key, child) => {
    cache.set(key, child);
    return child;
  };
  return cache;
}
