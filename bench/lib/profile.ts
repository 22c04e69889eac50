// Reads a V8 .cpuprofile (node --cpu-prof) and sums time by function, by file and by owner
// (Switchboard's own code, a package in node_modules, Node's internals, GC, idle): self time,
// and for Switchboard's functions also total time (the function and what it calls).
import { readFileSync } from 'node:fs';

interface ProfileNode {
  id: number;
  callFrame: { functionName: string; url: string; lineNumber: number };
  children?: number[];
}
interface CpuProfile {
  nodes: ProfileNode[];
  samples: number[];
  timeDeltas: number[];
}

export interface FunctionTime {
  name: string;
  owner: string;
  selfMs: number;
  totalMs: number;
  /**
   * Time in native code (builtins, bindings: socket writes, JSON.parse…) called directly from here,
   * which the profile shows as `(native)` with no file; summed for files and owners only.
   */
  nativeMs: number;
}

export interface ProfileSummary {
  functions: FunctionTime[];
  /** Self time per source file: `gateway/chat.js` for Switchboard's, `pino/lib/proto.js` for a package's. */
  files: FunctionTime[];
  owners: FunctionTime[];
  busyMs: number;
}

function ownerOf(url: string, functionName: string, srcDir: string): string {
  if (url === '') return functionName.startsWith('(') ? functionName : '(native)';
  if (url.startsWith('node:')) return 'node';
  const modules = url.lastIndexOf('/node_modules/');
  if (modules >= 0) {
    const rest = url.slice(modules + '/node_modules/'.length).split('/');
    return rest[0]?.startsWith('@') ? `${rest[0]}/${rest[1]}` : (rest[0] ?? '?');
  }
  return url.includes(srcDir) ? 'switchboard' : 'other';
}

/** A file's name short enough to read: relative to Switchboard's directory or to node_modules. */
function fileOf(url: string, functionName: string, srcDir: string): string {
  if (url === '') return functionName.startsWith('(') ? functionName : '(native)';
  if (url.startsWith('node:')) return url;
  const path = url.startsWith('file://') ? decodeURIComponent(url.slice('file://'.length)) : url;
  const modules = path.lastIndexOf('/node_modules/');
  if (modules >= 0) return path.slice(modules + '/node_modules/'.length);
  return path.startsWith(`${srcDir}/`) ? path.slice(srcDir.length + 1) : path;
}

/** Busiest first. `srcDir` marks Switchboard's files; samples in the first `skipMs` (startup) are left out. */
export function summarizeProfile(file: string, srcDir: string, skipMs = 0): ProfileSummary {
  const profile = JSON.parse(readFileSync(file, 'utf8')) as CpuProfile;
  const parent = new Map<number, number>();
  const keyOf = new Map<number, FunctionTime>();
  const fileOfNode = new Map<number, FunctionTime>();
  const functions = new Map<string, FunctionTime>();
  const files = new Map<string, FunctionTime>();
  for (const node of profile.nodes) {
    for (const child of node.children ?? []) parent.set(child, node.id);
    const { functionName, url, lineNumber } = node.callFrame;
    const where = url === '' ? '' : ` ${url.slice(url.lastIndexOf('/') + 1)}:${lineNumber + 1}`;
    const name = `${functionName || '(anonymous)'}${where}`;
    const owner = ownerOf(url, functionName, srcDir);
    const entry = functions.get(name) ?? { name, owner, selfMs: 0, totalMs: 0, nativeMs: 0 };
    functions.set(name, entry);
    keyOf.set(node.id, entry);
    const fileName = fileOf(url, functionName, srcDir);
    const file = files.get(fileName) ?? { name: fileName, owner, selfMs: 0, totalMs: 0, nativeMs: 0 };
    files.set(fileName, file);
    fileOfNode.set(node.id, file);
  }
  let elapsedMs = 0;
  let busyMs = 0;
  for (let index = 0; index < profile.samples.length; index += 1) {
    const ms = (profile.timeDeltas[index] ?? 0) / 1000;
    elapsedMs += ms;
    if (elapsedMs < skipMs) continue;
    const leaf = profile.samples[index] as number;
    const self = keyOf.get(leaf) as FunctionTime;
    self.selfMs += ms;
    (fileOfNode.get(leaf) as FunctionTime).selfMs += ms;
    if (self.owner === '(native)') {
      // Charged to the JavaScript that called it: the nearest frame with a file.
      let caller = parent.get(leaf);
      while (caller !== undefined && (keyOf.get(caller) as FunctionTime).owner === '(native)') caller = parent.get(caller);
      if (caller !== undefined) (fileOfNode.get(caller) as FunctionTime).nativeMs += ms;
    }
    if (self.owner !== '(idle)') busyMs += ms;
    // Total time: each function once per sample, however deep it recurses.
    const seen = new Set<FunctionTime>();
    for (let id: number | undefined = leaf; id !== undefined; id = parent.get(id)) {
      const entry = keyOf.get(id) as FunctionTime;
      if (!seen.has(entry)) entry.totalMs += ms;
      seen.add(entry);
    }
  }
  const owners = new Map<string, FunctionTime>();
  for (const entry of functions.values()) {
    const owner = owners.get(entry.owner) ?? { name: entry.owner, owner: entry.owner, selfMs: 0, totalMs: 0, nativeMs: 0 };
    owner.selfMs += entry.selfMs;
    owners.set(entry.owner, owner);
  }
  for (const file of files.values()) {
    const owner = owners.get(file.owner);
    if (owner !== undefined) owner.nativeMs += file.nativeMs;
  }
  return {
    functions: [...functions.values()].filter((entry) => entry.selfMs > 0 || entry.totalMs > 0),
    files: [...files.values()]
      .filter((entry) => entry.selfMs + entry.nativeMs > 0)
      .sort((a, b) => b.selfMs + b.nativeMs - (a.selfMs + a.nativeMs)),
    owners: [...owners.values()]
      .filter((entry) => entry.selfMs + entry.nativeMs > 0)
      .sort((a, b) => b.selfMs + b.nativeMs - (a.selfMs + a.nativeMs)),
    busyMs,
  };
}

export function renderProfile(summary: ProfileSummary, title: string, top = 25): string {
  const share = (ms: number) => `${((100 * ms) / summary.busyMs).toFixed(1)}%`;
  const lines = [`## ${title}`, '', `Busy (non-idle) time: ${summary.busyMs.toFixed(0)} ms.`, ''];
  // `(native)` time appears twice: as its own row, and charged to the JavaScript that called it.
  const withNative = (entry: FunctionTime) =>
    entry.owner === '(native)'
      ? '— | —'
      : `${(entry.selfMs + entry.nativeMs).toFixed(0)} | ${share(entry.selfMs + entry.nativeMs)}`;
  const heading = 'self ms | self share | with native code it calls, ms | share';
  lines.push(
    'Sorted by self time plus the native code (socket writes, JSON.parse, hashing…) each calls directly; `(native)` is that code on its own.',
    '',
    `| owner | ${heading} |`,
    '|---|---:|---:|---:|---:|',
  );
  for (const owner of summary.owners.filter((entry) => entry.name !== '(idle)')) {
    lines.push(`| ${owner.name} | ${owner.selfMs.toFixed(0)} | ${share(owner.selfMs)} | ${withNative(owner)} |`);
  }
  lines.push('', 'By file', '', `| file | owner | ${heading} |`, '|---|---|---:|---:|---:|---:|');
  for (const file of summary.files.filter((entry) => entry.owner !== '(idle)').slice(0, top)) {
    lines.push(`| \`${file.name}\` | ${file.owner} | ${file.selfMs.toFixed(0)} | ${share(file.selfMs)} | ${withNative(file)} |`);
  }
  const section = (heading: string, entries: FunctionTime[]) => {
    lines.push('', heading, '', '| function | owner | self ms | self share | total share |', '|---|---|---:|---:|---:|');
    for (const entry of entries.slice(0, top)) {
      const name = entry.name.replaceAll('|', '\\|');
      lines.push(
        `| \`${name}\` | ${entry.owner} | ${entry.selfMs.toFixed(1)} | ${share(entry.selfMs)} | ${share(entry.totalMs)} |`,
      );
    }
  };
  const bySelf = [...summary.functions].sort((a, b) => b.selfMs - a.selfMs);
  section(
    'Top functions by self time',
    bySelf.filter((entry) => entry.owner !== '(idle)'),
  );
  section(
    'Switchboard’s functions by self time',
    bySelf.filter((entry) => entry.owner === 'switchboard'),
  );
  section(
    'Switchboard’s functions by total time (with what they call)',
    summary.functions.filter((entry) => entry.owner === 'switchboard').sort((a, b) => b.totalMs - a.totalMs),
  );
  return lines.join('\n');
}
