#!/usr/bin/env node
// The `switchboard` executable. Runs from source (`node src/cli/main.ts`) and built (`dist/cli/main.js`).
import { createProgram } from './program.ts';

await createProgram().parseAsync(process.argv);
