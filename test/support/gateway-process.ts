// `switchboard serve` in a child process, for the figures only a separate process gives: whether
// it crashed, its resident memory and its open file descriptors (from /proc), and its logs.
import { readdirSync, readFileSync } from 'node:fs';
import { setTimeout as sleep } from 'node:timers/promises';
import { type CliResult, cleanEnv, type RunningCli, startCli, tempDir } from './cli.ts';

export interface GatewayProcess {
  /** e.g. `http://127.0.0.1:40123`. */
  readonly url: string;
  readonly pid: number;
  readonly cli: RunningCli;
  readonly configFile: string;
  /** Everything it wrote: the JSON request log on stdout, notices on stderr. */
  output(): string;
  alive(): boolean;
  rssMb(): number;
  fdCount(): number;
  /** Replaces the config file (then send SIGHUP to reload). */
  writeConfig(config: object): Promise<void>;
  /** Sends `signal` and waits for the exit, SIGKILL after `timeoutMs`. */
  stop(signal?: NodeJS.Signals, timeoutMs?: number): Promise<CliResult>;
  /** SIGKILL if running and removes the config; for `after` hooks. */
  dispose(): Promise<void>;
}

/**
 * Starts `switchboard serve --config <file> --port 0 --no-watch` with `config` written as JSON
 * (which the YAML loader reads); `env` is added to a clean environment, for `${VAR}` keys.
 */
export async function startGatewayProcess(config: object, env: Record<string, string> = {}): Promise<GatewayProcess> {
  const directory = await tempDir();
  const configFile = await directory.write('switchboard.yaml', JSON.stringify(config, null, 2));
  // In its own folder: files it writes there (the usage ledger) go when the test ends.
  const cli = startCli(['serve', '--config', configFile, '--port', '0', '--no-watch'], {
    env: cleanEnv(env),
    cwd: directory.path,
  });
  let url: string;
  try {
    url = (await cli.waitFor(/switchboard listening on (http:\/\/\S+)/, 30_000))[1]!;
  } catch (error) {
    cli.kill();
    await directory.remove();
    throw error;
  }
  const pid = cli.child.pid!;
  const alive = () => cli.child.exitCode === null && cli.child.signalCode === null;
  return {
    url,
    pid,
    cli,
    configFile,
    output: () => cli.stdout + cli.stderr,
    alive,
    rssMb: () => rssMbOf(pid),
    fdCount: () => readdirSync(`/proc/${pid}/fd`).length,
    writeConfig: (next) => directory.write('switchboard.yaml', JSON.stringify(next, null, 2)).then(() => {}),
    async stop(signal = 'SIGTERM', timeoutMs = 20_000) {
      if (alive()) cli.child.kill(signal);
      return cli.exited(timeoutMs);
    },
    async dispose() {
      cli.kill();
      await cli.exited(5000).catch(() => {});
      await directory.remove();
    },
  };
}

/** Resident set size of a process in MB, from /proc/<pid>/status. */
export function rssMbOf(pid: number): number {
  const match = /VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
  return match ? Math.round(Number(match[1]) / 1024) : Number.NaN;
}

/**
 * Polls `read` every 250 ms until `settled` holds or `timeoutMs` passes; returns the last value.
 * For figures that come back down lazily (RSS after the GC, fds after keep-alive timeouts).
 */
export async function settle<T>(read: () => T, settled: (value: T) => boolean, timeoutMs: number): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let value = read();
  while (!settled(value) && Date.now() < deadline) {
    await sleep(250);
    value = read();
  }
  return value;
}
