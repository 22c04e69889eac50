// What one run measured: the shape report.ts renders and checks.ts judges.
import type { BodyKind } from './bodies.ts';
import type { StreamsResult } from './streams.ts';
import type { TargetName } from './targets.ts';

export interface Scenario {
  mode: 'json' | 'sse';
  body: BodyKind;
  connections: number;
  /** Every request's body different (a fresh id in its last message), not one body sent again and again. */
  unique?: boolean;
}

/** One target in one scenario, summed or taken as medians over the rounds. */
export interface Cell {
  requestsPerSecond: number;
  p50Ms: number;
  p99Ms: number;
  /** CPU time of the target process per completed request (µs); for `direct`, the emulator's. */
  cpuMicrosPerRequest: number;
  /** CPU time of the emulator per completed request (µs). */
  upstreamCpuMicrosPerRequest: number;
  ok: number;
  failed: number;
}

export interface LibraryResult {
  samples: number;
  direct: number;
  complete: number;
  failover: number;
  open: number;
}

/** Requests a target was sent and what it wrote down for them (ledger rows or request log lines). */
export interface Counted {
  /** Rows in the ledger, or request lines in the log. */
  rows: number;
  /** Requests autocannon (and the checks before it) saw answered. */
  requests: number;
  /** Requests that may have been answered after autocannon stopped counting (one per connection per run). */
  inFlight: number;
}

export interface Results {
  header: { date: string; node: string; cores: number; cpu: string; command: string; plan: string };
  targets: TargetName[];
  /** Targets that could not be measured, with the reason. */
  skipped: Partial<Record<TargetName, string>>;
  scenarios: Scenario[];
  cells: Map<string, Cell>;
  /** VmRSS after start-up and two checked requests of each kind, before any load (MB). */
  idleRssMb: Partial<Record<TargetName, number>>;
  /** VmHWM after the load scenarios (MB): one burst of garbage is enough to set it. */
  peakRssMb: Partial<Record<TargetName, number>>;
  /** Median of VmRSS sampled at the end of every load run (MB): RSS under load. */
  rssMb: Partial<Record<TargetName, number>>;
  library: LibraryResult | undefined;
  streams: Partial<Record<TargetName, StreamsResult>>;
  /** Rows in each Switchboard target's usage ledger after it stopped. */
  ledger: Partial<Record<TargetName, Counted>>;
  /** Request lines in the log file of each target that logs to one (`switchboard-defaults`), after it stopped. */
  requestLog: Partial<Record<TargetName, Counted>>;
}

const bodyLabels: Record<BodyKind, string> = {
  chat: '',
  conversation: ', 8 KB conversation with tools',
  small: ', 0.2 KB body (before issue 13)',
};
export const bodyLabel = (body: BodyKind) => bodyLabels[body];
export const cellKey = (scenario: Scenario, target: TargetName) =>
  `${scenario.mode}/${scenario.body}${scenario.unique ? '+unique' : ''}/${scenario.connections}/${target}`;
export const scenarioName = (scenario: Scenario) =>
  `${scenario.mode === 'json' ? 'JSON' : 'SSE (20 chunks)'}${bodyLabel(scenario.body)}, ` +
  `${scenario.connections} connection${scenario.connections === 1 ? '' : 's'}${scenario.unique ? ', no two bodies alike' : ''}`;
