// When a provider is out: a circuit breaker as pure functions over plain data.
// `now` (epoch ms) is always an argument, so tests need no timers and a shared
// store can keep the same JSON.

/** Closed: in service. Open: out until `until`. Half-open: one trial request decides. */
export type Circuit =
  | { state: 'closed'; failures: number }
  | { state: 'open'; failures: number; trips: number; until: number }
  | { state: 'half-open'; failures: number; trips: number; trialUntil: number };

export type CircuitState = Circuit['state'];

export interface BreakerPolicy {
  /** Consecutive failures that open the circuit. */
  failureThreshold: number;
  /** First cooldown; each further trip doubles it. */
  cooldownMs: number;
  /** Longest cooldown. */
  maxCooldownMs: number;
  /** How long a half-open trial may run before another request may try. */
  trialTimeoutMs: number;
}

export const closedCircuit: Circuit = { state: 'closed', failures: 0 };

function cooldownFor(trips: number, policy: BreakerPolicy): number {
  return Math.min(policy.cooldownMs * 2 ** (trips - 1), policy.maxCooldownMs);
}

/** An open circuit whose cooldown has passed reads as half-open with no trial running. */
export function settle(circuit: Circuit, now: number): Circuit {
  if (circuit.state === 'open' && now >= circuit.until) {
    return { state: 'half-open', failures: circuit.failures, trips: circuit.trips, trialUntil: 0 };
  }
  return circuit;
}

export function recordSuccess(_circuit: Circuit): Circuit {
  return closedCircuit;
}

export function recordFailure(circuit: Circuit, now: number, policy: BreakerPolicy): Circuit {
  const current = settle(circuit, now);
  const failures = current.failures + 1;
  if (current.state === 'closed') {
    if (failures < policy.failureThreshold) return { state: 'closed', failures };
    return { state: 'open', failures, trips: 1, until: now + cooldownFor(1, policy) };
  }
  if (current.state === 'half-open') {
    // The trial failed: out again, for longer.
    const trips = current.trips + 1;
    return { state: 'open', failures, trips, until: now + cooldownFor(trips, policy) };
  }
  // A request that started before the circuit opened failed late: never shorten the cooldown.
  return { ...current, failures, until: Math.max(current.until, now + cooldownFor(current.trips, policy)) };
}

/** Opens the circuit at once, whatever the count (a rejected key cannot get better by retrying). */
export function trip(circuit: Circuit, now: number, policy: BreakerPolicy): Circuit {
  const current = settle(circuit, now);
  const trips = current.state === 'closed' ? 1 : current.trips + 1;
  const until = now + cooldownFor(trips, policy);
  return {
    state: 'open',
    failures: current.failures + 1,
    trips,
    until: current.state === 'open' ? Math.max(current.until, until) : until,
  };
}

/** Whether a request may be sent now; in half-open only one trial at a time is let through. */
export function admit(circuit: Circuit, now: number, policy: BreakerPolicy): { admitted: boolean; circuit: Circuit } {
  const current = settle(circuit, now);
  if (current.state === 'closed') return { admitted: true, circuit: current };
  if (current.state === 'open') return { admitted: false, circuit: current };
  if (current.trialUntil > now) return { admitted: false, circuit: current };
  return { admitted: true, circuit: { ...current, trialUntil: now + policy.trialTimeoutMs } };
}

/** Whether a request could be admitted now, without taking the half-open trial. */
export function isAdmissible(circuit: Circuit, now: number): boolean {
  const current = settle(circuit, now);
  return current.state === 'closed' || (current.state === 'half-open' && current.trialUntil <= now);
}

/** When the circuit will next admit a request (now if it would already). */
export function readyAt(circuit: Circuit, now: number): number {
  const current = settle(circuit, now);
  if (current.state === 'open') return current.until;
  if (current.state === 'half-open') return Math.max(now, current.trialUntil);
  return now;
}

/** Exponential moving average; the first sample sets it. */
export function updateAverage(average: number | null, sample: number, alpha: number): number {
  return average === null ? sample : alpha * sample + (1 - alpha) * average;
}
