// Leases for the Redis store: `SET NX PX` with a token of this store's own, released only by the
// holder (a Lua compare-and-delete), expiring by themselves. While Redis is away a lease is held in
// this process alone, so recovery goes on here without it.
import type { Client, RedisKeys } from './redis-client.ts';

export interface LeaseLink {
  client: Client;
  keys: RedisKeys;
  /** This store's id; tokens start with it. */
  origin: string;
  connected(): boolean;
  /** Reports a Redis failure to the store. */
  down(error: unknown): void;
}

export class RedisLeases {
  readonly #link: LeaseLink;
  /** Leases held in Redis: name → token. */
  readonly #held = new Map<string, string>();
  /** Leases taken while Redis was away: name → epoch ms when they expire. */
  readonly #local = new Map<string, number>();
  #sequence = 0;

  constructor(link: LeaseLink) {
    this.#link = link;
  }

  async acquire(name: string, ttlMs: number): Promise<boolean> {
    const link = this.#link;
    if (link.connected()) {
      const token = `${link.origin}:${++this.#sequence}`;
      try {
        const answer = await link.client.set(link.keys.lease(name), token, 'PX', Math.max(1, Math.ceil(ttlMs)), 'NX');
        if (answer !== 'OK') return false;
        this.#held.set(name, token);
        return true;
      } catch (error) {
        link.down(error);
      }
    }
    const now = Date.now();
    const expiresAt = this.#local.get(name);
    if (expiresAt !== undefined && expiresAt > now) return false;
    this.#local.set(name, now + ttlMs);
    return true;
  }

  async release(name: string): Promise<void> {
    this.#local.delete(name);
    const token = this.#held.get(name);
    if (token === undefined) return;
    this.#held.delete(name);
    const link = this.#link;
    if (!link.connected()) return; // It expires by itself.
    try {
      await link.client.releaseLease(link.keys.lease(name), token);
    } catch (error) {
      link.down(error);
    }
  }

  /** Gives back every lease held in Redis (on close). */
  async releaseAll(): Promise<void> {
    await Promise.all([...this.#held.keys()].map((name) => this.release(name)));
  }

  /** Redis is back: its leases rule again, and the ones taken alone lapse. */
  forgetLocal(): void {
    this.#local.clear();
  }
}
