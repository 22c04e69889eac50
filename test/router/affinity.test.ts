// Affinity: the turns of one conversation stay on one deployment while it is healthy (its prompt
// cache keeps hitting), move when it trips and stay moved for the pin's lifetime; new
// conversations are spread by the strategy.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { setTimeout as delay } from 'node:timers/promises';
import type { ChatMessage, ChatRequest } from '../../src/protocol/chat.ts';
import { affinityKey } from '../../src/router/affinity.ts';
import { createRouter } from '../../src/router/router.ts';
import { completion, openaiError } from '../support/upstream.ts';
import { upstream } from './helpers.ts';

/** One conversation: each turn sends everything so far plus a new question. */
function conversation(topic: string) {
  const messages: ChatMessage[] = [{ role: 'system', content: `You answer questions about ${topic}.` }];
  return (turn: number): ChatRequest => {
    messages.push({ role: 'user', content: `Question ${turn} about ${topic}?` });
    const request = { model: 'm', messages: [...messages] };
    messages.push({ role: 'assistant', content: `Answer ${turn}.` });
    return request;
  };
}

async function until(check: () => boolean, withinMs = 3000): Promise<void> {
  const end = performance.now() + withinMs;
  while (!check()) {
    if (performance.now() > end) throw new Error('condition not met in time');
    await delay(10);
  }
}

describe('affinity', () => {
  it('50 turns of one conversation land on one deployment while it is healthy; a second conversation is spread to the other', async () => {
    const a = await upstream();
    const b = await upstream();
    const router = createRouter({
      providers: { a: { baseUrl: a.url, models: { m: 'm' } }, b: { baseUrl: b.url, models: { m: 'm' } } },
      // Round-robin would alternate every request without affinity.
      routing: { strategy: 'weighted' },
    });
    const first = conversation('the sea');
    const second = conversation('the sky');
    const landed = { first: new Set<string>(), second: new Set<string>() };
    // One conversation after the other: consecutive requests that round-robin would alternate.
    for (let turn = 1; turn <= 50; turn += 1) landed.first.add((await router.complete(first(turn))).provider);
    for (let turn = 1; turn <= 50; turn += 1) landed.second.add((await router.complete(second(turn))).provider);
    assert.equal(landed.first.size, 1, `the first conversation went to ${[...landed.first]}`);
    assert.equal(landed.second.size, 1);
    assert.notDeepEqual([...landed.first], [...landed.second], 'the two conversations are spread');
    assert.equal(a.requests.length, 50);
    assert.equal(b.requests.length, 50);
    await router.close();
  });

  it('moves when its deployment trips, and stays moved for the pin lifetime after it recovers', async () => {
    const a = await upstream();
    const b = await upstream();
    const router = createRouter({
      providers: {
        a: { baseUrl: a.url, priority: 1, models: { m: 'm' }, affinityTtlMs: 400 },
        b: { baseUrl: b.url, priority: 2, models: { m: 'm' }, affinityTtlMs: 400 },
      },
      routing: { failureThreshold: 1, recovery: { probeDelaysMs: [20] }, retryDelayMs: 5 },
    });
    const talk = conversation('trains');
    let turn = 0;
    const ask = async () => (await router.complete(talk(++turn))).provider;
    for (let index = 0; index < 5; index += 1) assert.equal(await ask(), 'a');
    a.script.push({ status: 503, json: openaiError('overloaded', 'server_error') });
    assert.equal(await ask(), 'b', 'the trip moves it');
    await until(() => router.status().a!.healthy);
    for (let index = 0; index < 10; index += 1)
      assert.equal(await ask(), 'b', 'stays moved while the pin lives, a healthy again');
    // A new conversation is not pinned: it goes by priority to a.
    assert.equal((await router.complete(conversation('boats')(1))).provider, 'a');
    await delay(600);
    assert.equal(await ask(), 'a', 'the pin expired: back to the strategy');
    await router.close();
  });

  it('spreads new conversations by weight, whatever the pinned ones do', async () => {
    const heavy = await upstream([], { json: completion('heavy') });
    const light = await upstream([], { json: completion('light') });
    const router = createRouter({
      providers: {
        heavy: { baseUrl: heavy.url, weight: 2, models: { m: 'm' } },
        light: { baseUrl: light.url, weight: 1, models: { m: 'm' } },
      },
      routing: { strategy: 'weighted' },
    });
    // 31, not a multiple of the rotation's period (3): without pins the second round would shift.
    const talks = Array.from({ length: 31 }, (_, index) => conversation(`topic ${index}`));
    const homes = new Map<number, string>();
    for (let turn = 1; turn <= 3; turn += 1) {
      for (const [index, talk] of talks.entries()) {
        const provider = (await router.complete(talk(turn))).provider;
        if (turn === 1) homes.set(index, provider);
        else assert.equal(provider, homes.get(index), 'a conversation stays');
      }
    }
    const onHeavy = [...homes.values()].filter((provider) => provider === 'heavy').length;
    assert.equal(onHeavy, 21, 'two thirds of the conversations (rounded up) on the weight-2 provider');
    await router.close();
  });

  it('the key: prompt_cache_key, then the session header, then user, then the stable prefix; the same for every turn', () => {
    const key = (request: ChatRequest, session?: string) => affinityKey(request, session)?.key;
    const talk = conversation('keys');
    const turn1 = talk(1);
    for (let turn = 2; turn < 5; turn += 1) talk(turn);
    const turn5 = talk(5);
    assert.equal(key(turn1), key(turn5), 'later turns repeat the prefix');
    assert.notEqual(key(turn1), key(conversation('other')(1)));
    assert.notEqual(key(turn1), key({ ...turn1, model: 'n' }), 'per model');
    const user = key({ ...turn1, user: 'u-1' });
    assert.equal(user, key({ ...turn5, user: 'u-1' }));
    assert.notEqual(user, key(turn1));
    assert.notEqual(key({ ...turn1, user: 'u-1' }, 'session-9'), user, 'the session header comes before user');
    assert.equal(key({ ...turn1, prompt_cache_key: 'pck' }, 'session-9'), key({ ...turn5, prompt_cache_key: 'pck' }));
    assert.match(key(turn1)!, /^[0-9a-f]{32}$/, 'a digest: no text of the conversation is kept');
    // A first turn pins but does not follow a prefix pin: identical one-off requests go by the strategy.
    assert.equal(affinityKey(turn1, undefined)?.follow, false);
    assert.equal(affinityKey(turn5, undefined)?.follow, true);
    assert.equal(affinityKey({ ...turn1, user: 'u-1' }, undefined)?.follow, true, 'a named conversation always follows');
  });

  it('off: turns follow the strategy alone', async () => {
    const a = await upstream();
    const b = await upstream();
    const router = createRouter({
      providers: { a: { baseUrl: a.url, models: { m: 'm' } }, b: { baseUrl: b.url, models: { m: 'm' } } },
      routing: { strategy: 'weighted', affinity: { enabled: false } },
    });
    const talk = conversation('rivers');
    for (let turn = 1; turn <= 10; turn += 1) await router.complete(talk(turn));
    assert.deepEqual([a.requests.length, b.requests.length], [5, 5]);
    await router.close();
  });

  it('a model with one deployment and no fallbacks pins nothing: there is no choice for a pin to keep', async () => {
    const a = await upstream();
    const b = await upstream();
    const router = createRouter({
      providers: { a: { baseUrl: a.url, models: { solo: 'm', m: 'm' } }, b: { baseUrl: b.url, models: { m: 'm' } } },
    });
    const talk = conversation('the moon');
    const pinned = (request: ChatRequest) => router.store.pinned(affinityKey(request, undefined)!.key);
    const solo = { ...talk(1), model: 'solo' };
    await router.complete(solo);
    assert.equal(pinned(solo), undefined);
    const shared = talk(2);
    await router.complete(shared);
    assert.equal(pinned(shared), 'a/m', 'a model served twice is pinned');
    await router.close();
  });
});
