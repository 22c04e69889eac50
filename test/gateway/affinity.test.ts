// The gateway passes the session header on: requests naming one session stay on one deployment,
// through the official SDK, while other sessions are spread by the strategy.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { client, gateway, providersFor, upstream } from './helpers.ts';

describe('gateway affinity', () => {
  it('requests with one x-session-id land on one deployment; other sessions are spread', { timeout: 10_000 }, async (t) => {
    const first = await upstream(t);
    const second = await upstream(t);
    const switchboard = await gateway(t, providersFor([first.url, second.url], { routing: { strategy: 'weighted' } }));
    const openai = client(switchboard);
    const landed = new Map<string, Set<string>>();
    // One session after the other: round-robin alone would alternate their consecutive requests.
    for (const session of ['alpha', 'beta']) {
      for (let turn = 0; turn < 6; turn += 1) {
        const { response } = await openai.chat.completions
          .create(
            { model: 'llama', messages: [{ role: 'user', content: `message ${turn} of ${session}` }] },
            { headers: { 'x-session-id': session } },
          )
          .withResponse();
        const provider = response.headers.get('x-switchboard-provider')!;
        landed.set(session, (landed.get(session) ?? new Set()).add(provider));
      }
    }
    assert.equal(landed.get('alpha')!.size, 1, `alpha went to ${[...landed.get('alpha')!]}`);
    assert.equal(landed.get('beta')!.size, 1);
    assert.notDeepEqual([...landed.get('alpha')!], [...landed.get('beta')!], 'the two sessions are spread');
  });
});
