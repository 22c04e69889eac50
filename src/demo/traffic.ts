// The demo's client: steady chat completions through the gateway over HTTP, alternating plain
// and streamed, each read to its end and reported with what its headers say.
import { Agent, fetch } from 'undici';
import { type RequestOutcome, readAttempts } from './events.ts';

export interface TrafficOptions {
  /** The gateway's base URL, without `/v1`. */
  gatewayUrl: string;
  model: string;
  /** Time between two requests, in ms. */
  intervalMs: number;
  /** Longest a request may take before the client gives up, in ms. */
  timeoutMs: number;
  onOutcome(outcome: RequestOutcome): void;
}

export interface Traffic {
  readonly sent: number;
  readonly inFlight: number;
  /** Stops sending, waits up to `graceMs` for requests in flight, then cuts the rest. */
  stop(graceMs?: number): Promise<void>;
}

export function startTraffic(options: TrafficOptions): Traffic {
  // Its own connection pool, so stopping leaves no keep-alive socket holding the process open.
  const agent = new Agent({ keepAliveTimeout: 2000, connections: 16 });
  const stopped = new AbortController();
  const pending = new Set<Promise<void>>();
  let sent = 0;

  const send = () => {
    const id = ++sent;
    const request = sendOne(id, id % 2 === 0, options, agent, stopped.signal).then(
      (outcome) => options.onOutcome(outcome),
      () => {},
    );
    pending.add(request);
    request.finally(() => pending.delete(request));
  };
  const timer = setInterval(send, options.intervalMs);
  send();

  return {
    get sent() {
      return sent;
    },
    get inFlight() {
      return pending.size;
    },
    async stop(graceMs = 2000) {
      clearInterval(timer);
      const grace = setTimeout(() => stopped.abort(new Error('demo stopping')), graceMs);
      await Promise.allSettled([...pending]);
      clearTimeout(grace);
      await agent.close();
    },
  };
}

async function sendOne(
  id: number,
  streamed: boolean,
  options: TrafficOptions,
  agent: Agent,
  stop: AbortSignal,
): Promise<RequestOutcome> {
  const started = performance.now();
  const body = {
    model: options.model,
    messages: [{ role: 'user', content: `Say hello (request ${id}).` }],
    max_tokens: 32,
    ...(streamed && { stream: true, stream_options: { include_usage: true } }),
  };
  const base = { id, streamed, status: 0, ok: false, provider: null, attempts: 1 };
  try {
    const response = await fetch(`${options.gatewayUrl}/v1/chat/completions`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify(body),
      dispatcher: agent,
      signal: AbortSignal.any([stop, AbortSignal.timeout(options.timeoutMs)]),
    });
    const text = await response.text();
    const outcome = {
      ...base,
      status: response.status,
      provider: response.headers.get('x-switchboard-provider'),
      attempts: readAttempts(response.headers.get('x-switchboard-attempts')),
      latencyMs: performance.now() - started,
    };
    if (!response.ok) return { ...outcome, error: errorMessage(text) };
    if (!streamed) return { ...outcome, ok: true };
    // A stream is complete only when it ends with [DONE] and carried no error event.
    const errorEvent = /^data: (\{"error".*)$/m.exec(text);
    if (errorEvent) return { ...outcome, error: errorMessage(errorEvent[1] ?? '') };
    if (!/data: \[DONE\]\s*$/.test(text)) return { ...outcome, error: 'the stream ended without [DONE]' };
    return { ...outcome, ok: true };
  } catch (error) {
    return { ...base, latencyMs: performance.now() - started, error: (error as Error).message };
  }
}

function errorMessage(text: string): string {
  try {
    const parsed = JSON.parse(text) as { error?: { message?: string } };
    return parsed.error?.message ?? text;
  } catch {
    return text;
  }
}
