// Keys never reach a message, a log line or a status page. Upstreams echo keys back in
// error texts (OpenAI: "Incorrect API key provided: sk-abc***xyz"), so every upstream
// text passes through here.

// Vendor key shapes: OpenAI `sk-…`, Anthropic `sk-ant-…`, OpenRouter `sk-or-…`, Groq `gsk_…`, bearer values.
const keyShapes = /\b(?:sk|gsk|xai|pk|rk)[-_][A-Za-z0-9_\-*.]{6,}|Bearer\s+[A-Za-z0-9_\-.~+/=*]{6,}/g;

/** Replaces known secrets and anything shaped like an API key with `[redacted]`. */
export function redact(text: string, secrets: Iterable<string> = []): string {
  let result = text;
  for (const secret of secrets) {
    if (secret.length >= 4 && result.includes(secret)) result = result.split(secret).join('[redacted]');
  }
  return result.replace(keyShapes, '[redacted]');
}
