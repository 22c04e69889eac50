// Gives memory back after a burst of large request bodies. V8 collects garbage only when the
// program allocates, so a gateway that goes quiet after a storm of megabyte bodies keeps its heap
// at the storm's size, idle, for as long as it stays quiet (measured: RSS 145 → 245 MB, and there
// it stayed), and one that goes quiet after ordinary load keeps the young generation that the load
// grew. One full collection once traffic has paused lets V8 unmap the pages it no longer uses.
// What starting allocates never grows the young generation in the first place: `switchboard
// serve` holds it at its starting size until it listens (`holdYoungGeneration`).
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';

/** Bodies smaller than this count as requests, not as large bodies. */
const largeBodyBytes = 256 * 1024;

export interface IdleCollectorOptions {
  /** Large bodies (256 KB or more each) after which the next pause brings a collection; default 64 MiB. */
  thresholdBytes?: number;
  /**
   * Requests after which the next pause brings a collection; default none. Measured, the
   * collection that shrinks the young generation also drops compiled code, so every burst after a
   * pause ran cold: 1.3-1.5x the CPU per request in a bench whose targets take turns (V8's own
   * memory reducer shrinks an idle young generation within ~8 s anyway).
   */
  thresholdRequests?: number;
  /** How long without a new request is a pause, in ms; default 2,000. */
  idleMs?: number;
  /** Whether requests are still in flight (an open stream): no collection then, it would stall them. */
  busy?: () => boolean;
}

export interface IdleCollector {
  /** Notes a request body of `bytes`. */
  noteBody(bytes: number): void;
  stop(): void;
}

/**
 * Collects once traffic pauses (no new request for `idleMs`, none in flight) after
 * `thresholdBytes` of large bodies or `thresholdRequests` requests since the last collection.
 * V8 grows its young generation to its maximum under load (128 MB measured) and left alone keeps
 * it while idle; the collection takes 50-300 ms, on an idle process. Its check runs every
 * `idleMs` on a timer that keeps no process alive, and costs a request nothing but a count.
 */
export function createIdleCollector(options: IdleCollectorOptions = {}): IdleCollector {
  const thresholdBytes = options.thresholdBytes ?? 64 * 1024 * 1024;
  const thresholdRequests = options.thresholdRequests ?? Number.POSITIVE_INFINITY;
  const idleMs = options.idleMs ?? 2000;
  let largeBytes = 0;
  let requests = 0;
  let requestsAtLastCheck = 0;
  const check = () => {
    const quiet = requests === requestsAtLastCheck;
    requestsAtLastCheck = requests;
    if (!quiet || (largeBytes < thresholdBytes && requests < thresholdRequests) || options.busy?.()) return;
    largeBytes = 0;
    requests = 0;
    requestsAtLastCheck = 0;
    collectAllGarbage();
  };
  const timer = setInterval(check, idleMs);
  timer.unref();
  return {
    noteBody(bytes) {
      requests += 1;
      if (bytes >= largeBodyBytes) largeBytes += bytes;
    },
    stop() {
      clearInterval(timer);
    },
  };
}

let collect: Collect | undefined;

/**
 * Collects everything that can be collected and shrinks V8's young generation to its smallest.
 * A plain full collection leaves the young generation at the size it grew to (64 MB after the
 * gateway starts, 128 MB after a storm of large bodies) until V8's own memory reducer gets to it,
 * if it ever does. Takes 50-300 ms on a 2-core machine: for idle moments only.
 */
export function collectAllGarbage(): void {
  collect ??= exposeGc();
  collect({ type: 'major', flavor: 'last-resort' });
}

/** V8's gc extension; the options are V8's (src/extensions/gc-extension.cc). */
type Collect = (options?: { type?: 'major' | 'minor'; flavor?: 'regular' | 'last-resort' }) => void;

// `global.gc` exists only under --expose-gc; the flag can be turned on at run time, and a fresh
// context then sees the function (the documented way to reach it without a command-line flag).
function exposeGc(): Collect {
  const existing = (globalThis as { gc?: Collect }).gc;
  if (typeof existing === 'function') return existing;
  setFlagsFromString('--expose-gc');
  return runInNewContext('gc') as Collect;
}

let youngGenerationHeld = false;

/**
 * Keeps V8's young generation at its starting size while the gateway starts, until
 * `releaseYoungGeneration()`. Starting allocates tens of MB that live as long as the process
 * (modules, compiled schemas, the config); by V8's default each collection that sees them survive
 * doubles the young generation, which then stays 30 MB larger than it needs to be, idle (measured
 * with `switchboard serve`: 108 MB idle as before, 93 MB with the hold). Growth is back on once
 * the gateway listens, so load grows it as before and requests cost what they did. A semi-space
 * setting of the user's (a `--*semi-space*` flag in the command line or NODE_OPTIONS) is left alone.
 */
export function holdYoungGeneration(): void {
  const flags = [...process.execArgv, process.env.NODE_OPTIONS ?? ''].join(' ');
  if (flags.includes('semi-space')) return;
  setFlagsFromString('--semi-space-growth-factor=1');
  youngGenerationHeld = true;
}

/** Lets the young generation grow again (V8's default factor, 2), after `holdYoungGeneration()`. */
export function releaseYoungGeneration(): void {
  if (!youngGenerationHeld) return;
  youngGenerationHeld = false;
  setFlagsFromString('--semi-space-growth-factor=2');
}
