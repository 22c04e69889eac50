// `switchboard status [URL]`: a running gateway's status snapshot, as a table.
import { Command } from 'commander';
import type { ModelInfo, ProviderStatus } from '../router/router.ts';
import { type Output, standardOutput } from './output.ts';
import { formatMs, formatTable, oneLine } from './table.ts';

export const defaultGatewayUrl = 'http://127.0.0.1:4000';

export function statusCommand(output: Output = standardOutput): Command {
  return new Command('status')
    .description("print a running gateway's deployments, grouped by provider (from its /status)")
    .argument('[url]', 'the gateway, or just its port', defaultGatewayUrl)
    .option('--json', 'print the raw JSON instead of a table')
    .option('--api-key <key>', 'a gateway key, to see upstream error texts (default: $SWITCHBOARD_API_KEY)')
    .option('--watch', 'follow it: redraw the table every second until Ctrl-C')
    .addHelpText(
      'after',
      '\nExamples:\n  switchboard status\n  switchboard status http://10.0.0.5:4000\n  switchboard status 4001 --json\n  switchboard status --watch',
    )
    .action(async (url: string, options: { json?: boolean; apiKey?: string; watch?: boolean }) => {
      const apiKey = options.apiKey ?? process.env.SWITCHBOARD_API_KEY;
      const settings = { json: options.json, ...(apiKey ? { apiKey } : {}) };
      process.exitCode = options.watch ? await watchStatus(url, output, settings) : await status(url, output, settings);
    });
}

/**
 * `status --watch`: the table again every `intervalMs` until SIGINT or SIGTERM (then 0). On a
 * terminal each draw replaces the last; piped, draws follow one another under a time line. A
 * gateway that cannot be reached is said so and asked again.
 */
export async function watchStatus(
  url: string,
  output: Output = standardOutput,
  options: { json?: boolean | undefined; apiKey?: string } = {},
  intervalMs = 1000,
): Promise<number> {
  const stop = new AbortController();
  const end = () => stop.abort();
  process.once('SIGINT', end);
  process.once('SIGTERM', end);
  const terminal = process.stdout.isTTY === true && output === standardOutput;
  try {
    while (!stop.signal.aborted) {
      const lines: string[] = [];
      await status(url, { out: (line) => lines.push(line), error: (line) => lines.push(line) }, options);
      if (terminal) process.stdout.write('\x1b[H\x1b[2J');
      output.out(`${new Date().toLocaleTimeString()} · every ${intervalMs / 1000} s · Ctrl-C to stop`);
      for (const line of lines) output.out(line);
      if (!terminal) output.out('');
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, intervalMs);
        stop.signal.addEventListener('abort', () => {
          clearTimeout(timer);
          resolve();
        });
      });
    }
  } finally {
    process.off('SIGINT', end);
    process.off('SIGTERM', end);
  }
  return 0;
}

/** `4001` → `http://127.0.0.1:4001`; `host:4000/` → `http://host:4000`; a trailing `/status` is dropped. */
export function gatewayBase(given: string): string {
  let url = given.trim();
  if (/^\d+$/.test(url)) url = `127.0.0.1:${url}`;
  if (!/^https?:\/\//i.test(url)) url = `http://${url}`;
  return url.replace(/\/+$/, '').replace(/\/status$/, '');
}

/** What `/status` answers, however the gateway nests it. */
export interface StatusSnapshot {
  /** `deployments` is absent in the answer of a gateway from before deployments. */
  providers: (Omit<ProviderStatus, 'deployments'> & { deployments?: ProviderStatus['deployments'] })[];
  models: ModelInfo[];
}

export function readSnapshot(body: unknown): StatusSnapshot {
  const root = (body ?? {}) as { providers?: unknown; models?: unknown };
  const source = root.providers ?? body;
  const providers = (Array.isArray(source) ? source : Object.values(source ?? {})).filter(
    (entry): entry is ProviderStatus => entry !== null && typeof entry === 'object' && 'state' in entry,
  );
  const models = Array.isArray(root.models) ? (root.models as ModelInfo[]) : [];
  return { providers, models };
}

/**
 * Fetches and prints the status; returns the exit code (1 when the gateway cannot be reached).
 * Without `apiKey` a gateway that has keys tells each last error by its kind and status only.
 */
export async function status(
  url: string,
  output: Output = standardOutput,
  options: { json?: boolean | undefined; apiKey?: string } = {},
): Promise<number> {
  const base = gatewayBase(url);
  let body: unknown;
  try {
    const headers: Record<string, string> = options.apiKey ? { authorization: `Bearer ${options.apiKey}` } : {};
    const response = await fetch(`${base}/status`, { headers, signal: AbortSignal.timeout(5000) });
    if (!response.ok) {
      output.error(`${base}/status answered ${response.status}: ${oneLine(await response.text(), 200)}`);
      return 1;
    }
    body = await response.json();
  } catch (error) {
    const cause = (error as { cause?: { code?: string } }).cause?.code ?? (error as Error).message;
    output.error(`cannot reach a gateway at ${base} (${cause}); is \`switchboard serve\` running there?`);
    return 1;
  }
  if (options.json) {
    output.out(JSON.stringify(body, null, 2));
    return 0;
  }
  const snapshot = readSnapshot(body);
  const now = Date.now();
  // One row per deployment, a provider's together; a gateway too old to list them gives one per provider.
  const rows = snapshot.providers.flatMap((provider) =>
    (provider.deployments ?? [{ ...provider, id: provider.name, nextProbeAt: provider.cooldownUntil }]).map((deployment) => [
      deployment.id,
      deployment.state + (deployment.rateLimitedUntil ? ` (rate-limited ${untilText(deployment.rateLimitedUntil, now)})` : ''),
      String(provider.priority),
      formatMs(deployment.latencyEmaMs),
      String(deployment.requests),
      String(deployment.errors),
      deployment.nextProbeAt ? untilText(deployment.nextProbeAt, now) : '-',
      deployment.lastError ? oneLine(deployment.lastError, 80) : '',
    ]),
  );
  output.out(`gateway  ${base}`);
  if (snapshot.models.length > 0) {
    output.out(`models   ${snapshot.models.map((model) => `${model.id} → ${model.providers.join(', ')}`).join('; ')}`);
  }
  const state = stateLine(body);
  if (state !== undefined) output.out(`state    ${state}`);
  output.out('');
  const headers = ['DEPLOYMENT', 'STATE', 'PRIORITY', 'LATENCY EMA', 'REQUESTS', 'ERRORS', 'NEXT PROBE', 'LAST ERROR'];
  for (const line of formatTable(headers, rows)) output.out(line);
  const deployments = snapshot.providers.flatMap((provider) => provider.deployments ?? []);
  const serving = deployments.filter((deployment) => deployment.healthy).length;
  const healthy = snapshot.providers.filter((provider) => provider.healthy).length;
  output.out(
    `${deployments.length > 0 ? `${serving} of ${deployments.length} deployments, ` : ''}` +
      `${healthy} of ${snapshot.providers.length} providers in service`,
  );
  return 0;
}

/** `redis://***@host:6379, shared, connected`, or why not; undefined from a gateway that does not say. */
function stateLine(body: unknown): string | undefined {
  const state = (
    body as { state?: { backend?: string; shared?: boolean; connected?: boolean; location?: string; error?: string | null } }
  )?.state;
  if (state === undefined || typeof state.backend !== 'string') return undefined;
  if (!state.shared) return state.backend;
  const where = state.location ?? state.backend;
  if (state.connected) return `${where}, shared with the other replicas`;
  return `${where} UNREACHABLE: serving from local state${state.error ? ` (${oneLine(state.error, 80)})` : ''}`;
}

function untilText(at: number, now: number): string {
  return `${Math.max(0, Math.ceil((at - now) / 1000))} s`;
}
