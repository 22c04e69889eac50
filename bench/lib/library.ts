// The library alone, run as its own process: `node bench/lib/library.ts EMULATOR_ORIGIN CLOSED_PORT SAMPLES`.
// Sequential calls after a warm-up, the variants taking turns in a shuffled order every round so
// drift hits all alike; prints one JSON line of medians in microseconds.
//  - direct: JSON.stringify, undici `request` on a keep-alive Agent, JSON.parse of the answer;
//  - complete: `router.complete` with one healthy provider (the same work plus the router's);
//  - failover: a first provider on a port that refuses connections, the emulator second, with a
//    breaker that never opens, so every call pays for the refusal;
//  - open: the same pair once the first provider's circuit is open.
import { Agent } from 'undici';
import { createRouter } from '../../src/index.ts';

const [origin, closedPort, samplesText] = process.argv.slice(2) as [string, string, string];
const samples = Number(samplesText);
const warmup = Math.max(200, Math.round(samples / 3));

const request = {
  model: 'bench-model',
  messages: [
    { role: 'system' as const, content: 'You are a terse assistant.' },
    { role: 'user' as const, content: 'Name a fox that jumps over a dog, in twenty words or fewer.' },
  ],
  max_tokens: 64,
  temperature: 0.2,
};
const models = { 'bench-model': 'bench-model' };
const healthy = { baseUrl: `${origin}/v1`, apiKey: 'sk-bench', models, priority: 2 };
const refusing = { baseUrl: `http://127.0.0.1:${closedPort}/v1`, apiKey: 'sk-bench', models, priority: 1 };

const single = createRouter({ providers: { up: healthy } });
const neverOpens = createRouter({ providers: { down: refusing, up: healthy }, routing: { failureThreshold: 1_000_000 } });
const opens = createRouter({
  providers: { down: refusing, up: healthy },
  routing: { failureThreshold: 1, recovery: { probeDelaysMs: [3_600_000] } },
});

const agent = new Agent({ keepAliveTimeout: 30_000 });
const headers = { 'content-type': 'application/json', authorization: 'Bearer sk-bench' };

async function direct(): Promise<void> {
  const response = await agent.request({
    origin,
    path: '/v1/chat/completions',
    method: 'POST',
    headers,
    body: JSON.stringify(request),
  });
  const body = JSON.parse(await response.body.text()) as { choices?: unknown[] };
  if (response.statusCode !== 200 || !Array.isArray(body.choices)) throw new Error(`direct: ${response.statusCode}`);
}

function viaRouter(router: ReturnType<typeof createRouter>, attempts: number) {
  return async () => {
    const result = await router.complete(request);
    if (result.provider !== 'up' || result.attempts.length !== attempts) {
      throw new Error(`unexpected route: ${result.attempts.map((attempt) => attempt.provider).join(' → ')}`);
    }
  };
}

const variants = { direct, complete: viaRouter(single, 1), failover: viaRouter(neverOpens, 2), open: viaRouter(opens, 1) };
type Variant = keyof typeof variants;
const times: Record<Variant, number[]> = { direct: [], complete: [], failover: [], open: [] };

// The first call through `opens` refuses, fails over and opens the circuit; later ones skip it.
await viaRouter(opens, 2)();
const names = Object.keys(variants) as Variant[];
// A fresh order every round (seeded, so runs repeat): a call can leave work behind for the next
// one (a refused connection's error, garbage), and a fixed rotation would always hand it to the
// same neighbour.
let seed = 42;
const random = () => {
  seed = (seed * 1_103_515_245 + 12_345) % 2_147_483_648;
  return seed / 2_147_483_648;
};
for (let index = 0; index < warmup + samples; index += 1) {
  const order = [...names];
  for (let last = order.length - 1; last > 0; last -= 1) {
    const pick = Math.floor(random() * (last + 1));
    [order[last], order[pick]] = [order[pick] as Variant, order[last] as Variant];
  }
  for (const name of order) {
    const started = performance.now();
    await variants[name]();
    if (index >= warmup) times[name].push((performance.now() - started) * 1000);
  }
}

const medianOf = (values: number[]) => {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)] as number;
};
const result = Object.fromEntries(names.map((name) => [name, medianOf(times[name])]));
process.stdout.write(`${JSON.stringify({ samples, ...result })}\n`);
await Promise.all([single.close(), neverOpens.close(), opens.close(), agent.close()]);
