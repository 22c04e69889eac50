// `switchboard demo`: three simulated providers, the gateway in front of them, steady traffic
// through it, and an outage every so often, shown live. No keys, no network.
import { createServer } from 'node:net';
import { Command, InvalidArgumentError } from 'commander';
import { type Config, parseConfig } from '../config/schema.ts';
import { circuitEvents, type DemoEvent, type RequestOutcome, RouteWatch, requestEvent } from '../demo/events.ts';
import {
  demoModel,
  demoProviders,
  describeStep,
  nameList,
  type Step,
  stepAt,
  type Timeline,
  timelineFor,
} from '../demo/script.ts';
import type { Simulator } from '../demo/simulator.ts';
import type { Gateway } from '../gateway/server.ts';
import type { ProviderStatus } from '../router/router.ts';
import { MemoryStore } from '../state/memory.ts';
import {
  type DemoView,
  formatEvent,
  formatLine,
  LiveScreen,
  renderBanner,
  renderFrame,
  renderTable,
  statusLine,
} from './demo-view.ts';
import { parsePort } from './serve.ts';

export interface DemoOptions {
  /** Gateway port; default 4000 or the next free one. */
  port?: number;
  /** Stop by itself after this many seconds. */
  duration?: number;
}

const firstPort = 4000;
const snapshotEveryMs = 200;
const plainStatusEveryMs = 5000;

export function demoCommand(): Command {
  return new Command('demo')
    .description('watch failover happen: simulated providers, live traffic, an outage and a recovery (no keys needed)')
    .option('-p, --port <port>', `gateway port (default ${firstPort}, or the next free one)`, parsePort)
    .option('-d, --duration <seconds>', 'stop by itself after this many seconds', parseSeconds)
    .addHelpText(
      'after',
      '\nStarts "fast" (~20 ms), "slower" (~80 ms) and "fallback" (~150 ms) on 127.0.0.1, all serving\n' +
        `${demoModel}, and the gateway in front of them; sends a few requests a second; takes "fast"\n` +
        'down after ~5 s for ~10 s (refusing connections) and brings it back; then again with "fast"\n' +
        'answering 503, then with "fast" and "slower" both down so "fallback" answers; round and\n' +
        'round until Ctrl-C. A live table on a terminal, plain log lines otherwise.',
    )
    .action(async (options: DemoOptions) => {
      process.exitCode = await demo(options);
    });
}

function parseSeconds(value: string): number {
  const seconds = Number(value);
  if (!Number.isFinite(seconds) || seconds <= 0) throw new InvalidArgumentError('expected a number of seconds above 0');
  return seconds;
}

/** The gateway config for the simulators: frequent health checks, so recovery shows. */
export function demoConfig(simulators: readonly Simulator[], port: number): Config {
  return parseConfig({
    server: { port, host: '127.0.0.1', drainMs: 2000, logLevel: 'silent' },
    // Simulated traffic has no place in the user's usage ledger.
    usage: { enabled: false },
    providers: Object.fromEntries(
      demoProviders.map((spec, index) => [
        spec.name,
        {
          protocol: 'openai',
          baseUrl: simulators[index]!.url,
          auth: 'none',
          priority: spec.priority,
          models: { [demoModel]: demoModel },
        },
      ]),
    ),
    routing: {
      strategy: 'priority',
      failureThreshold: 3,
      healthCheck: { intervalMs: 2000, timeoutMs: 1000 },
      timeouts: { connectMs: 1000, firstTokenMs: 3000, idleMs: 3000, totalMs: 10_000 },
      retryDelayMs: 20,
    },
  });
}

/** Runs the demo until a signal or `duration`; returns the exit code. */
export async function demo(options: DemoOptions, stdout: NodeJS.WriteStream = process.stdout): Promise<number> {
  // Loaded here, not at the top: every command loads this file, and the simulator's ESM import of
  // node:http brings Node's bundled fetch with it (13 MB of RSS that `serve` does without).
  const [{ startSimulator }, { startTraffic }] = await Promise.all([
    import('../demo/simulator.ts'),
    import('../demo/traffic.ts'),
  ]);
  const simulators = await Promise.all(
    demoProviders.map((spec) => startSimulator({ name: spec.name, latencyMs: spec.latencyMs })),
  );
  let gateway: Gateway;
  try {
    gateway = await startOnFreePort(simulators, options.port);
  } catch (error) {
    await Promise.all(simulators.map((simulator) => simulator.close()));
    const code = (error as NodeJS.ErrnoException).code;
    process.stderr.write(
      code === 'EADDRINUSE'
        ? `port ${options.port} is in use; pass another --port\n`
        : `cannot start: ${(error as Error).message}\n`,
    );
    return 1;
  }
  const gatewayUrl = gateway.url.replace(/\/+$/, '');
  const live = stdout.isTTY === true;
  const style = { color: live && !process.env.NO_COLOR };
  const startedAt = Date.now();
  const timeline: Timeline = timelineFor(options.duration === undefined ? undefined : options.duration * 1000);
  const events: DemoEvent[] = [];
  const traffic = { sent: 0, streamed: 0, answered: 0, failed: 0, failovers: 0 };
  let snapshot: Record<string, ProviderStatus> = gateway.router.status();
  let nextStep = 0;

  const view = (): DemoView => ({
    startedAt,
    now: Date.now(),
    gatewayUrl,
    model: demoModel,
    providers: demoProviders.map((spec, index) => ({
      name: spec.name,
      priority: spec.priority,
      simulatedMs: spec.latencyMs,
      upstream: simulators[index]!.mode,
    })),
    snapshot,
    traffic,
    events,
    next: nextText(stepAt(nextStep, timeline), timeline, startedAt),
  });

  const screen = live ? new LiveScreen(stdout) : undefined;
  const write = (line: string) => stdout.write(`${line}\n`);
  const emit = (event: DemoEvent) => {
    events.push(event);
    if (events.length > 200) events.splice(0, events.length - 200);
    if (!screen) write(formatEvent(event, startedAt, style));
  };
  if (!screen) {
    for (const line of [...renderBanner(view(), style), '', ...renderTable(view(), style), '']) write(line);
  }

  const routes = new RouteWatch();
  const client = startTraffic({
    gatewayUrl,
    model: demoModel,
    intervalMs: 250,
    timeoutMs: 15_000,
    onOutcome(outcome: RequestOutcome) {
      traffic.sent = client.sent;
      if (outcome.streamed) traffic.streamed += 1;
      if (outcome.ok) traffic.answered += 1;
      else traffic.failed += 1;
      if (outcome.ok && outcome.attempts > 1) traffic.failovers += 1;
      const now = Date.now();
      const told = requestEvent(outcome, now);
      if (told) emit(told);
      const route = routes.observe(outcome, now);
      if (route) emit(route);
    },
  });

  const watchStatus = setInterval(() => {
    const next = gateway.router.status();
    for (const event of circuitEvents(snapshot, next, Date.now())) emit(event);
    snapshot = next;
    traffic.sent = client.sent;
  }, snapshotEveryMs);
  const redraw = screen
    ? setInterval(() => screen.draw(renderFrame(view(), style, screen.size)), snapshotEveryMs)
    : setInterval(() => write(formatLine(Date.now(), startedAt, 'status', statusLine(view()), style)), plainStatusEveryMs);

  // The script: one timer at a time, each step scheduling the next.
  let stepTimer: NodeJS.Timeout | undefined;
  let stopping = false;
  const runStep = async (step: Step) => {
    const affected = simulators.filter((simulator) => step.outage.providers.includes(simulator.name));
    if (step.action === 'down') {
      emit({ at: Date.now(), kind: 'provider-down', message: `${describeStep(step, timeline)} (simulated outage)` });
      await Promise.all(affected.map((simulator) => simulator.goDown(step.outage.mode)));
    } else {
      await Promise.all(affected.map((simulator) => simulator.comeBack()));
      const who = nameList(step.outage.providers);
      emit({
        at: Date.now(),
        kind: 'provider-up',
        message: `${who} back up; the gateway notices on its next health check or trial request`,
      });
    }
  };
  const scheduleStep = () => {
    if (stopping) return;
    const step = stepAt(nextStep, timeline);
    stepTimer = setTimeout(
      () => {
        nextStep += 1;
        runStep(step).then(scheduleStep, scheduleStep);
      },
      Math.max(0, startedAt + step.atMs - Date.now()),
    );
  };
  scheduleStep();

  // Until Ctrl-C, SIGTERM or the duration.
  let durationTimer: NodeJS.Timeout | undefined;
  let onSignal: ((signal: NodeJS.Signals) => void) | undefined;
  const reason = await new Promise<string>((resolve) => {
    onSignal = (signal) => resolve(signal);
    process.on('SIGINT', onSignal);
    process.on('SIGTERM', onSignal);
    if (options.duration !== undefined) {
      durationTimer = setTimeout(() => resolve(`${options.duration} s are up`), options.duration * 1000);
    }
  });
  process.off('SIGINT', onSignal!);
  process.off('SIGTERM', onSignal!);
  clearTimeout(durationTimer);
  // A second Ctrl-C while shutting down: stop waiting.
  const forceExit = () => process.exit(1);
  process.once('SIGINT', forceExit);
  process.once('SIGTERM', forceExit);

  stopping = true;
  clearTimeout(stepTimer);
  clearInterval(redraw);
  await client.stop(2000);
  clearInterval(watchStatus);
  const final = gateway.router.status();
  for (const event of circuitEvents(snapshot, final, Date.now())) emit(event);
  snapshot = final;
  traffic.sent = client.sent;
  if (screen) {
    screen.draw(renderFrame({ ...view(), stopped: true }, style, screen.size));
    screen.close();
  } else {
    write('');
    for (const line of renderTable(view(), style)) write(line);
  }
  await gateway.close(1000);
  await Promise.all(simulators.map((simulator) => simulator.close()));
  const seconds = ((Date.now() - startedAt) / 1000).toFixed(1);
  write(
    `demo stopped (${reason}) after ${seconds} s: ${traffic.sent} requests, ${traffic.answered} answered, ` +
      `${traffic.failed} failed, ${traffic.failovers} failed over without the client noticing`,
  );
  process.off('SIGINT', forceExit);
  process.off('SIGTERM', forceExit);
  // Nothing should be left holding the event loop; if something is, do not wait on it.
  setTimeout(() => process.exit(process.exitCode ?? 0), 1000).unref();
  return 0;
}

function nextText(step: Step, timeline: Timeline, startedAt: number): string {
  const inMs = Math.max(0, startedAt + step.atMs - Date.now());
  return `${describeStep(step, timeline).replace(/ for \d+ s$/, '')} in ${Math.ceil(inMs / 1000)} s`;
}

/** Port 4000 or the next free one (unless a port was given), then the gateway on it. */
async function startOnFreePort(simulators: readonly Simulator[], port: number | undefined): Promise<Gateway> {
  const { startGateway } = await import('../gateway/server.ts');
  for (let tries = 0; ; tries++) {
    const chosen = port ?? (await findFreePort(firstPort));
    try {
      // Its own memory store: a REDIS_URL in the environment must not carry simulated failures to real gateways.
      const store = new MemoryStore();
      return await startGateway({
        config: demoConfig(simulators, chosen),
        port: chosen,
        host: '127.0.0.1',
        logger: false,
        store,
      });
    } catch (error) {
      // Another process took the port between the look and the bind: look again.
      if (port !== undefined || tries >= 3 || (error as NodeJS.ErrnoException).code !== 'EADDRINUSE') throw error;
    }
  }
}

async function findFreePort(from: number): Promise<number> {
  for (let port = from; port < from + 100; port++) {
    if (await canListen(port)) return port;
  }
  return 0;
}

function canListen(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const server = createServer();
    server.once('error', () => resolve(false));
    server.listen(port, '127.0.0.1', () => server.close(() => resolve(true)));
  });
}
