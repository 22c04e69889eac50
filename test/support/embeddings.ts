// An embeddings endpoint for the upstream emulator: deterministic vectors, as a real model gives
// (the same text in the same model always lands on the same point), per vector space. Two
// emulators given the same `space` produce the same vectors; another space gives other vectors.
import { createHash } from 'node:crypto';
import type { ScriptEntry } from './upstream.ts';

export interface EmbeddingsOptions {
  /** Which vector space the vectors come from; default the model name in the request. */
  space?: string;
  /** Dimensions when the request sets none. */
  dimensions?: number;
  /** Answer floats even when base64 is asked for, as some OpenAI-compatible servers do. */
  ignoreBase64?: boolean;
  /** Answer vectors of this length whatever `dimensions` asked for, as servers that ignore it do. */
  ignoreDimensions?: boolean;
}

/** The unit vector of `text` in `space`, `dimensions` long. */
export function vectorFor(space: string, text: string, dimensions: number): number[] {
  const values: number[] = [];
  for (let block = 0; values.length < dimensions; block++) {
    const digest = createHash('sha256').update(`${space}\u0000${block}\u0000${text}`).digest();
    for (let offset = 0; offset + 2 <= digest.length && values.length < dimensions; offset += 2) {
      values.push(digest.readUInt16LE(offset) / 32768 - 1);
    }
  }
  const norm = Math.hypot(...values) || 1;
  // Rounded to float32, as the wire carries them, so float and base64 answers compare equal.
  return values.map((value) => Math.fround(value / norm));
}

/** Decodes an `encoding_format: base64` vector (little-endian float32). */
export function base64ToFloats(text: string): number[] {
  const bytes = Buffer.from(text, 'base64');
  const values: number[] = [];
  for (let offset = 0; offset + 4 <= bytes.length; offset += 4) values.push(bytes.readFloatLE(offset));
  return values;
}

function texts(input: unknown): string[] {
  if (typeof input === 'string') return [input];
  if (!Array.isArray(input)) return [];
  if (typeof input[0] === 'number') return [JSON.stringify(input)];
  return input.map((item) => (typeof item === 'string' ? item : JSON.stringify(item)));
}

/** A script entry answering an embeddings request the way OpenAI does. */
export function embeddingsAnswer(options: EmbeddingsOptions = {}): ScriptEntry {
  return (request) => {
    const body = request.body as { model?: string; input?: unknown; dimensions?: number; encoding_format?: string };
    const inputs = texts(body.input);
    const dimensions = (options.ignoreDimensions ? undefined : body.dimensions) ?? options.dimensions ?? 8;
    const base64 = body.encoding_format === 'base64' && !options.ignoreBase64;
    const data = inputs.map((text, index) => {
      const vector = vectorFor(options.space ?? String(body.model), text, dimensions);
      return { object: 'embedding', index, embedding: base64 ? floatsToBase64(vector) : vector };
    });
    const tokens = inputs.reduce((sum, text) => sum + Math.max(1, Math.ceil(text.length / 4)), 0);
    return { json: { object: 'list', data, model: body.model, usage: { prompt_tokens: tokens, total_tokens: tokens } } };
  };
}

function floatsToBase64(values: number[]): string {
  const bytes = Buffer.alloc(values.length * 4);
  for (const [index, value] of values.entries()) bytes.writeFloatLE(value, index * 4);
  return bytes.toString('base64');
}
