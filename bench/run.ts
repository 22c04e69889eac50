// `npm run bench [-- --quick | --profile]`: what Switchboard's gateway costs against a bare
// Node proxy (the floor) and against Portkey's gateway, on this machine, in one run.
// Switchboard runs as built (`npm run build` first, then `dist/cli/main.js`), as users run it.
// Every process binds 127.0.0.1; every child is killed at the end, on error and on Ctrl-C.
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { cpus, loadavg } from 'node:os';
import { join, resolve } from 'node:path';
import { DatabaseSync } from 'node:sqlite';
import { setTimeout as sleep } from 'node:timers/promises';
import { parseArgs } from 'node:util';
import { type BodyKind, bodyKinds, requestBody } from './lib/bodies.ts';
import { checks } from './lib/checks.ts';
import { freePort, killAllNow, stopAll, stopChild } from './lib/children.ts';
import { cpuMicros, memoryMb } from './lib/proc.ts';
import { renderReport } from './lib/report.ts';
import {
  type Cell,
  type Counted,
  cellKey,
  type LibraryResult,
  type Results,
  type Scenario,
  scenarioName,
} from './lib/results.ts';
import {
  benchDir,
  defaultTargets,
  removeConfigFiles,
  repoDir,
  startEmulator,
  startTarget,
  switchboardCli,
  type Target,
  type TargetName,
  targetNames,
  verifyTarget,
} from './lib/targets.ts';

const { values: flags } = parseArgs({
  options: {
    quick: { type: 'boolean', default: false },
    profile: { type: 'boolean', default: false },
    /** Only these targets, comma-separated (e.g. `direct,switchboard-warn,switchboard-redis`), or `all`. */
    targets: { type: 'string' },
    /** Rounds per scenario instead of the plan's (1 quick, 5 full). */
    rounds: { type: 'string' },
    /** Run Switchboard from its TypeScript sources (`src/cli/main.ts`), not built: what the bench did before issue 13. */
    source: { type: 'boolean', default: false },
    /** Bodies to send instead of the plan's, comma-separated: chat, conversation, small (the pre-issue-13 body). */
    bodies: { type: 'string' },
    /** Connection counts instead of the plan's, comma-separated (e.g. `16,64`). */
    connections: { type: 'string' },
    /** Each scenario also with no two request bodies alike (autocannon puts a fresh id in the last message of each). */
    'unique-bodies': { type: 'boolean', default: false },
    /** The report's file, under bench/results/ unless absolute (default latest.md, or quick.md with --quick). */
    out: { type: 'string' },
    /**
     * Another build's dist/ (an earlier commit, built in its own checkout with its node_modules), run at
     * the defaults as the target `switchboard-baseline`, beside today's: before and after in one run.
     */
    baseline: { type: 'string' },
  },
});
const named: readonly TargetName[] =
  flags.targets === undefined
    ? defaultTargets
    : flags.targets === 'all'
      ? targetNames.filter((name) => name !== 'switchboard-baseline')
      : targetNames.filter((name) => flags.targets!.split(',').includes(name));
const chosenTargets: readonly TargetName[] =
  flags.baseline === undefined || named.includes('switchboard-baseline')
    ? named
    : targetNames.filter((name) => named.includes(name) || name === 'switchboard-baseline');
const startOptions = {
  fromSource: flags.source,
  ...(flags.baseline !== undefined && { baselineCli: resolve(flags.baseline, 'cli/main.js') }),
};
/** Requests each target answered (verification, warm-up and measured runs), to check its ledger and log against. */
const answered = new Map<string, number>();
/** Requests that may have been answered after a run stopped counting: its connections, summed over runs. */
const inFlight = new Map<string, number>();
/** The checked requests every target answers before it is measured (verifyTarget): JSON and SSE per body. */
const verifiedRequests = bodyKinds.length * 2;
const plan = flags.quick
  ? {
      rounds: 1,
      durationS: 0.8,
      warmS: 0.3,
      pauseMs: 100,
      librarySamples: 500,
      streams: 1000,
      slowGapMs: 150,
      streamTargets: ['switchboard-defaults'],
    }
  : {
      rounds: 5,
      durationS: 1.5,
      warmS: 2,
      pauseMs: 150,
      librarySamples: 5000,
      streams: 1000,
      slowGapMs: 400,
      streamTargets: ['floor-parse', 'switchboard-defaults', 'portkey'],
    };
if (flags.rounds !== undefined) plan.rounds = Math.max(1, Number.parseInt(flags.rounds, 10) || 1);
// The 0.6 KB chat body at 1, 16 and 64 connections; the 8 KB conversation with tools at 16.
// --bodies and --connections replace that plan with every body at every connection count.
const listed = (text: string | undefined) => text?.split(',').filter((entry) => entry !== '');
const chosenBodies = listed(flags.bodies)?.filter((entry): entry is BodyKind => bodyKinds.includes(entry as BodyKind));
const chosenConnections = listed(flags.connections)
  ?.map(Number)
  .filter((count) => count >= 1);
const plainScenarios: Scenario[] = (['json', 'sse'] as const).flatMap((mode): Scenario[] =>
  chosenBodies === undefined && chosenConnections === undefined
    ? [
        ...[1, 16, 64].map((connections): Scenario => ({ mode, body: 'chat', connections })),
        { mode, body: 'conversation', connections: 16 },
      ]
    : (chosenBodies ?? ['chat']).flatMap((body) =>
        (chosenConnections ?? [1, 16, 64]).map((connections): Scenario => ({ mode, body, connections })),
      ),
);
const scenarios = flags['unique-bodies']
  ? plainScenarios.flatMap((scenario) => [scenario, { ...scenario, unique: true }])
  : plainScenarios;

function installDependencies(): void {
  const needed = ['autocannon', 'undici', '@portkey-ai/gateway'].map((name) =>
    join(benchDir, 'node_modules', name, 'package.json'),
  );
  if (needed.every((file) => existsSync(file))) return;
  process.stderr.write('installing the bench’s dependencies (npm install --prefix bench)…\n');
  const npm = spawnSync('npm', ['install', '--prefix', benchDir, '--no-audit', '--no-fund'], { stdio: 'inherit' });
  if (npm.status !== 0) throw new Error('npm install --prefix bench failed');
}

const runStarted = performance.now();
const log = (line: string) => process.stderr.write(`[${((performance.now() - runStarted) / 1000).toFixed(1)} s] ${line}\n`);

process.on('exit', killAllNow);
for (const signal of ['SIGINT', 'SIGTERM'] as const) {
  process.on(signal, () => {
    log(`${signal}: stopping every child`);
    stopAll()
      .then(removeConfigFiles)
      .finally(() => process.exit(130));
  });
}

/** `npm run build` (tsc → dist/), so the Switchboard targets run what was just built. */
function buildSwitchboard(): void {
  if (flags.source || !chosenTargets.some((name) => name.startsWith('switchboard'))) return;
  log('npm run build');
  const build = spawnSync('npm', ['run', 'build', '--silent'], { cwd: repoDir, stdio: ['ignore', 'inherit', 'inherit'] });
  if (build.status !== 0) throw new Error('npm run build failed: the Switchboard targets need dist/');
}

installDependencies();
buildSwitchboard();
// After the install: these import packages from bench/node_modules.
const { runLoad, median } = await import('./lib/load.ts');
const { measureOpenStreams } = await import('./lib/streams.ts');

try {
  if (flags.profile) await profile();
  else await bench();
} finally {
  await stopAll();
  removeConfigFiles();
}

/** Request lines (those naming a request id) in a log file; -1 when it cannot be read. */
function requestLogLines(path: string): number {
  try {
    return readFileSync(path, 'utf8')
      .split('\n')
      .filter((line) => line.includes('"reqId":')).length;
  } catch {
    return -1;
  }
}

/** Rows in a usage ledger file; -1 when it cannot be read. */
function ledgerRows(path: string): number {
  try {
    const database = new DatabaseSync(path, { readOnly: true });
    try {
      return Number((database.prepare('SELECT COUNT(*) AS n FROM usage').get() as { n: number }).n);
    } finally {
      database.close();
    }
  } catch {
    return -1;
  }
}

async function startAll(
  emulator: Awaited<ReturnType<typeof startEmulator>>,
  skipped: Results['skipped'],
  idleRssMb: Results['idleRssMb'],
): Promise<Target[]> {
  const started: Target[] = [];
  for (const name of chosenTargets) {
    const cli = name === 'switchboard-baseline' ? startOptions.baselineCli : switchboardCli(flags.source);
    if (name.startsWith('switchboard') && (cli === undefined || !existsSync(cli))) {
      skipped[name] = cli === undefined ? 'no --baseline DIST given' : `${cli} is missing`;
      continue;
    }
    try {
      const target = await startTarget(name, emulator, startOptions);
      await verifyTarget(target);
      answered.set(name, verifiedRequests);
      idleRssMb[name] = memoryMb(target.child.pid, 'VmRSS');
      started.push(target);
      log(`started ${name} (pid ${target.child.pid})`);
    } catch (error) {
      skipped[name] = (error as Error).message.split('\n')[0] ?? 'failed';
      log(`${name} not measured: ${(error as Error).message}`);
    }
  }
  return started;
}

/** One target under one scenario's load, with the CPU the target and the emulator spent on it. */
async function measure(target: Target, scenario: Scenario, upstreamPid: number, durationS: number) {
  if (target.child.process.exitCode !== null || target.child.process.signalCode !== null) {
    throw new Error(
      `${target.name} exited (${target.child.process.exitCode ?? target.child.process.signalCode}): ${target.child.tail()}`,
    );
  }
  const cpuBefore = cpuMicros(target.child.pid);
  const upstreamBefore = cpuMicros(upstreamPid);
  const load = await runLoad({
    url: target.url,
    headers: target.headers,
    body: requestBody(scenario.body, scenario.mode === 'sse', 'bench-model', scenario.unique),
    connections: scenario.connections,
    durationS,
    uniqueBodies: scenario.unique ?? false,
  });
  answered.set(target.name, (answered.get(target.name) ?? 0) + load.ok + load.failed);
  inFlight.set(target.name, (inFlight.get(target.name) ?? 0) + scenario.connections);
  return {
    load,
    cpu: cpuMicros(target.child.pid) - cpuBefore,
    upstreamCpu: cpuMicros(upstreamPid) - upstreamBefore,
    rssMb: memoryMb(target.child.pid, 'VmRSS'),
  };
}

async function bench(): Promise<void> {
  const started = performance.now();
  const loadBefore = loadavg()[0] as number;
  const skipped: Results['skipped'] = {};
  const idleRssMb: Results['idleRssMb'] = {};
  const emulator = await startEmulator(plan.slowGapMs);
  const targets = await startAll(emulator, skipped, idleRssMb);

  // A target that dies mid-run is reported as such; the others go on.
  const drop = (target: Target, error: unknown) => {
    skipped[target.name] = `failed during the run: ${(error as Error).message.slice(0, 500)}`;
    targets.splice(targets.indexOf(target), 1);
    log(skipped[target.name] as string);
  };
  log('warming up');
  for (const target of [...targets]) {
    try {
      for (const mode of ['json', 'sse'] as const)
        for (const body of ['chat', 'conversation'] as const)
          await measure(target, { mode, body, connections: 16 }, emulator.child.pid, plan.warmS / 2);
    } catch (error) {
      drop(target, error);
    }
  }

  type Run = Awaited<ReturnType<typeof measure>>;
  const runs = new Map<string, Run[]>();
  for (let round = 0; round < plan.rounds; round += 1) {
    for (const [index, scenario] of scenarios.entries()) {
      log(`round ${round + 1}/${plan.rounds}: ${scenarioName(scenario)}`);
      // A different target goes first in every scenario and round, so drift is spread evenly, and
      // odd rounds run backwards, so no target always follows the same neighbour.
      const shift = (round + index) % targets.length;
      const order = [...targets.slice(shift), ...targets.slice(0, shift)];
      if (round % 2 === 1) order.reverse();
      for (const target of order) {
        try {
          const run = await measure(target, scenario, emulator.child.pid, plan.durationS);
          const key = cellKey(scenario, target.name);
          runs.set(key, [...(runs.get(key) ?? []), run]);
        } catch (error) {
          drop(target, error);
        }
        await sleep(plan.pauseMs);
      }
    }
  }
  const cells = new Map<string, Cell>();
  for (const [key, list] of runs) {
    if (!targets.some((target) => key.endsWith(`/${target.name}`))) continue;
    const ok = list.reduce((sum, run) => sum + run.load.ok, 0);
    cells.set(key, {
      requestsPerSecond: median(list.map((run) => run.load.requestsPerSecond)),
      p50Ms: median(list.map((run) => run.load.p50Ms)),
      p99Ms: median(list.map((run) => run.load.p99Ms)),
      cpuMicrosPerRequest: list.reduce((sum, run) => sum + run.cpu, 0) / ok,
      upstreamCpuMicrosPerRequest: list.reduce((sum, run) => sum + run.upstreamCpu, 0) / ok,
      ok,
      failed: list.reduce((sum, run) => sum + run.load.failed, 0),
    });
  }
  const peakRssMb: Results['peakRssMb'] = {};
  const rssMb: Results['rssMb'] = {};
  for (const target of targets) {
    peakRssMb[target.name] = memoryMb(target.child.pid, 'VmHWM');
    const samples = [...runs]
      .filter(([key]) => key.endsWith(`/${target.name}`))
      .flatMap(([, list]) => list.map((run) => run.rssMb));
    rssMb[target.name] = median(samples);
  }

  log('library and failover');
  const library = runLibrary(emulator.origin, await freePort());

  // Open streams go through a fresh process each, so the load above does not count.
  for (const target of targets) if (target.name !== 'direct') await stopChild(target.child);
  // Stopped with SIGTERM, each gateway has drained and written what its ledger and its log held.
  const ledger: Results['ledger'] = {};
  const requestLog: Results['requestLog'] = {};
  const counted = (target: Target, rows: number): Counted => ({
    rows,
    requests: answered.get(target.name) ?? 0,
    inFlight: inFlight.get(target.name) ?? 0,
  });
  for (const target of targets) {
    if (target.ledgerPath !== undefined) ledger[target.name] = counted(target, ledgerRows(target.ledgerPath));
    if (target.logPath !== undefined) requestLog[target.name] = counted(target, requestLogLines(target.logPath));
  }
  const streams: Results['streams'] = {};
  for (const name of targets.map((target) => target.name).filter((entry) => plan.streamTargets.includes(entry))) {
    log(`${plan.streams} open streams through a fresh ${name}`);
    try {
      const target = await startTarget(name, emulator, startOptions);
      await verifyTarget(target);
      streams[name] = await measureOpenStreams(target, plan.streams, plan.slowGapMs * 20);
      await stopChild(target.child);
    } catch (error) {
      log(`open streams through ${name} failed: ${(error as Error).message}`);
    }
  }

  const results: Results = {
    header: {
      date: new Date().toISOString().replace(/\.\d+Z$/, 'Z'),
      node: process.version,
      cores: cpus().length,
      cpu: cpus()[0]?.model.trim() ?? 'unknown CPU',
      command: `npm run bench${process.argv.length > 2 ? ` -- ${process.argv.slice(2).join(' ')}` : ''}`,
      plan:
        `Each cell: ${plan.rounds} round${plan.rounds > 1 ? 's' : ''} of ${plan.durationS} s of autocannon load (medians of the rounds; CPU summed), ` +
        `after a ${plan.warmS} s warm-up per target and mode, split between the two bodies; within each scenario the targets take turns in a rotating order (reversed in odd rounds). ` +
        'The load generator (autocannon, in the bench process) and the upstream emulator share the cores with the target. ' +
        `Request bodies: a ${requestBody('chat', false).length}-byte chat request (system and user message, temperature, top_p, max_tokens, user), ` +
        `and a ${requestBody('conversation', false).length}-byte conversation (20 user turns, three tools with JSON schemas, a tool call and its result)` +
        `${scenarios.some((scenario) => scenario.body === 'small') ? `; "0.2 KB body" is the ${requestBody('small', false).length}-byte one the bench sent before issue 13` : ''}. ` +
        (flags['unique-bodies']
          ? 'In the scenarios marked "no two bodies alike", every request body carries a fresh id in its last message (autocannon idReplacement). '
          : '') +
        '"floor-bytes" is a bare node:http + undici proxy that forwards bytes; "floor-parse" (the parse floor) also JSON.parses and re-serialises the request body. ' +
        `Switchboard runs \`node ${flags.source ? 'src/cli/main.ts' : 'dist/cli/main.js'} serve --config <file> --port N\`${flags.source ? ' (from its sources, stripped at load)' : ' (built by `npm run build` at the start)'}: ` +
        '`switchboard-defaults` with a config naming only the provider (request log at `info` on stdout, which is a file; usage ledger on), the others with `server.logLevel: warn`. ' +
        (flags.baseline === undefined
          ? ''
          : `\`switchboard-baseline\` is another build at the same defaults, \`node ${startOptions.baselineCli} serve\` (--baseline). `) +
        'Portkey runs its bin (`@portkey-ai/gateway`, `@hono/node-server` pinned to 1.13.5) with `x-portkey-provider: openai` and `x-portkey-custom-host`. ' +
        `Total time: ${Math.round((performance.now() - started) / 1000)} s; 1-minute load average ${loadBefore.toFixed(1)} at the start, ` +
        `${(loadavg()[0] as number).toFixed(1)} at the end (anything else running on the machine inflates every CPU time alike).`,
    },
    targets: targets.map((target) => target.name),
    skipped,
    scenarios,
    cells,
    idleRssMb,
    peakRssMb,
    rssMb,
    library,
    streams,
    ledger,
    requestLog,
  };
  const report = renderReport(results);
  process.stdout.write(`\n${report}\n`);
  mkdirSync(join(benchDir, 'results'), { recursive: true });
  const file = resolve(benchDir, 'results', flags.out ?? (flags.quick ? 'quick.md' : 'latest.md'));
  writeFileSync(file, report);
  const missed = checks(results).filter((check) => !check.pass).length;
  log(`wrote ${file}; ${missed === 0 ? 'every target met' : `${missed} target(s) missed`}`);
}

function runLibrary(origin: string, closedPort: number): LibraryResult | undefined {
  const child = spawnSync(
    process.execPath,
    [join(benchDir, 'lib/library.ts'), origin, String(closedPort), String(plan.librarySamples)],
    {
      encoding: 'utf8',
      timeout: 120_000,
    },
  );
  if (child.status !== 0) {
    log(`library bench failed: ${child.stderr || child.error?.message}`);
    return undefined;
  }
  return JSON.parse(child.stdout) as LibraryResult;
}

/** `--profile`: Switchboard at its defaults under --cpu-prof, one process per mode (JSON, SSE) at 16 connections; its busiest functions. */
async function profile(): Promise<void> {
  const { summarizeProfile, renderProfile } = await import('./lib/profile.ts');
  const directory = join(benchDir, 'results', 'profile');
  rmSync(directory, { recursive: true, force: true });
  mkdirSync(directory, { recursive: true });
  const emulator = await startEmulator(plan.slowGapMs);
  const seconds = flags.quick ? 3 : 10;
  const sections: string[] = [];
  for (const mode of ['json', 'sse'] as const) {
    const spawnedAt = performance.now();
    const target = await startTarget('switchboard-defaults', emulator, {
      ...startOptions,
      switchboardNodeFlags: ['--cpu-prof', `--cpu-prof-dir=${directory}`],
    });
    await verifyTarget(target);
    const scenario: Scenario = { mode, body: 'chat', connections: 16 };
    await measure(target, scenario, emulator.child.pid, 1);
    // Startup and the first second of load (compilation) are left out of the profile.
    const skipMs = performance.now() - spawnedAt;
    log(`profiling ${mode} at 16 connections for ${seconds} s`);
    const run = await measure(target, scenario, emulator.child.pid, seconds);
    await stopChild(target.child, 15_000);
    // Node names it CPU.<date>.<time>.<pid>.<thread>.<n>.cpuprofile.
    const written = readdirSync(directory).find((entry) => entry.includes(`.${target.child.pid}.`));
    if (written === undefined) throw new Error(`no profile written to ${directory}:\n${target.child.tail()}`);
    const title = `${mode === 'json' ? 'JSON' : 'SSE (20 chunks)'} at 16 connections, ${seconds} s`;
    const note = `${run.load.ok} requests, ${Math.round(run.load.requestsPerSecond)} req/s, ${Math.round(run.cpu / run.load.ok)} µs CPU/request under the profiler; file \`${written}\`.`;
    sections.push(
      `${renderProfile(summarizeProfile(join(directory, written), join(repoDir, flags.source ? 'src' : 'dist'), skipMs), title)}\n\n${note}\n`,
    );
  }
  const report = [
    `# Switchboard gateway CPU profile, at its defaults`,
    '',
    `${new Date().toISOString()} · Node ${process.version} · \`npm run bench -- ${process.argv.slice(2).join(' ')}\``,
    '',
    `\`switchboard-defaults\` (\`node --cpu-prof ${flags.source ? 'src/cli/main.ts' : 'dist/cli/main.js'} serve\`, a config naming only the provider: ` +
      'request log at `info` to a file, usage ledger on) under autocannon with the 0.6 KB chat body; start-up and the first second of load are left out. ' +
      "Owners: `switchboard` is its own code, a package name is that package in node_modules, `node` is Node's JavaScript internals, " +
      "`(program)` and `(garbage collector)` are V8's.",
    '',
    ...sections,
  ].join('\n');
  process.stdout.write(`\n${report}`);
  writeFileSync(join(benchDir, 'results', 'profile.md'), report);
}
