#!/usr/bin/env node
// The `switchboard` executable. Runs from source (`node src/cli/main.ts`) and built (`dist/cli/main.js`).
// First: on a Node too old for Switchboard this stops with one line before anything else loads.
import '../node-version.ts';
import { holdYoungGeneration } from '../gateway/memory.ts';

// Before anything else allocates: what starting leaves behind belongs in the old generation.
holdYoungGeneration();

// Loaded after the check, so that no module that an old Node cannot even link (node:sqlite) is reached.
const { createProgram } = await import('./program.ts');
await createProgram().parseAsync(process.argv);
