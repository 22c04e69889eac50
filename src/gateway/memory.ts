// Gives memory back after a burst of large request bodies. V8 collects garbage only when the
// program allocates, so a gateway that goes quiet after a storm of megabyte bodies keeps its heap
// at the storm's size, idle, for as long as it stays quiet (measured: RSS 145 → 245 MB, and there
// it stayed). One full collection once traffic has paused lets V8 unmap the pages it no longer uses.
// `switchboard serve` also runs one as soon as it listens, for the garbage that starting made.
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';

/** Bodies smaller than this are not counted: ordinary traffic never triggers a collection. */
const largeBodyBytes = 256 * 1024;

export interface IdleCollector {
  /** Notes a request body of `bytes`; after `thresholdBytes` of large bodies, a collection follows the next pause. */
  noteBody(bytes: number): void;
  stop(): void;
}

/**
 * Collects once `idleMs` after the last large body, when at least `thresholdBytes` of large bodies
 * came since the last collection. The collection itself takes tens of milliseconds, on an idle process.
 */
export function createIdleCollector(thresholdBytes = 64 * 1024 * 1024, idleMs = 2000): IdleCollector {
  let pending = 0;
  let timer: NodeJS.Timeout | undefined;
  const run = () => {
    timer = undefined;
    pending = 0;
    collectAllGarbage();
  };
  return {
    noteBody(bytes) {
      if (bytes < largeBodyBytes) return;
      pending += bytes;
      if (pending < thresholdBytes) return;
      clearTimeout(timer);
      timer = setTimeout(run, idleMs);
      timer.unref();
    },
    stop() {
      clearTimeout(timer);
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
