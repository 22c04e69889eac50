// `switchboard validate FILE`: load a config the way `serve` would and say what is wrong with it.
import { Command } from 'commander';
import { ConfigError } from '../config/schema.ts';
import { createRouter } from '../router/router.ts';
import { describeConfig, loadConfigFile } from './config-file.ts';
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

/** Validates `file`; returns the exit code. */
export async function validate(file: string, output: Output = standardOutput, env = process.env): Promise<number> {
  try {
    const loaded = await loadConfigFile(file, env);
    // The router checks what the schema cannot (the strategy name); build one and drop it.
    const router = createRouter(loaded.config);
    await router.close();
    output.out(`ok: ${file}`);
    for (const line of describeConfig(loaded)) output.out(`  ${line}`);
    return 0;
  } catch (error) {
    output.error(`invalid config: ${file}`);
    const problems = error instanceof ConfigError ? error.problems : [(error as Error).message];
    for (const problem of problems) output.error(`  ${problem}`);
    return 1;
  }
}
