// Issue 13's targets for Switchboard at its shipped defaults, against the parse floor, as pass/miss
// lines; then the variants' own (Redis, hedging, an open status page, the ledger, the request log)
// and the library's.
import { bodyLabel, type Cell, cellKey, type Results, type Scenario, scenarioName } from './results.ts';
import type { TargetName } from './targets.ts';

export interface Check {
  pass: boolean;
  text: string;
}

/** The target issue 13's lines are about, and the floor they are measured against. */
export const gatewayTarget: TargetName = 'switchboard-defaults';
export const floorTarget: TargetName = 'floor-parse';
/** The `warn` target the other `warn` variants are compared with. */
export const warnTarget: TargetName = 'switchboard-warn';

const signed = (value: number) => `${value >= 0 ? '+' : ''}${value.toFixed(0)}`;
const label = (mode: Scenario['mode']) => (mode === 'json' ? 'JSON' : 'SSE');

export function checks(results: Results): Check[] {
  const out: Check[] = [];
  const get = (scenario: Scenario, target: TargetName) => results.cells.get(cellKey(scenario, target));
  const missing = (what: string) => out.push({ pass: false, text: `${what}: not measured` });
  const loaded = (mode: Scenario['mode']) =>
    results.scenarios.filter((scenario) => scenario.mode === mode && scenario.connections >= 16);
  const ratios = (mode: Scenario['mode'], value: (cell: Cell) => number) =>
    loaded(mode).flatMap((scenario) => {
      const gateway = get(scenario, gatewayTarget);
      const floor = get(scenario, floorTarget);
      return gateway && floor ? [{ scenario, value: value(gateway) / value(floor) }] : [];
    });
  const where = (scenario: Scenario) =>
    `${scenario.connections}${scenario.body === 'chat' ? '' : ` (${bodyLabel(scenario.body).slice(2)})`}`;

  for (const [mode, limit] of [
    ['json', 1.2],
    ['sse', 1.1],
  ] as const) {
    const found = ratios(mode, (cell) => cell.cpuMicrosPerRequest);
    if (found.length === 0) missing(`CPU/request ${label(mode)} at defaults`);
    else
      out.push({
        pass: found.every((entry) => entry.value <= limit),
        text: `CPU/request ${label(mode)} at defaults ≤ ${limit} × parse floor, at 16 and 64 connections: ${found.map((entry) => `${entry.value.toFixed(2)}× at ${where(entry.scenario)}`).join(', ')}`,
      });
  }
  for (const mode of ['json', 'sse'] as const) {
    const found = ratios(mode, (cell) => cell.requestsPerSecond);
    if (found.length === 0) missing(`requests/s ${label(mode)} at defaults`);
    else
      out.push({
        pass: found.every((entry) => entry.value >= 0.9),
        text: `requests/s ${label(mode)} at defaults ≥ 0.9 × parse floor, at 16 and 64 connections: ${found.map((entry) => `${entry.value.toFixed(2)}× at ${where(entry.scenario)}`).join(', ')}`,
      });
  }
  for (const mode of ['json', 'sse'] as const) {
    const scenario: Scenario = { mode, body: 'chat', connections: 1 };
    const [gateway, floor, direct] = ([gatewayTarget, floorTarget, 'direct'] as const).map((target) => get(scenario, target));
    if (!gateway || !floor) missing(`added p50 ${label(mode)} at 1 connection`);
    else {
      const over = (gateway.p50Ms - floor.p50Ms) * 1000;
      const overDirect = direct
        ? `; over direct: +${((gateway.p50Ms - direct.p50Ms) * 1000).toFixed(0)} µs vs the floor's +${((floor.p50Ms - direct.p50Ms) * 1000).toFixed(0)} µs`
        : '';
      out.push({
        pass: over <= 100,
        text: `added p50 at 1 connection, ${label(mode)}, at defaults ≤ parse floor + 100 µs: ${signed(over)} µs (${(gateway.p50Ms * 1000).toFixed(0)} vs ${(floor.p50Ms * 1000).toFixed(0)} µs${overDirect})`,
      });
    }
  }
  const rss = results.rssMb[gatewayTarget];
  const floorRss = results.rssMb[floorTarget];
  if (rss === undefined || floorRss === undefined) missing('RSS under load');
  else
    out.push({
      pass: rss <= floorRss + 40,
      text: `RSS under load at defaults ≤ parse floor + 40 MB: ${rss.toFixed(0)} MB vs ${floorRss.toFixed(0)} MB (${signed(rss - floorRss)} MB)`,
    });
  const streams = results.streams[gatewayTarget];
  const floorStreams = results.streams[floorTarget];
  if (streams === undefined) missing('open streams');
  else
    out.push({
      pass: streams.rssPeakMb <= 150 && streams.openAtPeak >= streams.streams * 0.95,
      text:
        `${streams.streams} open slow streams at defaults ≤ 150 MB: ${streams.rssPeakMb.toFixed(0)} MB with ${streams.openAtPeak} open at once, ` +
        `${streams.completed} completed${streams.failed > 0 ? `, ${streams.failed} failed` : ''}` +
        (floorStreams ? ` (parse floor: ${floorStreams.rssPeakMb.toFixed(0)} MB with ${floorStreams.openAtPeak} open)` : ''),
    });
  for (const [target, counted] of Object.entries(results.requestLog)) {
    out.push({
      pass: counted.rows >= counted.requests && counted.rows <= counted.requests + counted.inFlight,
      text: `${target}: one request log line per request (in the file its stdout went to): ${counted.rows} lines for ${counted.requests} requests seen answered (+ up to ${counted.inFlight} answered after a run stopped counting)`,
    });
  }
  for (const [target, counted] of Object.entries(results.ledger)) {
    // Requests still in flight when a run stops are answered (and recorded) after it stopped counting.
    out.push({
      pass: counted.rows >= counted.requests && counted.rows <= counted.requests + counted.inFlight,
      text: `${target}: one usage ledger row per request: ${counted.rows} rows for ${counted.requests} requests seen answered (+ up to ${counted.inFlight} answered after a run stopped counting)`,
    });
  }
  out.push(...variantChecks(get));
  const library = results.library;
  if (library === undefined) missing('library overhead');
  else {
    const overhead = library.complete - library.direct;
    out.push({ pass: overhead <= 30, text: `library overhead per complete() ≤ 30 µs: ${overhead.toFixed(1)} µs` });
    const failover = (library.failover - library.complete) / 1000;
    out.push({ pass: failover <= 2, text: `failover after a refused connection ≤ 2 ms: +${failover.toFixed(3)} ms` });
    const open = library.open - library.complete;
    out.push({ pass: open <= 30, text: `failover with the circuit open ≈ 0 (≤ 30 µs): ${signed(open)} µs` });
  }
  return out;
}

/** The `warn` variants against `switchboard-warn` (or hedging on against off), where both ran. */
function variantChecks(get: (scenario: Scenario, target: TargetName) => Cell | undefined): Check[] {
  const out: Check[] = [];
  const at16 = (mode: Scenario['mode']): Scenario => ({ mode, body: 'chat', connections: 16 });
  const memory = get(at16('json'), warnTarget);
  const shared = get(at16('json'), 'switchboard-redis');
  const direct = get(at16('json'), 'direct');
  if (memory !== undefined && shared !== undefined) {
    const cpu = shared.cpuMicrosPerRequest / memory.cpuMicrosPerRequest;
    out.push({
      pass: cpu <= 1.1,
      text: `Redis-backed CPU/request within 10 % of in-memory (${warnTarget}), ${scenarioName(at16('json'))}: ${cpu.toFixed(2)}× (${shared.cpuMicrosPerRequest.toFixed(0)} vs ${memory.cpuMicrosPerRequest.toFixed(0)} µs)`,
    });
    if (direct !== undefined) {
      const added = (cell: Cell) => (cell.p50Ms - direct.p50Ms) * 1000;
      out.push({
        pass: added(shared) / added(memory) <= 1.1,
        text: `Redis-backed added p50 within 10 % of in-memory, ${scenarioName(at16('json'))}: ${(added(shared) / added(memory)).toFixed(2)}× (+${added(shared).toFixed(0)} vs +${added(memory).toFixed(0)} µs)`,
      });
    }
  }
  const hedged = get(at16('sse'), 'switchboard-hedged');
  const unhedged = get(at16('sse'), 'switchboard-unhedged');
  if (hedged !== undefined && unhedged !== undefined) {
    const cpu = hedged.cpuMicrosPerRequest / unhedged.cpuMicrosPerRequest;
    out.push({
      pass: cpu <= 1.05,
      text: `hedging on adds no CPU per stream when no hedge fires, ${scenarioName(at16('sse'))}: ${cpu.toFixed(2)}× hedging off (${hedged.cpuMicrosPerRequest.toFixed(0)} vs ${unhedged.cpuMicrosPerRequest.toFixed(0)} µs)`,
    });
  }
  for (const mode of ['json', 'sse'] as const) {
    const watched = get(at16(mode), 'switchboard-watched');
    const plain = get(at16(mode), warnTarget);
    if (watched === undefined || plain === undefined) continue;
    const cpu = watched.cpuMicrosPerRequest / plain.cpuMicrosPerRequest;
    out.push({
      pass: cpu <= 1.05,
      text: `an open status page (/status/stream) adds no CPU per request, ${scenarioName(at16(mode))}: ${cpu.toFixed(2)}× without one (${watched.cpuMicrosPerRequest.toFixed(0)} vs ${plain.cpuMicrosPerRequest.toFixed(0)} µs)`,
    });
  }
  return out;
}
