// What the demo shows: a frame redrawn in place on a terminal, or plain lines when stdout is
// a pipe or a file. Rendering is pure (view → lines); LiveScreen does the redrawing.
import { type DemoEvent, eventLabels } from '../demo/events.ts';
import type { OutageMode } from '../demo/simulator.ts';
import type { ProviderStatus } from '../router/router.ts';
import { formatMs, formatTable, visibleLength } from './table.ts';

export interface ProviderRow {
  name: string;
  priority: number;
  /** The latency the simulator is set to. */
  simulatedMs: number;
  upstream: 'up' | OutageMode;
}

export interface TrafficStats {
  sent: number;
  streamed: number;
  answered: number;
  failed: number;
  failovers: number;
}

export interface DemoView {
  startedAt: number;
  now: number;
  gatewayUrl: string;
  model: string;
  providers: ProviderRow[];
  snapshot: Readonly<Record<string, ProviderStatus>>;
  traffic: TrafficStats;
  events: readonly DemoEvent[];
  /** What the script does next, e.g. "fast goes down in 3 s". */
  next: string | null;
  /** The last frame: no "next", no "Ctrl-C to stop". */
  stopped?: boolean;
}

export interface Style {
  color: boolean;
}

const codes = { red: 31, green: 32, yellow: 33, dim: 2, bold: 1, cyan: 36 } as const;

function paint(text: string, code: keyof typeof codes, style: Style): string {
  return style.color ? `\x1b[${codes[code]}m${text}\x1b[0m` : text;
}

const stateColor = { closed: 'green', 'half-open': 'yellow', degraded: 'yellow', open: 'red' } as const;
const eventColor: Partial<Record<DemoEvent['kind'], keyof typeof codes>> = {
  'provider-down': 'red',
  'circuit-open': 'red',
  'request-fail': 'red',
  'provider-up': 'green',
  'circuit-close': 'green',
  'circuit-half-open': 'yellow',
  'request-failover': 'cyan',
};

/** The lines that say where things are: printed once in plain mode, on top of every frame live. */
export function renderBanner(view: DemoView, style: Style): string[] {
  const body = JSON.stringify({ model: view.model, messages: [{ role: 'user', content: 'hi' }] });
  // No content-type needed: the gateway reads any body as JSON, as OpenAI does.
  return [
    `${paint('Switchboard demo', 'bold', style)}: three simulated providers behind the gateway (no keys, no network)`,
    `  gateway      ${view.gatewayUrl}/v1   (any OpenAI client: set baseURL to this)`,
    `  status page  ${paint(`${view.gatewayUrl}/`, 'cyan', style)}`,
    `  try          curl -s ${view.gatewayUrl}/v1/chat/completions -d '${body}'`,
  ];
}

export function renderTable(view: DemoView, style: Style): string[] {
  const rows = view.providers.map((row) => {
    const status = view.snapshot[row.name];
    const upstream =
      row.upstream === 'up'
        ? paint('up', 'green', style)
        : paint(row.upstream === 'refuse' ? 'down (refusing)' : 'down (503)', 'red', style);
    const state = status ? paint(status.state, stateColor[status.state], style) : '-';
    return [
      row.name,
      String(row.priority),
      `~${row.simulatedMs} ms`,
      upstream,
      state,
      formatMs(status?.latencyEmaMs),
      String(status?.requests ?? 0),
      String(status?.errors ?? 0),
    ];
  });
  return formatTable(['PROVIDER', 'PRIORITY', 'SIMULATED', 'UPSTREAM', 'STATE', 'LATENCY EMA', 'REQUESTS', 'FAILURES'], rows);
}

export function formatEvent(event: DemoEvent, startedAt: number, style: Style): string {
  return formatLine(event.at, startedAt, eventLabels[event.kind], event.message, style, eventColor[event.kind]);
}

/** `   5.2s  label      message`: the shape of every plain output line after the banner. */
export function formatLine(
  at: number,
  startedAt: number,
  label: string,
  message: string,
  style: Style,
  color?: keyof typeof codes,
): string {
  const elapsed = `${((at - startedAt) / 1000).toFixed(1)}s`.padStart(7);
  const padded = label.padEnd(9);
  return `${paint(elapsed, 'dim', style)}  ${color ? paint(padded, color, style) : padded}  ${message}`;
}

function trafficLine(view: DemoView): string {
  const { traffic } = view;
  const seconds = Math.max(1, (view.now - view.startedAt) / 1000);
  return (
    `traffic  ${traffic.sent} requests (${traffic.streamed} streamed, ${(traffic.sent / seconds).toFixed(1)}/s): ` +
    `${traffic.answered} answered, ${traffic.failed} failed, ${traffic.failovers} failed over`
  );
}

/** A whole frame for the terminal, cut to `rows` lines of `columns` characters. */
export function renderFrame(view: DemoView, style: Style, size: { rows: number; columns: number }): string[] {
  const elapsed = Math.round((view.now - view.startedAt) / 1000);
  const top = [...renderBanner(view, style), '', ...renderTable(view, style), '', trafficLine(view)];
  top[0] = `${top[0]}  ${paint(`${elapsed} s`, 'dim', style)}`;
  if (view.next && !view.stopped) top.push(`next     ${view.next}`);
  top.push('', paint('events', 'bold', style));
  const bottom = view.stopped ? [] : [paint('Ctrl-C to stop', 'dim', style)];
  const room = Math.max(3, size.rows - 1 - top.length - bottom.length);
  const events = view.events.slice(-room).map((event) => `  ${formatEvent(event, view.startedAt, style)}`);
  if (events.length === 0) events.push(paint('  (none yet)', 'dim', style));
  return [...top, ...events, ...bottom].map((line) => fit(line, size.columns - 1));
}

/** One line of the table for plain output. */
export function statusLine(view: DemoView): string {
  const providers = view.providers.map((row) => {
    const status = view.snapshot[row.name];
    const upstream = row.upstream === 'up' ? '' : ' [down]';
    return `${row.name} ${status?.state ?? '-'}${upstream} ${formatMs(status?.latencyEmaMs)} ${status?.requests ?? 0} req ${status?.errors ?? 0} fail`;
  });
  return `${providers.join(' | ')} · ${trafficLine(view).replace(/^traffic {2}/, '')}`;
}

/** Cuts a line to `width` visible characters, keeping colour codes whole. */
function fit(line: string, width: number): string {
  if (visibleLength(line) <= width) return line;
  let visible = 0;
  let result = '';
  for (let index = 0; index < line.length && visible < width - 1; index++) {
    if (line[index] === '\x1b') {
      const end = line.indexOf('m', index);
      result += line.slice(index, end + 1);
      index = end;
      continue;
    }
    result += line[index];
    visible += 1;
  }
  return `${result}…\x1b[0m`;
}

/** Redraws a block of lines in place: cursor up over the last frame, rewrite, clear the rest. */
export class LiveScreen {
  #lines = 0;
  readonly #stream: NodeJS.WriteStream;
  readonly #restore = () => this.#stream.write('\x1b[?25h');

  constructor(stream: NodeJS.WriteStream) {
    this.#stream = stream;
    stream.write('\x1b[?25l');
    process.once('exit', this.#restore);
  }

  get size(): { rows: number; columns: number } {
    return { rows: this.#stream.rows || 40, columns: this.#stream.columns || 120 };
  }

  draw(lines: string[]): void {
    const up = this.#lines > 0 ? `\x1b[${this.#lines}F` : '';
    this.#stream.write(`${up}${lines.map((line) => `${line}\x1b[K`).join('\n')}\n\x1b[J`);
    this.#lines = lines.length;
  }

  /** Leaves the last frame on screen and gives the cursor back. */
  close(): void {
    this.#restore();
    process.off('exit', this.#restore);
  }
}
