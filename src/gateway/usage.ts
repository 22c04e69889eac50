// The gateway's side of the usage ledger: opening it from the config (a ledger that cannot be
// opened is logged and left out, never a reason not to serve), and GET /usage.
import type { Logger } from 'pino';
import type { UsageConfig } from '../config/schema.ts';
import { invalidRequest } from '../protocol/errors.ts';
import type { Spend } from '../state/store.ts';
import { UsageDatabase, type UsageGroup, type UsageGrouping, type UsageTotals, usageGroupings } from '../usage/database.ts';
import { UsageLedger } from '../usage/ledger.ts';
import { parseRange } from '../usage/range.ts';
import type { GatewayContext } from './context.ts';
import { clip } from './endpoints.ts';

/** Opens the ledger the config asks for; undefined when it is off or cannot be opened (logged). */
export function openLedger(config: UsageConfig, logger: Logger): UsageLedger | undefined {
  if (!config.enabled) return undefined;
  let database: UsageDatabase;
  try {
    database = new UsageDatabase(config.path);
  } catch (error) {
    logger.error({ path: config.path, err: error }, 'cannot open the usage ledger: requests are served but not recorded');
    return undefined;
  }
  return new UsageLedger(database, {
    flushMs: config.flushMs,
    maxPendingRows: config.maxPendingRows,
    onProblem: (problem) => {
      if (problem.kind === 'write-failed') {
        logger.error({ path: config.path, err: problem.error, pendingRows: problem.pendingRows }, 'usage ledger: writes fail');
      } else if (problem.kind === 'dropping') {
        logger.warn({ path: config.path, maxPendingRows: problem.maxPendingRows }, 'usage ledger: behind, dropping rows');
      } else {
        logger.info({ path: config.path, droppedRows: problem.droppedRows }, 'usage ledger: writing again');
      }
    },
  });
}

/** What GET /usage answers. */
export interface UsageReport {
  /** Epoch ms, inclusive. */
  since: number;
  /** Epoch ms, exclusive. */
  until: number;
  total: UsageTotals;
  by: Partial<Record<UsageGrouping, UsageGroup[]>>;
  /**
   * With a shared (Redis) state store: spend counted by every replica since Redis began counting,
   * per provider, model and key (all time, not the range); absent with the memory store.
   */
  shared?: Record<UsageGrouping, Record<string, Spend>>;
}

/** GET /usage?since=1h&until=…&by=provider,model,key: totals over the range, and per grouping asked (default all). */
export function usageReport(context: GatewayContext, query: unknown): UsageReport {
  const ledger = context.usage;
  if (ledger === undefined) {
    throw invalidRequest('The usage ledger is off on this gateway (usage.enabled).', null, 'usage_disabled', 404);
  }
  const { since, until, by } = (query ?? {}) as Record<string, unknown>;
  for (const [name, value] of Object.entries({ since, until, by })) {
    if (value !== undefined && typeof value !== 'string') throw invalidRequest(`${name}: give it once`, name);
  }
  let range: { sinceMs: number; untilMs: number };
  try {
    range = parseRange(since as string | undefined, until as string | undefined);
  } catch (error) {
    const message = (error as Error).message;
    // The message quotes the value, which may be kilobytes of query string.
    throw invalidRequest(clip(message, 200), message.startsWith('until') ? 'until' : 'since');
  }
  const groupings = by === undefined ? usageGroupings : (by as string).split(',').map((name) => name.trim());
  for (const name of groupings) {
    if (!usageGroupings.includes(name as UsageGrouping)) {
      throw invalidRequest(
        `by: expected ${usageGroupings.join(', ')} (or several, comma-separated), got "${clip(name, 64)}"`,
        'by',
      );
    }
  }
  const report: UsageReport = {
    since: range.sinceMs,
    until: range.untilMs,
    total: ledger.totals(range.sinceMs, range.untilMs),
    by: {},
  };
  for (const name of groupings as UsageGrouping[]) report.by[name] = ledger.groups(name, range.sinceMs, range.untilMs);
  if (context.store.connection().shared) report.shared = sharedSpend(context);
  return report;
}

/** Spend from the state store for every configured provider, model and key that has some. */
function sharedSpend(context: GatewayContext): Record<UsageGrouping, Record<string, Spend>> {
  const names: Record<UsageGrouping, string[]> = {
    provider: Object.keys(context.router.config.providers),
    model: context.router.models().map((model) => model.id),
    key: context.keyIds.length > 0 ? context.keyIds : ['(none)'],
  };
  const shared = { provider: {}, model: {}, key: {} } as Record<UsageGrouping, Record<string, Spend>>;
  for (const grouping of usageGroupings) {
    for (const name of names[grouping]) {
      const spend = context.store.spend(`${grouping}:${name}`);
      if (spend.requests > 0) shared[grouping][name] = { ...spend };
    }
  }
  return shared;
}
