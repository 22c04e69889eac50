// Where the commands write: stdout for results, stderr for notices and problems.
// A parameter rather than globals, so a command can be run against a buffer.

export interface Output {
  /** A line of the command's result. */
  out(line: string): void;
  /** A line of a problem or a notice. */
  error(line: string): void;
}

export const standardOutput: Output = {
  out: (line) => process.stdout.write(`${line}\n`),
  error: (line) => process.stderr.write(`${line}\n`),
};

/**
 * For commands that run until a signal (`serve`): when the reader of stderr goes away
 * (`serve 2>&1 | head -1`), notices are lost silently instead of the write error ending the process.
 */
export function carryOnWithoutStderr(): void {
  if (process.stderr.listenerCount('error') === 0) process.stderr.on('error', () => {});
}
