// The `switchboard` command line: one subcommand per file in this folder.
import { readFileSync } from 'node:fs';
import { Command } from 'commander';
import { checkCommand } from './check.ts';
import { demoCommand } from './demo.ts';
import { initCommand } from './init.ts';
import { modelsCommand } from './models.ts';
import { serveCommand } from './serve.ts';
import { statusCommand } from './status.ts';
import { usageCommand } from './usage.ts';
import { validateCommand } from './validate.ts';

// Read at run time: package.json sits two levels up from both src/cli and dist/cli.
const { version } = JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')) as { version: string };

export function createProgram(): Command {
  return new Command('switchboard')
    .description('Multi-provider LLM router with automatic failover: an OpenAI-compatible gateway.')
    .version(version)
    .showHelpAfterError('(add --help for usage)')
    .addCommand(serveCommand())
    .addCommand(initCommand())
    .addCommand(modelsCommand())
    .addCommand(validateCommand())
    .addCommand(checkCommand())
    .addCommand(statusCommand())
    .addCommand(usageCommand())
    .addCommand(demoCommand())
    .addHelpText(
      'after',
      '\nNew here? `switchboard demo` shows failover with simulated providers, no keys needed.\n' +
        'Then: set GROQ_API_KEY (or another provider key) and run `switchboard serve`; `switchboard init` writes the config to a file.',
    );
}
