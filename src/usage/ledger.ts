// The usage ledger: rows are queued in memory as requests finish and written to SQLite in
// batches on later turns of the event loop, so a request never waits on the disk. The queue is
// bounded: when writes fall behind (a locked or full disk), new rows are dropped and counted
// instead of growing the heap.
import type { UsageDatabase, UsageGroup, UsageGrouping, UsageRow, UsageTotals } from './database.ts';

export interface UsageLedgerOptions {
  /** Longest a row waits before it is written, ms (default 1000). */
  flushMs?: number;
  /** Rows held while writes fall behind; rows beyond it are dropped (default 20,000). */
  maxPendingRows?: number;
  /** Rows per transaction; a full batch is written on the next turn of the event loop (default 256). */
  batchRows?: number;
  /** Told once when writing starts failing or rows start being dropped, and once when it recovers. */
  onProblem?: (problem: LedgerProblem) => void;
}

export type LedgerProblem =
  | { kind: 'write-failed'; error: unknown; pendingRows: number }
  | { kind: 'dropping'; maxPendingRows: number }
  | { kind: 'recovered'; droppedRows: number };

/** What /status shows of the ledger. */
export interface LedgerStatus {
  path: string;
  writtenRows: number;
  pendingRows: number;
  droppedRows: number;
  /** The last write error's message while writes fail; null when they succeed. */
  lastError: string | null;
}

export class UsageLedger {
  readonly #database: UsageDatabase;
  readonly #maxPendingRows: number;
  readonly #batchRows: number;
  readonly #onProblem: (problem: LedgerProblem) => void;
  readonly #timer: NodeJS.Timeout;
  #pending: UsageRow[] = [];
  #scheduled = false;
  #written = 0;
  #dropped = 0;
  #failing: string | null = null;
  #dropping = false;
  #closed = false;

  constructor(database: UsageDatabase, options: UsageLedgerOptions = {}) {
    this.#database = database;
    this.#maxPendingRows = options.maxPendingRows ?? 20_000;
    this.#batchRows = options.batchRows ?? 256;
    this.#onProblem = options.onProblem ?? (() => {});
    this.#timer = setInterval(() => this.#writeBatches(1), options.flushMs ?? 1000);
    this.#timer.unref();
  }

  /** Queues one request's row; O(1), never touches the disk. */
  record(row: UsageRow): void {
    if (this.#closed) return;
    if (this.#pending.length >= this.#maxPendingRows) {
      this.#dropped += 1;
      if (!this.#dropping) {
        this.#dropping = true;
        this.#onProblem({ kind: 'dropping', maxPendingRows: this.#maxPendingRows });
      }
      return;
    }
    this.#pending.push(row);
    if (this.#pending.length >= this.#batchRows && !this.#scheduled && this.#failing === null) {
      this.#scheduled = true;
      setImmediate(() => {
        this.#scheduled = false;
        this.#writeBatches(1);
      });
    }
  }

  /** Writes every queued row now; false when the write failed (the rows stay queued). */
  flush(): boolean {
    return this.#writeBatches(Number.POSITIVE_INFINITY);
  }

  /** Totals over [sinceMs, untilMs), queued rows included. */
  totals(sinceMs: number, untilMs: number): UsageTotals {
    this.flush();
    return this.#database.totals(sinceMs, untilMs);
  }

  /** Totals per provider, model or key over [sinceMs, untilMs), queued rows included. */
  groups(by: UsageGrouping, sinceMs: number, untilMs: number): UsageGroup[] {
    this.flush();
    return this.#database.groups(by, sinceMs, untilMs);
  }

  status(): LedgerStatus {
    return {
      path: this.#database.path,
      writtenRows: this.#written,
      pendingRows: this.#pending.length,
      droppedRows: this.#dropped,
      lastError: this.#failing,
    };
  }

  /** Writes what is queued and closes the file; later rows are ignored. Safe to call twice. */
  close(): void {
    if (this.#closed) return;
    clearInterval(this.#timer);
    this.flush();
    this.#closed = true;
    this.#database.close();
  }

  /** Writes up to `batches` batches of the queue, oldest first. */
  #writeBatches(batches: number): boolean {
    if (this.#closed) return false;
    for (let written = 0; written < batches && this.#pending.length > 0; written += 1) {
      const batch = this.#pending.length <= this.#batchRows ? this.#pending : this.#pending.slice(0, this.#batchRows);
      try {
        this.#database.insert(batch);
      } catch (error) {
        if (this.#failing === null) this.#onProblem({ kind: 'write-failed', error, pendingRows: this.#pending.length });
        this.#failing = error instanceof Error ? error.message : String(error);
        return false;
      }
      this.#pending = batch === this.#pending ? [] : this.#pending.slice(batch.length);
      this.#written += batch.length;
    }
    if ((this.#failing !== null || this.#dropping) && this.#pending.length < this.#maxPendingRows) {
      this.#failing = null;
      this.#dropping = false;
      this.#onProblem({ kind: 'recovered', droppedRows: this.#dropped });
    }
    // A backlog left after the batches this turn may write goes out on the next turns.
    if (this.#pending.length >= this.#batchRows && !this.#scheduled) {
      this.#scheduled = true;
      setImmediate(() => {
        this.#scheduled = false;
        this.#writeBatches(1);
      });
    }
    return true;
  }
}
