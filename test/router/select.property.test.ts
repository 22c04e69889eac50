import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import { type ProviderChoice, selectProvider } from '../../src/router/select.ts';

const providerArb: fc.Arbitrary<ProviderChoice> = fc.record({
  name: fc.constantFrom('groq', 'together', 'openrouter', 'openai', 'anthropic', 'local'),
  priority: fc.integer({ min: 0, max: 5 }),
  healthy: fc.boolean(),
  models: fc.uniqueArray(fc.constantFrom('a', 'b', 'c'), { maxLength: 3 }),
});

describe('selectProvider', () => {
  it('never picks an unhealthy provider or one without the model, and always the lowest priority number', () => {
    fc.assert(
      fc.property(
        fc.uniqueArray(providerArb, { selector: (p) => p.name }),
        fc.constantFrom('a', 'b', 'c'),
        (providers, model) => {
          const chosen = selectProvider(providers, model);
          const eligible = providers.filter((p) => p.healthy && p.models.includes(model));
          if (eligible.length === 0) return chosen === null;
          const best = Math.min(...eligible.map((p) => p.priority));
          return eligible.some((p) => p.name === chosen && p.priority === best);
        },
      ),
    );
  });

  it('breaks ties by the order given', () => {
    const providers = [
      { name: 'x', priority: 1, healthy: true, models: ['m'] },
      { name: 'y', priority: 1, healthy: true, models: ['m'] },
    ];
    assert.equal(selectProvider(providers, 'm'), 'x');
    assert.equal(selectProvider([...providers].reverse(), 'm'), 'y');
  });
});
