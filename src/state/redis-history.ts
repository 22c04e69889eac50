// History steps in Redis: one hash per step (`<prefix>:history:<stepMs>:<start>`), its fields the
// deployments' counts (`r:<id>` requests, `e:<id>` errors, `l<bin>:<id>` and `t<bin>:<id>` the
// latency and first-token bins). Each replica adds its counts of a step it closed with one script
// call (HINCRBY each count, then PEXPIRE), so the replicas' steps add up and every step leaves
// Redis once it is older than the window. Reading is one pipeline of HGETALLs; a read that fails
// rejects, and the observer shows its own history until a read answers again.
import type { FleetSteps, HistorySteps, StepCounts } from './history-steps.ts';
import type { Client, RedisKeys } from './redis-client.ts';

export interface HistoryLink {
  client: Client;
  keys: RedisKeys;
  connected(): boolean;
}

/** Most closed steps kept to send while Redis is away (an hour of 10 s steps); the oldest go first. */
const maxUnsent = 360;
/** Bins beyond this are not read back: a field that says otherwise was not written by us. */
const maxBins = 256;

interface Unsent {
  key: string;
  fields: (string | number)[];
  expiresAt: number;
}

const fieldPattern = /^([relt])(\d*):([\s\S]+)$/;

export class RedisHistorySteps implements HistorySteps {
  readonly #link: HistoryLink;
  #unsent: Unsent[] = [];
  readonly #sending = new Set<Promise<unknown>>();

  constructor(link: HistoryLink) {
    this.#link = link;
  }

  add(stepMs: number, at: number, counts: Readonly<Record<string, StepCounts>>, expiresAt: number): void {
    const fields = encode(counts);
    if (fields.length === 0) return;
    const step = { key: this.#link.keys.historyStep(stepMs, at), fields, expiresAt };
    if (this.#link.connected()) {
      this.#send(step);
      return;
    }
    this.#unsent.push(step);
    if (this.#unsent.length > maxUnsent) this.#unsent.shift();
  }

  /** Sends the steps closed while Redis was away and not expired since; the store calls it once Redis is back. */
  resend(): void {
    const unsent = this.#unsent;
    this.#unsent = [];
    for (const step of unsent) this.#send(step);
  }

  /** Resolves once the sends on their way have ended. */
  async settle(): Promise<void> {
    await Promise.all(this.#sending);
  }

  async read(stepMs: number, starts: readonly number[]): Promise<FleetSteps> {
    const link = this.#link;
    if (!link.connected()) throw new Error('Redis is unreachable');
    const steps: FleetSteps = new Map();
    if (starts.length === 0) return steps;
    const pipeline = link.client.pipeline();
    for (const at of starts) pipeline.hgetall(link.keys.historyStep(stepMs, at));
    const results = (await pipeline.exec()) ?? [];
    for (const [index, at] of starts.entries()) {
      const [error, hash] = results[index] ?? [new Error('not read')];
      if (error !== null) throw error;
      const counts = decode(hash as Record<string, string>);
      if (counts !== undefined) steps.set(at, counts);
    }
    return steps;
  }

  #send(step: Unsent): void {
    const ttlMs = Math.ceil(step.expiresAt - Date.now());
    if (ttlMs <= 0) return;
    // Not repeated on failure: the script may have run before the reply was lost, and a count
    // added twice is worse than one lost. Nor reported: the store's own writes tell it when Redis
    // is away, and a slow history write must not mark a live connection as lost.
    const sending = this.#link.client
      .addHistoryStep(step.key, ttlMs, ...step.fields)
      .catch(() => {})
      .finally(() => this.#sending.delete(sending));
    this.#sending.add(sending);
  }
}

/** The field/increment pairs of a step's counts; zeros are left out. */
function encode(counts: Readonly<Record<string, StepCounts>>): (string | number)[] {
  const fields: (string | number)[] = [];
  for (const [id, step] of Object.entries(counts)) {
    if (step.requests > 0) fields.push(`r:${id}`, step.requests);
    if (step.errors > 0) fields.push(`e:${id}`, step.errors);
    for (const [bin, count] of step.latencyBins.entries()) if (count > 0) fields.push(`l${bin}:${id}`, count);
    for (const [bin, count] of step.firstTokenBins.entries()) if (count > 0) fields.push(`t${bin}:${id}`, count);
  }
  return fields;
}

function decode(hash: Record<string, string>): Record<string, StepCounts> | undefined {
  const counts: Record<string, StepCounts> = Object.create(null);
  let any = false;
  for (const [field, text] of Object.entries(hash)) {
    const match = fieldPattern.exec(field);
    const value = Number(text);
    if (match === null || !Number.isSafeInteger(value) || value <= 0) continue;
    const [, kind, binText, id] = match as unknown as [string, string, string, string];
    let step = counts[id];
    if (step === undefined) {
      step = { requests: 0, errors: 0, latencyBins: [], firstTokenBins: [] };
      counts[id] = step;
    }
    any = true;
    if (kind === 'r') step.requests += value;
    else if (kind === 'e') step.errors += value;
    else {
      const bin = Number(binText);
      if (binText === '' || bin >= maxBins) continue;
      const bins = kind === 'l' ? step.latencyBins : step.firstTokenBins;
      while (bins.length <= bin) bins.push(0);
      bins[bin]! += value;
    }
  }
  return any ? counts : undefined;
}
