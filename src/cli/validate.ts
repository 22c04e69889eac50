// `switchboard validate FILE`: load a config the way `serve` would and say what is wrong with it.
import { Command } from 'commander';
import { ConfigError } from '../config/schema.ts';
import { createRouter } from '../router/router.ts';
import { describeConfig, judgeConfig, type LoadedConfig, loadConfigFile } from './config-file.ts';
import { type Output, standardOutput } from './output.ts';

export function validateCommand(output: Output = standardOutput): Command {
  return new Command('validate')
    .description('check a config file: print "ok" and a summary, or every problem (exit 1)')
    .argument('<file>', 'the YAML or JSON config file')
    .addHelpText(
      'after',
      '\n`${VAR}` is read from the environment as `serve` would read it; an unset variable without a default is a problem.\n' +
        'Example:\n  switchboard validate examples/switchboard.yaml',
    )
    .action(async (file: string) => {
      process.exitCode = await validate(file, output);
    });
}

/**
 * Validates `file` with the check `serve` makes; returns the exit code: 1 whenever `serve` would
 * refuse the file, with every problem found in one pass.
 */
export async function validate(file: string, output: Output = standardOutput, env = process.env): Promise<number> {
  let loaded: LoadedConfig;
  try {
    loaded = await loadConfigFile(file, env);
    // The router checks what the config layer cannot; build one and drop it.
    const router = createRouter(loaded.config);
    await router.close();
  } catch (error) {
    output.error(`invalid config: ${file}`);
    const problems = error instanceof ConfigError ? error.problems : [(error as Error).message];
    for (const problem of problems) output.error(indent(problem));
    return 1;
  }
  const verdict = judgeConfig(loaded);
  if (verdict.errors.length > 0) {
    output.error(`invalid config: ${file} (serve would refuse it)`);
    for (const problem of verdict.errors) output.error(indent(problem));
    return 1;
  }
  output.out(`ok: ${file}`);
  for (const line of describeConfig(loaded)) output.out(`  ${line}`);
  for (const warning of verdict.warnings) output.out(`  warning    ${warning}`);
  return 0;
}

/** Every line of a (possibly multi-line) problem, indented by two. */
export function indent(problem: string): string {
  return `  ${problem.replace(/\n/g, '\n  ')}`;
}
