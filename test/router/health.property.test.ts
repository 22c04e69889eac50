// The breaker as a state machine: properties over random event sequences, with a clock passed in.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import {
  admit,
  type BreakerPolicy,
  type Circuit,
  closedCircuit,
  recordFailure,
  recordSuccess,
  settle,
  trip,
  updateAverage,
} from '../../src/router/health.ts';
import { FailoverTracker } from '../../src/router/tracker.ts';

const policy: BreakerPolicy = { failureThreshold: 3, cooldownMs: 1000, maxCooldownMs: 8000, trialTimeoutMs: 500 };

type Event = { type: 'success' | 'failure' | 'trip' | 'admit'; advanceMs: number };
const eventArb = fc.record({
  type: fc.constantFrom<Event['type']>('success', 'failure', 'trip', 'admit'),
  advanceMs: fc.integer({ min: 0, max: 3000 }),
});

function apply(circuit: Circuit, event: Event, now: number): Circuit {
  if (event.type === 'success') return recordSuccess(circuit);
  if (event.type === 'failure') return recordFailure(circuit, now, policy);
  if (event.type === 'trip') return trip(circuit, now, policy);
  return admit(circuit, now, policy).circuit;
}

describe('circuit breaker properties', () => {
  it('stays closed below the threshold and opens exactly at it', () => {
    fc.assert(
      fc.property(fc.integer({ min: 0, max: 10 }), (failures) => {
        let circuit = closedCircuit;
        for (let i = 0; i < failures; i += 1) circuit = recordFailure(circuit, 0, policy);
        return failures < policy.failureThreshold ? circuit.state === 'closed' : circuit.state === 'open';
      }),
    );
  });

  it('never admits while open before the cooldown, and admits one trial at a time when half-open', () => {
    fc.assert(
      fc.property(fc.array(eventArb, { maxLength: 40 }), (events) => {
        let circuit = closedCircuit;
        let now = 0;
        for (const event of events) {
          now += event.advanceMs;
          const before = settle(circuit, now);
          if (event.type === 'admit') {
            const result = admit(circuit, now, policy);
            if (before.state === 'open' && result.admitted) return false;
            if (before.state === 'half-open' && before.trialUntil > now && result.admitted) return false;
            if (before.state === 'closed' && !result.admitted) return false;
            // A second admission at the same instant while half-open is refused.
            if (before.state === 'half-open' && admit(result.circuit, now, policy).admitted) return false;
          }
          circuit = apply(circuit, event, now);
        }
        return true;
      }),
    );
  });

  it('cooldowns never exceed the cap and never shrink on a late failure', () => {
    fc.assert(
      fc.property(fc.array(eventArb, { maxLength: 40 }), (events) => {
        let circuit = closedCircuit;
        let now = 0;
        for (const event of events) {
          now += event.advanceMs;
          const next = apply(circuit, event, now);
          if (next.state === 'open' && next.until - now > policy.maxCooldownMs) return false;
          if (circuit.state === 'open' && next.state === 'open' && event.type !== 'success' && next.until < circuit.until)
            return false;
          circuit = next;
        }
        return true;
      }),
    );
  });

  it('a success always closes the circuit and resets the count', () => {
    fc.assert(
      fc.property(fc.array(eventArb, { maxLength: 30 }), (events) => {
        let circuit = closedCircuit;
        let now = 0;
        for (const event of events) {
          now += event.advanceMs;
          circuit = apply(circuit, event, now);
        }
        const after = recordSuccess(circuit);
        return after.state === 'closed' && after.failures === 0;
      }),
    );
  });

  it('repeated trips lengthen the cooldown up to the cap', () => {
    let circuit: Circuit = closedCircuit;
    const cooldowns: number[] = [];
    let now = 0;
    for (let trips = 0; trips < 6; trips += 1) {
      circuit = trip(circuit, now, policy);
      assert.equal(circuit.state, 'open');
      if (circuit.state === 'open') {
        cooldowns.push(circuit.until - now);
        now = circuit.until;
      }
      // The half-open trial is admitted and fails.
      circuit = admit(circuit, now, policy).circuit;
      assert.equal(circuit.state, 'half-open');
    }
    assert.deepEqual(cooldowns, [1000, 2000, 4000, 8000, 8000, 8000]);
  });

  it('the latency EMA starts at the first sample and moves by alpha', () => {
    assert.equal(updateAverage(null, 100, 0.3), 100);
    assert.equal(updateAverage(100, 200, 0.3), 130);
    fc.assert(
      fc.property(fc.array(fc.double({ min: 0, max: 1e4, noNaN: true }), { minLength: 1, maxLength: 50 }), (samples) => {
        let average: number | null = null;
        for (const sample of samples) average = updateAverage(average, sample, 0.3);
        return average! >= Math.min(...samples) - 1e-9 && average! <= Math.max(...samples) + 1e-9;
      }),
    );
  });
});

describe('FailoverTracker', () => {
  it('counts consecutive failures, resets on success, and is healthy below the threshold', () => {
    const tracker = new FailoverTracker({ failureThreshold: 3 });
    assert.equal(tracker.isHealthy('never-seen'), true);
    tracker.recordFailure('groq', 0);
    tracker.recordFailure('groq', 0);
    assert.deepEqual(tracker.getStatus(), { groq: 2 });
    assert.equal(tracker.isHealthy('groq', 0), true);
    tracker.recordFailure('groq', 0);
    assert.equal(tracker.isHealthy('groq', 0), false);
    tracker.recordSuccess('groq', 40);
    assert.deepEqual(tracker.getStatus(), { groq: 0 });
    assert.equal(tracker.isHealthy('groq', 0), true);
  });

  it('matches a reference counter over random success/failure sequences', () => {
    fc.assert(
      fc.property(fc.array(fc.boolean(), { maxLength: 60 }), fc.integer({ min: 1, max: 5 }), (outcomes, threshold) => {
        // A long cooldown keeps the clock out of it: only the count decides.
        const tracker = new FailoverTracker({ failureThreshold: threshold, cooldownMs: 1e9, maxCooldownMs: 1e9 });
        let failures = 0;
        for (const ok of outcomes) {
          if (ok) tracker.recordSuccess('p');
          else tracker.recordFailure('p', 0);
          failures = ok ? 0 : failures + 1;
          if ((tracker.getStatus().p ?? 0) !== failures) return false;
          if (tracker.isHealthy('p', 0) !== failures < threshold) return false;
        }
        return true;
      }),
    );
  });
});
