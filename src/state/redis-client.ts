// The Redis store's connections and wire details: two ioredis connections (commands, and the
// subscription), the scripts defined on them, key names, and the replies and messages read back.
import { createRequire } from 'node:module';
import type { Redis, RedisOptions } from 'ioredis';
import type { Deltas, DeploymentCopy, SharedCounters, SpendNanos } from './redis-copy.ts';
import {
  casHealthScript,
  countersScript,
  historyStepScript,
  releaseScript,
  resetScript,
  seedScript,
  spendScript,
} from './redis-scripts.ts';
import { freshRecord } from './store.ts';

export interface ScriptCommands {
  casHealth(...args: (string | number)[]): Promise<[number, number, string?]>;
  flushCounters(...args: (string | number)[]): Promise<string[]>;
  addSpend(...args: (string | number)[]): Promise<string[]>;
  resetRecord(...args: (string | number)[]): Promise<[number, number]>;
  seed(...args: (string | number)[]): Promise<number>;
  releaseLease(...args: (string | number)[]): Promise<number>;
  addHistoryStep(...args: (string | number)[]): Promise<number>;
}
export type Client = Redis & ScriptCommands;
export type ScriptPipeline = ScriptCommands & { exec(): Promise<[Error | null, unknown][] | null> };

const load = createRequire(import.meta.url);

/**
 * A new ioredis client. ioredis is loaded the first time one is made, so a gateway without Redis
 * never loads it (8 MB of RSS measured).
 */
export function newRedis(url: string, options: RedisOptions): Redis {
  const { Redis: RedisClient } = load('ioredis') as typeof import('ioredis');
  return new RedisClient(url, options);
}

/**
 * ioredis options for a lazy connection that never makes a request wait: while Redis is away a
 * command fails at once, and the connection keeps trying to return (backing off to 1 s).
 */
export function failFastOptions(timeoutMs: number) {
  return {
    lazyConnect: true,
    enableOfflineQueue: false,
    maxRetriesPerRequest: 0,
    connectTimeout: timeoutMs,
    commandTimeout: timeoutMs,
    retryStrategy: (times: number) => Math.min(50 * 2 ** Math.min(times, 5), 1000),
  };
}

/** The command connection (with the scripts) and the subscriber, both lazy: `connect()` them. */
export function createConnections(url: string, timeoutMs: number): { client: Client; subscriber: Redis } {
  // A request never waits on Redis: a command while it is away fails at once and the copy serves.
  const options = failFastOptions(timeoutMs);
  const client = newRedis(url, options) as Client;
  const subscriber = newRedis(url, { ...options, commandTimeout: undefined });
  client.defineCommand('casHealth', { numberOfKeys: 2, lua: casHealthScript });
  client.defineCommand('flushCounters', { numberOfKeys: 2, lua: countersScript });
  client.defineCommand('addSpend', { numberOfKeys: 2, lua: spendScript });
  client.defineCommand('resetRecord', { numberOfKeys: 2, lua: resetScript });
  client.defineCommand('seed', { numberOfKeys: 2, lua: seedScript });
  client.defineCommand('releaseLease', { numberOfKeys: 1, lua: releaseScript });
  client.defineCommand('addHistoryStep', { numberOfKeys: 1, lua: historyStepScript });
  return { client, subscriber };
}

/** Key names under one prefix. */
export class RedisKeys {
  readonly channel: string;
  readonly ids: string;
  readonly scopes: string;
  /** Followed by a store's origin: the key that says the store is alive. */
  readonly alivePrefix: string;
  readonly #prefix: string;
  constructor(prefix: string) {
    this.#prefix = prefix;
    this.channel = `${prefix}:events`;
    this.ids = `${prefix}:ids`;
    this.scopes = `${prefix}:scopes`;
    this.alivePrefix = `${prefix}:alive:`;
  }
  record(id: string): string {
    return `${this.#prefix}:d:${id}`;
  }
  spend(scope: string): string {
    return `${this.#prefix}:s:${scope}`;
  }
  lease(name: string): string {
    return `${this.#prefix}:lease:${name}`;
  }
  /** The fleet's counts of one history step: its length and its start, epoch ms. */
  historyStep(stepMs: number, at: number): string {
    return `${this.#prefix}:history:${stepMs}:${at}`;
  }
}

/** Queues one deployment's deltas on a pipeline. */
export function queueCounters(pipeline: ScriptPipeline, keys: RedisKeys, origin: string, id: string, deltas: Deltas): void {
  void pipeline.flushCounters(
    keys.record(id),
    keys.ids,
    keys.channel,
    id,
    origin,
    deltas.requests,
    deltas.errors,
    deltas.inflight,
    keys.alivePrefix,
    deltas.latencyEmaMs.length / 2,
    ...deltas.latencyEmaMs,
    deltas.firstTokenEmaMs.length / 2,
    ...deltas.firstTokenEmaMs,
  );
}

/** Queues one scope's spend on a pipeline. */
export function queueSpend(pipeline: ScriptPipeline, keys: RedisKeys, origin: string, scope: string, delta: SpendNanos): void {
  void pipeline.addSpend(
    keys.spend(scope),
    keys.scopes,
    keys.channel,
    scope,
    origin,
    delta.requests,
    delta.inputTokens,
    delta.outputTokens,
    delta.costNanos,
  );
}

/** A message on the channel (see redis-scripts.ts); undefined when it is not one. */
export interface StoreMessage {
  t: 'h' | 'c' | 's' | 'r';
  id: string;
  /** The store that wrote it. */
  o: string;
  hv?: string;
  cv?: string;
  h?: string;
  c?: string[];
  s?: string[];
}

export function parseMessage(text: string): StoreMessage | undefined {
  try {
    const message = JSON.parse(text) as Partial<StoreMessage>;
    return typeof message.id === 'string' && typeof message.t === 'string' ? (message as StoreMessage) : undefined;
  } catch {
    return undefined;
  }
}

/** {version, requests, errors, inflight, latencyEmaMs or '', firstTokenEmaMs or ''} as numbers. */
export function parseCounters(reply: readonly string[]): SharedCounters {
  return {
    requests: Number(reply[1]),
    errors: Number(reply[2]),
    inflight: Number(reply[3]),
    latencyEmaMs: reply[4] ? Number(reply[4]) : null,
    firstTokenEmaMs: reply[5] ? Number(reply[5]) : null,
  };
}

/** {version, requests, inputTokens, outputTokens, costNanos} as numbers. */
export function parseSpend(reply: readonly string[]): SpendNanos {
  return {
    requests: Number(reply[1]),
    inputTokens: Number(reply[2]),
    outputTokens: Number(reply[3]),
    costNanos: Number(reply[4]),
  };
}

/** The fields that re-seed a record from what a replica last knew was shared. */
export function seedFields(copy: DeploymentCopy): (string | number)[] {
  const fields: (string | number)[] = ['hv', 1, 'cv', 1, 'requests', copy.shared.requests, 'errors', copy.shared.errors];
  fields.push('inflight', 0, 'health', JSON.stringify(copy.sharedHealth ?? freshRecord().health));
  if (copy.shared.latencyEmaMs !== null) fields.push('latencyEmaMs', String(copy.shared.latencyEmaMs));
  if (copy.shared.firstTokenEmaMs !== null) fields.push('firstTokenEmaMs', String(copy.shared.firstTokenEmaMs));
  return fields;
}

/** The URL with its credentials replaced, for logs and status. */
export function describeRedisUrl(url: string): string {
  try {
    const parsed = new URL(url);
    if (parsed.password === '' && parsed.username === '') return parsed.toString();
    parsed.username = '';
    parsed.password = '';
    return parsed.toString().replace('//', '//***@');
  } catch {
    return 'redis://(unparsable URL)';
  }
}

/** The URL's password, as written and decoded, to be kept out of every message. */
export function secretsOf(url: string): string[] {
  try {
    const password = new URL(url).password;
    return [...new Set([password, decodeURIComponent(password)])].filter((secret) => secret.length > 0);
  } catch {
    return [];
  }
}
