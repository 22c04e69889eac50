// Finding 9 of issue 9 (memory): after a storm of large bad bodies the gateway stayed at the storm's
// size once idle. The idle collector runs one full collection after a pause that follows enough
// large bodies, and none for ordinary traffic.
import assert from 'node:assert/strict';
import { constants, PerformanceObserver } from 'node:perf_hooks';
import { describe, it } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import { getHeapSpaceStatistics } from 'node:v8';
import { collectAllGarbage, createIdleCollector, holdYoungGeneration, releaseYoungGeneration } from '../../src/gateway/memory.ts';

async function majorCollectionsDuring(action: () => Promise<void>): Promise<number> {
  let major = 0;
  const observer = new PerformanceObserver((list) => {
    for (const entry of list.getEntries()) {
      if ((entry as { detail?: { kind?: number } }).detail?.kind === constants.NODE_PERFORMANCE_GC_MAJOR) major += 1;
    }
  });
  observer.observe({ entryTypes: ['gc'] });
  try {
    await action();
    await sleep(50);
  } finally {
    observer.disconnect();
  }
  return major;
}

describe('idle collector', () => {
  it('collects once after a pause that follows enough large bodies', { timeout: 10_000 }, async () => {
    const collector = createIdleCollector({ thresholdBytes: 1024 * 1024, idleMs: 100 });
    const collections = await majorCollectionsDuring(async () => {
      for (let index = 0; index < 4; index++) collector.noteBody(512 * 1024);
      await sleep(600);
    });
    collector.stop();
    assert.ok(collections >= 1, `${collections} full collections`);
  });

  it('collects once after a pause that follows enough requests, and not again while it stays quiet', {
    timeout: 10_000,
  }, async () => {
    const collector = createIdleCollector({ thresholdRequests: 500, idleMs: 100 });
    const first = await majorCollectionsDuring(async () => {
      for (let index = 0; index < 500; index++) collector.noteBody(600);
      await sleep(500);
    });
    const after = await majorCollectionsDuring(() => sleep(500));
    collector.stop();
    assert.ok(first >= 1, `${first} full collections`);
    assert.equal(after, 0);
  });

  it('does nothing below the thresholds, after ordinary requests by default, nor while requests are in flight, nor while traffic goes on', {
    timeout: 10_000,
  }, async () => {
    const few = createIdleCollector({ thresholdBytes: 1024 * 1024, thresholdRequests: 10_000, idleMs: 100 });
    const busy = createIdleCollector({ thresholdRequests: 10, idleMs: 100, busy: () => true });
    const steady = createIdleCollector({ thresholdRequests: 10, idleMs: 100 });
    // By default ordinary requests never bring one: it would drop compiled code before each burst.
    const ordinary = createIdleCollector({ idleMs: 100 });
    const collections = await majorCollectionsDuring(async () => {
      for (let index = 0; index < 9_000; index++) few.noteBody(4 * 1024);
      for (let index = 0; index < 5_000; index++) ordinary.noteBody(4 * 1024);
      for (let index = 0; index < 20; index++) busy.noteBody(4 * 1024);
      // A request every 20 ms: never a pause of 100 ms.
      for (let index = 0; index < 25; index++) {
        steady.noteBody(4 * 1024);
        await sleep(20);
      }
    });
    for (const collector of [few, busy, steady, ordinary]) collector.stop();
    assert.equal(collections, 0);
  });

  it('a held young generation keeps its size while survivors pile up (they go to the old one), and grows again once released', () => {
    const youngMb = () => (getHeapSpaceStatistics().find((space) => space.space_name === 'new_space')?.space_size ?? 0) / 2 ** 20;
    const pileUp = () => {
      let kept: object[] = [];
      for (let index = 0; index < 2_000_000 && youngMb() < 16; index++) {
        kept.push({ index, text: `item ${index}` });
        if (kept.length > 50_000) kept = [];
      }
    };
    collectAllGarbage();
    const start = youngMb();
    holdYoungGeneration();
    try {
      pileUp();
      // At most its starting capacity (1 MB a semi-space); let grow, the same survivors take it past 8 MB.
      assert.ok(youngMb() <= Math.max(start, 4), `held, the young generation grew from ${start} to ${youngMb()} MB`);
    } finally {
      releaseYoungGeneration();
    }
    pileUp();
    assert.ok(youngMb() >= 8, `released, the young generation stayed at ${youngMb()} MB`);
  });

  it('a collection of all garbage shrinks the young generation that a burst of allocation grew', () => {
    const youngMb = () => (getHeapSpaceStatistics().find((space) => space.space_name === 'new_space')?.space_size ?? 0) / 2 ** 20;
    // Objects that live across a few young collections make V8 grow its young generation.
    let kept: object[] = [];
    for (let index = 0; index < 2_000_000 && youngMb() < 16; index++) {
      kept.push({ index, text: `item ${index}` });
      if (kept.length > 50_000) kept = [];
    }
    kept = [];
    const grown = youngMb();
    assert.ok(grown >= 8, `the young generation grew to ${grown} MB only`);
    collectAllGarbage();
    assert.ok(youngMb() <= grown / 4, `young generation ${grown} → ${youngMb()} MB`);
  });
});
