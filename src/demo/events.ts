// What the demo narrates, worked out from what a client can see: successive status snapshots
// (circuit trips and recoveries) and each answer's x-switchboard-* headers (failovers).
import type { ProviderStatus } from '../router/router.ts';

export type DemoEventKind =
  | 'provider-down'
  | 'provider-up'
  | 'request-failover'
  | 'request-fail'
  | 'route-change'
  | 'circuit-open'
  | 'circuit-half-open'
  | 'circuit-close';

export interface DemoEvent {
  /** Epoch ms. */
  at: number;
  kind: DemoEventKind;
  message: string;
}

/** The word each event is shown with. */
export const eventLabels: Readonly<Record<DemoEventKind, string>> = {
  'provider-down': 'outage',
  'provider-up': 'back up',
  'request-failover': 'failover',
  'request-fail': 'error',
  'route-change': 'route',
  'circuit-open': 'trip',
  'circuit-half-open': 'half-open',
  'circuit-close': 'recovery',
};

/** One request the demo's client sent through the gateway, and what came back. */
export interface RequestOutcome {
  id: number;
  streamed: boolean;
  /** HTTP status; 0 when no answer arrived. */
  status: number;
  /** A complete answer (for a stream: it ended with `[DONE]` and no error event). */
  ok: boolean;
  /** From `x-switchboard-provider`. */
  provider: string | null;
  /** From `x-switchboard-attempts`; 1 when absent. */
  attempts: number;
  /** Client-side, from sending to the end of the body. */
  latencyMs: number;
  error?: string;
}

/** Trips, probes and recoveries between two snapshots of `router.status()`. */
export function circuitEvents(
  previous: Readonly<Record<string, ProviderStatus>>,
  next: Readonly<Record<string, ProviderStatus>>,
  now: number,
): DemoEvent[] {
  const events: DemoEvent[] = [];
  for (const [name, after] of Object.entries(next)) {
    const before = previous[name];
    if (!before || before.state === after.state) continue;
    // Errors read "fast: connect ECONNREFUSED …"; the name is already said.
    const error = after.lastError ? ` (${shorten(after.lastError.replace(`${name}: `, ''))})` : '';
    const cooldown = after.cooldownUntil
      ? `; next probe in ${Math.max(0, Math.round((after.cooldownUntil - now) / 100) / 10)} s`
      : '';
    if (after.state === 'open' && before.state === 'closed') {
      const failures = after.consecutiveFailures;
      events.push({
        at: now,
        kind: 'circuit-open',
        message: `${name}: circuit open after ${failures} consecutive failure${failures === 1 ? '' : 's'}${error}${cooldown}`,
      });
    } else if (after.state === 'open') {
      events.push({ at: now, kind: 'circuit-open', message: `${name}: probe failed${error}, circuit still open${cooldown}` });
    } else if (after.state === 'degraded') {
      const out = after.deployments.filter((deployment) => !deployment.healthy).map((deployment) => deployment.model);
      events.push({
        at: now,
        kind: 'circuit-open',
        message: `${name}: ${out.join(', ')} out, its other models in service${error}`,
      });
    } else if (after.state === 'half-open') {
      const missed = before.state === 'closed' ? ' (it tripped between two looks)' : '';
      events.push({
        at: now,
        kind: 'circuit-half-open',
        message: `${name}: probing it with a 1-token request; the first that succeeds closes the circuit${missed}`,
      });
    } else {
      const latency = after.latencyEmaMs === null ? '' : ` (latency EMA ${Math.round(after.latencyEmaMs)} ms)`;
      events.push({ at: now, kind: 'circuit-close', message: `${name}: recovered, circuit closed, back in rotation${latency}` });
    }
  }
  return events;
}

/** A failover or a failed request, told from one outcome; nothing for a plain success. */
export function requestEvent(outcome: RequestOutcome, now: number): DemoEvent | undefined {
  const what = `request #${outcome.id}${outcome.streamed ? ' (stream)' : ''}`;
  if (!outcome.ok) {
    const status = outcome.status === 0 ? 'no answer' : `status ${outcome.status}`;
    return {
      at: now,
      kind: 'request-fail',
      message: `${what} failed: ${status}${outcome.error ? `: ${shorten(outcome.error)}` : ''}`,
    };
  }
  if (outcome.attempts <= 1) return undefined;
  const failed = outcome.attempts - 1;
  return {
    at: now,
    kind: 'request-failover',
    message:
      `${what}: ${failed} failed attempt${failed === 1 ? '' : 's'}, then ${outcome.provider ?? 'another provider'} ` +
      `answered (${Math.round(outcome.latencyMs)} ms in all); the client saw only the answer`,
  };
}

/**
 * Follows which provider answers. Outcomes finish out of order, so only ones newer than the
 * last counted request move it; that keeps a slow stream from an old route from flapping it.
 */
export class RouteWatch {
  #provider: string | null = null;
  #lastId = 0;

  observe(outcome: RequestOutcome, now: number): DemoEvent | undefined {
    if (!outcome.ok || outcome.provider === null || outcome.id <= this.#lastId) return undefined;
    this.#lastId = outcome.id;
    const before = this.#provider;
    this.#provider = outcome.provider;
    if (before === null || before === outcome.provider) return undefined;
    return { at: now, kind: 'route-change', message: `traffic now answered by ${outcome.provider} (was ${before})` };
  }
}

/** `x-switchboard-attempts`: how many providers were tried; 1 when absent or unreadable. */
export function readAttempts(header: string | null): number {
  const count = Number(header);
  return Number.isInteger(count) && count > 0 ? count : 1;
}

function shorten(text: string, max = 70): string {
  const flat = text.replace(/\s+/g, ' ').trim();
  return flat.length > max ? `${flat.slice(0, max - 1)}…` : flat;
}
