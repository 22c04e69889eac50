// `switchboard serve`: the gateway, with reload on SIGHUP and on a change of the config file,
// and a drain on SIGTERM / SIGINT. Its own notices go to stderr, so stdout carries only the
// gateway's request log.
import { type FSWatcher, watch } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { basename, dirname } from 'node:path';
import { Command, InvalidArgumentError } from 'commander';
import type { Config } from '../config/schema.ts';
import { ConfigError } from '../config/schema.ts';
import { releaseYoungGeneration } from '../gateway/memory.ts';
import type { Gateway } from '../gateway/server.ts';
import {
  defaultConfigFile,
  describeConfig,
  enabledProviders,
  environmentConfigText,
  environmentSource,
  judgeConfig,
  type LoadedConfig,
  loadConfigSource,
  parseConfigFile,
} from './config-file.ts';
import type { FoundProvider } from './environment-config.ts';
import { carryOnWithoutStderr, type Output, standardOutput } from './output.ts';

export interface ServeOptions {
  config?: string;
  port?: number;
  host?: string;
  /** Reload when the config file changes (default true; SIGHUP always reloads). */
  watch?: boolean;
}

/** Editors save by writing a temp file and renaming it: several events in a row, one reload. */
const watchDebounceMs = 150;

export function serveCommand(output: Output = standardOutput): Command {
  return new Command('serve')
    .description('run the OpenAI-compatible gateway')
    .option(
      '-c, --config <file>',
      'config file (default: ./switchboard.yaml, else one built from the provider keys in the environment)',
    )
    .option('-p, --port <port>', 'port to listen on (overrides server.port; 0 picks a free one)', parsePort)
    .option('-H, --host <host>', 'address to bind (overrides server.host; without server.apiKeys it is always 127.0.0.1)')
    .option('--no-watch', 'do not reload when the config file changes (SIGHUP still reloads)')
    .addHelpText(
      'after',
      '\nReload: `kill -HUP <pid>` or save the config file. A valid file replaces the old one without\n' +
        'dropping requests in flight; an invalid one is reported and the old one stays.\n' +
        'Stop: SIGTERM or Ctrl-C drains requests in flight for up to server.drainMs, then exits 0;\n' +
        'a second one exits at once (status 1), and SIGHUP during the drain is ignored.\n' +
        'Example:\n  GROQ_API_KEY=gsk_... switchboard serve --config examples/switchboard.yaml --port 4000',
    )
    .action(async (options: ServeOptions) => {
      const code = await serve(options, output);
      if (code !== 0) process.exitCode = code;
    });
}

export function parsePort(value: string): number {
  const port = Number(value);
  if (!/^\d+$/.test(value) || port > 65535) throw new InvalidArgumentError('expected a port number, 0-65535');
  return port;
}

/** The config with the command line's --port and --host, which outlive every reload. */
function withOverrides(config: Config, options: ServeOptions): Config {
  return {
    ...config,
    server: {
      ...config.server,
      ...(options.port !== undefined && { port: options.port }),
      ...(options.host !== undefined && { host: options.host }),
    },
  };
}

/**
 * Starts the gateway and installs the reload and shutdown handlers. Returns 0 once it listens
 * (the process then lives until a signal), or 1 when it cannot start.
 */
export async function serve(options: ServeOptions, output: Output = standardOutput): Promise<number> {
  carryOnWithoutStderr();
  let file: string;
  let loaded: LoadedConfig;
  let fromEnvironment: FoundProvider[] | undefined;
  try {
    ({ fromEnvironment, ...loaded } = await loadConfigSource(options.config));
    file = loaded.file;
  } catch (error) {
    report(output, error);
    return 1;
  }
  if (fromEnvironment !== undefined) {
    // Nothing to watch: the config lives in memory.
    options = { ...options, watch: false };
    output.error(
      `no ${defaultConfigFile}: serving a config built from the environment (${fromEnvironment.map(({ preset, keyVariable }) => `${preset}: ${keyVariable}`).join(', ')}); \`switchboard init\` writes it to a file`,
    );
  }
  const verdict = judgeConfig(loaded);
  if (verdict.errors.length > 0) {
    output.error(`cannot serve ${file}:`);
    for (const problem of verdict.errors) output.error(`  ${problem}`);
    return 1;
  }
  let gateway: Gateway;
  const config = withOverrides(loaded.config, options);
  try {
    // Loaded here, not at the top: `validate`, `check` and `--help` do without the web server.
    const { startGateway } = await import('../gateway/server.ts');
    gateway = await startGateway({ config, port: config.server.port, host: config.server.host });
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    if (code === 'EADDRINUSE') output.error(`port ${config.server.port} is in use; pass --port to pick another`);
    else report(output, error);
    return 1;
  }
  // Signal handlers and the file watch go in before the banner, so that whoever waits for the
  // banner (a supervisor, a test) can reload at once without racing them.
  installHandlers(gateway, file, loaded, options, output);
  releaseYoungGeneration();
  output.error(`switchboard listening on ${gateway.url}`);
  output.error(`  OpenAI base URL  ${gateway.url}/v1`);
  output.error(`  status page      ${gateway.url}/`);
  output.error(`  config           ${file}${options.watch === false ? '' : ' (watched)'}; reload with kill -HUP ${process.pid}`);
  for (const line of describeConfig({ ...loaded, config })) output.error(`  ${line}`);
  for (const warning of verdict.warnings) output.error(`  warning    ${warning}`);
  // No collection here to give back the young generation that starting grew (idle RSS ~120 MB
  // instead of ~100): measured side by side (npm run bench -- --baseline), a gateway that ran one
  // spent 5-30 % more CPU per request under load for as long as it ran.
  return 0;
}

function installHandlers(gateway: Gateway, file: string, initial: LoadedConfig, options: ServeOptions, output: Output): void {
  let current = initial;
  // The last text read, valid or not: a watch event that changes nothing is ignored, and an
  // invalid file is reported once, not on every event.
  let lastText = initial.text;
  let queue = Promise.resolve();
  let debounce: NodeJS.Timeout | undefined;
  let watcher: FSWatcher | undefined;
  let stopping = false;

  const apply = (next: LoadedConfig, reason: string) => {
    const verdict = judgeConfig(next);
    if (verdict.errors.length > 0) {
      output.error(`config not reloaded (${reason}): no provider in ${file} could take traffic; keeping the old config`);
      for (const problem of verdict.errors) output.error(`  ${problem}`);
      return;
    }
    try {
      gateway.reload(withOverrides(next.config, options));
    } catch (error) {
      output.error(`config not reloaded (${reason}): keeping the old config`);
      for (const problem of problemsOf(error)) output.error(`  ${problem.replace(/\n/g, '\n  ')}`);
      return;
    }
    current = next;
    output.error(`config reloaded (${reason}): providers ${enabledProviders(next.config).join(', ')}`);
    for (const { provider, reason: why } of next.leftOut) output.error(`  left out ${provider}: ${why}`);
    for (const warning of verdict.warnings) output.error(`  warning ${warning}`);
  };

  const reload = async (reason: 'SIGHUP' | 'file change') => {
    let text: string;
    try {
      text = file === environmentSource ? environmentConfigText(process.env) : await readFile(file, 'utf8');
    } catch (error) {
      if (reason === 'file change' && (error as NodeJS.ErrnoException).code === 'ENOENT') return; // mid-rename
      output.error(`config not reloaded (${reason}): cannot read ${file}; keeping the old config`);
      return;
    }
    if (reason === 'file change' && text === lastText) return;
    lastText = text;
    try {
      apply(parseConfigFile(file, text), reason);
    } catch (error) {
      output.error(`config not reloaded (${reason}): ${file} is invalid; keeping the old config`);
      for (const problem of problemsOf(error)) output.error(`  ${problem.replace(/\n/g, '\n  ')}`);
    }
  };

  const schedule = (reason: 'SIGHUP' | 'file change') => {
    queue = queue.then(() => (stopping ? undefined : reload(reason)));
  };

  // Stays installed while draining: without a handler, SIGHUP's default action would end the
  // process at once and cut the requests that still have time left.
  process.on('SIGHUP', () => {
    if (stopping) output.error('SIGHUP ignored: draining, not reloading');
    else schedule('SIGHUP');
  });

  if (options.watch !== false) {
    const name = basename(file);
    try {
      // The directory, not the file: a save by rename replaces the file's inode, and a
      // Kubernetes ConfigMap swaps a `..data` symlink next to it.
      watcher = watch(dirname(file), { persistent: false }, (_event, changed) => {
        if (changed !== null && changed !== name && !changed.startsWith('..')) return;
        clearTimeout(debounce);
        debounce = setTimeout(() => schedule('file change'), watchDebounceMs);
      });
      watcher.on('error', (error) => output.error(`stopped watching ${file}: ${error.message}`));
    } catch (error) {
      output.error(`cannot watch ${file} (${(error as Error).message}); reload with SIGHUP`);
    }
  }

  const stop = async (signal: NodeJS.Signals) => {
    if (stopping) {
      output.error(`${signal} again: exiting without waiting`);
      process.exit(1);
    }
    stopping = true;
    watcher?.close();
    clearTimeout(debounce);
    const drainMs = current.config.server.drainMs;
    output.error(`${signal}: draining requests in flight (up to ${drainMs} ms)`);
    try {
      await gateway.close(drainMs);
    } catch (error) {
      output.error(`error while closing: ${(error as Error).message}`);
      process.exit(1);
    }
    output.error('stopped');
    process.exitCode = 0;
    // Anything still holding the event loop (a logger's worker, a keep-alive socket) gets a
    // second to finish, not forever.
    setTimeout(() => process.exit(0), 1000).unref();
  };
  process.on('SIGTERM', stop);
  process.on('SIGINT', stop);
}

function problemsOf(error: unknown): string[] {
  return error instanceof ConfigError ? error.problems : [(error as Error).message];
}

function report(output: Output, error: unknown): void {
  for (const problem of problemsOf(error)) output.error(problem);
}
