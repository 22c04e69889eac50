// Plain-text tables for the terminal: columns padded to their widest cell, ANSI colours ignored
// when measuring.

// biome-ignore lint/suspicious/noControlCharactersInRegex: matching ANSI escape sequences is the point
const ansi = /\x1b\[[0-9;?]*[A-Za-z]/g;

/** The width a string takes on screen, colour codes excluded. */
export function visibleLength(text: string): number {
  return text.replace(ansi, '').length;
}

/** Pads `text` with spaces to `width` visible characters. */
export function pad(text: string, width: number): string {
  return text + ' '.repeat(Math.max(0, width - visibleLength(text)));
}

/** Lines of a table: a header row, then one row per entry, columns two spaces apart. */
export function formatTable(headers: string[], rows: string[][]): string[] {
  const widths = headers.map((header, column) =>
    Math.max(visibleLength(header), ...rows.map((row) => visibleLength(row[column] ?? ''))),
  );
  const line = (cells: string[]) =>
    cells
      .map((cell, column) => (column === cells.length - 1 ? cell : pad(cell, widths[column] ?? 0)))
      .join('  ')
      .trimEnd();
  return [line(headers), ...rows.map(line)];
}

/** One line, at most `max` characters: newlines folded, the end cut with an ellipsis. */
export function oneLine(text: string, max = 100): string {
  const flat = text.replace(/\s+/g, ' ').trim();
  return flat.length > max ? `${flat.slice(0, max - 1)}…` : flat;
}

/** `123 ms`, or `-` when there is no number. */
export function formatMs(ms: number | null | undefined): string {
  return ms === null || ms === undefined || !Number.isFinite(ms) ? '-' : `${Math.round(ms)} ms`;
}
