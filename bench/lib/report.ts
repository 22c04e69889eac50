// The results as Markdown: one table per scenario, memory, the library, failover, open
// streams, and the issue's targets as pass/miss lines.
import type { StreamsResult } from './streams.ts';
import type { TargetName } from './targets.ts';

export interface Scenario {
  mode: 'json' | 'sse';
  connections: number;
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

export interface Results {
  header: { date: string; node: string; cores: number; cpu: string; command: string; plan: string };
  targets: TargetName[];
  /** Targets that could not be measured, with the reason. */
  skipped: Partial<Record<TargetName, string>>;
  scenarios: Scenario[];
  cells: Map<string, Cell>;
  /** VmHWM after the load scenarios (MB): one burst of garbage is enough to set it. */
  peakRssMb: Partial<Record<TargetName, number>>;
  /** Median of VmRSS sampled at the end of every load run (MB): RSS under load. */
  rssMb: Partial<Record<TargetName, number>>;
  library: LibraryResult | undefined;
  streams: Partial<Record<TargetName, StreamsResult>>;
  /** Rows in each Switchboard target's usage ledger after it stopped, and the requests it answered. */
  ledger?: Partial<Record<TargetName, { rows: number; requests: number }>>;
}

export const cellKey = (scenario: Scenario, target: TargetName) => `${scenario.mode}/${scenario.connections}/${target}`;
export const scenarioName = (scenario: Scenario) =>
  `${scenario.mode === 'json' ? 'JSON' : 'SSE (20 chunks)'}, ${scenario.connections} connection${scenario.connections === 1 ? '' : 's'}`;

const fixed = (value: number | undefined, digits: number) =>
  value === undefined || !Number.isFinite(value) ? '—' : value.toFixed(digits);
const ratio = (value: number | undefined, base: number | undefined) =>
  value === undefined || base === undefined || !(base > 0) ? '—' : `${(value / base).toFixed(2)}×`;
const signed = (value: number) => `${value >= 0 ? '+' : ''}${value.toFixed(0)}`;

function table(headings: string[], rows: string[][]): string {
  const line = (cells: string[]) => `| ${cells.join(' | ')} |`;
  const rule = headings.map((_, index) => (index === 0 ? '---' : '---:'));
  return [line(headings), line(rule), ...rows.map(line)].join('\n');
}

function scenarioTable(results: Results, scenario: Scenario): string {
  const cell = (target: TargetName) => results.cells.get(cellKey(scenario, target));
  const direct = cell('direct');
  const floor = cell('floor-bytes');
  const parse = cell('floor-parse');
  const rows = results.targets.flatMap((target) => {
    const measured = cell(target);
    if (measured === undefined) return [];
    return [
      [
        target,
        fixed(measured.requestsPerSecond, 0),
        ratio(measured.requestsPerSecond, direct?.requestsPerSecond),
        ratio(measured.requestsPerSecond, floor?.requestsPerSecond),
        fixed(measured.p50Ms, 3),
        fixed(measured.p99Ms, 3),
        direct ? signed((measured.p50Ms - direct.p50Ms) * 1000) : '—',
        target === 'direct' ? '—' : fixed(measured.cpuMicrosPerRequest, 0),
        target === 'direct' ? '—' : ratio(measured.cpuMicrosPerRequest, parse?.cpuMicrosPerRequest),
        fixed(measured.upstreamCpuMicrosPerRequest, 0),
        `${measured.ok}${measured.failed > 0 ? ` (${measured.failed} failed)` : ''}`,
      ],
    ];
  });
  return table(
    [
      'target',
      'req/s',
      '× direct',
      '× floor',
      'p50 ms',
      'p99 ms',
      'p50 vs direct µs',
      'CPU µs/req',
      'CPU × parse floor',
      'upstream CPU µs/req',
      'requests',
    ],
    rows,
  );
}

interface Check {
  pass: boolean;
  text: string;
}

/** The issue's targets, for Switchboard. "The floor" is the bytes proxy; CPU is against the parsing floor. */
export function checks(results: Results): Check[] {
  const out: Check[] = [];
  const get = (mode: Scenario['mode'], connections: number, target: TargetName) =>
    results.cells.get(cellKey({ mode, connections }, target));
  const missing = (what: string) => out.push({ pass: false, text: `${what}: not measured` });
  const modes = ['json', 'sse'] as const;
  const label = (mode: Scenario['mode']) => (mode === 'json' ? 'JSON' : 'SSE');

  for (const mode of modes) {
    const ratios = results.scenarios
      .filter((scenario) => scenario.mode === mode)
      .flatMap((scenario) => {
        const gateway = get(mode, scenario.connections, 'switchboard');
        const parse = get(mode, scenario.connections, 'floor-parse');
        return gateway && parse
          ? [{ connections: scenario.connections, value: gateway.cpuMicrosPerRequest / parse.cpuMicrosPerRequest }]
          : [];
      });
    if (ratios.length === 0) missing(`CPU/request ${label(mode)}`);
    else {
      const worst = ratios.reduce((a, b) => (b.value > a.value ? b : a));
      const all = ratios.map((entry) => `${entry.value.toFixed(2)}× at ${entry.connections}`).join(', ');
      out.push({ pass: worst.value <= 1.3, text: `CPU/request ${label(mode)} ≤ 1.3 × parsing floor: ${all}` });
    }
  }
  for (const mode of modes) {
    const [gateway, floor, parse, direct] = (['switchboard', 'floor-bytes', 'floor-parse', 'direct'] as const).map((target) =>
      get(mode, 1, target),
    );
    if (!gateway || !floor || !direct) missing(`added p50 ${label(mode)}`);
    else {
      const added = (cell: Cell) => (cell.p50Ms - direct.p50Ms) * 1000;
      const over = added(gateway) - added(floor);
      out.push({
        pass: over <= 100,
        text:
          `added p50 at 1 connection, ${label(mode)} ≤ floor + 100 µs: +${added(gateway).toFixed(0)} µs vs floor +${added(floor).toFixed(0)} µs` +
          ` (${signed(over)} µs)${parse ? `; parsing floor +${added(parse).toFixed(0)} µs` : ''}`,
      });
    }
  }
  for (const mode of modes) {
    const gateway = get(mode, 64, 'switchboard');
    const floor = get(mode, 64, 'floor-bytes');
    if (!gateway || !floor) missing(`throughput ${label(mode)}`);
    else {
      const value = gateway.requestsPerSecond / floor.requestsPerSecond;
      out.push({
        pass: value >= 0.85,
        text: `throughput at 64 connections, ${label(mode)} ≥ 0.85 × floor: ${value.toFixed(2)}× (${gateway.requestsPerSecond.toFixed(0)} vs ${floor.requestsPerSecond.toFixed(0)} req/s)`,
      });
    }
  }
  const rss = results.rssMb.switchboard;
  const floorRss = results.rssMb['floor-bytes'];
  if (rss === undefined || floorRss === undefined) missing('RSS under load');
  else {
    out.push({
      pass: rss <= floorRss + 30,
      text: `RSS under load ≤ floor + 30 MB: ${rss.toFixed(0)} MB vs ${floorRss.toFixed(0)} MB (${signed(rss - floorRss)} MB)`,
    });
  }
  const streams = results.streams.switchboard;
  const floorStreams = results.streams['floor-bytes'];
  if (streams === undefined) missing('open streams');
  else {
    out.push({
      pass: streams.rssPeakMb <= 150 && streams.openAtPeak >= streams.streams * 0.95,
      text:
        `${streams.streams} open streams ≤ 150 MB: ${streams.rssPeakMb.toFixed(0)} MB with ${streams.openAtPeak} open at once, ` +
        `${streams.completed} completed${streams.failed > 0 ? `, ${streams.failed} failed` : ''}` +
        (floorStreams ? ` (floor: ${floorStreams.rssPeakMb.toFixed(0)} MB with ${floorStreams.openAtPeak} open)` : ''),
    });
  }
  const memory = get('json', 16, 'switchboard');
  const shared = get('json', 16, 'switchboard-redis');
  const direct16 = get('json', 16, 'direct');
  if (memory !== undefined && shared !== undefined && direct16 !== undefined) {
    const cpu = shared.cpuMicrosPerRequest / memory.cpuMicrosPerRequest;
    out.push({
      pass: cpu <= 1.1,
      text: `Redis-backed CPU/request within 10 % of in-memory at 16 connections, JSON: ${cpu.toFixed(2)}× (${shared.cpuMicrosPerRequest.toFixed(0)} vs ${memory.cpuMicrosPerRequest.toFixed(0)} µs)`,
    });
    const added = (cell: Cell) => (cell.p50Ms - direct16.p50Ms) * 1000;
    const p50 = added(shared) / added(memory);
    out.push({
      pass: p50 <= 1.1,
      text: `Redis-backed added p50 within 10 % of in-memory at 16 connections, JSON: ${p50.toFixed(2)}× (+${added(shared).toFixed(0)} vs +${added(memory).toFixed(0)} µs)`,
    });
  }
  const hedged = get('sse', 16, 'switchboard-hedged');
  const unhedged = get('sse', 16, 'switchboard-unhedged');
  if (hedged !== undefined && unhedged !== undefined) {
    const cpu = hedged.cpuMicrosPerRequest / unhedged.cpuMicrosPerRequest;
    out.push({
      pass: cpu <= 1.05,
      text: `hedging on adds no CPU per stream when no hedge fires, SSE at 16 connections: ${cpu.toFixed(2)}× hedging off (${hedged.cpuMicrosPerRequest.toFixed(0)} vs ${unhedged.cpuMicrosPerRequest.toFixed(0)} µs)`,
    });
  }
  for (const mode of ['json', 'sse'] as const) {
    const watched = get(mode, 16, 'switchboard-watched');
    const plain = get(mode, 16, 'switchboard');
    if (watched === undefined || plain === undefined) continue;
    const cpu = watched.cpuMicrosPerRequest / plain.cpuMicrosPerRequest;
    out.push({
      pass: cpu <= 1.05,
      text: `an open status page (/status/stream) adds no CPU per request, ${mode.toUpperCase()} at 16 connections: ${cpu.toFixed(2)}× without one (${watched.cpuMicrosPerRequest.toFixed(0)} vs ${plain.cpuMicrosPerRequest.toFixed(0)} µs)`,
    });
  }
  for (const [target, counted] of Object.entries(results.ledger ?? {})) {
    // autocannon counts what it saw answered; requests still in flight when a run stops are answered
    // (and recorded) after it stopped counting, so the ledger may hold a few more rows, never fewer.
    out.push({
      pass: counted.rows >= counted.requests,
      text: `${target}: every answered request has its ledger row: ${counted.rows} rows for ${counted.requests} requests autocannon saw answered`,
    });
  }
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

export function renderReport(results: Results): string {
  const { header } = results;
  const parts: string[] = [
    '# Switchboard overhead benchmark',
    '',
    `${header.date} · Node ${header.node} · ${header.cores} cores (${header.cpu}) · \`${header.command}\``,
    '',
    header.plan,
    '',
  ];
  for (const [target, reason] of Object.entries(results.skipped)) parts.push(`**${target} not measured:** ${reason}`, '');
  for (const scenario of results.scenarios) parts.push(`## ${scenarioName(scenario)}`, '', scenarioTable(results, scenario), '');

  parts.push('## Memory', '');
  const memoryRows = results.targets.map((target) => {
    const streams = results.streams[target];
    return [
      target,
      fixed(results.rssMb[target], 0),
      fixed(results.peakRssMb[target], 0),
      streams ? fixed(streams.rssBeforeMb, 0) : '—',
      streams ? fixed(streams.rssPeakMb, 0) : '—',
      streams ? `${streams.openAtPeak} / ${streams.streams}` : '—',
      streams ? `${streams.completed}${streams.failed > 0 ? ` (${streams.failed} failed)` : ''}` : '—',
    ];
  });
  parts.push(
    table(
      [
        'target',
        'RSS under load MB',
        'peak RSS MB',
        'RSS before streams MB',
        'RSS with streams open MB',
        'open at peak',
        'completed',
      ],
      memoryRows,
    ),
    '',
    '`direct` is the emulator itself. RSS under load is the median of VmRSS sampled at the end of every load run; peak RSS is ' +
      'VmHWM after all of them (one burst of garbage sets it). The streams columns come from a fresh process of each target.',
    '',
  );

  const library = results.library;
  if (library !== undefined) {
    parts.push(
      '## Library and failover',
      '',
      `Medians over ${library.samples} sequential calls each, after a warm-up, the variants taking turns in a shuffled order.`,
      '',
      table(
        ['call', 'median µs', 'vs complete() µs'],
        [
          ['undici `request` + JSON (direct)', fixed(library.direct, 1), signed(library.direct - library.complete)],
          ['`router.complete`, one provider', fixed(library.complete, 1), '0'],
          ['first provider refuses, second answers', fixed(library.failover, 1), signed(library.failover - library.complete)],
          ['same, first provider’s circuit open', fixed(library.open, 1), signed(library.open - library.complete)],
        ],
      ),
      '',
    );
  }

  const variants = results.targets.filter((target) => target.startsWith('switchboard'));
  if (variants.length > 1) {
    parts.push(
      '## Shared state and the usage ledger',
      '',
      '`switchboard` runs as configured by default: state in memory, usage ledger on (SQLite, rows written in batches off the ' +
        'request path); `switchboard-no-ledger` has `usage.enabled: false`; `switchboard-redis` keeps its state in a redis-server ' +
        '(`state.redis`) on 127.0.0.1, ledger on; `switchboard-hedged` and `switchboard-unhedged` have a second provider to hedge to, ' +
        "with `routing.hedging` on (the default) and off; `switchboard-watched` is `switchboard` with the dashboard's live feed " +
        '(`/status/stream`) held open throughout. At 16 connections:',
      '',
    );
    const rows = (['json', 'sse'] as const).flatMap((mode) => {
      const scenario = { mode, connections: 16 };
      const direct = results.cells.get(cellKey(scenario, 'direct'));
      const base = results.cells.get(cellKey(scenario, 'switchboard'));
      return variants.flatMap((target) => {
        const cell = results.cells.get(cellKey(scenario, target));
        if (cell === undefined) return [];
        return [
          [
            `${mode === 'json' ? 'JSON' : 'SSE'} · ${target}`,
            direct ? signed((cell.p50Ms - direct.p50Ms) * 1000) : '—',
            fixed(cell.cpuMicrosPerRequest, 0),
            ratio(cell.cpuMicrosPerRequest, base?.cpuMicrosPerRequest),
            fixed(cell.requestsPerSecond, 0),
          ],
        ];
      });
    });
    parts.push(table(['scenario · target', 'p50 vs direct µs', 'CPU µs/req', 'CPU × switchboard', 'req/s'], rows), '');
  }

  parts.push('## Targets (Switchboard)', '');
  for (const check of checks(results)) parts.push(`- ${check.pass ? 'pass' : '**miss**'}: ${check.text}`);
  parts.push('');
  return parts.join('\n');
}
