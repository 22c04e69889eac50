// The reliability suite's global setup and teardown (`node --test --test-global-setup`): after every
// test file has run, the figures they left are added up and printed as one block.
import { collectFigures, figuresFolder, formatFigures } from '../support/figures.ts';

export function globalSetup(): void {
  // Figures left by an earlier run that was killed would be added to this one's.
  collectFigures(figuresFolder(process.pid));
}

export function globalTeardown(): void {
  const { names, total } = collectFigures(figuresFolder(process.pid));
  if (names.length === 0) return;
  console.log(`\n${formatFigures(`reliability suite total (${names.join(', ')})`, total)}`);
}
