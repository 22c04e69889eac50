// Several `switchboard serve` processes sharing one redis-server, as replicas behind a load
// balancer: each has its own config file (its own usage ledger) and port; all are killed after the test.
import { join } from 'node:path';
import type { TestContext } from 'node:test';
import type { ConfigInput } from '../../src/config/schema.ts';
import { cleanEnv, type RunningCli, startCli, tempDir } from './cli.ts';

export interface Replica {
  name: string;
  url: string;
  cli: RunningCli;
  /** Everything the process logged (JSON lines on stdout, notices on stderr). */
  readonly log: string;
}

/** Starts `count` gateways with `config` (plus `state.redis: redisUrl`), each on a free port. */
export async function startReplicas(t: TestContext, count: number, config: ConfigInput, redisUrl: string): Promise<Replica[]> {
  const directory = await tempDir();
  t.after(() => directory.remove());
  const starting = Array.from({ length: count }, async (_, index) => {
    const name = String.fromCharCode(65 + index);
    const file = await directory.write(
      `replica-${name}.json`,
      JSON.stringify({
        ...config,
        server: { logLevel: 'info', ...config.server, port: 0 },
        usage: { path: join(directory.path, `usage-${name}.db`), flushMs: 100, ...config.usage },
        state: { redis: redisUrl, ...config.state },
      }),
    );
    return serveReplica(t, name, ['--config', file], cleanEnv());
  });
  return Promise.all(starting);
}

/** One chat completion through a replica; the status, the provider that answered and the body. */
export async function ask(
  replica: Replica,
  body: Record<string, unknown> = {},
  headers: Record<string, string> = {},
): Promise<{ status: number; provider: string | null; body: unknown }> {
  const response = await fetch(`${replica.url}/v1/chat/completions`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...headers },
    body: JSON.stringify({ model: 'llama', messages: [{ role: 'user', content: 'hi' }], ...body }),
    signal: AbortSignal.timeout(15_000),
  });
  return { status: response.status, provider: response.headers.get('x-switchboard-provider'), body: await response.json() };
}

/** GET a JSON path of a replica. */
export async function getJson<T>(replica: Replica, path: string, headers: Record<string, string> = {}): Promise<T> {
  const response = await fetch(`${replica.url}${path}`, { headers, signal: AbortSignal.timeout(5000) });
  if (!response.ok) throw new Error(`${path} answered ${response.status}: ${await response.text()}`);
  return (await response.json()) as T;
}

/** Runs `switchboard serve ARGS --no-watch` (killed after the test) and resolves once it listens. */
export async function serveReplica(t: TestContext, name: string, args: string[], env: NodeJS.ProcessEnv): Promise<Replica> {
  const cli = startCli(['serve', ...args, '--no-watch'], { env });
  t.after(() => cli.kill());
  const [, url] = await cli.waitFor(/listening on (http:\/\/127\.0\.0\.1:\d+)/, 90_000);
  return {
    name,
    url: url!,
    cli,
    get log() {
      return cli.stdout + cli.stderr;
    },
  };
}
