// Stored Responses conversations: what `previous_response_id` and `item_reference` read back.
// Each stored response keeps its whole conversation (the history it was given, its own input)
// and its output, so a follow-up needs one read and does not depend on its ancestors still
// being kept. The interface is async so a Redis store can stand behind it.
import type { ConversationItem, OutputItem, ResponseObject } from '../protocol/responses.ts';

export interface StoredResponse {
  id: string;
  /** The gateway key id of the caller that made it (null without keys); only that caller sees it. */
  owner: string | null;
  /** Epoch ms when it was stored. */
  storedAt: number;
  /** Every item the response was given: the earlier conversation, then this turn's input (no instructions). */
  conversation: ConversationItem[];
  output: OutputItem[];
  /** The response object as it was answered, for `GET /v1/responses/{id}`. */
  response: ResponseObject;
}

/** Where stored responses live; implementations drop entries after their retention. */
export interface ResponseStore {
  save(stored: StoredResponse): Promise<void>;
  /** The response, or undefined when unknown, deleted or expired. */
  get(id: string): Promise<StoredResponse | undefined>;
  /** An output item of a stored response, by its id (an `item_reference`), with that response's owner. */
  item(id: string): Promise<{ item: OutputItem; owner: string | null } | undefined>;
  /** True when something was deleted. */
  delete(id: string): Promise<boolean>;
  /** Ends its connections, if it has any; safe to call twice. */
  close(): Promise<void>;
}

export interface MemoryResponseStoreOptions {
  /** How long a response is kept, in ms. */
  retentionMs: number;
  /** How many responses are kept at most; the oldest go first. */
  maxStored: number;
  /** Roughly how many bytes of JSON are kept at most; the oldest go first. */
  maxBytes: number;
  /** Epoch ms; a parameter so tests need no timers. */
  now?: () => number;
}

interface Entry {
  stored: StoredResponse;
  bytes: number;
}

/** A store in this process's memory, bounded in count, bytes and age. */
export function createMemoryResponseStore(options: MemoryResponseStoreOptions): ResponseStore {
  const now = options.now ?? Date.now;
  // A Map iterates in insertion order, so the first entry is always the oldest.
  const entries = new Map<string, Entry>();
  const items = new Map<string, string>();
  let bytes = 0;

  const remove = (id: string): boolean => {
    const entry = entries.get(id);
    if (entry === undefined) return false;
    entries.delete(id);
    bytes -= entry.bytes;
    for (const item of entry.stored.output) if (items.get(item.id) === id) items.delete(item.id);
    return true;
  };
  const expired = (entry: Entry) => entry.stored.storedAt + options.retentionMs <= now();
  const prune = () => {
    for (const [id, entry] of entries) {
      if (!expired(entry) && entries.size <= options.maxStored && bytes <= options.maxBytes) break;
      remove(id);
    }
  };
  const live = (id: string): StoredResponse | undefined => {
    const entry = entries.get(id);
    if (entry === undefined) return undefined;
    if (!expired(entry)) return entry.stored;
    remove(id);
    return undefined;
  };

  return {
    async save(stored) {
      remove(stored.id);
      const entry = { stored, bytes: JSON.stringify(stored).length };
      entries.set(stored.id, entry);
      bytes += entry.bytes;
      for (const item of stored.output) items.set(item.id, stored.id);
      prune();
    },
    async get(id) {
      return live(id);
    },
    async item(id) {
      const owner = items.get(id);
      if (owner === undefined) return undefined;
      const stored = live(owner);
      const item = stored?.output.find((candidate) => candidate.id === id);
      return stored && item ? { item, owner: stored.owner } : undefined;
    },
    async delete(id) {
      return remove(id);
    },
    async close() {},
  };
}
