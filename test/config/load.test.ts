import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { parseConfigText, readConfig } from '../../src/config/load.ts';
import { ConfigError, parseConfig } from '../../src/config/schema.ts';
import { buildProvider } from '../../src/router/provider.ts';

function problems(run: () => unknown): string[] {
  try {
    run();
  } catch (error) {
    assert.ok(error instanceof ConfigError);
    return error.problems;
  }
  assert.fail('expected a ConfigError');
}

const yaml = `
server:
  apiKeys: ["\${SWITCHBOARD_API_KEY}"]
providers:
  groq:
    preset: groq
    apiKey: \${GROQ_API_KEY}
    priority: 1
    models:
      llama-3.1-8b: llama-3.1-8b-instant
    pricing:
      llama-3.1-8b: { input: 0.05, output: 0.08 }
  local:
    protocol: openai
    baseUrl: http://127.0.0.1:8080/v1
    models: { llama-3.1-8b: default }
routing:
  strategy: priority
  timeouts: { firstTokenMs: 10000 }
`;

describe('config', () => {
  it('reads YAML, interpolates the environment and fills defaults', () => {
    const config = parseConfigText(yaml, { GROQ_API_KEY: 'gsk_live_1234', SWITCHBOARD_API_KEY: 'gw-key' });
    assert.equal(config.providers.groq!.apiKey, 'gsk_live_1234');
    assert.deepEqual(config.server.apiKeys, ['gw-key']);
    assert.equal(config.server.port, 4000);
    assert.equal(config.routing.failureThreshold, 3);
    assert.equal(config.routing.latencyAlpha, 0.3);
    assert.equal(config.routing.timeouts.firstTokenMs, 10_000);
    assert.equal(config.routing.timeouts.totalMs, 120_000, 'unset siblings keep their defaults');
    assert.equal(config.routing.healthCheck.timeoutMs, 5000);
  });

  it('reads JSON as well', () => {
    const config = parseConfigText(
      JSON.stringify({ providers: { x: { baseUrl: 'http://127.0.0.1:1/v1', models: { m: 'n' } } } }),
      {},
    );
    assert.deepEqual(config.providers.x!.models, { m: 'n' });
  });

  it('names a missing environment variable with its path, and honours ${VAR:-default}', () => {
    assert.deepEqual(
      problems(() => parseConfigText(yaml, {})),
      [
        'server.apiKeys.0: environment variable SWITCHBOARD_API_KEY is not set (line 3)',
        'providers.groq.apiKey: environment variable GROQ_API_KEY is not set (line 7)',
      ],
    );
    const config = parseConfigText('providers: { x: { baseUrl: "${URL:-http://127.0.0.1:9/v1}", models: { m: n } } }', {});
    assert.equal(config.providers.x!.baseUrl, 'http://127.0.0.1:9/v1');
  });

  it('rejects an invalid config with messages that name the path and the problem', () => {
    const found = problems(() =>
      parseConfig({
        providers: {
          groq: { preset: 'groq', models: ['llama'] },
          nowhere: { models: { m: 'n' } },
          typo: { preset: 'grok', models: { m: 'n' } },
        },
        routing: { failureThreshold: 0, colldownMs: 5 },
      }),
    );
    assert.equal(found.length, 5, found.join('\n'));
    assert.equal(found[0], 'providers.groq.models: expected a map of generic model name to provider model name');
    assert.equal(found[1], 'providers.nowhere.baseUrl: set baseUrl, or a preset that has one');
    assert.match(found[2]!, /^providers\.typo\.preset: "grok" is not one of openai, groq, .*; did you mean "groq"\?$/);
    assert.equal(found[3], 'routing.failureThreshold: Too small: expected number to be >0');
    assert.equal(found[4], 'routing.colldownMs: unknown key; did you mean "cooldownMs"?');
  });

  it('rejects a fallback that no provider serves and a price for a model not served', () => {
    assert.deepEqual(
      problems(() =>
        parseConfig({
          providers: { x: { baseUrl: 'http://127.0.0.1:1/v1', models: { m: 'n' }, pricing: { other: { input: 1, output: 1 } } } },
        }),
      ),
      ['providers.x.pricing.other: priced model "other" is not in models'],
    );
    assert.deepEqual(
      problems(() =>
        parseConfig({
          providers: { x: { baseUrl: 'http://127.0.0.1:1/v1', models: { m: 'n' } } },
          routing: { fallbacks: { m: ['big'] } },
        }),
      ),
      ['routing.fallbacks.m.0: no provider serves "big"'],
    );
  });

  it('a preset fills protocol, base URL, auth and headers; explicit fields override it', () => {
    const config = parseConfig({
      providers: {
        groq: { preset: 'groq', apiKey: 'k', baseUrl: 'http://127.0.0.1:9999/proxy/v1', models: { m: 'n' } },
        anthropic: { preset: 'anthropic', apiKey: 'k', models: { m: 'claude' } },
        openrouter: {
          preset: 'openrouter',
          apiKey: 'k',
          app: { url: 'https://example.app', name: 'Example' },
          models: { m: 'n' },
        },
      },
    });
    const groq = buildProvider('groq', config.providers.groq!);
    assert.equal(groq.baseUrl, 'http://127.0.0.1:9999/proxy/v1');
    assert.deepEqual(groq.endpoint, { origin: 'http://127.0.0.1:9999', basePath: '/proxy/v1' });
    assert.equal(groq.target.auth, 'bearer');
    assert.equal(groq.rateLimitHeaders, 'openai');
    const anthropic = buildProvider('anthropic', config.providers.anthropic!);
    assert.equal(anthropic.protocol, 'anthropic');
    assert.equal(anthropic.baseUrl, 'https://api.anthropic.com/v1');
    assert.equal(anthropic.target.auth, 'x-api-key');
    assert.equal(anthropic.target.headers['anthropic-version'], '2023-06-01');
    const openrouter = buildProvider('openrouter', config.providers.openrouter!);
    assert.deepEqual(openrouter.target.headers, { 'HTTP-Referer': 'https://example.app', 'X-Title': 'Example' });
  });

  it('leaves out a provider whose optional key is unset, naming the variable', () => {
    const text = `
providers:
  groq: { preset: groq, apiKey: "\${GROQ_API_KEY:-}", models: { m: a } }
  together: { preset: together, apiKey: "\${TOGETHER_API_KEY:-}", models: { m: b } }
  local: { preset: ollama, models: { m: c } }
`;
    const { config, leftOut } = readConfig(text, { TOGETHER_API_KEY: 'tg' });
    assert.deepEqual(leftOut, [{ provider: 'groq', reason: 'GROQ_API_KEY is not set' }]);
    assert.equal(config.providers.groq!.enabled, false);
    assert.equal(config.providers.together!.enabled, true);
    assert.equal(config.providers.local!.enabled, true, 'a provider without a key field is not left out');
  });
});

describe('<PRESET>_BASE_URL', () => {
  const text = [
    'providers:',
    '  groq: { preset: groq, apiKey: k, models: { m: n } }',
    '  mine: { preset: groq, apiKey: k, baseUrl: "http://127.0.0.1:7/v1", models: { m: n } }',
    '  azure: { preset: azure, apiKey: k, models: { m: my-deployment } }',
    '',
  ].join('\n');

  it("replaces a preset's base URL unless the provider sets its own, and gives Azure its resource URL", () => {
    const { config } = readConfig(text, {
      GROQ_BASE_URL: 'http://127.0.0.1:9/openai/v1',
      AZURE_OPENAI_BASE_URL: 'https://example.openai.azure.com/openai/v1',
    });
    assert.equal(config.providers.groq!.baseUrl, 'http://127.0.0.1:9/openai/v1');
    assert.equal(config.providers.mine!.baseUrl, 'http://127.0.0.1:7/v1');
    assert.equal(buildProvider('azure', config.providers.azure!).baseUrl, 'https://example.openai.azure.com/openai/v1');
    assert.equal(buildProvider('azure', config.providers.azure!).target.auth, 'api-key');
  });

  it('says that Azure needs a URL, and names a variable that is not one', () => {
    const found = problems(() => readConfig(text, { GROQ_BASE_URL: 'not a url' }));
    assert.ok(found.includes('providers.azure.baseUrl: set baseUrl: the azure preset has none (line 4)'), found.join('\n'));
    assert.ok(found.includes('(root): environment variable GROQ_BASE_URL is not a URL: not a url'), found.join('\n'));
  });
});
