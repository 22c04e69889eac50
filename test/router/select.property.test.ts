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

  it('accepts the tutorial’s { name, is_healthy, priority, models } as well', () => {
    const providers = [
      { name: 'openai', is_healthy: false, priority: 1, models: ['gpt-4'] },
      { name: 'anthropic', is_healthy: true, priority: 2, models: ['gpt-4', 'claude'] },
      { name: 'groq', is_healthy: true, priority: 3, models: ['gpt-4'] },
    ];
    assert.equal(selectProvider(providers, 'gpt-4'), 'anthropic');
    assert.equal(selectProvider(providers, 'llama'), null, 'null means no provider serves it, not a bad shape');
    fc.assert(
      fc.property(fc.uniqueArray(providerArb, { selector: (p) => p.name }), fc.constantFrom('a', 'b', 'c'), (list, model) => {
        const snake = list.map(({ healthy, ...rest }) => ({ ...rest, is_healthy: healthy }));
        return selectProvider(snake, model) === selectProvider(list, model);
      }),
    );
  });

  it('throws TypeError for any other shape instead of returning null', () => {
    const bad: unknown[] = [
      [{ name: 'x', priority: 1, models: ['m'] }],
      [{ name: 'x', healthy: 'yes', priority: 1, models: ['m'] }],
      [{ name: 'x', healthy: true, priority: '1', models: ['m'] }],
      [{ name: 'x', healthy: true, priority: 1, models: 'm' }],
      [{ id: 'x', healthy: true, priority: 1, models: ['m'] }],
      [{ name: 'x', isHealthy: true, priority: 1, models: ['m'] }],
      [null],
      ['openai'],
      { openai: { healthy: true } },
      null,
    ];
    for (const providers of bad) {
      assert.throws(() => selectProvider(providers as never, 'm'), TypeError, JSON.stringify(providers));
    }
    assert.throws(() => selectProvider([], 42 as never), TypeError);
  });
});
