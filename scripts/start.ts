// `npm start`: the demo when no provider key is set, else the gateway with the example config.
// Extra arguments pass through: `npm start -- --port 4100`.
import { fileURLToPath } from 'node:url';
import { createProgram } from '../src/cli/program.ts';

const keys = ['GROQ_API_KEY', 'TOGETHER_API_KEY', 'OPENROUTER_API_KEY', 'OPENAI_API_KEY', 'ANTHROPIC_API_KEY'];
const set = keys.filter((name) => (process.env[name] ?? '') !== '');
const extra = process.argv.slice(2);

if (set.length === 0) {
  process.stderr.write(`No provider key set (${keys.join(', ')}): running the demo.\n`);
  await createProgram().parseAsync(['demo', ...extra], { from: 'user' });
} else {
  const config = fileURLToPath(new URL('../examples/switchboard.yaml', import.meta.url));
  process.stderr.write(`${set.join(', ')} set: serving with examples/switchboard.yaml.\n`);
  await createProgram().parseAsync(['serve', '--config', config, ...extra], { from: 'user' });
}
