// The config's rules for embedding models: where they may be served, and that they never fall back.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { ConfigError, parseConfig } from '../../src/config/schema.ts';

function problems(raw: unknown): string[] {
  try {
    parseConfig(raw);
  } catch (error) {
    assert.ok(error instanceof ConfigError);
    return error.problems;
  }
  assert.fail('expected a ConfigError');
}

const openai = { preset: 'openai', apiKey: 'k', embeddings: { 'embed-small': 'text-embedding-3-small' } };

describe('config: embedding models', () => {
  it('accepts a provider that serves only embedding models, priced by input tokens', () => {
    const config = parseConfig({
      providers: { openai: { ...openai, pricing: { 'embed-small': { input: 0.02, output: 0 } } } },
    });
    assert.deepEqual(config.providers.openai!.embeddings, { 'embed-small': 'text-embedding-3-small' });
    assert.deepEqual(config.providers.openai!.models, {});
  });

  it('still needs at least one model of either kind', () => {
    assert.deepEqual(problems({ providers: { openai: { preset: 'openai' } } }), [
      'providers.openai.models: a provider needs at least one model',
    ]);
  });

  it('refuses embedding models at an Anthropic-protocol provider (Anthropic has no embeddings API)', () => {
    const found = problems({
      providers: {
        claude: { preset: 'anthropic', models: { chat: 'claude-haiku' }, embeddings: { e: 'x' } },
        relay: { protocol: 'anthropic', baseUrl: 'http://127.0.0.1:9/v1', embeddings: { e: 'x' } },
      },
    });
    assert.equal(found.length, 2);
    for (const problem of found) assert.match(problem, /\.embeddings: Anthropic's API has no embeddings endpoint/);
  });

  it('refuses fallbacks from or to an embedding model', () => {
    const found = problems({
      providers: { openai: { ...openai, models: { chat: 'gpt-4o-mini' } } },
      routing: { fallbacks: { 'embed-small': ['chat'], chat: ['embed-small'] } },
    });
    assert.deepEqual(found, [
      'routing.fallbacks.embed-small: "embed-small" is an embedding model; embedding models never fall back to another model (their vectors are not comparable)',
      'routing.fallbacks.chat.0: "embed-small" is an embedding model, not a chat model',
    ]);
  });

  it('refuses one name as a chat model and an embedding model', () => {
    const found = problems({
      providers: {
        openai: { ...openai, models: { 'embed-small': 'gpt-4o-mini' } },
        other: { baseUrl: 'http://127.0.0.1:9/v1', models: { 'embed-small': 'x' } },
      },
    });
    assert.equal(found.length, 3);
    assert.match(found[0]!, /providers\.openai\.embeddings\.embed-small: "embed-small" is also in models/);
    assert.match(found[1]!, /providers\.openai\.models\.embed-small: .* is an embedding model at another provider/);
    assert.match(found[2]!, /providers\.other\.models\.embed-small: /);
  });
});
