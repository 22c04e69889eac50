// Where the request log goes by default: a file descriptor (stdout), written asynchronously so
// that a slow reader never holds up a request. Ours rather than pino.destination() because that
// one retries a failed write in a loop that never ends when the process exits: with stdout a pipe
// whose reader had gone (`serve | head -1`), the gateway hung for good and ignored SIGTERM. Here
// a destination that fails is reported once and dropped, and the server carries on without it.
import { write, writeSync } from 'node:fs';

export interface LogDestination {
  write(line: string): void;
  /** Calls back once every line written so far is out, or dropped. */
  flush(callback: () => void): void;
}

export interface LogDestinationOptions {
  fd: number;
  /** Lines waiting beyond this many bytes (a reader that stopped reading) are dropped, not held. */
  maxPendingBytes?: number;
  /** Told once when the destination fails for good (closed pipe, full disk), once when it first drops lines. */
  onProblem?: (message: string) => void;
}

const defaultMaxPendingBytes = 8 * 1024 * 1024;
/**
 * Lines wait this long to go out together: one write(2) per request, through libuv's thread pool
 * and back, was about 4 % of the gateway's CPU at the default log level (measured with
 * `npm run bench -- --profile`). A line is never held longer; `flush` (on close) writes at once.
 */
const batchMs = 10;
/** A batch this large goes out without waiting for the rest of its window. */
const batchBytes = 64 * 1024;
/** A non-blocking pipe that is full answers EAGAIN: try again shortly. */
const busyRetryMs = 50;

export function createLogDestination(options: LogDestinationOptions): LogDestination {
  const maxPendingBytes = options.maxPendingBytes ?? defaultMaxPendingBytes;
  const onProblem = options.onProblem ?? reportOnStderr;
  let pending: string[] = [];
  let pendingBytes = 0;
  let current: Buffer | undefined;
  let writing = false;
  let waiting: NodeJS.Timeout | undefined;
  let failed = false;
  let droppedLines = 0;
  let waiters: Array<() => void> = [];

  const settle = () => {
    writing = false;
    const called = waiters;
    waiters = [];
    for (const waiter of called) waiter();
  };

  const fail = (error: NodeJS.ErrnoException) => {
    failed = true;
    pending = [];
    pendingBytes = 0;
    current = undefined;
    onProblem(`request log output failed (${error.code ?? error.message}); the gateway goes on without a request log`);
    settle();
  };

  const pump = () => {
    if (waiting !== undefined) {
      clearTimeout(waiting);
      waiting = undefined;
    }
    if (failed) return settle();
    if (current === undefined || current.length === 0) {
      if (pending.length === 0) return settle();
      current = Buffer.from(pending.join(''));
      pending = [];
      pendingBytes = 0;
    }
    writing = true;
    const buffer = current;
    write(options.fd, buffer, 0, buffer.length, null, (error, written) => {
      if (error) {
        // Unref'd: a reader that never reads again must not keep the process alive.
        if (error.code === 'EAGAIN') setTimeout(pump, busyRetryMs).unref();
        else fail(error);
        return;
      }
      current = buffer.subarray(written);
      // The rest of this batch, or what a flush waits for, goes now; new lines wait for their own batch.
      if (current.length > 0 || waiters.length > 0 || pendingBytes >= batchBytes) pump();
      else {
        writing = false;
        if (pending.length > 0) later();
      }
    });
  };

  const later = () => {
    if (waiting !== undefined) return;
    // Unref'd: lines waiting for their batch must not keep the process alive; close flushes them.
    waiting = setTimeout(pump, batchMs);
    waiting.unref();
  };

  return {
    write(line) {
      if (failed) return;
      const bytes = Buffer.byteLength(line);
      if (pendingBytes + (current?.length ?? 0) + bytes > maxPendingBytes) {
        if (droppedLines++ === 0) onProblem('request log output is not being read; dropping log lines until it catches up');
        return;
      }
      pending.push(line);
      pendingBytes += bytes;
      if (writing) return;
      if (pendingBytes >= batchBytes) pump();
      else later();
    },
    flush(callback) {
      if (!writing && waiting === undefined) return callback();
      waiters.push(callback);
      if (!writing) pump();
    },
  };
}

/** Synchronous and fire-and-forget: when stderr is gone too, the notice is silently lost. */
function reportOnStderr(message: string): void {
  try {
    writeSync(2, `switchboard: ${message}\n`);
  } catch {
    // Nowhere left to say it.
  }
}
