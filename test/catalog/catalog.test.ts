// The model catalog: its shape, ids unique per provider, every preset's example model known, and
// its prices reaching `cheapest` and cost reporting when the config names none.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { catalogModels, catalogOffer, contextWindow, modelsServedBy } from '../../src/catalog/catalog.ts';
import { parseConfig } from '../../src/config/schema.ts';
import { type Preset, type PresetName, presetNames, presets } from '../../src/providers/presets.ts';
import { costOf } from '../../src/router/cost.ts';
import { buildProvider } from '../../src/router/provider.ts';
import { createRouter } from '../../src/router/router.ts';
import { completion, startUpstream } from '../support/upstream.ts';

const isPrice = (value: unknown) => typeof value === 'number' && Number.isFinite(value) && value >= 0;
const isTokens = (value: unknown) => value === undefined || (Number.isInteger(value) && (value as number) > 0);

describe('model catalog', () => {
  it('has the shape the API promises, with a dated public source for every offer', () => {
    const names = new Set<string>();
    for (const model of catalogModels()) {
      assert.match(model.name, /^[a-z0-9][a-z0-9.-]*$/, model.name);
      assert.ok(!names.has(model.name), `duplicate generic name ${model.name}`);
      names.add(model.name);
      assert.ok(model.kind === 'chat' || model.kind === 'embedding', model.name);
      assert.ok(model.family.length > 0, model.name);
      assert.ok(isTokens(model.contextTokens) && isTokens(model.maxOutputTokens), model.name);
      for (const [key, value] of Object.entries(model.capabilities)) {
        assert.ok(['tools', 'vision', 'jsonSchema', 'prefill'].includes(key), `${model.name}: capability ${key}`);
        assert.equal(typeof value, 'boolean');
      }
      const offers = Object.entries(model.providers);
      assert.ok(offers.length > 0, `${model.name} has no provider`);
      for (const [preset, offer] of offers) {
        const where = `${model.name} at ${preset}`;
        assert.ok(presetNames.includes(preset as PresetName), `${where}: no such preset`);
        assert.ok(offer.id.length > 0, where);
        assert.match(offer.source.url, /^https:\/\/\S+/, where);
        assert.match(offer.source.readOn, /^\d{4}-\d{2}-\d{2}$/, where);
        assert.ok(isTokens(offer.contextTokens) && isTokens(offer.maxOutputTokens), where);
        if (offer.price) {
          assert.ok(isPrice(offer.price.input) && isPrice(offer.price.output), where);
          if (offer.price.cachedInput !== undefined) {
            assert.ok(isPrice(offer.price.cachedInput) && offer.price.cachedInput <= offer.price.input, where);
          }
        }
      }
    }
    assert.ok(names.size >= 30, `only ${names.size} models`);
  });

  it('has each provider model id once per provider', () => {
    for (const preset of presetNames) {
      const ids = modelsServedBy(preset).map((entry) => entry.id);
      assert.equal(new Set(ids).size, ids.length, `${preset} lists an id twice: ${ids.join(', ')}`);
    }
  });

  it("knows every preset's example model", () => {
    const withExamples = presetNames.filter((name) => (presets[name] as Preset).exampleModel !== undefined);
    assert.ok(withExamples.length >= 15, withExamples.join(', '));
    for (const name of withExamples) {
      const id = (presets[name] as Preset).exampleModel as string;
      assert.ok(catalogOffer(name, id), `${name}'s example model ${id} is not in the catalog`);
    }
  });

  it('gives the provider-specific context window where one is listed', () => {
    assert.equal(contextWindow('llama-3.3-70b', 'groq'), 131_072);
    assert.equal(contextWindow('no-such-model'), undefined);
  });

  it("bills cached input at the catalog's cached-input price", () => {
    const config = parseConfig({
      providers: { groq: { preset: 'groq', apiKey: 'k', models: { 'gpt-oss-120b': 'openai/gpt-oss-120b' } } },
    });
    const provider = buildProvider('groq', config.providers.groq!);
    assert.deepEqual(provider.pricing['gpt-oss-120b'], { input: 0.15, output: 0.6, cachedInput: 0.075 });
    const usage = {
      prompt_tokens: 1_000_000,
      completion_tokens: 0,
      total_tokens: 1_000_000,
      prompt_tokens_details: { cached_tokens: 500_000 },
    };
    assert.ok(Math.abs((costOf(provider, 'gpt-oss-120b', usage) ?? 0) - 0.1125) < 1e-9);
  });

  it('prices a model the config leaves unpriced for cheapest and cost, and a configured price wins', async () => {
    const groq = await startUpstream([], {
      fallback: { json: completion('from groq', { usage: { prompt_tokens: 1_000_000, completion_tokens: 1_000_000 } }) },
    });
    const deepinfra = await startUpstream([], {
      fallback: { json: completion('from deepinfra', { usage: { prompt_tokens: 1_000_000, completion_tokens: 1_000_000 } }) },
    });
    const providers = {
      groq: {
        preset: 'groq' as const,
        apiKey: 'k',
        baseUrl: groq.url,
        priority: 1,
        models: { 'llama-3.1-8b': 'llama-3.1-8b-instant' },
      },
      deepinfra: {
        preset: 'deepinfra' as const,
        apiKey: 'k',
        baseUrl: deepinfra.url,
        priority: 2,
        models: { 'llama-3.1-8b': 'meta-llama/Meta-Llama-3.1-8B-Instruct' },
      },
    };
    const hello = { model: 'llama-3.1-8b', messages: [{ role: 'user' as const, content: 'hi' }] };
    const router = createRouter({ providers, routing: { strategy: 'cheapest' } });
    try {
      // Catalog: DeepInfra $0.03 + $0.05, Groq $0.05 + $0.08 per million.
      const cheapest = await router.complete(hello);
      assert.equal(cheapest.provider, 'deepinfra');
      assert.ok(Math.abs((cheapest.costUsd ?? 0) - 0.08) < 1e-9, String(cheapest.costUsd));
      router.reload({
        providers: { ...providers, groq: { ...providers.groq, pricing: { 'llama-3.1-8b': { input: 0.01, output: 0.01 } } } },
        routing: { strategy: 'cheapest' },
      });
      const configured = await router.complete(hello);
      assert.equal(configured.provider, 'groq');
      assert.ok(Math.abs((configured.costUsd ?? 0) - 0.02) < 1e-9, String(configured.costUsd));
    } finally {
      await router.close();
      await groq.close();
      await deepinfra.close();
    }
  });
});
