// The breaker as a state machine: properties over random event sequences, with a clock and
// the jitter's random numbers passed in.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import {
  type BreakerPolicy,
  beginTrial,
  type Circuit,
  circuitState,
  closedCircuit,
  isAdmissible,
  probeDelay,
  probeDue,
  recordFailure,
  recordSuccess,
  trialFailed,
  trip,
  updateAverage,
} from '../../src/router/health.ts';
import { FailoverTracker } from '../../src/router/tracker.ts';

const policy: BreakerPolicy = { failureThreshold: 3, probeDelaysMs: [500, 1000, 2000, 4000], probeJitter: 0.2 };

type Event = { type: 'success' | 'failure' | 'trip' | 'probe' | 'probe-failed'; advanceMs: number; random: number };
const eventArb = fc.record({
  type: fc.constantFrom<Event['type']>('success', 'failure', 'trip', 'probe', 'probe-failed'),
  advanceMs: fc.integer({ min: 0, max: 6000 }),
  random: fc.double({ min: 0, max: 0.999, noNaN: true }),
});

function apply(circuit: Circuit, event: Event, now: number): Circuit {
  if (event.type === 'success') return recordSuccess(circuit);
  if (event.type === 'failure') return recordFailure(circuit, now, policy, event.random);
  if (event.type === 'trip') return trip(circuit, now, policy, event.random);
  if (event.type === 'probe') return probeDue(circuit, now) ? beginTrial(circuit, now, 5000) : circuit;
  return trialFailed(circuit, now, policy, event.random);
}

describe('circuit breaker properties', () => {
  it('stays closed below the threshold and opens exactly at it', () => {
    fc.assert(
      fc.property(fc.integer({ min: 0, max: 10 }), (failures) => {
        let circuit = closedCircuit;
        for (let i = 0; i < failures; i += 1) circuit = recordFailure(circuit, 0, policy, 0.5);
        return failures < policy.failureThreshold ? circuit.state === 'closed' : circuit.state === 'open';
      }),
    );
  });

  it('once open, no time and no failure lets a caller through: only a success closes it', () => {
    fc.assert(
      fc.property(fc.array(eventArb, { maxLength: 40 }), (events) => {
        let circuit = closedCircuit;
        let now = 0;
        for (const event of events) {
          now += event.advanceMs;
          const next = apply(circuit, event, now);
          if (circuit.state === 'open' && event.type !== 'success' && isAdmissible(next)) return false;
          circuit = next;
        }
        return true;
      }),
    );
  });

  it('lets one probe run at a time: none is due while one runs', () => {
    fc.assert(
      fc.property(fc.array(eventArb, { maxLength: 40 }), (events) => {
        let circuit = closedCircuit;
        let now = 0;
        for (const event of events) {
          now += event.advanceMs;
          circuit = apply(circuit, event, now);
          if (event.type === 'probe' && circuitState(circuit, now) === 'half-open' && probeDue(circuit, now)) return false;
        }
        return true;
      }),
    );
  });

  it('a failed probe schedules the next within the capped schedule; a late failure never moves it', () => {
    fc.assert(
      fc.property(fc.array(eventArb, { maxLength: 40 }), (events) => {
        let circuit = closedCircuit;
        let now = 0;
        for (const event of events) {
          now += event.advanceMs;
          const next = apply(circuit, event, now);
          if (next.state === 'open') {
            const wait = next.nextProbeAt - now;
            if (event.type === 'probe-failed' && (wait > 4000 || wait < 500 * (1 - policy.probeJitter))) return false;
            if (circuit.state === 'open' && (event.type === 'failure' || event.type === 'trip')) {
              if (next.nextProbeAt !== circuit.nextProbeAt || next.trips !== circuit.trips) return false;
            }
          }
          circuit = next;
        }
        return true;
      }),
    );
  });

  it('probes at 0.5 s, 1 s, 2 s, then every 4 s, with jitter taking off at most its share', () => {
    let circuit = trip(closedCircuit, 0, policy, 0);
    const waits: number[] = [];
    let now = 0;
    for (let probes = 0; probes < 7; probes += 1) {
      assert.equal(circuit.state, 'open');
      if (circuit.state !== 'open') return;
      waits.push(circuit.nextProbeAt - now);
      now = circuit.nextProbeAt;
      assert.equal(probeDue(circuit, now), true);
      circuit = trialFailed(beginTrial(circuit, now, 100), now + 10, policy, 0);
      now += 10;
    }
    assert.deepEqual(waits, [500, 1000, 2000, 4000, 4000, 4000, 4000]);
    assert.equal(probeDelay(10, policy, 0.999), Math.round(4000 * (1 - 0.2 * 0.999)));
  });

  it('a success always closes the circuit and resets the count; a closed one is returned as it is', () => {
    fc.assert(
      fc.property(fc.array(eventArb, { maxLength: 30 }), (events) => {
        let circuit = closedCircuit;
        let now = 0;
        for (const event of events) {
          now += event.advanceMs;
          circuit = apply(circuit, event, now);
        }
        const after = recordSuccess(circuit);
        return after.state === 'closed' && after.failures === 0 && recordSuccess(after) === after;
      }),
    );
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
  it('works as the tutorial writes it: new FailoverTracker(3)', () => {
    const tracker = new FailoverTracker(3);
    assert.equal(tracker.isHealthy('never-seen'), true);
    tracker.recordSuccess('openai');
    tracker.recordFailure('groq');
    tracker.recordFailure('groq');
    assert.deepEqual(tracker.getStatus(), { openai: 0, groq: 2 });
    assert.equal(tracker.isHealthy('groq'), true, 'two failures are below the threshold of 3');
    tracker.recordFailure('groq');
    assert.equal(tracker.isHealthy('groq'), false, 'the third takes it out');
    assert.deepEqual(tracker.getStatus(), { openai: 0, groq: 3 });
    tracker.recordSuccess('groq');
    assert.equal(tracker.isHealthy('groq'), true);
    assert.deepEqual(tracker.getStatus(), { openai: 0, groq: 0 });
  });

  it('takes a policy object too, and refuses a threshold that is not a positive integer', () => {
    const tracker = new FailoverTracker({ failureThreshold: 1 });
    tracker.recordFailure('p');
    assert.equal(tracker.isHealthy('p'), false);
    assert.throws(() => new FailoverTracker(0), RangeError);
    assert.throws(() => new FailoverTracker(2.5), RangeError);
    assert.throws(() => new FailoverTracker('3' as never), TypeError);
    assert.equal(new FailoverTracker().policy.failureThreshold, 3);
  });

  it('matches a reference counter over random success/failure sequences', () => {
    fc.assert(
      fc.property(fc.array(fc.boolean(), { maxLength: 60 }), fc.integer({ min: 1, max: 5 }), (outcomes, threshold) => {
        const tracker = new FailoverTracker(threshold);
        let failures = 0;
        for (const ok of outcomes) {
          if (ok) tracker.recordSuccess('p');
          else tracker.recordFailure('p', 0);
          failures = ok ? 0 : failures + 1;
          if ((tracker.getStatus().p ?? 0) !== failures) return false;
          if (tracker.isHealthy('p') !== failures < threshold) return false;
        }
        return true;
      }),
    );
  });
});
