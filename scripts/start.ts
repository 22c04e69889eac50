// `npm start`: the demo when no provider key is set, else the gateway (`switchboard serve`: the
// ./switchboard.yaml if there is one, else a config built from the keys in the environment).
// Extra arguments pass through: `npm start -- --port 4100`.
import { keyVariables } from '../src/cli/environment-config.ts';
import { createProgram } from '../src/cli/program.ts';

const keys = keyVariables();
const set = keys.filter((name) => (process.env[name] ?? '') !== '');
const extra = process.argv.slice(2);

if (set.length === 0) {
  process.stderr.write(`No provider key set (${keys.join(', ')}): running the demo.\n`);
  await createProgram().parseAsync(['demo', ...extra], { from: 'user' });
} else {
  process.stderr.write(`${set.join(', ')} set: serving.\n`);
  await createProgram().parseAsync(['serve', ...extra], { from: 'user' });
}
