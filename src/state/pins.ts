// Conversation pins (affinity): conversation key → the deployment its requests go to, until an
// instant. A bounded local table both stores keep; the Redis store also shares it.

/** Most pins one process keeps; past it the least recently pinned are forgotten first. */
const keep = 100_000;

export class PinTable {
  readonly #pins = new Map<string, { id: string; until: number }>();

  /** The pinned deployment, or undefined when there is none or it has expired by `now`. */
  get(key: string, now: number): string | undefined {
    const pin = this.#pins.get(key);
    if (pin === undefined) return undefined;
    if (pin.until > now) return pin.id;
    this.#pins.delete(key);
    return undefined;
  }

  /** When the pin ends (epoch ms), or undefined. */
  until(key: string): number | undefined {
    return this.#pins.get(key)?.until;
  }

  set(key: string, id: string, until: number): void {
    // Re-inserted, so the Map's order is least recently pinned first.
    this.#pins.delete(key);
    this.#pins.set(key, { id, until });
    if (this.#pins.size > keep) this.#pins.delete(this.#pins.keys().next().value as string);
  }
}
