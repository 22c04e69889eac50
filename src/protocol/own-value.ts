// Lookups by a name that came from outside (a header, a request body, an upstream's answer, a
// config file) into a plain object: `table[name]` would find `toString`, `constructor` or
// `__proto__` on Object.prototype and hand back a function or an object instead of "not there".

/** `table[key]` when `table` has `key` of its own, else undefined. */
export function ownValue<T>(table: Readonly<Record<string, T>>, key: string): T | undefined {
  return Object.hasOwn(table, key) ? table[key] : undefined;
}
