// What happened, in order: failovers, trips, recoveries, probes, hedges, reloads, the state
// store lost and regained. A fixed-size ring: the oldest event goes when a new one comes.

export type ObservedEventKind =
  | 'failover'
  | 'hedge'
  | 'request-failed'
  | 'trip'
  | 'recovery'
  | 'rate-limited'
  | 'probe'
  | 'reload'
  | 'store-lost'
  | 'store-regained';

/** One event as the dashboard and `/status/stream` show it; it never carries upstream text. */
export interface ObservedEvent {
  /** Increases by one per event; a reader asks for the events after the last it saw. */
  seq: number;
  /** Epoch ms. */
  at: number;
  kind: ObservedEventKind;
  /** The deployment it is about, when it is about one. */
  deployment?: string;
  provider?: string;
  /** For a failover: the deployments it left and the one that answered. */
  from?: string;
  to?: string;
  /** Words for a person: the failure kind and status, never an upstream's message. */
  message: string;
}

/** A bounded ring of events. */
export class EventRing {
  readonly capacity: number;
  readonly #items: ObservedEvent[] = [];
  #seq = 0;

  constructor(capacity = 500) {
    this.capacity = capacity;
  }

  push(event: Omit<ObservedEvent, 'seq' | 'at'> & { at?: number }): ObservedEvent {
    const stored: ObservedEvent = { ...event, seq: ++this.#seq, at: event.at ?? Date.now() };
    this.#items.push(stored);
    if (this.#items.length > this.capacity) this.#items.shift();
    return stored;
  }

  /** The events after `seq` (all kept when 0), oldest first. */
  since(seq = 0): ObservedEvent[] {
    if (seq >= this.#seq) return [];
    const first = this.#items.findIndex((event) => event.seq > seq);
    return first < 0 ? [] : this.#items.slice(first);
  }

  get lastSeq(): number {
    return this.#seq;
  }
}
