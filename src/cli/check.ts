// `switchboard check`: send every provider the active health check once and print what came back.
import { Command } from 'commander';
import { ConfigError } from '../config/schema.ts';
import { secretsOf } from '../config/secrets.ts';
import { redact } from '../protocol/redact.ts';
import { createRouter } from '../router/router.ts';
import { loadConfigSource } from './config-file.ts';
import { type Output, standardOutput } from './output.ts';
import { formatMs, formatTable, oneLine } from './table.ts';

export function checkCommand(output: Output = standardOutput): Command {
  return new Command('check')
    .description('probe every provider with a 1-token request and print a table; exit 1 when none is healthy')
    .option('-c, --config <file>', 'config file (default: ./switchboard.yaml)')
    .addHelpText(
      'after',
      '\nEach probe is bounded by routing.healthCheck.timeoutMs. Keys are never printed.\n' +
        'Example:\n  GROQ_API_KEY=gsk_... switchboard check --config examples/switchboard.yaml',
    )
    .action(async (options: { config?: string }) => {
      process.exitCode = await check(options.config, output);
    });
}

/** Probes the providers of the config file; returns the exit code. */
export async function check(configFile: string | undefined, output: Output = standardOutput, env = process.env): Promise<number> {
  let loaded: Awaited<ReturnType<typeof loadConfigSource>>;
  try {
    loaded = await loadConfigSource(configFile, env);
  } catch (error) {
    const problems = error instanceof ConfigError ? error.problems : [(error as Error).message];
    for (const problem of problems) output.error(problem);
    return 1;
  }
  const { config } = loaded;
  // One probe each, now: the background checks are turned off for this router.
  const router = createRouter({
    ...config,
    routing: { ...config.routing, healthCheck: { ...config.routing.healthCheck, intervalMs: 0 } },
  });
  const secrets = secretsOf(config);
  let results: Awaited<ReturnType<typeof router.checkHealth>>;
  try {
    results = await router.checkHealth();
  } finally {
    await router.close();
  }
  const rows = results.map((result) => [
    result.provider,
    result.model,
    result.healthy ? 'yes' : 'no',
    formatMs(result.latencyMs),
    result.error ? oneLine(redact(result.error.message, secrets)) : '',
  ]);
  for (const [name, provider] of Object.entries(config.providers)) {
    if (provider.enabled) continue;
    const left = loaded.leftOut.find((entry) => entry.provider === name);
    rows.push([name, Object.values(provider.models)[0] ?? '-', 'skipped', '-', left ? left.reason : 'enabled: false']);
  }
  for (const line of formatTable(['PROVIDER', 'MODEL', 'HEALTHY', 'LATENCY', 'ERROR'], rows)) output.out(line);
  const healthy = results.filter((result) => result.healthy).length;
  output.out(`${healthy} of ${results.length} provider${results.length === 1 ? '' : 's'} healthy`);
  return healthy > 0 ? 0 : 1;
}
