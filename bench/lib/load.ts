// Load with autocannon for a fixed time. Latencies are taken from autocannon's per-response
// event (hrtime, fractional ms), not its histogram, which keeps whole milliseconds only and
// would hide the 0.1 ms this bench is about.
import { createRequire } from 'node:module';

export interface LoadOptions {
  url: string;
  headers: Record<string, string>;
  body: string;
  connections: number;
  durationS: number;
  /** Replace `[<id>]` in the body with a fresh id per request (autocannon's idReplacement). */
  uniqueBodies?: boolean;
  /** Requests per second across all connections (autocannon's overallRate); default as fast as they answer. */
  overallRate?: number;
}

export interface LoadResult {
  /** 2xx responses completed. */
  ok: number;
  /** Non-2xx responses, errors and timeouts. */
  failed: number;
  requestsPerSecond: number;
  p50Ms: number;
  p99Ms: number;
}

interface Instance extends PromiseLike<{ errors: number; timeouts: number; non2xx: number }> {
  on(event: 'response', listener: (client: unknown, status: number, bytes: number, ms: number) => void): void;
}
type Autocannon = (options: object) => Instance;

// Loaded lazily: bench/node_modules may only exist once run.ts has installed it.
let autocannon: Autocannon | undefined;

export async function runLoad(options: LoadOptions): Promise<LoadResult> {
  autocannon ??= createRequire(import.meta.url)('autocannon') as Autocannon;
  const latencies: number[] = [];
  const started = performance.now();
  const instance = autocannon({
    url: options.url,
    method: 'POST',
    headers: { 'content-type': 'application/json', ...options.headers },
    body: options.body,
    connections: options.connections,
    duration: options.durationS,
    // autocannon checks its stop flag once per sample interval (default 1 s): sample finely so runs end on time.
    sampleInt: 100,
    timeout: 10,
    idReplacement: options.uniqueBodies ?? false,
    ...(options.overallRate !== undefined && { overallRate: options.overallRate }),
  });
  instance.on('response', (_client, status, _bytes, ms) => {
    if (status >= 200 && status < 300) latencies.push(ms);
  });
  const result = await instance;
  const seconds = (performance.now() - started) / 1000;
  latencies.sort((a, b) => a - b);
  return {
    ok: latencies.length,
    failed: result.errors + result.timeouts + result.non2xx,
    requestsPerSecond: latencies.length / seconds,
    p50Ms: percentile(latencies, 0.5),
    p99Ms: percentile(latencies, 0.99),
  };
}

export function percentile(sorted: number[], fraction: number): number {
  if (sorted.length === 0) return Number.NaN;
  return sorted[Math.min(sorted.length - 1, Math.floor(fraction * sorted.length))] as number;
}

export function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const middle = Math.floor(sorted.length / 2);
  if (sorted.length % 2 === 1) return sorted[middle] as number;
  return ((sorted[middle - 1] as number) + (sorted[middle] as number)) / 2;
}
