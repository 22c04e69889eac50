// A scripted OpenAI-compatible upstream for tests: a real HTTP server on 127.0.0.1:0 that
// answers each request with the next script entry (JSON, raw text, SSE, a reset or a hang)
// and records what it was sent. Fixture builders follow OpenAI's public API reference.
import { EventEmitter, once } from 'node:events';
import { createServer, type ServerResponse } from 'node:http';
import { type AddressInfo, createServer as createNetServer, type Socket } from 'node:net';
import { performance } from 'node:perf_hooks';
import { text as readText } from 'node:stream/consumers';
import { setTimeout as sleep } from 'node:timers/promises';
import type { ChatChunk, ChatResponse, FinishReason, ToolCall, Usage } from '../../src/protocol/chat.ts';

type HeaderMap = Record<string, string>;
interface Answer {
  status?: number;
  headers?: HeaderMap;
  /** Wait before the status line (a slow first byte). */
  delayMs?: number;
}

/**
 * What one request gets. `sse` items that are strings go out verbatim; objects as `data: JSON\n\n`.
 * `cutAfter` N: N events, then the socket is dropped (no chunked terminator, no [DONE]).
 * `stallAfter` N: N events, then silence until either side closes. `done` (default true) appends
 * `data: [DONE]`. `splitPackets` writes each event in 3 pieces, the first cut inside `data:`.
 * 'reset' reads the request and answers with a TCP RST; 'hang' reads it and never answers.
 */
export type ScriptEntry =
  | (Answer & { json?: unknown })
  | (Answer & { text: string })
  | (Answer & {
      sse: Array<string | object>;
      chunkDelayMs?: number;
      cutAfter?: number;
      stallAfter?: number;
      done?: boolean;
      crlf?: boolean;
      splitPackets?: boolean;
    })
  | 'reset'
  | 'hang'
  | ((request: RecordedRequest) => ScriptEntry);

export interface RecordedRequest {
  method: string;
  path: string;
  headers: Record<string, string | string[] | undefined>;
  /** Parsed JSON, or the raw text when the body is not JSON ('' when empty). */
  // biome-ignore lint/suspicious/noExplicitAny: tests read whatever fields the client sent
  body: any;
  /** `performance.now()` when the request headers arrived. */
  receivedAt: number;
  /** True when the client closed the connection before the response finished. */
  closedEarly: boolean;
}

export interface Upstream {
  /** Base URL ending in `/v1`, e.g. `http://127.0.0.1:40123/v1`. */
  url: string;
  requests: RecordedRequest[];
  /** Entries still to be answered, consumed one per request; push more at any time. */
  script: ScriptEntry[];
  /** Answers requests once `script` is empty; default `{ json: completion('ok') }`. */
  fallback: ScriptEntry;
  /** How many TCP connections to this server have closed, by either side. */
  closedConnections: number;
  /** Destroys every connection (hung ones too) and stops listening; safe to call twice. */
  close(): Promise<void>;
  /** Resolves once the connection that carried request #index (0-based) has closed; rejects after `timeoutMs` (1000). */
  waitForClose(index: number, timeoutMs?: number): Promise<void>;
}

interface Exchange {
  record: RecordedRequest;
  response: ServerResponse;
  /** Set when the emulator itself ends the connection (cut, reset, close()), so it is not blamed on the client. */
  serverClosed: boolean;
  signal: AbortSignal;
}

/** Starts an emulator on 127.0.0.1 with a free port. Call `close()` when the test ends. */
export async function startUpstream(script: ScriptEntry[] = [], options: { fallback?: ScriptEntry } = {}): Promise<Upstream> {
  const exchanges: Exchange[] = [];
  const bySocket = new Map<Socket, { indexes: number[]; abort: AbortController }>();
  const closedIndexes = new Set<number>();
  const events = new EventEmitter();
  let closing: Promise<void> | undefined;

  const server = createServer(async (request, response) => {
    const receivedAt = performance.now();
    const raw = await readText(request).catch(() => undefined);
    const connection = bySocket.get(request.socket);
    if (raw === undefined || !connection) return; // the client went away mid-body
    const record: RecordedRequest = {
      method: request.method ?? '',
      path: request.url ?? '',
      headers: request.headers,
      body: parseBody(raw),
      receivedAt,
      closedEarly: false,
    };
    const exchange: Exchange = { record, response, serverClosed: false, signal: connection.abort.signal };
    upstream.requests.push(record);
    connection.indexes.push(exchanges.push(exchange) - 1);
    let entry = upstream.script.length > 0 ? upstream.script.shift()! : upstream.fallback;
    for (let depth = 0; typeof entry === 'function' && depth < 10; depth++) entry = entry(record);
    await answer(entry, exchange).catch(() => {
      if (!exchange.signal.aborted) response.destroy(); // a wait was cut short by the connection closing
    });
  });

  server.on('connection', (socket: Socket) => {
    const connection = { indexes: [] as number[], abort: new AbortController() };
    bySocket.set(socket, connection);
    socket.on('close', () => {
      bySocket.delete(socket);
      connection.abort.abort();
      upstream.closedConnections++;
      for (const index of connection.indexes) {
        const exchange = exchanges[index]!;
        if (!exchange.response.writableFinished && !exchange.serverClosed) exchange.record.closedEarly = true;
        closedIndexes.add(index);
        events.emit(`close ${index}`);
      }
    });
  });

  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;

  const upstream: Upstream = {
    url: `http://127.0.0.1:${port}/v1`,
    requests: [],
    script: [...script],
    fallback: options.fallback ?? { json: completion('ok') },
    closedConnections: 0,
    close() {
      if (closing) return closing;
      for (const exchange of exchanges) exchange.serverClosed = true;
      const sockets = [...bySocket.keys()];
      // Wait for every socket's own 'close' too, so `closedConnections` is final when this resolves.
      const closed = sockets.map((socket) => new Promise((resolve) => socket.once('close', resolve)));
      closing = Promise.all([new Promise((resolve) => server.close(resolve)), ...closed]).then(() => {});
      server.closeAllConnections();
      for (const socket of sockets) socket.destroy();
      return closing;
    },
    async waitForClose(index, timeoutMs = 1000) {
      if (closedIndexes.has(index)) return;
      await once(events, `close ${index}`, { signal: AbortSignal.timeout(timeoutMs) }).catch(() => {
        throw new Error(`upstream: connection of request #${index} still open after ${timeoutMs} ms`);
      });
    },
  };
  return upstream;
}

async function answer(entry: ScriptEntry, exchange: Exchange): Promise<void> {
  const { response, signal } = exchange;
  const socket = response.socket!;
  // 'hang' (or a dynamic chain over 10 deep): the socket is held until either side closes it.
  if (entry === 'hang' || typeof entry === 'function') return;
  if (entry === 'reset') {
    exchange.serverClosed = true;
    socket.resetAndDestroy(); // RST instead of FIN: the client sees ECONNRESET
    return;
  }
  if (entry.delayMs) await sleep(entry.delayMs, undefined, { signal });
  const headers = lowercaseKeys(entry.headers ?? {});
  if ('text' in entry) {
    respond(response, entry.status, { 'content-type': 'text/plain; charset=utf-8', ...headers }, entry.text);
  } else if ('sse' in entry) {
    // OpenAI sends `text/event-stream; charset=utf-8`; clients must accept the parameter.
    response.writeHead(entry.status ?? 200, {
      'content-type': 'text/event-stream; charset=utf-8',
      'cache-control': 'no-cache',
      ...headers,
    });
    response.flushHeaders();
    const ends = entry.cutAfter === undefined && entry.stallAfter === undefined;
    const events = entry.sse
      .slice(0, entry.cutAfter ?? entry.stallAfter)
      .map((event) => (typeof event === 'string' ? event : formatEvent(JSON.stringify(event), entry.crlf)));
    if (ends && (entry.done ?? true)) events.push(formatEvent('[DONE]', entry.crlf));
    for (const [index, event] of events.entries()) {
      if (index > 0 && entry.chunkDelayMs) await sleep(entry.chunkDelayMs, undefined, { signal });
      if (entry.splitPackets) {
        for (const [part, piece] of splitEvent(event).entries()) {
          if (part > 0) await sleep(2, undefined, { signal });
          await write(response, piece);
        }
      } else {
        await write(response, event);
      }
    }
    if (entry.cutAfter !== undefined) {
      exchange.serverClosed = true;
      socket.end(() => socket.destroy()); // flush what was written, then drop: no chunked terminator
    } else if (ends) {
      response.end();
    } // else stall: hold the socket until either side closes it
  } else {
    const body = entry.json === undefined ? '' : JSON.stringify(entry.json);
    respond(response, entry.status, { 'content-type': 'application/json', ...headers }, body);
  }
}

function respond(response: ServerResponse, status = 200, headers: HeaderMap, body: string): void {
  response.writeHead(status, { 'content-length': String(Buffer.byteLength(body)), ...headers });
  response.end(body);
}

function formatEvent(data: string, crlf = false): string {
  return crlf ? `data: ${data}\r\n\r\n` : `data: ${data}\n\n`;
}

/** Cuts an event inside its `data:` field name and again halfway, so parsers must buffer across reads. */
function splitEvent(event: string): string[] {
  const half = Math.floor(event.length / 2);
  return event.length < 8 ? [event] : [event.slice(0, 3), event.slice(3, half), event.slice(half)];
}

function write(response: ServerResponse, text: string): Promise<void> {
  return new Promise((resolve, reject) => response.write(text, (error) => (error ? reject(error) : resolve())));
}

function parseBody(raw: string): unknown {
  try {
    return JSON.parse(raw);
  } catch {
    return raw;
  }
}

function lowercaseKeys(headers: HeaderMap): HeaderMap {
  return Object.fromEntries(Object.entries(headers).map(([name, value]) => [name.toLowerCase(), value]));
}

/** A `http://127.0.0.1:PORT/v1` URL where nothing listens: the port was bound, then released. */
export async function refusingUrl(): Promise<string> {
  const server = createNetServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return `http://127.0.0.1:${port}/v1`;
}

// Fixed id and timestamp so fixtures can go into inline snapshots.
const created = 1_700_000_000;
const defaultModel = 'gpt-4o-mini';

function usageFor(completionTokens: number, override: Partial<Usage> = {}): Usage {
  const usage = { prompt_tokens: 5, completion_tokens: completionTokens, ...override };
  return { ...usage, total_tokens: override.total_tokens ?? usage.prompt_tokens + usage.completion_tokens };
}

/** Splits text into words that keep their leading spaces: 'Hi there' → ['Hi', ' there']. */
function words(text: string): string[] {
  return text.split(/(?<=\S)(?=\s)/).filter((word) => word !== '');
}

/** A non-streaming `chat.completion` answering `text` (content is null when only tool calls are given). */
export function completion(
  text: string,
  options: { model?: string; usage?: Partial<Usage>; finishReason?: string; toolCalls?: ToolCall[] } = {},
): ChatResponse {
  const { toolCalls } = options;
  const content = text === '' && toolCalls ? null : text;
  return {
    id: 'chatcmpl-emulator',
    object: 'chat.completion',
    created,
    model: options.model ?? defaultModel,
    choices: [
      {
        index: 0,
        message: { role: 'assistant', content, ...(toolCalls && { tool_calls: toolCalls }), refusal: null },
        logprobs: null,
        finish_reason: (options.finishReason ?? (toolCalls ? 'tool_calls' : 'stop')) as FinishReason,
      },
    ],
    usage: usageFor(Math.max(1, words(text).length), options.usage),
    system_fingerprint: null,
  };
}

/** OpenAI's error body: `{ error: { message, type, param, code } }`. */
export function openaiError(message: string, type: string, code: string | null = null, param: string | null = null) {
  return { error: { message, type, param, code } };
}

/**
 * The chunks of a streamed answer: a role chunk, one chunk per piece (a string is split into
 * words), a `finish_reason: 'stop'` chunk, and with `usage` a last chunk with `choices: []`
 * (the other chunks then carry `usage: null`, as with `stream_options.include_usage`).
 */
export function textChunks(text: string | string[], options: { model?: string; usage?: boolean; id?: string } = {}): ChatChunk[] {
  const pieces = typeof text === 'string' ? words(text) : text;
  const chunk = (choices: ChatChunk['choices']): ChatChunk => ({
    id: options.id ?? 'chatcmpl-emulator',
    object: 'chat.completion.chunk',
    created,
    model: options.model ?? defaultModel,
    system_fingerprint: null,
    choices,
    ...(options.usage && { usage: null }),
  });
  const delta = (content: ChatChunk['choices'][number]['delta'], finish: FinishReason | null = null) =>
    chunk([{ index: 0, delta: content, logprobs: null, finish_reason: finish }]);
  const chunks = [delta({ role: 'assistant', content: '' }), ...pieces.map((content) => delta({ content })), delta({}, 'stop')];
  if (options.usage) chunks.push({ ...chunk([]), usage: usageFor(pieces.length) });
  return chunks;
}

/** The text a request asks to be continued: a final assistant message, or one followed by a request to continue. */
function partialTurn(request: RecordedRequest): string | undefined {
  const messages: Array<{ role?: unknown; content?: unknown }> = Array.isArray(request.body?.messages)
    ? request.body.messages
    : [];
  const last = messages.at(-1);
  const before = messages.at(-2);
  if (last?.role === 'assistant' && typeof last.content === 'string') return last.content;
  if (last?.role === 'user' && before?.role === 'assistant' && typeof before.content === 'string') {
    const ask = typeof last.content === 'string' ? last.content : '';
    if (/continue/i.test(ask)) return before.content;
  }
  return undefined;
}

/**
 * An upstream that talks like a real model: each fresh request (a restart too) is answered with
 * the next of `answers`, so the same question gets different words each time; a request to
 * continue a partial answer (a prefill, or the partial answer followed by an instruction to
 * continue) gets the rest of whichever answer it began, or of the first when it began none.
 * `cutFirstAfter` N: the first fresh answer is cut after N events (a broken stream).
 * `echo` N: a continuation first repeats the last N characters it was shown, as models sometimes do.
 * Use it as an emulator's `fallback` so it answers every request.
 */
export function talkingModel(answers: string[], options: { cutFirstAfter?: number; echo?: number } = {}): ScriptEntry {
  let fresh = 0;
  return (request) => {
    const partial = partialTurn(request);
    if (partial === undefined) {
      const text = answers[fresh % answers.length]!;
      const cut = fresh === 0 ? options.cutFirstAfter : undefined;
      fresh += 1;
      return { sse: textChunks(text), ...(cut !== undefined && { cutAfter: cut }) };
    }
    const begun = answers.find((answer) => answer.startsWith(partial));
    const rest = begun === undefined ? answers[0]! : begun.slice(partial.length);
    const echoed = options.echo ? partial.slice(-options.echo) + rest : rest;
    return { sse: textChunks(echoed) };
  };
}
