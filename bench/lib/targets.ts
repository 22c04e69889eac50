// What the load goes to: the emulator itself, the two floors, Switchboard's gateway started
// through its built CLI (`dist/cli/main.js`, what an installed `switchboard` runs), and Portkey's
// gateway started through its bin. Each is its own process.
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { get as httpGet } from 'node:http';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { bodyKinds, requestBody } from './bodies.ts';
import { type Child, freePort, startChild, waitForPort } from './children.ts';

export type TargetName =
  | 'direct'
  | 'floor-bytes'
  | 'floor-parse'
  | 'switchboard-defaults'
  | 'switchboard-warn'
  | 'switchboard-defaults-pipe'
  | 'switchboard-warn-source'
  | 'switchboard-no-ledger'
  | 'switchboard-redis'
  | 'switchboard-hedged'
  | 'switchboard-unhedged'
  | 'switchboard-watched'
  | 'switchboard-baseline'
  | 'portkey';
export const targetNames: TargetName[] = [
  'direct',
  'floor-bytes',
  'floor-parse',
  'switchboard-defaults',
  'switchboard-warn',
  'switchboard-defaults-pipe',
  'switchboard-warn-source',
  'switchboard-no-ledger',
  'switchboard-redis',
  'switchboard-hedged',
  'switchboard-unhedged',
  'switchboard-watched',
  'switchboard-baseline',
  'portkey',
];
/** What `npm run bench` measures unless `--targets` says otherwise; the other variants are asked for by name. */
export const defaultTargets: readonly TargetName[] = [
  'direct',
  'floor-bytes',
  'floor-parse',
  'switchboard-defaults',
  'switchboard-warn',
  'portkey',
];
/**
 * Switchboard with the shipped defaults (a config naming nothing but the provider: request log at
 * `info` to stdout, which goes to a file; state in memory; usage ledger on), the same with stdout a
 * pipe the bench drains, and at `logLevel: warn` in several forms: as it is, from its TypeScript
 * sources (what the bench ran before issue 13), without its ledger, with its state in Redis, with a second provider to
 * hedge to (hedging on by default, and off: what hedging costs a stream when no hedge fires), and
 * with the dashboard's live feed held open.
 */
export const switchboardTargets: readonly TargetName[] = targetNames.filter((name) => name.startsWith('switchboard'));

export interface Target {
  name: TargetName;
  /** The chat completions URL to load. */
  url: string;
  headers: Record<string, string>;
  /** The process under test; the emulator's for `direct`. */
  child: Child;
  /** Switchboard's usage ledger file, when it keeps one. */
  ledgerPath?: string;
  /** The file its stdout (the request log) goes to, for `switchboard-defaults`. */
  logPath?: string;
}

export const benchDir = dirname(dirname(fileURLToPath(import.meta.url)));
export const repoDir = dirname(benchDir);
const libDir = join(benchDir, 'lib');
const chatPath = '/v1/chat/completions';
const auth = { authorization: 'Bearer sk-bench' };

export async function startEmulator(slowGapMs: number): Promise<{ child: Child; origin: string }> {
  const port = await freePort();
  const child = startChild('emulator', process.execPath, [join(libDir, 'emulator.ts'), String(port), '0', String(slowGapMs)]);
  await waitForPort(child, port);
  return { child, origin: `http://127.0.0.1:${port}` };
}

/** The shipped defaults: a config that names the provider and nothing else. */
export function defaultsConfig(origin: string): string {
  return ['providers:', ...providerLines(origin, 'emulator', 1), ''].join('\n');
}

function providerLines(origin: string, name: string, priority: number): string[] {
  return [
    `  ${name}:`,
    `    baseUrl: ${origin}/v1`,
    '    apiKey: sk-bench',
    `    priority: ${priority}`,
    '    models:',
    '      bench-model: bench-model',
    '      bench-slow: bench-slow',
  ];
}

/**
 * Switchboard's config for the `warn` targets: one provider, the emulator; logging at warn (no line per
 * request); its usage ledger at `ledgerPath` (off when undefined); its state in Redis when `redisUrl` is set.
 */
export function switchboardConfig(origin: string, ledgerPath?: string, redisUrl?: string, hedging?: boolean): string {
  const provider = (name: string, priority: number) => providerLines(origin, name, priority);
  return [
    'server:',
    '  logLevel: warn',
    ...(ledgerPath === undefined ? ['usage:', '  enabled: false'] : ['usage:', `  path: ${JSON.stringify(ledgerPath)}`]),
    ...(redisUrl === undefined ? [] : ['state:', `  redis: ${redisUrl}`]),
    ...(hedging === undefined ? [] : ['routing:', '  hedging:', `    enabled: ${hedging}`]),
    'providers:',
    ...provider('emulator', 1),
    // A second provider (the same emulator) gives a hedge somewhere to go; it answers only if one fires.
    ...(hedging === undefined ? [] : provider('standby', 2)),
    '',
  ].join('\n');
}

const configDirectories: string[] = [];

/** Removes the config files written for Switchboard. */
export function removeConfigFiles(): void {
  for (const directory of configDirectories.splice(0)) rmSync(directory, { recursive: true, force: true });
}

export interface StartOptions {
  /** Extra `node` flags for Switchboard (e.g. --cpu-prof). */
  switchboardNodeFlags?: string[];
  /** Run Switchboard from its TypeScript sources (`src/cli/main.ts`, stripped at load) instead of `dist/`. */
  fromSource?: boolean;
  /** For `switchboard-baseline`: the CLI of another build (`<its dist>/cli/main.js`), run at the defaults. */
  baselineCli?: string;
}

/** The CLI the Switchboard targets run: the built one unless `fromSource`. */
export function switchboardCli(fromSource = false): string {
  return join(repoDir, fromSource ? 'src/cli/main.ts' : 'dist/cli/main.js');
}

export async function startTarget(name: TargetName, emulator: { child: Child; origin: string }, options: StartOptions = {}) {
  if (name === 'direct') return { name, url: emulator.origin + chatPath, headers: auth, child: emulator.child } satisfies Target;
  const port = await freePort();
  let child: Child;
  let headers: Record<string, string> = auth;
  if (name === 'floor-bytes' || name === 'floor-parse') {
    const mode = name === 'floor-bytes' ? 'bytes' : 'parse';
    child = startChild(name, process.execPath, [join(libDir, 'proxy.ts'), mode, emulator.origin, String(port)]);
  } else if (switchboardTargets.includes(name)) {
    const directory = mkdtempSync(join(tmpdir(), 'switchboard-bench-'));
    configDirectories.push(directory);
    const file = join(directory, 'switchboard.yaml');
    const cli =
      name === 'switchboard-baseline'
        ? (options.baselineCli ?? '(no --baseline given)')
        : switchboardCli(options.fromSource || name === 'switchboard-warn-source');
    if (!existsSync(cli)) throw new Error(`${cli} is missing (npm run build)`);
    const args = [...(options.switchboardNodeFlags ?? []), cli, 'serve', '--config', file, '--port', String(port)];
    const url = `http://127.0.0.1:${port}${chatPath}`;
    if (name === 'switchboard-defaults' || name === 'switchboard-defaults-pipe' || name === 'switchboard-baseline') {
      // Run from its own directory, where the default ledger (switchboard-usage.db) lands, with stdout
      // to a file as `switchboard serve > requests.log` would have it (or a pipe the bench drains).
      writeFileSync(file, defaultsConfig(emulator.origin));
      const logPath = name === 'switchboard-defaults-pipe' ? undefined : join(directory, 'requests.log');
      child = startChild(name, process.execPath, args, { cwd: directory, stdoutFile: logPath });
      await waitForPort(child, port);
      return { name, url, headers, child, ledgerPath: join(directory, 'switchboard-usage.db'), logPath } satisfies Target;
    }
    const ledgerPath = name === 'switchboard-no-ledger' ? undefined : join(directory, 'usage.db');
    const redisUrl = name === 'switchboard-redis' ? await startRedis() : undefined;
    const hedging = name === 'switchboard-hedged' ? true : name === 'switchboard-unhedged' ? false : undefined;
    writeFileSync(file, switchboardConfig(emulator.origin, ledgerPath, redisUrl, hedging));
    child = startChild(name, process.execPath, args);
    await waitForPort(child, port);
    if (name === 'switchboard-watched') watchStatus(port);
    return { name, url, headers, child, ledgerPath } satisfies Target;
  } else {
    // Portkey's bin listens on every interface; the preload pins it to 127.0.0.1 (startup only).
    const require = createRequire(join(benchDir, 'package.json'));
    const manifest = require.resolve('@portkey-ai/gateway/package.json');
    const bin = join(dirname(manifest), (JSON.parse(readFileSync(manifest, 'utf8')) as { bin: string }).bin);
    const loopback = pathToFileURL(join(libDir, 'loopback.ts')).href;
    child = startChild(name, process.execPath, ['--import', loopback, bin, `--port=${port}`, '--headless']);
    headers = { ...auth, 'x-portkey-provider': 'openai', 'x-portkey-custom-host': `${emulator.origin}/v1` };
  }
  await waitForPort(child, port);
  return { name, url: `http://127.0.0.1:${port}${chatPath}`, headers, child } satisfies Target;
}

/**
 * Holds the dashboard's live feed (`/status/stream`) open for the target's life, as an open status
 * page does, reading and dropping what it sends; it ends when the target stops.
 */
function watchStatus(port: number): void {
  const request = httpGet({ host: '127.0.0.1', port, path: '/status/stream' }, (response) => {
    response.on('data', () => {});
    response.on('error', () => {});
  });
  request.on('error', () => {});
}

/** A redis-server for the Redis-backed target (Debian's package): no persistence, 127.0.0.1, a free port. */
async function startRedis(): Promise<string> {
  const port = await freePort();
  const directory = mkdtempSync(join(tmpdir(), 'switchboard-bench-redis-'));
  configDirectories.push(directory);
  const args = ['--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no', '--dir', directory];
  const child = startChild('redis', 'redis-server', args);
  await waitForPort(child, port);
  return `redis://127.0.0.1:${port}`;
}

/** A JSON and an SSE request with each body, checked, so a broken target is reported instead of measured. */
export async function verifyTarget(target: Target): Promise<void> {
  for (const body of bodyKinds) {
    for (const stream of [false, true]) {
      const response = await fetch(target.url, {
        method: 'POST',
        headers: { 'content-type': 'application/json', ...target.headers },
        body: requestBody(body, stream),
        signal: AbortSignal.timeout(10_000),
      });
      const text = await response.text();
      const events = text.split('\n').filter((line) => line.startsWith('data: {')).length;
      const good =
        response.status === 200 && (stream ? events >= 20 && text.includes('data: [DONE]') : text.includes('"choices"'));
      if (!good) {
        throw new Error(
          `${target.name} answered a ${stream ? 'stream' : 'JSON'} request (${body}) wrongly: ${response.status} ${text.slice(0, 300)}`,
        );
      }
    }
  }
}
