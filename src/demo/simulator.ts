// A simulated OpenAI-compatible provider for `switchboard demo`: a small node:http server on
// 127.0.0.1 that answers chat completions as JSON or as an SSE stream after a set latency, and
// can be switched down (refusing connections, or answering 503) and back up.
import { once } from 'node:events';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { text as readText } from 'node:stream/consumers';
import { setTimeout as sleep } from 'node:timers/promises';
import type { ChatChunk, ChatResponse } from '../protocol/chat.ts';

/** How a provider that is down behaves: nothing listens on its port, or it answers 503. */
export type OutageMode = 'refuse' | '503';

export interface SimulatorOptions {
  name: string;
  /** Time to the first byte of an answer, in ms; each request varies it by ±20%. */
  latencyMs: number;
  /** The model it serves, reported back in answers and in `/v1/models`. */
  model?: string;
  /** Pause between streamed chunks, in ms (default 8). */
  chunkDelayMs?: number;
}

export interface Simulator {
  readonly name: string;
  /** Base URL ending in `/v1`; the port stays the same across outages. */
  readonly url: string;
  latencyMs: number;
  /** `up`, or how it fails while down. */
  readonly mode: 'up' | OutageMode;
  /** Chat completions answered (successfully or with the simulated 503). */
  readonly requests: number;
  /** Goes down: stops listening (`refuse`) or answers 503 (`503`); answers already started finish. */
  goDown(mode: OutageMode): Promise<void>;
  /** Comes back on the same port. */
  comeBack(): Promise<void>;
  /** Stops for good; safe to call twice. */
  close(): Promise<void>;
}

const created = Math.floor(Date.now() / 1000);

/** Starts a simulated provider on 127.0.0.1 with a free port. */
export async function startSimulator(options: SimulatorOptions): Promise<Simulator> {
  const model = options.model ?? 'llama-3.1-8b';
  const chunkDelayMs = options.chunkDelayMs ?? 8;
  let mode: 'up' | OutageMode = 'up';
  let requests = 0;
  let sequence = 0;
  let closed = false;
  // Aborted when the simulator goes down or closes, so pending answers stop waiting.
  let lifetime = new AbortController();

  const server = createServer((request, response) => {
    handle(request, response).catch(() => response.destroy());
  });
  server.keepAliveTimeout = 5_000;

  async function handle(request: IncomingMessage, response: ServerResponse): Promise<void> {
    const signal = lifetime.signal;
    const raw = await readText(request);
    const path = (request.url ?? '').split('?')[0];
    if (request.method === 'GET' && path === '/v1/models') {
      return json(response, 200, { object: 'list', data: [{ id: model, object: 'model', created, owned_by: options.name }] });
    }
    if (request.method !== 'POST' || path !== '/v1/chat/completions') {
      return json(response, 404, openaiError(`no route ${request.method} ${path}`, 'invalid_request_error', 'not_found'));
    }
    requests += 1;
    if (mode === '503') {
      return json(
        response,
        503,
        openaiError(`${options.name} is down (simulated outage)`, 'server_error', 'service_unavailable'),
      );
    }
    let body: { stream?: boolean; stream_options?: { include_usage?: boolean } | null; max_tokens?: number | null };
    try {
      body = JSON.parse(raw);
    } catch {
      return json(response, 400, openaiError('the body is not JSON', 'invalid_request_error'));
    }
    const id = `chatcmpl-${options.name}-${++sequence}`;
    const latencyMs = Math.round(options.latencyMs * (0.8 + Math.random() * 0.4));
    const words = answerWords(options.name, latencyMs, body.max_tokens ?? undefined);
    await sleep(latencyMs, undefined, { signal });
    if (!body.stream) return json(response, 200, completion(id, model, words));
    response.writeHead(200, { 'content-type': 'text/event-stream; charset=utf-8', 'cache-control': 'no-cache' });
    const chunks = streamChunks(id, model, words, body.stream_options?.include_usage === true);
    for (const [index, chunk] of chunks.entries()) {
      if (index > 1) await sleep(chunkDelayMs, undefined, { signal });
      response.write(`data: ${JSON.stringify(chunk)}\n\n`);
    }
    response.end('data: [DONE]\n\n');
  }

  await listen(0);
  const { port } = server.address() as AddressInfo;

  function listen(at: number): Promise<void> {
    return new Promise((resolve, reject) => {
      server.once('error', reject);
      server.listen(at, '127.0.0.1', () => {
        server.off('error', reject);
        resolve();
      });
    });
  }

  /**
   * Stops listening. `drain`: answers already started finish (so the demo shows failover, not
   * a stream cut in the middle) and idle keep-alive connections are closed; otherwise every
   * connection is cut at once.
   */
  async function stopListening(drain: boolean): Promise<void> {
    if (!server.listening) return;
    const stopped = once(server, 'close');
    server.close();
    if (!drain) {
      lifetime.abort();
      server.closeAllConnections();
      return void (await stopped);
    }
    // Connections that carried an answer in flight turn idle when it ends: close them then.
    const sweep = setInterval(() => server.closeIdleConnections(), 20);
    const cut = setTimeout(() => {
      lifetime.abort();
      server.closeAllConnections();
    }, 5000);
    await stopped;
    clearInterval(sweep);
    clearTimeout(cut);
  }

  return {
    name: options.name,
    url: `http://127.0.0.1:${port}/v1`,
    get latencyMs() {
      return options.latencyMs;
    },
    set latencyMs(value: number) {
      options.latencyMs = value;
    },
    get mode() {
      return mode;
    },
    get requests() {
      return requests;
    },
    async goDown(outage) {
      if (closed || mode !== 'up') return;
      mode = outage;
      if (outage === 'refuse') await stopListening(true);
    },
    async comeBack() {
      if (closed || mode === 'up') return;
      const was = mode;
      mode = 'up';
      if (was === 'refuse') {
        lifetime = new AbortController();
        await listen(port);
      }
    },
    async close() {
      if (closed) return;
      closed = true;
      lifetime.abort();
      await stopListening(false);
    },
  };
}

function answerWords(name: string, latencyMs: number, maxTokens: number | undefined): string[] {
  const text = `Hello from ${name}, a simulated provider. This answer took ${latencyMs} ms to start.`;
  const words = text.split(/(?<=\S)(?=\s)/);
  return maxTokens !== undefined && maxTokens > 0 ? words.slice(0, maxTokens) : words;
}

function usage(words: string[]) {
  return { prompt_tokens: 12, completion_tokens: words.length, total_tokens: 12 + words.length };
}

function completion(id: string, model: string, words: string[]): ChatResponse {
  return {
    id,
    object: 'chat.completion',
    created,
    model,
    choices: [
      { index: 0, message: { role: 'assistant', content: words.join(''), refusal: null }, logprobs: null, finish_reason: 'stop' },
    ],
    usage: usage(words),
  };
}

function streamChunks(id: string, model: string, words: string[], includeUsage: boolean): ChatChunk[] {
  const chunk = (choices: ChatChunk['choices']): ChatChunk => ({
    id,
    object: 'chat.completion.chunk',
    created,
    model,
    choices,
    ...(includeUsage && { usage: null }),
  });
  const chunks = [
    chunk([{ index: 0, delta: { role: 'assistant', content: '' }, logprobs: null, finish_reason: null }]),
    ...words.map((content) => chunk([{ index: 0, delta: { content }, logprobs: null, finish_reason: null }])),
    chunk([{ index: 0, delta: {}, logprobs: null, finish_reason: 'stop' }]),
  ];
  if (includeUsage) chunks.push({ ...chunk([]), usage: usage(words) });
  return chunks;
}

function openaiError(message: string, type: string, code: string | null = null) {
  return { error: { message, type, param: null, code } };
}

function json(response: ServerResponse, status: number, body: unknown): void {
  const text = JSON.stringify(body);
  response.writeHead(status, { 'content-type': 'application/json', 'content-length': String(Buffer.byteLength(text)) });
  response.end(text);
}
