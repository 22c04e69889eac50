#!/usr/bin/env node
// Runs Node with the given arguments on a version that runs Switchboard's TypeScript
// directly (22.18+). On an older Node (a fresh machine may have 20) it runs the same
// arguments on Node 24 from the npm registry instead, so `npm start` and `npm test`
// work anywhere npm does. Plain JavaScript on purpose: it must run on old Node too.
import { spawn } from 'node:child_process';

const [major, minor] = process.versions.node.split('.').map(Number);
const recent = major > 22 || (major === 22 && minor >= 18);
const args = process.argv.slice(2);
const [command, commandArgs] = recent ? [process.execPath, args] : ['npx', ['--yes', 'node@24', ...args]];
if (!recent) console.error(`Node ${process.versions.node} is too old for Switchboard; running on Node 24 via npx.`);

const child = spawn(command, commandArgs, { stdio: 'inherit' });
for (const signal of ['SIGINT', 'SIGTERM', 'SIGHUP']) process.on(signal, () => child.kill(signal));
child.on('exit', (code, signal) => process.exit(code ?? (signal ? 1 : 0)));
