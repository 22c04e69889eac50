import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { ConfigError } from '../../src/config/schema.ts';
import { openaiError, textChunks } from '../support/upstream.ts';
import { gateway, hello, post, providersFor, upstream } from './helpers.ts';

const bounded = { timeout: 5000 };

describe('gateway reload', () => {
  it('keeps the health of unchanged providers and starts changed ones afresh', bounded, async (t) => {
    const overloaded = { status: 503, json: openaiError('overloaded', 'server_error') };
    const first = await upstream(t, [overloaded]);
    const second = await upstream(t, [overloaded]);
    const third = await upstream(t);
    const config = providersFor([first.url, second.url, third.url]);
    const switchboard = await gateway(t, config);
    assert.equal((await post(switchboard, hello)).status, 200);
    assert.equal(switchboard.router.status().first!.consecutiveFailures, 1);
    assert.equal(switchboard.router.status().second!.consecutiveFailures, 1);

    const changed = structuredClone(config);
    changed.providers.second!.priority = 5;
    changed.providers.fourth = { baseUrl: third.url, models: { llama: 'llama-3' }, priority: 9 };
    switchboard.reload(changed);
    const status = (await (await fetch(`${switchboard.url}/status`)).json()) as {
      providers: Record<string, { consecutiveFailures: number; errors: number }>;
    };
    assert.equal(status.providers.first!.consecutiveFailures, 1, 'unchanged: health kept');
    assert.equal(status.providers.first!.errors, 1);
    assert.equal(status.providers.second!.consecutiveFailures, 0, 'changed: fresh');
    assert.deepEqual(Object.keys(status.providers).sort(), ['first', 'fourth', 'second', 'third']);
    const models = (await (await fetch(`${switchboard.url}/v1/models`)).json()) as { data: Array<{ providers: string[] }> };
    assert.deepEqual(models.data[0]?.providers, ['first', 'second', 'third', 'fourth']);
  });

  it('rejects an invalid config with the reason and keeps serving the old one', bounded, async (t) => {
    const first = await upstream(t);
    const config = providersFor([first.url]);
    const switchboard = await gateway(t, config);
    assert.throws(
      () => switchboard.reload({ ...config, providers: { first: { baseUrl: first.url, models: [] as never } } }),
      (error: unknown) => error instanceof ConfigError && /providers\.first\.models/.test(error.message),
    );
    assert.equal((await post(switchboard, hello)).status, 200);
  });

  it('does not disturb a stream in flight', bounded, async (t) => {
    const first = await upstream(t, [{ sse: textChunks('one two three'), chunkDelayMs: 15 }]);
    const second = await upstream(t);
    const config = providersFor([first.url]);
    const switchboard = await gateway(t, config);
    const response = await post(switchboard, { ...hello, stream: true });
    switchboard.reload(providersFor([second.url]));
    const text = await response.text();
    assert.ok(text.endsWith('data: [DONE]\n\n'));
    assert.equal(first.requests.length, 1);
    assert.equal((await post(switchboard, hello)).headers.get('x-switchboard-provider'), 'first');
    assert.equal(second.requests.length, 1, 'new requests use the new config');
  });
});
