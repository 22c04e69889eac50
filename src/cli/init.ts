// `switchboard init`: write a commented switchboard.yaml for the provider keys in the environment.
import { existsSync } from 'node:fs';
import { writeFile } from 'node:fs/promises';
import { resolve } from 'node:path';
import { createInterface } from 'node:readline/promises';
import { Command } from 'commander';
import { readConfig } from '../config/load.ts';
import { ConfigError } from '../config/schema.ts';
import { strategyNames } from '../router/strategies.ts';
import { defaultConfigFile } from './config-file.ts';
import { type AvailableModel, availableModels, buildConfigYaml, findProviders, keyVariables } from './environment-config.ts';
import { type Output, standardOutput } from './output.ts';

export interface InitOptions {
  output?: string;
  yes?: boolean;
  models?: string;
  force?: boolean;
}

export function initCommand(output: Output = standardOutput): Command {
  return new Command('init')
    .description('write a switchboard.yaml for the provider keys set in the environment')
    .option('-o, --output <file>', `where to write it (default: ./${defaultConfigFile})`)
    .option('-y, --yes', 'serve every model a found provider has, without asking')
    .option('-m, --models <names>', 'serve these generic models (comma-separated), without asking')
    .option('-f, --force', 'overwrite the file if it exists')
    .addHelpText(
      'after',
      `\nKeys are looked for in ${keyVariables().join(', ')}.\n` +
        'The file refers to them as ${VAR:-} and never holds a key.\n' +
        'Example:\n  GROQ_API_KEY=gsk_... TOGETHER_API_KEY=... switchboard init --yes && switchboard serve',
    )
    .action(async (options: InitOptions) => {
      process.exitCode = await init(options, output);
    });
}

/** Writes the config; returns the exit code. */
export async function init(
  options: InitOptions,
  output: Output = standardOutput,
  env: NodeJS.ProcessEnv = process.env,
  cwd = process.cwd(),
): Promise<number> {
  const file = resolve(cwd, options.output ?? defaultConfigFile);
  if (existsSync(file) && !options.force) {
    output.error(`${file} exists; pass --force to overwrite it, or --output to write another file`);
    return 1;
  }
  const found = findProviders(env);
  if (found.length === 0) {
    output.error(`no provider key in the environment (looked for ${keyVariables().join(', ')}).`);
    output.error('Set one and run again, or run `switchboard demo` to see failover without keys.');
    return 1;
  }
  output.error(`found keys for ${found.map(({ preset, keyVariable }) => `${preset} (${keyVariable})`).join(', ')}`);
  const available = availableModels(found);
  const chosen = await choose(available, options, output);
  if (chosen === undefined) return 1;
  const text = buildConfigYaml(found, chosen, new Date().toISOString().slice(0, 10));
  // Check the file as serve will read it before writing it.
  try {
    readConfig(text, env, file, { strategies: strategyNames });
  } catch (error) {
    output.error('the config built is not valid (a bug; please report it):');
    for (const problem of error instanceof ConfigError ? error.problems : [String(error)]) output.error(`  ${problem}`);
    return 1;
  }
  await writeFile(file, text, { mode: 0o644 });
  output.out(
    `wrote ${file}: ${chosen.size} model${chosen.size === 1 ? '' : 's'} from ${found.length} provider${found.length === 1 ? '' : 's'}`,
  );
  for (const { model, offers } of available.filter(({ model }) => chosen.has(model.name))) {
    output.out(`  ${model.name} → ${offers.map(({ preset }) => preset).join(', ')}`);
  }
  output.out(`Next: switchboard serve${options.output ? ` --config ${options.output}` : ''}`);
  return 0;
}

/** The generic models to serve: all (--yes), the named ones (--models), or the user's answer. */
async function choose(available: AvailableModel[], options: InitOptions, output: Output): Promise<Set<string> | undefined> {
  const names = available.map(({ model }) => model.name);
  if (options.models !== undefined) {
    const asked = options.models
      .split(',')
      .map((name) => name.trim())
      .filter((name) => name !== '');
    const unknown = asked.filter((name) => !names.includes(name));
    if (unknown.length > 0) {
      output.error(`not served by any provider found: ${unknown.join(', ')} (available: ${names.join(', ')})`);
      return undefined;
    }
    return new Set(asked);
  }
  if (options.yes) return new Set(names);
  if (!process.stdin.isTTY) {
    output.error('stdin is not a terminal: pass --yes (every model) or --models a,b');
    return undefined;
  }
  available.forEach(({ model, offers }, index) => {
    output.error(`  ${String(index + 1).padStart(2)}. ${model.name.padEnd(24)} ${offers.map(({ preset }) => preset).join(', ')}`);
  });
  const prompt = createInterface({ input: process.stdin, output: process.stderr });
  try {
    // Bounded: a few tries, then give up.
    for (let attempt = 0; attempt < 3; attempt++) {
      const answer = (await prompt.question('Serve which models? [all] (numbers or names, comma-separated): ')).trim();
      if (answer === '' || answer === 'all') return new Set(names);
      const picked = answer.split(',').map((part) => part.trim());
      const resolved = picked.map((part) =>
        /^\d+$/.test(part) ? names[Number(part) - 1] : names.includes(part) ? part : undefined,
      );
      if (resolved.every((name) => name !== undefined)) return new Set(resolved);
      output.error(`not in the list: ${picked.filter((_, index) => resolved[index] === undefined).join(', ')}`);
    }
    return undefined;
  } finally {
    prompt.close();
  }
}
