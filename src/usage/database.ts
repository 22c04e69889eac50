// The usage ledger's SQLite file (node:sqlite, no native build): one row per request, and the
// totals over a time range. Shared by the gateway (which writes and reads) and `switchboard usage
// --db` (which only reads).
import { mkdirSync } from 'node:fs';
import { dirname } from 'node:path';
import type { DatabaseSync, StatementSync } from 'node:sqlite';

// Looked up when a database opens, not imported: an import of a built-in module that an old Node
// lacks fails before any code runs, so the Node version check could not say what is wrong.
const sqlite = () => process.getBuiltinModule('node:sqlite');

/** One request, as the ledger keeps it. Never a key: `keyId` is a digest's prefix. */
export interface UsageRow {
  /** Epoch ms when the request arrived. */
  at: number;
  /** The gateway key's short id (`gatewayKeyId`), or null when the gateway needs no key. */
  keyId: string | null;
  /** The generic model the caller asked for. */
  askedModel: string;
  /** The generic model that answered (a fallback's name if a fallback did); null when none did. */
  model: string | null;
  /** The provider's own id of the model that answered. */
  providerModel: string | null;
  /** The provider that answered; null when none did. */
  provider: string | null;
  attempts: number;
  /** The HTTP status the caller got (a stream that broke after its 200: the error's status). */
  status: number;
  inputTokens: number;
  outputTokens: number;
  /** USD from the answering provider's pricing; null when unpriced. */
  costUsd: number | null;
  latencyMs: number;
  stream: boolean;
}

export type UsageGrouping = 'provider' | 'model' | 'key';
export const usageGroupings: readonly UsageGrouping[] = ['provider', 'model', 'key'];

export interface UsageTotals {
  requests: number;
  /** Requests answered with a status of 400 or more. */
  errors: number;
  inputTokens: number;
  outputTokens: number;
  costUsd: number;
  /** Mean latency of the requests, ms; null when there were none. */
  latencyMsAvg: number | null;
}

export interface UsageGroup extends UsageTotals {
  /** The provider, model or key id; `(none)` for requests no provider answered or made without a key. */
  name: string;
}

const schemaVersion = 1;
const schema = `
CREATE TABLE IF NOT EXISTS usage (
  at INTEGER NOT NULL,
  key_id TEXT,
  asked_model TEXT NOT NULL,
  model TEXT,
  provider_model TEXT,
  provider TEXT,
  attempts INTEGER NOT NULL,
  status INTEGER NOT NULL,
  input_tokens INTEGER NOT NULL,
  output_tokens INTEGER NOT NULL,
  cost_usd REAL,
  latency_ms REAL NOT NULL,
  stream INTEGER NOT NULL
) STRICT;
CREATE INDEX IF NOT EXISTS usage_at ON usage (at);
`;

// A failed request has no answering model: it is counted under the model asked for.
const groupColumns: Record<UsageGrouping, string> = {
  provider: "COALESCE(provider, '(none)')",
  model: 'COALESCE(model, asked_model)',
  key: "COALESCE(key_id, '(none)')",
};

const totalsColumns = `COUNT(*) AS requests, COALESCE(SUM(status >= 400), 0) AS errors,
  COALESCE(SUM(input_tokens), 0) AS inputTokens, COALESCE(SUM(output_tokens), 0) AS outputTokens,
  COALESCE(SUM(cost_usd), 0) AS costUsd, AVG(latency_ms) AS latencyMsAvg`;

/** The ledger file: open, written in batches, summed over time ranges. */
export class UsageDatabase {
  readonly path: string;
  readonly #database: DatabaseSync;
  readonly #insert: StatementSync | undefined;

  /**
   * Opens (and with `readOnly` false, creates) the file. Throws when it cannot be opened, or
   * when it was written by a newer Switchboard.
   */
  constructor(path: string, options: { readOnly?: boolean } = {}) {
    this.path = path;
    const readOnly = options.readOnly === true;
    if (!readOnly && path !== ':memory:') mkdirSync(dirname(path), { recursive: true });
    // Another gateway may write the same file: wait a little for its lock rather than fail at once,
    // but never long, because a write holds up the event loop.
    this.#database = new (sqlite().DatabaseSync)(path, { readOnly, timeout: 50 });
    if (readOnly) return;
    try {
      this.#database.exec('PRAGMA journal_mode = WAL; PRAGMA synchronous = NORMAL;');
      const version = Number((this.#database.prepare('PRAGMA user_version').get() as { user_version: number }).user_version);
      if (version > schemaVersion) throw new Error(`${path} was written by a newer Switchboard (schema ${version})`);
      this.#database.exec(schema);
      if (version < schemaVersion) this.#database.exec(`PRAGMA user_version = ${schemaVersion}`);
      this.#insert = this.#database.prepare(
        `INSERT INTO usage (at, key_id, asked_model, model, provider_model, provider, attempts, status,
           input_tokens, output_tokens, cost_usd, latency_ms, stream) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
      );
    } catch (error) {
      this.#database.close();
      throw error;
    }
  }

  /** Writes rows in one transaction: all of them or, when it throws, none. */
  insert(rows: readonly UsageRow[]): void {
    const insert = this.#insert;
    if (insert === undefined) throw new Error(`${this.path} is open read-only`);
    if (rows.length === 0) return;
    this.#database.exec('BEGIN');
    try {
      for (const row of rows) {
        insert.run(
          Math.round(row.at),
          row.keyId,
          row.askedModel,
          row.model,
          row.providerModel,
          row.provider,
          row.attempts,
          row.status,
          Math.round(row.inputTokens),
          Math.round(row.outputTokens),
          row.costUsd,
          row.latencyMs,
          row.stream ? 1 : 0,
        );
      }
      this.#database.exec('COMMIT');
    } catch (error) {
      this.#database.exec('ROLLBACK');
      throw error;
    }
  }

  /** Totals of the requests that arrived in [sinceMs, untilMs). */
  totals(sinceMs: number, untilMs: number): UsageTotals {
    const row = this.#database
      .prepare(`SELECT ${totalsColumns} FROM usage WHERE at >= ? AND at < ?`)
      .get(sinceMs, untilMs) as unknown as UsageTotals;
    return { ...row };
  }

  /** Totals per provider, model or key over [sinceMs, untilMs), the costliest first (then the busiest). */
  groups(by: UsageGrouping, sinceMs: number, untilMs: number): UsageGroup[] {
    const column = groupColumns[by];
    const rows = this.#database
      .prepare(
        `SELECT ${column} AS name, ${totalsColumns} FROM usage WHERE at >= ? AND at < ?
         GROUP BY 1 ORDER BY costUsd DESC, requests DESC, name`,
      )
      .all(sinceMs, untilMs) as unknown as UsageGroup[];
    return rows.map((row) => ({ ...row }));
  }

  close(): void {
    if (this.#database.isOpen) this.#database.close();
  }
}
