// `switchboard usage`: totals from the usage ledger by provider, model and gateway key, read from
// a running gateway's GET /usage or straight from the ledger file.
import { existsSync } from 'node:fs';
import { Command } from 'commander';
import type { UsageReport } from '../gateway/usage.ts';
import { UsageDatabase, type UsageGroup, type UsageGrouping, type UsageTotals, usageGroupings } from '../usage/database.ts';
import { defaultSince, parseRange } from '../usage/range.ts';
import { type Output, standardOutput } from './output.ts';
import { defaultGatewayUrl, gatewayBase } from './status.ts';
import { formatMs, formatTable, oneLine } from './table.ts';

const defaultDatabase = 'switchboard-usage.db';

export interface UsageOptions {
  since?: string;
  until?: string;
  by?: string;
  url?: string;
  db?: string;
  json?: boolean;
}

export function usageCommand(output: Output = standardOutput): Command {
  return new Command('usage')
    .description('print request, token and cost totals from the usage ledger, by provider, model and key')
    .option('--since <when>', 'start: 30m, 1h, 7d, an ISO date or epoch ms', defaultSince)
    .option('--until <when>', 'end (default now), same forms')
    .option('--by <groups>', 'provider, model, key, or several comma-separated', usageGroupings.join(','))
    .option('--url <url>', 'ask a running gateway (its GET /usage); SWITCHBOARD_API_KEY is sent as its key')
    .option('--db <file>', 'read a ledger file instead (the gateway may keep running)')
    .option('--json', 'print the JSON report instead of tables')
    .addHelpText(
      'after',
      `\nWithout --url or --db: ./${defaultDatabase} when it exists, else the gateway at ${defaultGatewayUrl}.\n` +
        'Examples:\n  switchboard usage --since 1h\n  switchboard usage --since 2026-11-01 --by key --db /var/lib/switchboard/usage.db\n' +
        '  SWITCHBOARD_API_KEY=... switchboard usage --url http://10.0.0.5:4000 --since 7d',
    )
    .action(async (options: UsageOptions) => {
      process.exitCode = await usage(options, output);
    });
}

/** Prints the report; returns the exit code (1 when the source cannot be read or the range is wrong). */
export async function usage(options: UsageOptions, output: Output = standardOutput): Promise<number> {
  const fromFile = options.db ?? (options.url === undefined && existsSync(defaultDatabase) ? defaultDatabase : undefined);
  let report: UsageReport;
  let source: string;
  try {
    if (fromFile !== undefined) {
      source = fromFile;
      report = readFile(fromFile, options);
    } else {
      source = gatewayBase(options.url ?? defaultGatewayUrl);
      report = await readGateway(source, options);
    }
  } catch (error) {
    output.error((error as Error).message);
    return 1;
  }
  if (options.json) {
    output.out(JSON.stringify(report, null, 2));
    return 0;
  }
  output.out(`usage  ${formatInstant(report.since)} → ${formatInstant(report.until)}  (from ${source})`);
  output.out(`total  ${describeTotals(report.total)}`);
  for (const grouping of usageGroupings) {
    const groups = report.by[grouping];
    if (groups === undefined) continue;
    output.out('');
    for (const line of groupTable(grouping, groups)) output.out(line);
  }
  if (report.shared !== undefined) {
    output.out('');
    output.out('shared by every replica (Redis), since it began counting:');
    for (const grouping of usageGroupings) {
      const rows = Object.entries(report.shared[grouping]).map(([name, spend]) => [
        name,
        String(spend.requests),
        String(spend.inputTokens),
        String(spend.outputTokens),
        formatUsd(spend.costUsd),
      ]);
      if (rows.length === 0) continue;
      output.out('');
      for (const line of formatTable([grouping.toUpperCase(), 'REQUESTS', 'INPUT TOKENS', 'OUTPUT TOKENS', 'COST'], rows)) {
        output.out(line);
      }
    }
  }
  return 0;
}

function readFile(path: string, options: UsageOptions): UsageReport {
  const groupings = groupingsOf(options.by);
  const range = parseRange(options.since, options.until);
  if (!existsSync(path)) throw new Error(`no usage ledger at ${path}`);
  let database: UsageDatabase;
  try {
    database = new UsageDatabase(path, { readOnly: true });
  } catch (error) {
    throw new Error(`cannot read the usage ledger ${path}: ${(error as Error).message}`);
  }
  try {
    const report: UsageReport = {
      since: range.sinceMs,
      until: range.untilMs,
      total: database.totals(range.sinceMs, range.untilMs),
      by: {},
    };
    for (const grouping of groupings) report.by[grouping] = database.groups(grouping, range.sinceMs, range.untilMs);
    return report;
  } finally {
    database.close();
  }
}

async function readGateway(base: string, options: UsageOptions): Promise<UsageReport> {
  const query = new URLSearchParams({ since: options.since ?? defaultSince, by: groupingsOf(options.by).join(',') });
  if (options.until !== undefined) query.set('until', options.until);
  const key = process.env.SWITCHBOARD_API_KEY;
  let response: Response;
  try {
    response = await fetch(`${base}/usage?${query}`, {
      headers: key ? { authorization: `Bearer ${key}` } : {},
      signal: AbortSignal.timeout(10_000),
    });
  } catch (error) {
    const cause = (error as { cause?: { code?: string } }).cause?.code ?? (error as Error).message;
    throw new Error(
      `cannot reach a gateway at ${base} (${cause}); is \`switchboard serve\` running there? (--db reads a ledger file)`,
    );
  }
  const text = await response.text();
  if (!response.ok) {
    let message = oneLine(text, 200);
    try {
      message = (JSON.parse(text) as { error: { message: string } }).error.message;
    } catch {
      // Not our error shape: the raw text says what it can.
    }
    const hint = response.status === 401 ? ' (set SWITCHBOARD_API_KEY to one of the gateway keys)' : '';
    throw new Error(`${base}/usage answered ${response.status}: ${message}${hint}`);
  }
  return JSON.parse(text) as UsageReport;
}

function groupingsOf(by: string | undefined): UsageGrouping[] {
  const names = (by ?? usageGroupings.join(',')).split(',').map((name) => name.trim());
  for (const name of names) {
    if (!usageGroupings.includes(name as UsageGrouping))
      throw new Error(`--by: expected ${usageGroupings.join(', ')}, got "${name}"`);
  }
  return names as UsageGrouping[];
}

function describeTotals(totals: UsageTotals): string {
  return (
    `${totals.requests} requests, ${totals.errors} errors, ${totals.inputTokens} input + ${totals.outputTokens} output tokens, ` +
    `${formatUsd(totals.costUsd)}`
  );
}

function groupTable(grouping: UsageGrouping, groups: UsageGroup[]): string[] {
  const headers = [grouping.toUpperCase(), 'REQUESTS', 'ERRORS', 'INPUT TOKENS', 'OUTPUT TOKENS', 'COST', 'AVG LATENCY'];
  const rows = groups.map((group) => [
    group.name,
    String(group.requests),
    String(group.errors),
    String(group.inputTokens),
    String(group.outputTokens),
    formatUsd(group.costUsd),
    formatMs(group.latencyMsAvg),
  ]);
  return rows.length === 0 ? [`${headers[0]}  (no requests)`] : formatTable(headers, rows);
}

function formatUsd(usd: number): string {
  return `$${usd.toFixed(usd !== 0 && Math.abs(usd) < 0.01 ? 6 : 2)}`;
}

function formatInstant(ms: number): string {
  return new Date(ms)
    .toISOString()
    .replace('T', ' ')
    .replace(/\.\d+Z$/, 'Z');
}
