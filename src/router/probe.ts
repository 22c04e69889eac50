// The active health check: the smallest request a provider can answer, under a timeout.
import { SwitchboardError } from '../protocol/errors.ts';
import { excerpt } from '../protocol/redact.ts';
import type { Transport } from '../providers/transport.ts';
import type { Provider } from './provider.ts';

export interface ProbeResult {
  provider: string;
  /** The provider's model name probed (its first configured model). */
  model: string;
  healthy: boolean;
  latencyMs: number;
  /** Why it is unhealthy; absent when healthy. */
  error?: SwitchboardError;
  /** The response headers, for the rate-limit state they carry. */
  headers?: Record<string, string>;
}

/**
 * Sends `max_tokens: 1` to the provider's first model (or embeds one word when it serves only
 * embedding models); a probe that hangs is cut at `timeoutMs`.
 */
export async function probeProvider(
  provider: Provider,
  transport: Transport,
  timeoutMs: number,
  secrets: readonly string[],
): Promise<ProbeResult> {
  const chat = Object.entries(provider.models)[0];
  const [generic, model] = chat ?? (Object.entries(provider.embeddings)[0] as [string, string]);
  const target = { ...provider.target, model };
  const embedding = { model: generic, input: 'ping' };
  const wire =
    chat === undefined && provider.embedder !== undefined
      ? provider.embedder.encode(embedding, target)
      : provider.adapter.encode(
          { model: generic, messages: [{ role: 'user', content: 'ping' }], max_tokens: 1, stream: false },
          target,
        );
  const timeout = new SwitchboardError({
    message: `${provider.name}: health check timed out after ${timeoutMs} ms`,
    status: 504,
    type: 'timeout_error',
    code: 'health_check_timeout',
    kind: 'timeout',
    provider: provider.name,
  });
  const controller = new AbortController();
  const timer = setTimeout(() => controller.abort(timeout), timeoutMs);
  const started = performance.now();
  try {
    const response = await transport.send(provider.endpoint, wire, {
      provider: provider.name,
      signal: controller.signal,
      firstByteMs: timeoutMs,
      idleMs: timeoutMs,
    });
    if (chat === undefined && provider.embedder !== undefined) provider.embedder.decode(response, target, embedding);
    else provider.adapter.decode(response, target);
    return { provider: provider.name, model, healthy: true, latencyMs: performance.now() - started, headers: response.headers };
  } catch (thrown) {
    const error =
      thrown instanceof SwitchboardError
        ? thrown
        : new SwitchboardError({ message: String(thrown), status: 502, type: 'server_error', kind: 'malformed' });
    error.message = excerpt(error.message, secrets);
    return { provider: provider.name, model, healthy: false, latencyMs: performance.now() - started, error };
  } finally {
    clearTimeout(timer);
  }
}
