// `node bench/ledger.ts`: what the usage ledger costs the request path. 10,000 rows arrive as they
// would at 5,000 requests/s (50 every 10 ms); it reports the time `record()` takes on the request
// path, what a batch write takes on a later turn, that every row was written, and the event loop's
// delay with the ledger and, alternating, without it (the same timers, no rows).
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { monitorEventLoopDelay } from 'node:perf_hooks';
import { setTimeout as sleep } from 'node:timers/promises';
import { UsageDatabase, type UsageRow } from '../src/usage/database.ts';
import { UsageLedger } from '../src/usage/ledger.ts';

const rows = 10_000;
const perTick = 50;
const directory = mkdtempSync(join(tmpdir(), 'switchboard-ledger-bench-'));

function row(index: number): UsageRow {
  return {
    at: Date.now(),
    keyId: 'key-0123456789',
    askedModel: 'llama-3.1-8b',
    model: 'llama-3.1-8b',
    providerModel: 'llama-3.1-8b-instant',
    provider: 'groq',
    attempts: 1,
    status: 200,
    inputTokens: 20 + (index % 7),
    outputTokens: 30,
    costUsd: 0.0000042,
    latencyMs: 123.4,
    stream: index % 2 === 0,
  };
}

/** One run: rows (or none) arriving at 5,000/s; the loop delay p50/p99/max in ms and the record() time per row in ns. */
async function run(withLedger: boolean, round: number) {
  const path = join(directory, `usage-${round}.db`);
  const ledger = withLedger ? new UsageLedger(new UsageDatabase(path), { flushMs: 1000 }) : undefined;
  const built = Array.from({ length: rows }, (_, index) => row(index));
  const histogram = monitorEventLoopDelay({ resolution: 1 });
  histogram.enable();
  let recordNs = 0n;
  for (let tick = 0; tick < rows / perTick; tick += 1) {
    const started = process.hrtime.bigint();
    if (ledger !== undefined) for (let index = 0; index < perTick; index += 1) ledger.record(built[tick * perTick + index]!);
    recordNs += process.hrtime.bigint() - started;
    await sleep(10);
  }
  await sleep(1100);
  histogram.disable();
  const written = ledger?.status().writtenRows ?? 0;
  ledger?.close();
  return {
    p50: histogram.percentile(50) / 1e6,
    p99: histogram.percentile(99) / 1e6,
    max: histogram.max / 1e6,
    recordNsPerRow: Number(recordNs) / rows,
    written,
  };
}

const results = { with: [] as Awaited<ReturnType<typeof run>>[], without: [] as Awaited<ReturnType<typeof run>>[] };
for (let round = 0; round < 4; round += 1) {
  // Alternating, so whatever else the machine does hits both alike.
  results.with.push(await run(true, round));
  results.without.push(await run(false, round));
}
const batch = Array.from({ length: 256 }, (_, index) => row(index));
const database = new UsageDatabase(join(directory, 'batches.db'));
const batchMs: number[] = [];
for (let index = 0; index < 50; index += 1) {
  const started = performance.now();
  database.insert(batch);
  batchMs.push(performance.now() - started);
}
database.close();
rmSync(directory, { recursive: true, force: true });

const median = (values: number[]) => values.toSorted((a, b) => a - b)[Math.floor(values.length / 2)]!;
const column = (list: Awaited<ReturnType<typeof run>>[], key: 'p50' | 'p99' | 'max') =>
  median(list.map((entry) => entry[key])).toFixed(2);
process.stdout.write(
  [
    `usage ledger, ${rows} rows at 5,000/s, medians of 4 alternating rounds (Node ${process.version})`,
    `  every row written: ${results.with.map((entry) => entry.written).join(', ')} of ${rows}`,
    `  record() on the request path: ${median(results.with.map((entry) => entry.recordNsPerRow)).toFixed(0)} ns per row`,
    `  one batch of 256 rows on a later turn: ${median(batchMs).toFixed(2)} ms median, ${Math.max(...batchMs).toFixed(2)} ms max (${((median(batchMs) * 1000) / 256).toFixed(1)} µs per row)`,
    `  event-loop delay with the ledger:    p50 ${column(results.with, 'p50')} ms, p99 ${column(results.with, 'p99')} ms, max ${column(results.with, 'max')} ms`,
    `  event-loop delay without it:         p50 ${column(results.without, 'p50')} ms, p99 ${column(results.without, 'p99')} ms, max ${column(results.without, 'max')} ms`,
    '',
  ].join('\n'),
);
