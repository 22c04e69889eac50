import assert from 'node:assert/strict';
import { after, describe, it } from 'node:test';
import { createRouter } from '../../src/router/router.ts';
import { completion, openaiError, startUpstream, textChunks } from '../support/upstream.ts';
import { hello } from './helpers.ts';

describe('honest accounting', () => {
  it('bills the answering provider’s usage at its price, and not the failed attempt', async () => {
    const failing = await startUpstream([{ status: 503, json: openaiError('down', 'server_error') }]);
    const answering = await startUpstream([
      { json: completion('ok', { usage: { prompt_tokens: 1000, completion_tokens: 500, total_tokens: 1500 } }) },
    ]);
    after(() => Promise.all([failing.close(), answering.close()]));
    const router = createRouter({
      providers: {
        failing: { baseUrl: failing.url, priority: 1, models: { m: 'x' }, pricing: { m: { input: 100, output: 100 } } },
        answering: { baseUrl: answering.url, priority: 2, models: { m: 'y' }, pricing: { m: { input: 0.05, output: 0.08 } } },
      },
    });
    after(() => router.close());
    const result = await router.complete(hello);
    assert.equal(result.provider, 'answering');
    assert.equal(result.costUsd, (1000 * 0.05 + 500 * 0.08) / 1e6);
  });

  it('cached input tokens, when reported, are billed at the cached price', async () => {
    const usage = {
      prompt_tokens: 1000,
      completion_tokens: 100,
      total_tokens: 1100,
      prompt_tokens_details: { cached_tokens: 800 },
    };
    const cached = await startUpstream([{ json: completion('ok', { usage }) }]);
    after(() => cached.close());
    const router = createRouter({
      providers: { p: { baseUrl: cached.url, models: { m: 'x' }, pricing: { m: { input: 3, output: 15, cachedInput: 0.3 } } } },
    });
    after(() => router.close());
    const result = await router.complete(hello);
    assert.ok(Math.abs(result.costUsd! - (200 * 3 + 800 * 0.3 + 100 * 15) / 1e6) < 1e-12);
  });

  it('a stream’s cost comes from the usage it reports; unpriced providers give undefined', async () => {
    const priced = await startUpstream([{ sse: textChunks('a b c', { usage: true }) }]);
    after(() => priced.close());
    const router = createRouter({
      providers: { p: { baseUrl: priced.url, models: { m: 'x' }, pricing: { m: { input: 2, output: 4 } } } },
    });
    after(() => router.close());
    const stream = await router.stream({ ...hello, stream_options: { include_usage: true } });
    for await (const _ of stream);
    const usage = stream.usage!;
    assert.equal(stream.costUsd, (usage.prompt_tokens * 2 + usage.completion_tokens * 4) / 1e6);

    const unpriced = createRouter({ providers: { p: { baseUrl: priced.url, models: { m: 'x' } } } });
    after(() => unpriced.close());
    assert.equal((await unpriced.complete(hello)).costUsd, undefined);
  });
});
