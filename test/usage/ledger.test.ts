import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DatabaseSync } from 'node:sqlite';
import { describe, it, type TestContext } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import { UsageDatabase, type UsageRow } from '../../src/usage/database.ts';
import { type LedgerProblem, UsageLedger } from '../../src/usage/ledger.ts';
import { parseInstant, parseRange } from '../../src/usage/range.ts';

async function ledgerFile(t: TestContext): Promise<string> {
  const directory = await mkdtemp(join(tmpdir(), 'switchboard-usage-'));
  t.after(() => rm(directory, { recursive: true, force: true }));
  return join(directory, 'nested', 'usage.db');
}

function row(overrides: Partial<UsageRow> = {}): UsageRow {
  return {
    at: Date.now(),
    keyId: 'key-a',
    askedModel: 'llama',
    model: 'llama',
    providerModel: 'llama-3.1-8b-instant',
    provider: 'groq',
    attempts: 1,
    status: 200,
    inputTokens: 10,
    outputTokens: 5,
    costUsd: 0.001,
    latencyMs: 12.5,
    stream: false,
    ...overrides,
  };
}

/** Rows actually in the file, read over a connection of its own. */
function countRows(path: string): number {
  const reader = new DatabaseSync(path, { readOnly: true });
  try {
    return Number((reader.prepare('SELECT COUNT(*) AS n FROM usage').get() as { n: number }).n);
  } finally {
    reader.close();
  }
}

describe('UsageDatabase', () => {
  it('sums requests, errors, tokens, cost and latency, per provider, model and key, within the range', async (t) => {
    const database = new UsageDatabase(await ledgerFile(t));
    t.after(() => database.close());
    database.insert([
      row({ at: 1000, provider: 'groq', keyId: 'key-a', costUsd: 0.5, latencyMs: 10 }),
      row({ at: 2000, provider: 'groq', keyId: 'key-b', costUsd: 0.25, latencyMs: 30, inputTokens: 7, outputTokens: 3 }),
      row({ at: 3000, provider: 'together', model: 'qwen', askedModel: 'qwen', keyId: null, costUsd: null }),
      row({
        at: 4000,
        provider: null,
        model: null,
        providerModel: null,
        status: 503,
        inputTokens: 0,
        outputTokens: 0,
        costUsd: null,
      }),
      row({ at: 9000, provider: 'groq', costUsd: 100 }),
    ]);
    const total = database.totals(1000, 5000);
    assert.deepEqual(total, { requests: 4, errors: 1, inputTokens: 27, outputTokens: 13, costUsd: 0.75, latencyMsAvg: 16.25 });
    assert.deepEqual(
      database.groups('provider', 1000, 5000).map((group) => [group.name, group.requests, group.costUsd]),
      [
        ['groq', 2, 0.75],
        ['(none)', 1, 0],
        ['together', 1, 0],
      ],
    );
    assert.deepEqual(
      database.groups('model', 1000, 5000).map((group) => [group.name, group.requests, group.errors]),
      [
        ['llama', 3, 1],
        ['qwen', 1, 0],
      ],
    );
    assert.deepEqual(
      database.groups('key', 0, 2000).map((group) => [group.name, group.requests]),
      [['key-a', 1]],
      'the range ends before its `until`',
    );
    assert.deepEqual(database.totals(5000, 6000), {
      requests: 0,
      errors: 0,
      inputTokens: 0,
      outputTokens: 0,
      costUsd: 0,
      latencyMsAvg: null,
    });
  });

  it('opens read-only without creating anything, and refuses to write then', async (t) => {
    const path = await ledgerFile(t);
    assert.throws(() => new UsageDatabase(path, { readOnly: true }));
    new UsageDatabase(path).close();
    const reader = new UsageDatabase(path, { readOnly: true });
    t.after(() => reader.close());
    assert.throws(() => reader.insert([row()]), /read-only/);
  });
});

describe('UsageLedger', () => {
  it('queues rows without writing, then writes a full batch on a later turn and the rest on its timer', async (t) => {
    const path = await ledgerFile(t);
    const ledger = new UsageLedger(new UsageDatabase(path), { batchRows: 4, flushMs: 100 });
    t.after(() => ledger.close());
    for (let index = 0; index < 6; index += 1) ledger.record(row());
    assert.equal(countRows(path), 0, 'record() never writes on the caller turn');
    await new Promise((resolve) => setImmediate(resolve));
    assert.equal(countRows(path), 4, 'one full batch on the next turn');
    const deadline = Date.now() + 5000;
    while (countRows(path) < 6 && Date.now() < deadline) await sleep(20);
    assert.equal(countRows(path), 6, 'the remainder within flushMs');
    assert.deepEqual(ledger.status(), { path, writtenRows: 6, pendingRows: 0, droppedRows: 0, lastError: null });
  });

  it('holds rows while the file is locked, drops beyond maxPendingRows, says so once each way, and catches up', async (t) => {
    const path = await ledgerFile(t);
    const problems: LedgerProblem['kind'][] = [];
    const ledger = new UsageLedger(new UsageDatabase(path), {
      batchRows: 4,
      maxPendingRows: 10,
      flushMs: 60_000,
      onProblem: (problem) => problems.push(problem.kind),
    });
    t.after(() => ledger.close());
    // Another process holding the write lock: a real SQLITE_BUSY, not a mock.
    const other = new DatabaseSync(path);
    t.after(() => other.isOpen && other.close());
    other.exec('BEGIN EXCLUSIVE');
    for (let index = 0; index < 15; index += 1) ledger.record(row());
    assert.equal(ledger.flush(), false);
    assert.equal(ledger.flush(), false);
    const behind = ledger.status();
    assert.equal(behind.pendingRows, 10);
    assert.equal(behind.droppedRows, 5);
    assert.match(behind.lastError ?? '', /locked|busy/i);
    assert.deepEqual(problems, ['dropping', 'write-failed'], 'each problem is told once');

    other.exec('COMMIT');
    other.close();
    assert.equal(ledger.flush(), true);
    assert.equal(countRows(path), 10);
    assert.deepEqual(problems, ['dropping', 'write-failed', 'recovered']);
    assert.equal(ledger.status().lastError, null);
  });

  it('keeps its rows across a close and a reopen, and close() writes what was queued', async (t) => {
    const path = await ledgerFile(t);
    const first = new UsageLedger(new UsageDatabase(path), { flushMs: 60_000 });
    first.record(row({ at: 1000, costUsd: 0.5 }));
    first.record(row({ at: 2000, costUsd: 0.25 }));
    first.close();
    first.record(row({ at: 3000 }));
    const second = new UsageLedger(new UsageDatabase(path));
    t.after(() => second.close());
    second.record(row({ at: 4000, costUsd: 1 }));
    assert.deepEqual(
      [second.totals(0, 10_000).requests, second.totals(0, 10_000).costUsd],
      [3, 1.75],
      'queued rows count in totals; a row after close() is not kept',
    );
  });
});

describe('parseRange', () => {
  const now = Date.parse('2026-11-29T12:00:00Z');
  it('reads durations before now, ISO dates and epoch ms', () => {
    assert.equal(parseInstant('1h', now), now - 3_600_000);
    assert.equal(parseInstant('30m', now), now - 1_800_000);
    assert.equal(parseInstant('7d', now), now - 7 * 86_400_000);
    assert.equal(parseInstant('2026-11-01', now), Date.parse('2026-11-01T00:00:00Z'));
    assert.equal(parseInstant('2026-11-29T11:00:00Z', now), now - 3_600_000);
    assert.equal(parseInstant('1764417600000', now), 1764417600000);
    assert.deepEqual(parseRange(undefined, undefined, now), { sinceMs: now - 86_400_000, untilMs: now + 1 });
    assert.deepEqual(parseRange('2h', '1h', now), { sinceMs: now - 7_200_000, untilMs: now - 3_600_000 });
  });

  it('names the parameter it cannot read', () => {
    assert.throws(() => parseRange('yesterday', undefined, now), /^RangeError: since: .*"yesterday"/);
    assert.throws(() => parseRange('1h', '1 fortnight', now), /^RangeError: until: /);
    assert.throws(() => parseRange('1h', '2h', now), /until: the range ends before it starts/);
    assert.throws(() => parseRange('2026-13-45', undefined, now), /since/);
  });
});
