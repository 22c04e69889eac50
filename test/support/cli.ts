// Runs the `switchboard` CLI from source in a child process, as a user would, with every wait bounded.
import { type ChildProcess, spawn } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { baseUrlVariableOf, keyVariableOf, presetNames } from '../../src/providers/presets.ts';

export const mainPath = fileURLToPath(new URL('../../src/cli/main.ts', import.meta.url));
export const repoRoot = fileURLToPath(new URL('../..', import.meta.url));

// Every preset's key and base-URL variable, so a developer's own keys and proxies never change a result.
const providerVariables = presetNames.flatMap((name) => [keyVariableOf(name) ?? [], baseUrlVariableOf(name)].flat());

/** The test's environment without provider keys or base URLs. */
export function cleanEnv(extra: Record<string, string> = {}): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = { ...process.env, NO_COLOR: '1' };
  for (const key of providerVariables) delete env[key];
  return { ...env, ...extra };
}

export interface CliOptions {
  env?: NodeJS.ProcessEnv;
  /** What to run instead of src/cli/main.ts, relative to the repository (e.g. scripts/start.ts). */
  script?: string;
  cwd?: string;
  timeoutMs?: number;
}

export interface CliResult {
  code: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
}

/** Runs `switchboard ...args` to its end; kills it and rejects after `timeoutMs` (default 20 s). */
export function runCli(args: string[], options: CliOptions = {}): Promise<CliResult> {
  const child = startCli(args, options);
  return child.exited(options.timeoutMs ?? 20_000);
}

export interface RunningCli {
  child: ChildProcess;
  readonly stdout: string;
  readonly stderr: string;
  /** Resolves with the first match of `pattern` in stdout + stderr; rejects after `timeoutMs`. */
  waitFor(pattern: RegExp, timeoutMs?: number): Promise<RegExpMatchArray>;
  /** Resolves when the process ends; kills it and rejects after `timeoutMs`. */
  exited(timeoutMs?: number): Promise<CliResult>;
  /** SIGKILL if still running; for `after` hooks. */
  kill(): void;
}

export function startCli(args: string[], options: CliOptions = {}): RunningCli {
  const entry = options.script ? join(repoRoot, options.script) : mainPath;
  const child = spawn(process.execPath, [entry, ...args], {
    cwd: options.cwd ?? repoRoot,
    env: options.env ?? cleanEnv(),
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let stdout = '';
  let stderr = '';
  const listeners = new Set<() => void>();
  const changed = () => {
    for (const listener of listeners) listener();
  };
  child.stdout!.setEncoding('utf8').on('data', (text: string) => {
    stdout += text;
    changed();
  });
  child.stderr!.setEncoding('utf8').on('data', (text: string) => {
    stderr += text;
    changed();
  });
  const ended = new Promise<CliResult>((resolve) => {
    child.on('close', (code, signal) => resolve({ code, signal, stdout, stderr }));
  });

  return {
    child,
    get stdout() {
      return stdout;
    },
    get stderr() {
      return stderr;
    },
    waitFor(pattern, timeoutMs = 15_000) {
      return new Promise((resolve, reject) => {
        const check = () => {
          const match = (stdout + stderr).match(pattern);
          if (!match) return;
          done();
          resolve(match);
        };
        const timer = setTimeout(() => {
          done();
          reject(new Error(`no ${pattern} after ${timeoutMs} ms; stdout:\n${stdout}\nstderr:\n${stderr}`));
        }, timeoutMs);
        const onEnd = () => {
          check();
          if (!listeners.has(check)) return;
          done();
          reject(new Error(`exited before ${pattern}; stdout:\n${stdout}\nstderr:\n${stderr}`));
        };
        const done = () => {
          clearTimeout(timer);
          listeners.delete(check);
          child.off('close', onEnd);
        };
        listeners.add(check);
        child.on('close', onEnd);
        check();
      });
    },
    async exited(timeoutMs = 20_000) {
      let timer: NodeJS.Timeout | undefined;
      const timeout = new Promise<never>((_, reject) => {
        timer = setTimeout(() => {
          child.kill('SIGKILL');
          reject(new Error(`still running after ${timeoutMs} ms; stdout:\n${stdout}\nstderr:\n${stderr}`));
        }, timeoutMs);
      });
      try {
        return await Promise.race([ended, timeout]);
      } finally {
        clearTimeout(timer);
      }
    },
    kill() {
      if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
    },
  };
}

/** A fresh directory under the system's temp dir; removed by the returned function. */
export async function tempDir(): Promise<{
  path: string;
  write(name: string, text: string): Promise<string>;
  remove(): Promise<void>;
}> {
  const path = await mkdtemp(join(tmpdir(), 'switchboard-cli-'));
  return {
    path,
    async write(name, text) {
      const file = join(path, name);
      await writeFile(file, text);
      return file;
    },
    remove: () => rm(path, { recursive: true, force: true }),
  };
}
