// The results as Markdown: the summary against the parse floor, one table per scenario, memory,
// the library, failover, open streams, and the targets as pass/miss lines (checks.ts).
import { checks, floorTarget, gatewayTarget, warnTarget } from './checks.ts';
import { type Cell, cellKey, type Results, type Scenario, scenarioName } from './results.ts';
import type { TargetName } from './targets.ts';

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

/**
 * The table issue 13 asks for: per scenario, each target's ratio to the parse floor (CPU per request,
 * requests/s), at 1 connection the p50 added over the floor, and memory over the floor. The floor's
 * own column holds its absolute figures.
 */
function summaryTable(results: Results): string {
  const columns = [
    floorTarget,
    gatewayTarget,
    warnTarget,
    ...results.targets.filter((target) => target.startsWith('switchboard') && target !== gatewayTarget && target !== warnTarget),
    'portkey' as const,
  ].filter((target) => results.targets.includes(target));
  const rows: string[][] = [];
  for (const scenario of results.scenarios) {
    const floor = results.cells.get(cellKey(scenario, floorTarget));
    const each = (format: (cell: Cell, floor: Cell) => string, own: (floor: Cell) => string) =>
      columns.map((target) => {
        const cell = results.cells.get(cellKey(scenario, target));
        if (cell === undefined || floor === undefined) return '—';
        return target === floorTarget ? own(floor) : format(cell, floor);
      });
    const name = scenarioName(scenario);
    rows.push([
      `${name} · CPU per request`,
      ...each(
        (cell, base) => ratio(cell.cpuMicrosPerRequest, base.cpuMicrosPerRequest),
        (base) => `${fixed(base.cpuMicrosPerRequest, 0)} µs`,
      ),
    ]);
    rows.push([
      `${name} · requests/s`,
      ...each(
        (cell, base) => ratio(cell.requestsPerSecond, base.requestsPerSecond),
        (base) => `${fixed(base.requestsPerSecond, 0)}/s`,
      ),
    ]);
    if (scenario.connections === 1)
      rows.push([
        `${name} · p50 added over the floor`,
        ...each(
          (cell, base) => `${signed((cell.p50Ms - base.p50Ms) * 1000)} µs`,
          (base) => `p50 ${fixed(base.p50Ms * 1000, 0)} µs`,
        ),
      ]);
  }
  const floorRss = results.rssMb[floorTarget];
  rows.push([
    'RSS under load (median at the end of each run)',
    ...columns.map((target) => {
      const rss = results.rssMb[target];
      if (rss === undefined || floorRss === undefined) return '—';
      return target === floorTarget ? `${fixed(rss, 0)} MB` : `${signed(rss - floorRss)} MB`;
    }),
  ]);
  rows.push([
    'RSS idle (after start-up)',
    ...columns.map((target) => (results.idleRssMb[target] === undefined ? '—' : `${fixed(results.idleRssMb[target], 0)} MB`)),
  ]);
  rows.push([
    'RSS with 1,000 slow streams open (fresh process)',
    ...columns.map((target) => {
      const streams = results.streams[target];
      return streams === undefined ? '—' : `${fixed(streams.rssPeakMb, 0)} MB`;
    }),
  ]);
  return table(['scenario · figure', ...columns], rows);
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
  parts.push(
    '## Against the parse floor',
    '',
    `Ratios to \`${floorTarget}\` (whose own column has its absolute figures); for memory, MB over it. ` +
      `\`${gatewayTarget}\` runs the shipped defaults (request log at \`info\` to a file, usage ledger on); \`${warnTarget}\` the same with \`server.logLevel: warn\`.`,
    '',
    summaryTable(results),
    '',
    '## Targets (issue 13: Switchboard at its defaults)',
    '',
  );
  for (const check of checks(results)) parts.push(`- ${check.pass ? 'pass' : '**miss**'}: ${check.text}`);
  parts.push('');
  for (const scenario of results.scenarios) parts.push(`## ${scenarioName(scenario)}`, '', scenarioTable(results, scenario), '');

  parts.push('## Memory', '');
  const memoryRows = results.targets.map((target) => {
    const streams = results.streams[target];
    return [
      target,
      fixed(results.idleRssMb[target], 0),
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
        'RSS idle MB',
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
    '`direct` is the emulator itself. RSS idle is VmRSS after start-up and four checked requests; RSS under load is the median of VmRSS ' +
      'sampled at the end of every load run; peak RSS is VmHWM after all of them (one burst of garbage sets it). The streams ' +
      'columns come from a fresh process of each target.',
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
  parts.push(variantSection(results));
  return parts.join('\n');
}

/** The `warn` variants (state in Redis, hedging, an open status page, no ledger) against `switchboard-warn`. */
function variantSection(results: Results): string {
  const variants = results.targets.filter((target) => target.startsWith('switchboard') && target !== gatewayTarget);
  if (variants.length < 2) return '';
  const rows = (['json', 'sse'] as const).flatMap((mode) => {
    const scenario: Scenario = { mode, body: 'chat', connections: 16 };
    const direct = results.cells.get(cellKey(scenario, 'direct'));
    const base = results.cells.get(cellKey(scenario, warnTarget));
    return variants.flatMap((target: TargetName) => {
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
  return [
    '## Variants at `logLevel: warn`: shared state, the usage ledger, hedging, an open status page',
    '',
    `\`${warnTarget}\`: state in memory, usage ledger on (SQLite, rows written in batches off the request path); ` +
      '`switchboard-no-ledger` has `usage.enabled: false`; `switchboard-redis` keeps its state in a redis-server ' +
      '(`state.redis`) on 127.0.0.1; `switchboard-hedged` and `switchboard-unhedged` have a second provider to hedge to, ' +
      `with \`routing.hedging\` on (the default) and off; \`switchboard-watched\` is \`${warnTarget}\` with the dashboard's live feed ` +
      '(`/status/stream`) held open throughout. At 16 connections:',
    '',
    table(['scenario · target', 'p50 vs direct µs', 'CPU µs/req', `CPU × ${warnTarget}`, 'req/s'], rows),
    '',
  ].join('\n');
}
