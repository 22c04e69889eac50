// Turns an upstream's error status and body into a classified SwitchboardError.
// Shared by every adapter: the status decides most of it, the provider's own code or
// message decides the cases a status cannot tell apart (context length, content policy,
// an exhausted quota that arrives as a 429).
import { errorTypeFor, type FailureKind, SwitchboardError } from '../protocol/errors.ts';
import { excerpt as quote } from '../protocol/redact.ts';

export interface UpstreamErrorInfo {
  status: number;
  provider: string;
  message: string;
  /** The provider's error code or type, when it sent one. */
  code?: string | null;
  type?: string | null;
  param?: string | null;
}

// Context overflow is told only by code or text: OpenAI `context_length_exceeded`,
// Anthropic "prompt is too long", Together/vLLM "maximum context length", Gemini "input token count".
const contextPattern =
  /context[_ ]length|context window|maximum context|prompt is too long|input token count|too many tokens|reduce the length/i;
const policyPattern = /content[_ ]policy|content[_ ]filter|content management policy|safety system|flagged|moderation/i;

/** Classifies an upstream error. A body-level error inside a 200 passes its own status in `status`. */
export function kindForStatus(info: UpstreamErrorInfo): FailureKind {
  const { status } = info;
  const code = `${info.code ?? ''} ${info.type ?? ''}`;
  if (status === 429) {
    // OpenAI's `insufficient_quota` is a billing stop, not a window: retrying the key cannot help.
    return /insufficient_quota|billing|spend_limit/i.test(code) ? 'auth' : 'rate-limited';
  }
  if (status === 401 || status === 403 || status === 402) return 'auth';
  if (status === 404) return 'model-not-found';
  if (status === 408) return 'timeout';
  if (status >= 500) return 'server';
  const text = `${code} ${info.message}`;
  if (status === 413) {
    // Groq answers 413 `rate_limit_exceeded` for one request above the tokens-per-minute limit.
    return /rate_limit/i.test(code) ? 'rate-limited' : 'context-length';
  }
  if (contextPattern.test(text)) return 'context-length';
  if (policyPattern.test(text)) return 'content-policy';
  return 'bad-request';
}

/** Builds the error for an upstream failure; the caller-facing status is the upstream's where it means the same. */
export function upstreamError(info: UpstreamErrorInfo, retryAfterMs?: number): SwitchboardError {
  const kind = kindForStatus(info);
  const status = info.status >= 400 && info.status <= 599 ? info.status : 502;
  return new SwitchboardError({
    message: `${info.provider}: ${excerpt(info.message)}`,
    status: status === 529 ? 503 : status,
    type: passThroughType(info.type) ?? errorTypeFor(status),
    code: shortField(info.code),
    kind,
    provider: info.provider,
    param: shortField(info.param),
    ...(retryAfterMs === undefined ? {} : { retryAfterMs }),
  });
}

const openaiTypes = new Set([
  'invalid_request_error',
  'authentication_error',
  'permission_error',
  'not_found_error',
  'rate_limit_error',
  'server_error',
  'api_error',
  'insufficient_quota',
]);

function passThroughType(type: string | null | undefined): string | undefined {
  return type && openaiTypes.has(type) ? type : undefined;
}

/** A 200 whose body cannot be used. */
export function malformed(provider: string, detail: string): SwitchboardError {
  return new SwitchboardError({
    message: `${provider}: malformed response (${detail})`,
    status: 502,
    type: 'server_error',
    code: 'malformed_response',
    kind: 'malformed',
    provider,
  });
}

/** A 200 answer's body as a JSON object: an empty body, text that is not JSON, or any other JSON value is malformed. */
export function answerObject(body: string, provider: string): Record<string, unknown> {
  if (body.length === 0) throw malformed(provider, 'empty body');
  let parsed: unknown;
  try {
    parsed = JSON.parse(body);
  } catch {
    throw malformed(provider, `invalid JSON: ${excerpt(body)}`);
  }
  if (parsed === null || typeof parsed !== 'object' || Array.isArray(parsed)) throw malformed(provider, 'not a JSON object');
  return parsed as Record<string, unknown>;
}

// An adapter keeps this much of an upstream's text, with key shapes scrubbed; the router then scrubs
// the configured secrets and cuts to `excerptChars` (300). Cutting here at 300 would let the cut fall
// inside a configured secret, leaving its first characters where no scrub could recognise them.
const upstreamQuoteChars = 4096;

/** Shortens an upstream body for an error message: non-JSON pages (Cloudflare HTML, Envoy text) can be large. */
export function excerpt(text: string): string {
  return text.length === 0 ? '(empty body)' : quote(text, [], upstreamQuoteChars);
}

/** An upstream's `code` or `param` is a short identifier; anything longer is not passed on whole. */
function shortField(value: string | null | undefined): string | null {
  if (value === undefined || value === null) return null;
  return value.length > 100 ? quote(value, [], 100) : value;
}
