// Keys never reach a message, a log line or a status page. Upstreams echo keys back in
// error texts (OpenAI: "Incorrect API key provided: sk-abc***xyz"), so every upstream
// text passes through here, and so does every caller value an error quotes.

// Vendor key shapes: OpenAI `sk-…`, Anthropic `sk-ant-…`, OpenRouter `sk-or-…`, Groq `gsk_…`, bearer values.
const keyShapes = /\b(?:sk|gsk|xai|pk|rk)[-_][A-Za-z0-9_\-*.]{6,}|Bearer\s+[A-Za-z0-9_\-.~+/=*]{6,}/g;

/** Most characters of an upstream's or a caller's text that an error, a log line or `/status` quotes. */
export const excerptChars = 300;

/** Secrets shorter than this are not scrubbed: they would cut ordinary words out of every message. */
const shortestSecret = 4;

/** Replaces known secrets and anything shaped like an API key with `[redacted]`. */
export function redact(text: string, secrets: Iterable<string> = []): string {
  let result = text;
  for (const secret of secrets) {
    if (secret.length >= shortestSecret && result.includes(secret)) result = result.split(secret).join('[redacted]');
  }
  return result.replace(keyShapes, '[redacted]');
}

/**
 * A bounded, scrubbed quotation of a text: whitespace runs become one space, secrets and key shapes
 * are replaced, and only then is it cut to `maxChars` (default 300) with an ellipsis, so the cut can
 * never leave the first characters of a key behind. Costs O(maxChars + longest secret), whatever
 * the length of the text.
 */
export function excerpt(text: string, secrets: readonly string[] = [], maxChars = excerptChars): string {
  let longest = 0;
  for (const secret of secrets) longest = Math.max(longest, secret.length);
  // Every secret that starts inside the kept part lies whole inside the window; a key shape
  // running past the window is still matched by its first characters.
  const window = text.length > maxChars + longest + 64 ? text.slice(0, maxChars + longest + 64) : text;
  const flat = redact(window, secrets).replace(/\s+/g, ' ').trim();
  if (flat.length === 0) return text.length === 0 ? '(empty)' : '(blank)';
  return flat.length > maxChars || window.length < text.length ? `${flat.slice(0, maxChars)}…` : flat;
}

/** Longest error message an answer or a log line carries: room for every attempt of a failed request. */
const messageChars = 4096;

/**
 * An error message as it leaves the process: secrets scrubbed, and at most 4,096 characters, so a
 * message that quotes something unbounded (a caller's value no excerpt was taken of) stays small.
 */
export function boundedMessage(message: string, secrets: readonly string[]): string {
  return message.length > messageChars ? excerpt(message, secrets, messageChars) : redact(message, secrets);
}
