// The reliability suite's figures. Each test file counts into one `Figures`, prints its own block
// when it ends and leaves it in a folder shared by one `node --test` run (named after the runner's
// pid, which is every test file's parent), where the run's global teardown adds them all up
// (test/chaos/report.ts).
import { mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

export interface Figures {
  /** Requests sent to the gateway. */
  requests: number;
  /** Gateway processes that died without being told to. */
  crashes: number;
  /** 5xx answers (or none at all: a reset) to requests that were wrong (bad body, header, method, key). */
  serverErrorsFromClientInput: number;
  /** Requests that reached an upstream although the client's request was invalid. */
  upstreamCallsFromInvalidInput: number;
  /** 200 answers (JSON or streams) that were not one complete, coherent answer. */
  truncatedSuccesses: number;
  /** Requests with no answer within their bound. */
  hangs: number;
  /** Valid requests not answered while at least one upstream was healthy. */
  unansweredWhileHealthy: number;
  /** Outputs (bodies, headers, events, /status, /metrics, the dashboard, logs) holding a key or an 8-character piece of one. */
  keyLeaks: number;
  rssStartMb?: number;
  rssPeakMb?: number;
  rssIdleMb?: number;
  fdsStart?: number;
  fdsEnd?: number;
}

const counters = [
  'requests',
  'crashes',
  'serverErrorsFromClientInput',
  'upstreamCallsFromInvalidInput',
  'truncatedSuccesses',
  'hangs',
  'unansweredWhileHealthy',
  'keyLeaks',
] as const;

export function emptyFigures(): Figures {
  return {
    requests: 0,
    crashes: 0,
    serverErrorsFromClientInput: 0,
    upstreamCallsFromInvalidInput: 0,
    truncatedSuccesses: 0,
    hangs: 0,
    unansweredWhileHealthy: 0,
    keyLeaks: 0,
  };
}

/** The folder one test run's figures go to; `runnerPid` is the `node --test` process. */
export function figuresFolder(runnerPid: number): string {
  return join(tmpdir(), `switchboard-chaos-${runnerPid}`);
}

/** Prints this file's block and leaves it for the run's total. */
export function publishFigures(name: string, figures: Figures): void {
  console.log(formatFigures(name, figures));
  const folder = figuresFolder(process.ppid);
  mkdirSync(folder, { recursive: true });
  writeFileSync(join(folder, `${name.replace(/[^a-z0-9-]/gi, '_')}.json`), JSON.stringify(figures));
}

/** Adds up every file's figures left in `folder` (memory and fds: the extremes) and removes it. */
export function collectFigures(folder: string): { names: string[]; total: Figures } {
  const total = emptyFigures();
  const names: string[] = [];
  let files: string[] = [];
  try {
    files = readdirSync(folder).filter((file) => file.endsWith('.json'));
  } catch {
    return { names, total };
  }
  for (const file of files.sort()) {
    const figures = JSON.parse(readFileSync(join(folder, file), 'utf8')) as Figures;
    names.push(file.slice(0, -'.json'.length));
    for (const counter of counters) total[counter] += figures[counter];
    total.rssStartMb = max(total.rssStartMb, figures.rssStartMb);
    total.rssPeakMb = max(total.rssPeakMb, figures.rssPeakMb);
    total.rssIdleMb = max(total.rssIdleMb, figures.rssIdleMb);
    if (figures.fdsStart !== undefined && figures.fdsEnd !== undefined) {
      total.fdsStart = (total.fdsStart ?? 0) + figures.fdsStart;
      total.fdsEnd = (total.fdsEnd ?? 0) + figures.fdsEnd;
    }
  }
  rmSync(folder, { recursive: true, force: true });
  return { names, total };
}

function max(a: number | undefined, b: number | undefined): number | undefined {
  if (a === undefined) return b;
  return b === undefined ? a : Math.max(a, b);
}

export function formatFigures(name: string, figures: Figures): string {
  const rss = [figures.rssStartMb, figures.rssPeakMb, figures.rssIdleMb].map((mb) => (mb === undefined ? '–' : `${mb} MB`));
  const fds = figures.fdsStart === undefined ? '–' : `${figures.fdsStart} → ${figures.fdsEnd}`;
  return [
    `── figures: ${name}`,
    `  requests                          ${figures.requests}`,
    `  crashes                           ${figures.crashes}`,
    `  5xx or reset from client input    ${figures.serverErrorsFromClientInput}`,
    `  upstream calls from invalid input ${figures.upstreamCallsFromInvalidInput}`,
    `  truncated successes               ${figures.truncatedSuccesses}`,
    `  hangs                             ${figures.hangs}`,
    `  unanswered while one was healthy  ${figures.unansweredWhileHealthy}`,
    `  key leaks                         ${figures.keyLeaks}`,
    `  gateway RSS start / peak / idle   ${rss.join(' / ')}`,
    `  gateway fds start → end           ${fds}`,
  ].join('\n');
}
