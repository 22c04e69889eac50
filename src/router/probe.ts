// The active health check: the smallest request a deployment can answer, under a timeout.
import { SwitchboardError } from '../protocol/errors.ts';
import { excerpt } from '../protocol/redact.ts';
import type { Transport } from '../providers/transport.ts';
import type { Deployment } from './deployment.ts';

export interface ProbeResult {
  provider: string;
  /** The deployment probed (`provider/model`, with `#n` when the provider has several keys). */
  deployment: string;
  /** The provider's model name probed. */
  model: string;
  healthy: boolean;
  latencyMs: number;
  /** Why it is unhealthy; absent when healthy. */
  error?: SwitchboardError;
  /** The response headers, for the rate-limit state they carry. */
  headers?: Record<string, string>;
}

/**
 * Sends `max_tokens: 1` for the deployment's model with its key (or embeds one word for an
 * embedding model); a probe that hangs is cut at `timeoutMs`.
 */
export async function probeDeployment(
  deployment: Deployment,
  transport: Transport,
  timeoutMs: number,
  secrets: readonly string[],
): Promise<ProbeResult> {
  const { provider, target } = deployment;
  const model = target.model;
  const embedder = deployment.embedding ? provider.embedder : undefined;
  const embedding = { model: deployment.model, input: 'ping' };
  const wire =
    embedder !== undefined
      ? embedder.encode(embedding, target)
      : provider.adapter.encode(
          { model: deployment.model, messages: [{ role: 'user', content: 'ping' }], max_tokens: 1, stream: false },
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
    if (embedder !== undefined) embedder.decode(response, target, embedding);
    else provider.adapter.decode(response, target);
    return {
      provider: provider.name,
      deployment: deployment.id,
      model,
      healthy: true,
      latencyMs: performance.now() - started,
      headers: response.headers,
    };
  } catch (thrown) {
    const error =
      thrown instanceof SwitchboardError
        ? thrown
        : new SwitchboardError({ message: String(thrown), status: 502, type: 'server_error', kind: 'malformed' });
    error.message = excerpt(error.message, secrets);
    return {
      provider: provider.name,
      deployment: deployment.id,
      model,
      healthy: false,
      latencyMs: performance.now() - started,
      error,
    };
  } finally {
    clearTimeout(timer);
  }
}
