// What reaches the local copy from Redis: each message another replica's write published, and the
// whole state when the store (re)connects. On a reload, what Redis has replaces
// what the copy knew of it; a record or scope that Redis lacks but the copy knew was shared (Redis
// came back empty) is put back first, so totals survive a restart of Redis without persistence.
// What this process wrote while away stays pending and is sent after.
import type { Client, RedisKeys } from './redis-client.ts';
import { parseCounters, parseSpend, type StoreMessage, seedFields } from './redis-client.ts';
import { DeploymentCopy, hasDeltas, hasSpend, SpendCopy } from './redis-copy.ts';
import type { DeploymentHealth } from './store.ts';

export interface LoadTarget {
  records: Map<string, DeploymentCopy>;
  spend: Map<string, SpendCopy>;
  /** Ids the router still uses; undefined before it said. */
  retained: ReadonlySet<string> | undefined;
}

export interface LoadResult {
  /** Deployments whose health as shown changed. */
  changed: string[];
  /** Deployments and scopes with writes still to send. */
  dirtyCounters: string[];
  dirtySpend: string[];
}

export async function loadShared(client: Client, keys: RedisKeys, target: LoadTarget): Promise<LoadResult> {
  const [ids, scopes] = await Promise.all([client.smembers(keys.ids), client.smembers(keys.scopes)]);
  const allIds = [...new Set([...ids, ...target.records.keys()])].filter(
    (id) => target.retained === undefined || target.retained.has(id),
  );
  const allScopes = [...new Set([...scopes, ...target.spend.keys()])];
  const read = client.pipeline();
  for (const id of allIds) read.hgetall(keys.record(id));
  for (const scope of allScopes) read.hgetall(keys.spend(scope));
  const hashes = ((await read.exec()) ?? []).map(([error, value]) => {
    if (error !== null) throw error;
    return value as Record<string, string>;
  });
  const result: LoadResult = { changed: [], dirtyCounters: [], dirtySpend: [] };

  for (const [index, id] of allIds.entries()) {
    let hash = hashes[index]!;
    let copy = target.records.get(id);
    if (hash.hv === undefined && copy !== undefined && (copy.healthVersion > 0 || copy.counterVersion > 0)) {
      await client.seed(keys.record(id), keys.ids, id, ...seedFields(copy));
      hash = await client.hgetall(keys.record(id));
    }
    if (copy === undefined) {
      copy = new DeploymentCopy();
      target.records.set(id, copy);
    }
    const counters = ['0', hash.requests ?? '0', hash.errors ?? '0', hash.inflight ?? '0'];
    copy.resync(
      Number(hash.hv ?? 0),
      hash.health ? (JSON.parse(hash.health) as DeploymentHealth) : null,
      Number(hash.cv ?? 0),
      parseCounters([...counters, hash.latencyEmaMs ?? '', hash.firstTokenEmaMs ?? '']),
    );
    if (hash.hv !== undefined) copy.listed = true;
    if (copy.refreshHealth()) result.changed.push(id);
    copy.refreshCounters();
    if (hasDeltas(copy.pending)) result.dirtyCounters.push(id);
  }

  for (const [index, scope] of allScopes.entries()) {
    let hash = hashes[allIds.length + index]!;
    let copy = target.spend.get(scope);
    if (hash.v === undefined && copy !== undefined && copy.version > 0) {
      const { requests, inputTokens, outputTokens, costNanos } = copy.shared;
      const fields = ['v', 1, 'requests', requests, 'inputTokens', inputTokens, 'outputTokens', outputTokens];
      await client.seed(keys.spend(scope), keys.scopes, scope, ...fields, 'costNanos', costNanos);
      hash = await client.hgetall(keys.spend(scope));
    }
    if (copy === undefined) {
      copy = new SpendCopy();
      target.spend.set(scope, copy);
    }
    copy.version = Number(hash.v ?? 0);
    const shared = [hash.v ?? '0', hash.requests ?? '0', hash.inputTokens ?? '0', hash.outputTokens ?? '0'];
    copy.shared = parseSpend([...shared, hash.costNanos ?? '0']);
    copy.refresh();
    if (hasSpend(copy.pending)) result.dirtySpend.push(scope);
  }
  return result;
}

/**
 * Folds another replica's message into the copy: `changed` when a deployment's health as shown
 * changed, `restarted` when it was reset (and was listed), else `none`.
 */
export function applyMessage(message: StoreMessage, target: LoadTarget): 'changed' | 'restarted' | 'none' {
  const id = message.id;
  if (message.t === 's' && message.s !== undefined) {
    let copy = target.spend.get(id);
    if (copy === undefined) {
      copy = new SpendCopy();
      target.spend.set(id, copy);
    }
    copy.take(Number(message.s[0]), parseSpend(message.s));
    copy.refresh();
    return 'none';
  }
  if (target.retained !== undefined && !target.retained.has(id)) return 'none';
  let copy = target.records.get(id);
  if (copy === undefined) {
    copy = new DeploymentCopy();
    target.records.set(id, copy);
  }
  if (message.t === 'h' && message.h !== undefined) {
    const newer = copy.takeHealth(Number(message.hv), JSON.parse(message.h) as DeploymentHealth);
    return newer && copy.refreshHealth() ? 'changed' : 'none';
  }
  if (message.t === 'c' && message.c !== undefined) {
    copy.takeCounters(Number(message.c[0]), parseCounters(message.c));
    copy.refreshCounters();
    return 'none';
  }
  if (message.t === 'r') {
    const healthVersion = Number(message.hv);
    if (healthVersion <= copy.healthVersion) return 'none';
    const wasListed = copy.listed;
    copy.restart(healthVersion, Number(message.cv));
    return wasListed ? 'restarted' : 'none';
  }
  return 'none';
}
