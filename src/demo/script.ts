// The demo's script: which simulated providers go down, how, and when. Pure data and arithmetic,
// so the timeline can be tested without waiting for it.
import type { OutageMode } from './simulator.ts';

export interface ProviderSpec {
  name: string;
  latencyMs: number;
  priority: number;
}

/** The three simulated providers, fastest first, all serving the same model. */
export const demoProviders: readonly ProviderSpec[] = [
  { name: 'fast', latencyMs: 20, priority: 1 },
  { name: 'slower', latencyMs: 80, priority: 2 },
  { name: 'fallback', latencyMs: 150, priority: 3 },
];

export const demoModel = 'llama-3.1-8b';

export interface Outage {
  providers: string[];
  mode: OutageMode;
}

/** The outages, in turn: the fast one refusing connections, then answering 503, then both fast and slower out. */
export const outages: readonly Outage[] = [
  { providers: ['fast'], mode: 'refuse' },
  { providers: ['fast'], mode: '503' },
  { providers: ['fast', 'slower'], mode: 'refuse' },
];

export interface Timeline {
  /** From the start to the first outage. */
  firstDownMs: number;
  /** How long each outage lasts. */
  downMs: number;
  /** How long everything is up between two outages. */
  upMs: number;
}

/**
 * ~5 s up, ~10 s down, 15 s up, and round again. A short `--duration` squeezes the first cycle
 * so that its outage and the recovery after it both fit.
 */
export function timelineFor(durationMs?: number): Timeline {
  const timeline = { firstDownMs: 5000, downMs: 10_000, upMs: 15_000 };
  if (durationMs === undefined) return timeline;
  return {
    firstDownMs: Math.min(timeline.firstDownMs, Math.round(durationMs * 0.2)),
    downMs: Math.min(timeline.downMs, Math.round(durationMs * 0.3)),
    upMs: timeline.upMs,
  };
}

export interface Step {
  /** Since the start. */
  atMs: number;
  action: 'down' | 'up';
  outage: Outage;
}

/** The `index`-th step: even steps take providers down, odd ones bring them back. */
export function stepAt(index: number, timeline: Timeline): Step {
  const cycle = Math.floor(index / 2);
  const down = timeline.firstDownMs + cycle * (timeline.downMs + timeline.upMs);
  const outage = outages[cycle % outages.length] as Outage;
  return index % 2 === 0 ? { atMs: down, action: 'down', outage } : { atMs: down + timeline.downMs, action: 'up', outage };
}

/** "fast", "fast and slower". */
export function nameList(names: readonly string[]): string {
  return names.length <= 1 ? (names[0] ?? '') : `${names.slice(0, -1).join(', ')} and ${names.at(-1)}`;
}

/** What a step does, in words. */
export function describeStep(step: Step, timeline: Timeline): string {
  const who = nameList(step.outage.providers);
  if (step.action === 'up') return `${who} ${step.outage.providers.length > 1 ? 'come' : 'comes'} back`;
  const how = step.outage.mode === 'refuse' ? 'refusing connections' : 'answering 503';
  return `${who} ${step.outage.providers.length > 1 ? 'go' : 'goes'} down (${how}) for ${Math.round(timeline.downMs / 1000)} s`;
}
