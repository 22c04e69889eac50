// Memory with many slow streams open at once: N streams of the `bench-slow` model (a chunk
// every slow gap), opened in quick batches, then the target's RSS sampled while they are open.
import { setTimeout as sleep } from 'node:timers/promises';
import { Agent } from 'undici';
import { requestBody } from './bodies.ts';
import { memoryMb } from './proc.ts';
import type { Target } from './targets.ts';

export interface StreamsResult {
  streams: number;
  /** Streams that had their first chunk and were not finished when RSS peaked. */
  openAtPeak: number;
  /** Streams that ended with `data: [DONE]`. */
  completed: number;
  /** Streams that got an error status, broke, or were still unfinished when the test gave up. */
  failed: number;
  rssBeforeMb: number;
  rssPeakMb: number;
}

const batchSize = 100;

export async function measureOpenStreams(target: Target, streams: number, lifetimeMs: number): Promise<StreamsResult> {
  const agent = new Agent({ connections: streams + 10, keepAliveTimeout: 1000 });
  const pid = target.child.pid;
  const rssBeforeMb = memoryMb(pid, 'VmRSS');
  const url = new URL(target.url);
  const body = requestBody('chat', true, 'bench-slow');
  const controller = new AbortController();
  let open = 0;
  let completed = 0;

  const one = async () => {
    const response = await agent.request({
      origin: url.origin,
      path: url.pathname,
      method: 'POST',
      headers: { 'content-type': 'application/json', ...target.headers },
      body,
      signal: controller.signal,
    });
    let started = false;
    let tail = '';
    try {
      for await (const piece of response.body) {
        if (!started) open += 1;
        started = true;
        tail = (tail + (piece as Buffer).toString('latin1')).slice(-64);
      }
    } finally {
      if (started) open -= 1;
    }
    if (response.statusCode === 200 && tail.includes('data: [DONE]')) completed += 1;
  };

  const running: Promise<void>[] = [];
  for (let index = 0; index < streams; index += 1) {
    running.push(one().catch(() => {}));
    // Batches a few ms apart: no burst of SYNs past the listen backlog.
    if ((index + 1) % batchSize === 0) await sleep(25);
  }
  const openUntil = Date.now() + lifetimeMs / 2;
  while (open < streams && Date.now() < openUntil) await sleep(20);
  let rssPeakMb = 0;
  let openAtPeak = 0;
  for (let sample = 0; sample < 10 && open > 0; sample += 1) {
    const rss = memoryMb(pid, 'VmRSS');
    if (rss > rssPeakMb) {
      rssPeakMb = rss;
      openAtPeak = open;
    }
    await sleep(Math.min(200, lifetimeMs / 20));
  }
  // Every stream gets two lifetimes to finish; whatever is still running then is cut and counted as failed.
  const timer = setTimeout(() => controller.abort(), lifetimeMs * 2);
  await Promise.all(running);
  clearTimeout(timer);
  await agent.close();
  return { streams, openAtPeak, completed, failed: streams - completed, rssBeforeMb, rssPeakMb };
}
