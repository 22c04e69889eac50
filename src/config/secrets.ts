// Every credential a config holds, so each output can scrub them: provider keys, every value of a
// provider's `headers` (Azure's `api-key`, a custom auth header with `auth: none`), the gateway's own
// keys, and the password of any URL in the config (a Redis URL, a base URL with user info).
import type { Config } from './schema.ts';

/** The credentials in a config, longest first (so a key that contains another is scrubbed whole). */
export function secretsOf(config: Config): string[] {
  const found = new Set<string>();
  for (const provider of Object.values(config.providers)) {
    if (provider.apiKey) found.add(provider.apiKey);
    for (const key of provider.apiKeys ?? []) if (key) found.add(key);
    for (const entry of provider.keys ?? []) if (entry.key) found.add(entry.key);
    for (const value of Object.values(provider.headers)) if (value) found.add(value);
  }
  for (const key of config.server.apiKeys) found.add(key);
  for (const value of Object.values(config.telemetry?.otlp?.headers ?? {})) if (value) found.add(value);
  collectUrlPasswords(config, found, 0);
  return [...found].sort((a, b) => b.length - a.length);
}

// Walks the whole config rather than naming each URL field, so a field added later
// (`state.redis`) is covered without being listed here.
function collectUrlPasswords(value: unknown, found: Set<string>, depth: number): void {
  if (depth > 16) return;
  if (typeof value === 'string') {
    for (const secret of urlCredentials(value)) found.add(secret);
  } else if (Array.isArray(value)) {
    for (const item of value) collectUrlPasswords(item, found, depth + 1);
  } else if (value !== null && typeof value === 'object') {
    for (const item of Object.values(value)) collectUrlPasswords(item, found, depth + 1);
  }
}

/**
 * The password of a URL with user info, raw and decoded (`redis://:pa%40ss@host` shows either way);
 * a lone user name (`https://token@host`) is a token.
 */
function urlCredentials(text: string): string[] {
  if (!text.includes('://') || !text.includes('@')) return [];
  let url: URL;
  try {
    url = new URL(text);
  } catch {
    return [];
  }
  const raw = url.password || url.username;
  if (raw === '') return [];
  try {
    return [raw, decodeURIComponent(raw)];
  } catch {
    return [raw];
  }
}
