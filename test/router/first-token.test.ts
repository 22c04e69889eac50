// The hedge delay's source: a percentile of each deployment's recent times to first content,
// kept sorted as samples come and go, so reading it costs a lookup per request.
import { describe, it } from 'node:test';
import fc from 'fast-check';
import { FirstTokenTimes } from '../../src/router/first-token.ts';

describe('FirstTokenTimes.percentile', () => {
  it('equals the rank-rounded-up percentile of the last 128 samples, whatever arrives', () => {
    fc.assert(
      fc.property(
        fc.array(fc.integer({ min: 0, max: 60 }), { minLength: 1, maxLength: 400 }),
        fc.constantFrom(0.5, 0.9, 0.99),
        (samples, percentile) => {
          const times = new FirstTokenTimes();
          for (const sample of samples) times.record('d', sample);
          const sorted = samples.slice(-128).sort((a, b) => a - b);
          return (
            times.percentile('d', percentile, 1) === sorted[Math.min(sorted.length - 1, Math.ceil(percentile * sorted.length))]
          );
        },
      ),
    );
  });

  it('is undefined below the samples needed', () => {
    const times = new FirstTokenTimes();
    times.record('d', 10);
    if (times.percentile('d', 0.99, 2) !== undefined) throw new Error('one sample is not enough for two');
  });
});
