// Time ranges for usage queries, as people write them: `1h` ago, an ISO date, or epoch ms.

const unitMs: Record<string, number> = { s: 1000, m: 60_000, h: 3_600_000, d: 86_400_000, w: 604_800_000 };

/**
 * An instant from `30m`, `1h`, `7d`, `2w` (that long before `now`), an ISO 8601 date or time, or
 * epoch ms; undefined when `text` is none of these.
 */
export function parseInstant(text: string, now: number): number | undefined {
  const trimmed = text.trim();
  const relative = /^(\d+(?:\.\d+)?)\s*([smhdw])$/i.exec(trimmed);
  if (relative) return now - Number(relative[1]) * unitMs[relative[2]!.toLowerCase()]!;
  if (/^\d{10,}$/.test(trimmed)) return Number(trimmed);
  if (!/^\d{4}-\d{2}-\d{2}/.test(trimmed)) return undefined;
  const parsed = Date.parse(trimmed);
  return Number.isNaN(parsed) ? undefined : parsed;
}

export interface UsageRange {
  sinceMs: number;
  untilMs: number;
}

/** Default look-back when no `since` is given. */
export const defaultSince = '24h';

/**
 * The range [since, until) from the query's texts (`since` defaults to 24 h ago, `until` to now).
 * Throws RangeError naming the parameter for text it cannot read or a range that ends before it starts.
 */
export function parseRange(since: string | undefined, until: string | undefined, now = Date.now()): UsageRange {
  const sinceMs = parseInstant(since ?? defaultSince, now);
  if (sinceMs === undefined)
    throw new RangeError(`since: expected a duration like 1h or 7d, an ISO date or epoch ms, got "${since}"`);
  const untilMs = until === undefined ? now : parseInstant(until, now);
  if (untilMs === undefined)
    throw new RangeError(`until: expected a duration like 1h or 7d, an ISO date or epoch ms, got "${until}"`);
  if (untilMs < sinceMs) throw new RangeError('until: the range ends before it starts');
  // `until=now` should include a request that arrived in this very millisecond.
  return { sinceMs, untilMs: until === undefined ? untilMs + 1 : untilMs };
}
