// When a deployment is out and when it comes back: a circuit breaker as pure functions over the
// JSON the state store keeps. `now` (epoch ms) and `random` (in [0, 1)) are arguments, so tests
// need no timers and every store applies the same rules.
//
// Recovery is on evidence, not on a timer: an open circuit stays open until a probe (or, when
// nothing else can answer, one caller request) succeeds. Probes come soon after the trip and then
// at growing, capped intervals, so a deployment that comes back is in use again within the last
// interval, however long it was out, while a dead one costs one probe per interval.
import type { Circuit } from '../state/store.ts';

export type { Circuit };

/** How a circuit reads at one instant: `half-open` while a probe or trial runs. */
export type CircuitState = 'closed' | 'open' | 'half-open';

export interface BreakerPolicy {
  /** Consecutive failures that open the circuit. */
  failureThreshold: number;
  /** Delay before each probe after a trip; the last repeats. Default [500, 1000, 2000, 4000]. */
  probeDelaysMs: readonly number[];
  /** Share of a delay taken off at random (0.2: between 80 % and 100 % of it), so replicas and deployments do not probe in step. */
  probeJitter: number;
}

export const closedCircuit: Circuit = Object.freeze({ state: 'closed', failures: 0 });

/** The delay before probe number `probes` (0 for the first after a trip); `random` in [0, 1). */
export function probeDelay(probes: number, policy: BreakerPolicy, random: number): number {
  const delays = policy.probeDelaysMs;
  const base = delays[Math.min(probes, delays.length - 1)] ?? 0;
  return Math.round(base * (1 - policy.probeJitter * random));
}

/** How the circuit reads now. */
export function circuitState(circuit: Circuit, now: number): CircuitState {
  if (circuit.state === 'closed') return 'closed';
  return circuit.trialUntil > now ? 'half-open' : 'open';
}

/** A success closes the circuit (the same object when it is closed already, so nothing is written). */
export function recordSuccess(circuit: Circuit): Circuit {
  return circuit.state === 'closed' && circuit.failures === 0 ? circuit : closedCircuit;
}

function opened(failures: number, trips: number, now: number, policy: BreakerPolicy, random: number): Circuit {
  return {
    state: 'open',
    failures,
    trips,
    openedAt: now,
    probes: 0,
    nextProbeAt: now + probeDelay(0, policy, random),
    trialUntil: 0,
  };
}

/**
 * A failure of a caller's request. Closed: counts, and opens the circuit at the threshold.
 * Open: counted only; a request that started before the trip failed late, and the probe
 * schedule is not touched (`trialFailed` is for the trial).
 */
export function recordFailure(circuit: Circuit, now: number, policy: BreakerPolicy, random: number): Circuit {
  const failures = circuit.failures + 1;
  if (circuit.state === 'open') return { ...circuit, failures };
  if (failures < policy.failureThreshold) return { state: 'closed', failures };
  return opened(failures, 1, now, policy, random);
}

/** Opens the circuit at once, whatever the count (a rejected key cannot get better by retrying). */
export function trip(circuit: Circuit, now: number, policy: BreakerPolicy, random: number): Circuit {
  if (circuit.state === 'open') return { ...circuit, failures: circuit.failures + 1 };
  return opened(circuit.failures + 1, 1, now, policy, random);
}

/** Whether a probe is due now: open, its time has come, and no probe or trial is running. */
export function probeDue(circuit: Circuit, now: number): boolean {
  return circuit.state === 'open' && circuit.nextProbeAt <= now && circuit.trialUntil <= now;
}

/** Marks a probe or caller trial as running for at most `durationMs`, so no other starts before it ends. */
export function beginTrial(circuit: Circuit, now: number, durationMs: number): Circuit {
  if (circuit.state === 'closed') return circuit;
  return { ...circuit, trialUntil: now + durationMs };
}

/**
 * A probe or trial failed: the circuit stays open and the next probe is scheduled by the policy.
 * Refused or answered 5xx, it costs nothing more than the next step of the schedule.
 */
export function trialFailed(circuit: Circuit, now: number, policy: BreakerPolicy, random: number): Circuit {
  if (circuit.state === 'closed') return circuit;
  const probes = circuit.probes + 1;
  return { ...circuit, probes, trialUntil: 0, nextProbeAt: now + probeDelay(probes, policy, random) };
}

/** Whether a caller's request may be sent without being a trial. */
export function isAdmissible(circuit: Circuit): boolean {
  return circuit.state === 'closed';
}

/** When the deployment may be in service again: now if closed, else when its next probe is due. */
export function readyAt(circuit: Circuit, now: number): number {
  if (circuit.state === 'closed') return now;
  return Math.max(now, circuit.nextProbeAt, circuit.trialUntil);
}

/** Exponential moving average; the first sample sets it. */
export function updateAverage(average: number | null, sample: number, alpha: number): number {
  return average === null ? sample : alpha * sample + (1 - alpha) * average;
}
