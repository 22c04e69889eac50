// Turning schema issues into messages a user can act on: the path in the file, what is wrong,
// and "did you mean" when a known name is close to what was written.
import { distance } from 'fastest-levenshtein';
import type { z } from 'zod';

/**
 * The known name closest to `word`, when it is close enough to be a likely typo: case is
 * ignored, and at most one edit in three characters (at least one) is allowed.
 */
export function suggest(word: string, candidates: Iterable<string>): string | undefined {
  const lower = word.toLowerCase();
  const allowed = Math.max(1, Math.floor(word.length / 3));
  let best: string | undefined;
  let bestDistance = Number.POSITIVE_INFINITY;
  for (const candidate of candidates) {
    if (candidate === word) return undefined;
    const edits = distance(lower, candidate.toLowerCase());
    if (edits <= allowed && edits < bestDistance && edits < word.length) {
      best = candidate;
      bestDistance = edits;
    }
  }
  return best;
}

/** `; did you mean "x"?` or nothing. */
export function didYouMean(word: string, candidates: Iterable<string>): string {
  const found = suggest(word, candidates);
  return found === undefined ? '' : `; did you mean "${found}"?`;
}

/** The parts of zod's internal definition a walk through the config's schema needs. */
interface SchemaNode {
  _zod: {
    def: {
      type: string;
      innerType?: SchemaNode;
      in?: SchemaNode;
      shape?: Record<string, SchemaNode>;
      valueType?: SchemaNode;
      element?: SchemaNode;
    };
  };
}

function unwrap(node: SchemaNode | undefined): SchemaNode | undefined {
  let current = node;
  // Bounded: a wrapper nests a finite schema.
  for (let depth = 0; current !== undefined && depth < 16; depth++) {
    const def: SchemaNode['_zod']['def'] = current._zod.def;
    const inner = def.innerType ?? (def.type === 'pipe' ? def.in : undefined);
    if (inner === undefined) return current;
    current = inner;
  }
  return current;
}

/** The keys an object in `schema` at `path` accepts; empty when the path leads to no object. */
export function knownKeysAt(schema: z.ZodType, path: readonly PropertyKey[]): string[] {
  let node = unwrap(schema as unknown as SchemaNode);
  for (const segment of path) {
    if (node === undefined) return [];
    const def = node._zod.def;
    if (def.type === 'object') node = unwrap(def.shape?.[String(segment)]);
    else if (def.type === 'record') node = unwrap(def.valueType);
    else if (def.type === 'array') node = unwrap(def.element);
    else return [];
  }
  const shape = node?._zod.def.type === 'object' ? node._zod.def.shape : undefined;
  return shape ? Object.keys(shape) : [];
}

/** The value at `path` in a parsed document, if any. */
export function valueAt(root: unknown, path: readonly PropertyKey[]): unknown {
  let value = root;
  for (const segment of path) {
    if (value === null || typeof value !== 'object' || !Object.hasOwn(value, segment)) return undefined;
    value = (value as Record<PropertyKey, unknown>)[segment];
  }
  return value;
}

/** `providers.groq.models`, or `(root)`. */
export function formatPath(path: readonly PropertyKey[]): string {
  return path.length === 0 ? '(root)' : path.map(String).join('.');
}

/** One problem: where in the file, and what to say. */
export interface Problem {
  path: PropertyKey[];
  message: string;
}

/**
 * The problems of one schema issue: an unknown key is one problem per key, with the closest
 * known key; a value outside an enumeration names the value and the closest allowed one.
 */
export function problemsOf(issue: z.core.$ZodIssue, schema: z.ZodType, input: unknown): Problem[] {
  if (issue.code === 'unrecognized_keys') {
    const known = knownKeysAt(schema, issue.path);
    return issue.keys.map((key) => ({
      path: [...issue.path, key],
      message: `unknown key${didYouMean(key, known)}${known.length > 0 && !suggest(key, known) ? ` (known here: ${known.join(', ')})` : ''}`,
    }));
  }
  if (issue.code === 'invalid_value' && issue.values.every((value) => typeof value === 'string')) {
    const allowed = issue.values as string[];
    const given = valueAt(input, issue.path);
    const shown = typeof given === 'string' ? `"${given}"` : (JSON.stringify(given) ?? 'nothing');
    return [
      {
        path: issue.path,
        message: `${shown} is not one of ${allowed.join(', ')}${typeof given === 'string' ? didYouMean(given, allowed) : ''}`,
      },
    ];
  }
  return [{ path: issue.path, message: issue.message }];
}
