// `node bench/status-cost.ts`: what open status pages cost the gateway. An open page holds
// `/status/stream`, which sends one update a second whatever the traffic; nothing on the request
// path looks at whether anyone watches. So the cost is measured where it is paid: CPU per second
// of the gateway process (/proc) with 0, 1, 10 and 100 streams held open, idle and under a steady
// light load (200 requests/s, so history fills and the process is never saturated), the counts
// taking turns over several rounds. The idle difference per stream, divided by a loaded gateway's
// request rate, is the CPU an open page adds per proxied request.
//
// It runs the built CLI (`npm run build` first) with the shipped defaults and three providers on
// the bench's emulator (a page with several rows). Everything binds 127.0.0.1.
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { get as httpGet } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { parseArgs } from 'node:util';
import { freePort, killAllNow, startChild, stopAll, waitForPort } from './lib/children.ts';
import { median, runLoad } from './lib/load.ts';
import { cpuMicros } from './lib/proc.ts';
import { repoDir, startEmulator, switchboardCli } from './lib/targets.ts';

const { values: flags } = parseArgs({
  options: {
    rounds: { type: 'string', default: '5' },
    seconds: { type: 'string', default: '6' },
  },
});
const rounds = Math.max(1, Number(flags.rounds) || 5);
const seconds = Math.max(1, Number(flags.seconds) || 6);
const watcherCounts = [0, 1, 10, 100];
const rate = 200;
/** Long enough for /proc's 10 ms CPU ticks to resolve 1 ms per second. */
const idleSeconds = 10;
process.on('exit', killAllNow);

const build = spawnSync('npm', ['run', 'build'], { cwd: repoDir, stdio: 'inherit' });
if (build.status !== 0) throw new Error('npm run build failed');

const directory = mkdtempSync(join(tmpdir(), 'switchboard-status-cost-'));
const emulator = await startEmulator(400);
const providers = ['first', 'second', 'third'].flatMap((name, index) => [
  `  ${name}:`,
  `    baseUrl: ${emulator.origin}/v1`,
  '    apiKey: sk-bench',
  `    priority: ${index + 1}`,
  '    models:',
  '      bench-model: bench-model',
]);
const config = join(directory, 'switchboard.yaml');
writeFileSync(config, ['usage:', `  path: ${join(directory, 'usage.db')}`, 'providers:', ...providers, ''].join('\n'));
const port = await freePort();
const gateway = startChild(
  'switchboard',
  process.execPath,
  [switchboardCli(), 'serve', '--config', config, '--port', String(port)],
  {
    stdoutFile: join(directory, 'requests.log'),
  },
);
await waitForPort(gateway, port);
const url = `http://127.0.0.1:${port}`;
const body = JSON.stringify({
  model: 'bench-model',
  messages: [
    { role: 'system', content: 'You are a terse assistant.' },
    { role: 'user', content: 'Name a fox that jumps over a dog, in twenty words or fewer.' },
  ],
  max_tokens: 64,
  temperature: 0.2,
});

/** Opens `count` status streams; each reads and counts what it is sent. Returns a closer and the byte count. */
function watch(count: number) {
  let bytes = 0;
  const requests = Array.from({ length: count }, () =>
    httpGet(`${url}/status/stream`, (response) => {
      response.on('data', (piece: Buffer) => {
        bytes += piece.length;
      });
      response.on('error', () => {});
    }).on('error', () => {}),
  );
  return {
    bytes: () => bytes,
    close: () => {
      for (const request of requests) request.destroy();
    },
  };
}

// CPU ms per second of the gateway, per number of open streams: idle, and under the steady load.
const idle = new Map<number, number[]>(watcherCounts.map((count) => [count, []]));
const loaded = new Map<number, number[]>(watcherCounts.map((count) => [count, []]));
const streamBytesPerSecond: number[] = [];
let answered = 0;
const load = () =>
  runLoad({ url: `${url}/v1/chat/completions`, headers: {}, body, connections: 4, durationS: seconds, overallRate: rate });
await load(); // warm-up: JIT, pools, the first history steps
for (let round = 0; round < rounds; round += 1) {
  const order = round % 2 === 0 ? watcherCounts : [...watcherCounts].reverse();
  for (const count of order) {
    const watchers = watch(count);
    // The streams connect and get their first full update; the last load's garbage is collected.
    await sleep(3000);
    let before = cpuMicros(gateway.pid);
    const bytesBefore = watchers.bytes();
    let started = performance.now();
    await sleep(idleSeconds * 1000);
    idle.get(count)!.push((cpuMicros(gateway.pid) - before) / 1000 / ((performance.now() - started) / 1000));
    if (count === 1) streamBytesPerSecond.push((watchers.bytes() - bytesBefore) / ((performance.now() - started) / 1000));
    before = cpuMicros(gateway.pid);
    started = performance.now();
    const result = await load();
    loaded.get(count)!.push((cpuMicros(gateway.pid) - before) / 1000 / ((performance.now() - started) / 1000));
    answered += result.ok;
    if (result.failed > 0) throw new Error(`${result.failed} requests failed with ${count} streams open`);
    watchers.close();
  }
}
await stopAll();
rmSync(directory, { recursive: true, force: true });

const row = (count: number) => {
  const [quiet, busy] = [median(idle.get(count)!), median(loaded.get(count)!)];
  const [quietBase, busyBase] = [median(idle.get(0)!), median(loaded.get(0)!)];
  const over = (value: number, base: number) => (count === 0 ? '—' : (value - base).toFixed(2));
  return `| ${count} | ${quiet.toFixed(2)} | ${over(quiet, quietBase)} | ${busy.toFixed(1)} | ${over(busy, busyBase)} |`;
};
const rounded = (values: number[]) => values.map((value) => value.toFixed(1)).join(' ');
const lines = [
  `Gateway CPU, ms per second (built CLI at its defaults, 3 providers): idle (${idleSeconds} s), and at a steady ${rate} requests/s (${seconds} s); medians of ${rounds} rounds, the stream counts taking turns; ${answered} requests answered.`,
  '',
  '| open status streams | idle | over none | at 200 requests/s | over none |',
  '| ---: | ---: | ---: | ---: | ---: |',
  ...watcherCounts.map(row),
  '',
  `One stream receives ${(median(streamBytesPerSecond) / 1024).toFixed(1)} KB/s. Every round, idle: ${watcherCounts
    .map((count) => `${count}: ${rounded(idle.get(count)!)}`)
    .join('; ')}; loaded: ${watcherCounts.map((count) => `${count}: ${rounded(loaded.get(count)!)}`).join('; ')}.`,
];
console.log(lines.join('\n'));
