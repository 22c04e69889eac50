// Stream recovery against upstreams that talk like real models: asked the same question again
// they answer in different words, so a broken stream can only be finished by continuing it.
// Every test checks the caller gets one coherent answer, its text never duplicated.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { ConfigInput } from '../../src/config/schema.ts';
import { createRouter } from '../../src/router/router.ts';
import { talkingModel } from '../support/upstream.ts';
import { collect, hello, upstream } from './helpers.ts';

const first =
  'Light from the sun is scattered by the molecules of the air, and the shorter blue wavelengths are scattered ' +
  'far more than the red ones, so the sky looks blue from every direction.';
const second =
  'Rayleigh scattering favours short wavelengths: blue light bounces around the atmosphere much more than red, ' +
  'which is why a clear daytime sky is blue.';

// The first answer, cut after 12 events (the role chunk and 11 words).
const cutAnswer = () => talkingModel([first, second], { cutFirstAfter: 12 });

function router(providers: NonNullable<ConfigInput['providers']>, routing: NonNullable<ConfigInput['routing']> = {}) {
  return createRouter({ providers, routing: { retryDelayMs: 5, hedging: { enabled: false }, ...routing } });
}

describe('stream recovery on models that never repeat themselves', () => {
  it('a provider without prefill is asked to continue: one coherent answer, nothing twice', async () => {
    const broken = await upstream([], cutAnswer());
    // Asked afresh, this one would say it the other way round: a restart could not be matched.
    const next = await upstream([], talkingModel([second, first]));
    const sky = router({
      broken: { baseUrl: broken.url, priority: 1, models: { m: 'm' } },
      next: { baseUrl: next.url, priority: 2, models: { m: 'm' } },
    });
    const stream = await sky.stream(hello);
    assert.equal(await collect(stream), first);
    assert.equal(stream.recoveries, 1);
    assert.equal(stream.provider, 'next');
    await sky.close();
  });

  it('a provider that takes a prefill continues the partial turn itself', async () => {
    const broken = await upstream([], cutAnswer());
    const next = await upstream([], talkingModel([second, first]));
    const sky = router({
      broken: { baseUrl: broken.url, priority: 1, models: { m: 'm' } },
      next: { baseUrl: next.url, priority: 2, models: { m: 'm' }, prefill: true },
    });
    const stream = await sky.stream(hello);
    assert.equal(await collect(stream), first);
    const sent = next.requests[0]!.body.messages;
    assert.equal(sent.at(-1).role, 'assistant', 'a prefill: the partial answer is the last message');
    await sky.close();
  });

  it('an echo of the last words shown is dropped, not delivered twice', async () => {
    const broken = await upstream([], cutAnswer());
    const next = await upstream([], talkingModel([second, first], { echo: 14 }));
    const sky = router({
      broken: { baseUrl: broken.url, priority: 1, models: { m: 'm' } },
      next: { baseUrl: next.url, priority: 2, models: { m: 'm' } },
    });
    assert.equal(await collect(await sky.stream(hello)), first);
    await sky.close();
  });

  it("via a fallbacks model when the model's own providers are gone", async () => {
    const only = await upstream([], cutAnswer());
    const other = await upstream([], talkingModel([second, first]));
    const sky = router(
      {
        only: { baseUrl: only.url, models: { m: 'm' } },
        other: { baseUrl: other.url, models: { big: 'big-model' }, pricing: { big: { input: 1, output: 1 } } },
      },
      { fallbacks: { m: ['big'] } },
    );
    const stream = await sky.stream(hello);
    assert.equal(await collect(stream), first);
    assert.equal(stream.provider, 'other');
    assert.deepEqual(
      stream.attempts.map((attempt) => [attempt.provider, attempt.outcome]),
      [
        ['only', 'connect'],
        ['other', 'ok'],
      ],
    );
    await sky.close();
  });
});
