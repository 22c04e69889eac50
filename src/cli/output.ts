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
