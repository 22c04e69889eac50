// The contract every StateStore keeps (src/state/store.ts's JSDoc), as one suite each
// implementation runs: `describeStateStore('memory', () => new MemoryStore())`.
import assert from 'node:assert/strict';
import { after, describe, it } from 'node:test';
import { setTimeout as delay } from 'node:timers/promises';
import { type DeploymentHealth, freshRecord, type StateStore } from '../../src/state/store.ts';

export interface StateStoreSuiteOptions {
  /**
   * Two stores sharing one backend (two replicas). When given, the suite also checks what
   * sharing guarantees: writes seen by the other within 1 s, increments that add up, and
   * leases exclusive between them.
   */
  pair?: () => Promise<[StateStore, StateStore]>;
}

const opened = (now: number): DeploymentHealth['circuit'] => ({
  state: 'open',
  failures: 3,
  trips: 1,
  openedAt: now,
  probes: 0,
  nextProbeAt: now + 500,
  trialUntil: 0,
});

/** Waits until `check` holds, polling every 10 ms for at most `withinMs`; false if it never did. */
async function eventually(check: () => boolean, withinMs: number): Promise<boolean> {
  const until = performance.now() + withinMs;
  while (performance.now() < until) {
    if (check()) return true;
    await delay(10);
  }
  return check();
}

/** Runs the StateStore contract against stores made by `create` (each test gets a new one, closed after it). */
export function describeStateStore(name: string, create: () => Promise<StateStore>, options: StateStoreSuiteOptions = {}) {
  const make = async () => {
    const store = await create();
    after(() => store.close());
    await store.ready();
    return store;
  };

  describe(`StateStore contract: ${name}`, () => {
    it('reads an unknown deployment as a fresh record without creating it', async () => {
      const store = await make();
      assert.deepEqual(store.get('nobody/m'), freshRecord());
      assert.deepEqual(store.ids(), []);
      assert.deepEqual(store.spend('provider:nobody'), { requests: 0, inputTokens: 0, outputTokens: 0, costUsd: 0 });
    });

    it('applies an update at once, returns it, keeps the rest of the record, and notifies', async () => {
      const store = await make();
      const seen: string[] = [];
      const unsubscribe = store.subscribe((id) => seen.push(id));
      store.count('p/m', 'requests', 2);
      const health = store.update('p/m', (current) => ({
        ...current,
        circuit: opened(1000),
        lastError: 'boom',
        lastErrorAt: 1000,
      }));
      assert.deepEqual(health.circuit, opened(1000));
      assert.deepEqual(store.get('p/m').health, health, 'visible synchronously');
      assert.equal(store.get('p/m').requests, 2, 'counters untouched by an update');
      assert.deepEqual(store.ids(), ['p/m']);
      assert.deepEqual(seen, ['p/m']);
      unsubscribe();
      store.update('p/m', (current) => ({ ...current, lastError: 'again' }));
      assert.deepEqual(seen, ['p/m'], 'no call after unsubscribing');
    });

    it('treats a transform that returns its argument as no change', async () => {
      const store = await make();
      let calls = 0;
      store.subscribe(() => calls++);
      store.update('p/m', (current) => current);
      assert.equal(calls, 0);
      assert.deepEqual(store.ids(), []);
    });

    it('keeps records as JSON', async () => {
      const store = await make();
      store.update('p/m', (current) => ({
        ...current,
        circuit: opened(5),
        rateLimitedUntil: 99,
        rateLimit: { limitRequests: 10, remainingRequests: 0, resetRequestsAt: 99 },
      }));
      store.sample('p/m', 'latencyEmaMs', 120, 0.5);
      const record = store.get('p/m');
      assert.deepEqual(JSON.parse(JSON.stringify(record)), record);
    });

    it('counts, never below zero for in-flight requests', async () => {
      const store = await make();
      for (let i = 0; i < 100; i++) store.count('p/m', 'requests');
      store.count('p/m', 'errors', 3);
      store.count('p/m', 'inflight', 1);
      store.count('p/m', 'inflight', -1);
      store.count('p/m', 'inflight', -1);
      const record = store.get('p/m');
      assert.equal(record.requests, 100);
      assert.equal(record.errors, 3);
      assert.equal(record.inflight, 0);
    });

    it('folds samples into moving averages; the first sample sets them', async () => {
      const store = await make();
      store.sample('p/m', 'latencyEmaMs', 100, 0.25);
      assert.equal(store.get('p/m').latencyEmaMs, 100);
      store.sample('p/m', 'latencyEmaMs', 200, 0.25);
      assert.equal(store.get('p/m').latencyEmaMs, 125);
      store.sample('p/m', 'firstTokenEmaMs', 40, 0.5);
      assert.equal(store.get('p/m').firstTokenEmaMs, 40);
      assert.equal(store.get('p/m').latencyEmaMs, 125, 'each average is its own');
    });

    it('adds spend per scope', async () => {
      const store = await make();
      store.addSpend('provider:a', { requests: 1, inputTokens: 10, outputTokens: 5, costUsd: 0.25 });
      store.addSpend('provider:a', { requests: 1, costUsd: 0.5 });
      store.addSpend('provider:b', { inputTokens: 1 });
      assert.deepEqual(store.spend('provider:a'), { requests: 2, inputTokens: 10, outputTokens: 5, costUsd: 0.75 });
      assert.deepEqual(store.spend('provider:b'), { requests: 0, inputTokens: 1, outputTokens: 0, costUsd: 0 });
    });

    it('gives a lease to one holder at a time, back on release, and lets it expire', async () => {
      const store = await make();
      assert.equal(await store.acquireLease('probe:p/m', 10_000), true);
      assert.equal(await store.acquireLease('probe:p/m', 10_000), false, 'not re-entrant');
      assert.equal(await store.acquireLease('probe:p/other', 10_000), true, 'leases are per name');
      await store.releaseLease('probe:p/m');
      assert.equal(await store.acquireLease('probe:p/m', 60), true);
      await delay(150);
      assert.equal(await store.acquireLease('probe:p/m', 60), true, 'expired by itself');
    });

    it('resets one deployment and retains only the configured ones locally', async () => {
      const store = await make();
      const seen: string[] = [];
      store.subscribe((id) => seen.push(id));
      for (const id of ['p/a', 'p/b', 'q/a']) store.update(id, (current) => ({ ...current, lastError: id }));
      store.reset('p/a');
      assert.deepEqual(store.get('p/a'), freshRecord());
      assert.equal(seen.at(-1), 'p/a', 'a reset notifies');
      store.retain(new Set(['p/b']));
      assert.deepEqual(store.ids(), ['p/b']);
      assert.equal(store.get('p/b').health.lastError, 'p/b');
    });

    it('pins a conversation to a deployment until the pin expires; a later pin replaces it', async () => {
      const store = await make();
      assert.equal(store.pinned('conversation-1'), undefined);
      store.pin('conversation-1', 'a/m', 60_000);
      assert.equal(store.pinned('conversation-1'), 'a/m', 'visible synchronously');
      store.pin('conversation-1', 'b/m', 60_000);
      assert.equal(store.pinned('conversation-1'), 'b/m');
      store.pin('conversation-2', 'a/m', 20);
      await delay(60);
      assert.equal(store.pinned('conversation-2'), undefined, 'expired');
      assert.equal(store.pinned('conversation-1'), 'b/m');
    });

    it('reports its connection and closes twice without harm', async () => {
      const store = await make();
      const connection = store.connection();
      assert.equal(typeof connection.backend, 'string');
      assert.equal(connection.connected, true);
      assert.equal(connection.error, null);
      await store.close();
      await store.close();
    });

    it('offers history steps shared with other replicas exactly when it is shared', async () => {
      const store = await make();
      assert.equal(store.historySteps() !== undefined, store.connection().shared);
    });

    if (options.pair !== undefined) {
      const pair = async () => {
        const stores = await options.pair!();
        after(() => Promise.all(stores.map((store) => store.close())));
        await Promise.all(stores.map((store) => store.ready()));
        return stores;
      };

      it('shows a trip made through one store in the other within 1 s, with a notification', async () => {
        const [first, second] = await pair();
        const seen: string[] = [];
        second.subscribe((id) => seen.push(id));
        first.update('p/m', (current) => ({ ...current, circuit: opened(7) }));
        assert.ok(await eventually(() => second.get('p/m').health.circuit.state === 'open', 1000), 'seen within 1 s');
        assert.ok(seen.includes('p/m'));
        assert.ok(first.connection().shared);
      });

      it('shows a pin made through one store in the other within 1 s, so replicas agree', async () => {
        const [first, second] = await pair();
        first.pin('conversation', 'a/m', 60_000);
        assert.ok(await eventually(() => second.pinned('conversation') === 'a/m', 1000), 'seen within 1 s');
        second.pin('conversation', 'b/m', 60_000);
        assert.ok(await eventually(() => first.pinned('conversation') === 'b/m', 1000), 'a move is seen too');
      });

      it('loses no count, sample or spend between stores writing at once', async () => {
        const [first, second] = await pair();
        for (let i = 0; i < 500; i++) {
          first.count('p/m', 'requests');
          second.count('p/m', 'requests');
          first.addSpend('provider:p', { costUsd: 0.001, inputTokens: 1 });
          second.addSpend('provider:p', { costUsd: 0.002, inputTokens: 2 });
        }
        const settled = () =>
          [first, second].every((store) => store.get('p/m').requests === 1000 && store.spend('provider:p').inputTokens === 1500);
        assert.ok(await eventually(settled, 3000), 'both see every increment');
        assert.ok(Math.abs(first.spend('provider:p').costUsd - 1.5) < 1e-9);
      });

      it('applies concurrent updates to the latest shared value', async () => {
        const [first, second] = await pair();
        const bump = (current: DeploymentHealth): DeploymentHealth => ({
          ...current,
          circuit: { state: 'closed', failures: current.circuit.failures + 1 },
        });
        for (let i = 0; i < 20; i++) {
          first.update('p/m', bump);
          second.update('p/m', bump);
        }
        const settled = () => [first, second].every((store) => store.get('p/m').health.circuit.failures === 40);
        assert.ok(await eventually(settled, 3000), 'no failure count lost between replicas');
      });

      it('adds up the history steps both write, keeps steps apart by length and start, and lets them expire', async () => {
        const [first, second] = await pair();
        const [mine, theirs] = [first.historySteps()!, second.historySteps()!];
        const at = 1_000_000;
        const until = Date.now() + 60_000;
        mine.add(1000, at, { 'p/m': { requests: 2, errors: 1, latencyBins: [0, 1], firstTokenBins: [] } }, until);
        theirs.add(
          1000,
          at,
          {
            'p/m': { requests: 3, errors: 0, latencyBins: [1, 0, 2], firstTokenBins: [0, 0, 0, 4] },
            'q/m#key:2': { requests: 1, errors: 1, latencyBins: [], firstTokenBins: [] },
          },
          until,
        );
        theirs.add(1000, at + 1000, { 'p/m': { requests: 5, errors: 0, latencyBins: [5], firstTokenBins: [] } }, until);
        mine.add(2000, at, { 'p/m': { requests: 7, errors: 0, latencyBins: [7], firstTokenBins: [] } }, until);
        const summed = {
          'p/m': { requests: 5, errors: 1, latencyBins: [1, 1, 2], firstTokenBins: [0, 0, 0, 4] },
          'q/m#key:2': { requests: 1, errors: 1, latencyBins: [], firstTokenBins: [] },
        };
        const read = async () => Object.fromEntries(await first.historySteps()!.read(1000, [at, at + 1000, at + 2000]));
        let steps = await read();
        for (let tries = 0; tries < 100 && JSON.stringify(steps[at]) !== JSON.stringify(summed); tries++) {
          await delay(10);
          steps = await read();
        }
        assert.deepEqual({ ...steps[at] }, summed, 'the two stores counts of one step, summed');
        assert.deepEqual({ ...steps[at + 1000] }, { 'p/m': { requests: 5, errors: 0, latencyBins: [5], firstTokenBins: [] } });
        assert.equal(steps[at + 2000], undefined, 'a step nobody counted in is absent');
        assert.deepEqual(Object.keys(Object.fromEntries(await second.historySteps()!.read(2000, [at]))), [String(at)]);

        theirs.add(
          1000,
          at + 5000,
          { 'p/m': { requests: 1, errors: 0, latencyBins: [], firstTokenBins: [] } },
          Date.now() + 3000,
        );
        const kept = async () => (await mine.read(1000, [at + 5000])).size === 1;
        const waitFor = async (check: () => Promise<boolean>, withinMs: number) => {
          const deadline = performance.now() + withinMs;
          while (!(await check()) && performance.now() < deadline) await delay(20);
          return check();
        };
        assert.ok(await waitFor(kept, 2000), 'kept until it expires');
        const expired = async () => !(await kept());
        assert.ok(await waitFor(expired, 6000), 'gone from the backend once it expired');
      });

      it('gives a lease to one store of the two', async () => {
        const [first, second] = await pair();
        const results = await Promise.all([first.acquireLease('probe:p/m', 5000), second.acquireLease('probe:p/m', 5000)]);
        assert.deepEqual(results.toSorted(), [false, true]);
      });
    }
  });
}
