// Self-checking answer texts for the reliability suite. Every answer the chaos upstream gives ends
// with a trailer naming its word count and a checksum of its words (`… <<12:9f3a01bc>>`), so a
// client can tell a complete answer from one that was cut, spliced from two answers, or had a
// piece dropped, without knowing which upstream answered or whether a stream was recovered.

const vocabulary = [
  'amber', 'basil', 'cedar', 'delta', 'ember', 'fjord', 'garnet', 'harbor', 'indigo', 'juniper',
  'kelp', 'lantern', 'meadow', 'nickel', 'orchid', 'pepper', 'quartz', 'raven', 'saffron', 'thistle',
  'umber', 'velvet', 'willow', 'xenon', 'yarrow', 'zephyr',
]; // biome-ignore format: a word list reads better packed

const trailer = / <<(\d+):([0-9a-f]{8})>>$/;

/** FNV-1a, 32 bits, as 8 hex digits: cheap, and any dropped or swapped word changes it. */
export function checksum(text: string): string {
  let hash = 0x811c9dc5;
  for (let index = 0; index < text.length; index++) {
    hash ^= text.charCodeAt(index);
    hash = Math.imul(hash, 0x01000193) >>> 0;
  }
  return hash.toString(16).padStart(8, '0');
}

/**
 * The pieces (stream deltas) of an answer that continues `prefix` (the text a caller already has,
 * as in a prefill) with `count` random words, then the trailer. A prefix that already holds its
 * trailer is complete: nothing follows. Pieces after the first carry their leading space.
 */
export function answerPieces(count: number, prefix = '', random: () => number = Math.random): string[] {
  if (trailer.test(prefix)) return [];
  const before = prefix.split(' ').filter((word) => word !== '');
  const added = Array.from({ length: count }, () => vocabulary[Math.floor(random() * vocabulary.length)]!);
  const all = [...before, ...added];
  const pieces = added.map((word, index) => (before.length === 0 && index === 0 ? word : ` ${word}`));
  pieces.push(` <<${all.length}:${checksum(all.join(' '))}>>`);
  return pieces;
}

/** Why `text` is not one complete answer, or undefined when it is. */
export function answerProblem(text: unknown): string | undefined {
  if (typeof text !== 'string') return `answer text is ${typeof text}`;
  const match = trailer.exec(text);
  if (!match) return `no trailer at the end of ${JSON.stringify(text.slice(-60))}`;
  const words = text.slice(0, match.index).split(' ');
  if (words.length !== Number(match[1])) return `${words.length} words, trailer says ${match[1]}`;
  if (checksum(words.join(' ')) !== match[2]) return `checksum mismatch in ${JSON.stringify(text.slice(0, 80))}`;
  return undefined;
}
