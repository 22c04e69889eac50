// A misbehaving OpenAI-compatible upstream for the reliability suite: a real HTTP server on
// 127.0.0.1 that answers each request with a fault drawn from `faults` (healthy when the list is
// empty). Healthy answers are self-checking (see answers.ts) and honour a prefill, so a stream
// recovered on another chaos upstream is still one coherent answer. Hostile faults (endless
// lines and bodies, huge errors, echoed credentials) write at most `maxBytes` before holding.
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo, Socket } from 'node:net';
import { text as readText } from 'node:stream/consumers';
import { setTimeout as sleep } from 'node:timers/promises';
import { answerPieces } from './answers.ts';

/** What one request gets. */
export type Fault =
  | 'none'
  /** Slow: the healthy answer, each piece 20–40 ms apart. */
  | 'slow-drip'
  | 'reset'
  | 'status-500'
  | 'status-503'
  | 'status-429'
  | 'html-502'
  | 'garbage-200'
  | 'empty-200'
  /** No answer at all until the caller gives up. */
  | 'hang'
  /** Part of the answer, then the connection drops. */
  | 'cut'
  /** Part of the answer, then silence. */
  | 'stall'
  /** Part of a stream, then an error event; a JSON answer is an error inside a 200. */
  | 'error-event'
  /** Part of the answer, then a clean end: no finish_reason, no [DONE], no closing brace. */
  | 'clean-end'
  /** An SSE line (or a JSON string) that never ends, written as fast as the caller reads it. */
  | 'endless-line'
  | 'endless-body'
  /** A 500 whose error message is 10 MB. */
  | 'huge-error'
  /** A 400 whose 10 MB error message is passed on to the caller unchanged in meaning. */
  | 'huge-bad-request'
  /** An error quoting every request header back: `echoStatus`, 401 by default. */
  | 'echo-headers'
  /** A stream that starts, then ends with an error event quoting every request header back. */
  | 'echo-in-stream'
  /** One byte of a valid answer every 200 ms: never complete within any sane deadline. */
  | 'drip'
  /** A stream of two choices (`n: 2`): choice 0 finishes, choice 1 stops half-way, then a clean end without [DONE]. */
  | 'two-choices-one-cut';

export interface ChaosUpstream {
  readonly url: string;
  /** Faults drawn one per request, uniformly; empty means healthy. */
  faults: Fault[];
  /** Chat requests received (the health path included). */
  readonly requests: number;
  /** Requests whose response has not closed yet (answering, stalled or hanging). */
  readonly open: number;
  /** Request headers as received, the last 50. */
  readonly recentHeaders: IncomingMessage['headers'][];
  /** Request bodies as received (the first 500 characters), the last 50. */
  readonly recentBodies: string[];
  /** Status of the echo fault. */
  echoStatus: number;
  close(): Promise<void>;
}

export interface ChaosOptions {
  faults?: Fault[];
  /** Cap on what one hostile answer writes before it holds the connection (default 256 MiB). */
  maxBytes?: number;
  /** Words in a healthy answer: between 4 and this (default 24). */
  maxWords?: number;
  /** Words in the answer to a prompt that contains `[long]` (default 30,000: megabytes of stream). */
  longWords?: number;
}

interface Exchange {
  body: { stream?: boolean; messages?: Array<{ role?: string; content?: unknown }> } | undefined;
  request: IncomingMessage;
  response: ServerResponse;
  closed: AbortSignal;
}

export async function startChaosUpstream(options: ChaosOptions = {}): Promise<ChaosUpstream> {
  const maxBytes = options.maxBytes ?? 256 * 1024 * 1024;
  const maxWords = options.maxWords ?? 24;
  const longWords = options.longWords ?? 30_000;
  const sockets = new Set<Socket>();
  let requests = 0;
  let open = 0;
  const recentHeaders: IncomingMessage['headers'][] = [];
  const recentBodies: string[] = [];

  const server = createServer(async (request, response) => {
    const closed = new AbortController();
    open++;
    response.on('close', () => {
      open--;
      closed.abort();
    });
    const raw = await readText(request).catch(() => undefined);
    if (raw === undefined) return;
    requests++;
    recentHeaders.push(request.headers);
    recentBodies.push(raw.slice(0, 500));
    if (recentHeaders.length > 50) recentHeaders.shift();
    if (recentBodies.length > 50) recentBodies.shift();
    const fault = upstream.faults.length === 0 ? 'none' : upstream.faults[Math.floor(Math.random() * upstream.faults.length)]!;
    const exchange: Exchange = { body: parse(raw), request, response, closed: closed.signal };
    await answer(fault, exchange).catch(() => response.destroy());
  });

  const answer = async (fault: Fault, exchange: Exchange): Promise<void> => {
    const { response } = exchange;
    const stream = exchange.body?.stream === true;
    switch (fault) {
      case 'reset':
        response.socket?.resetAndDestroy();
        return;
      case 'hang':
        return;
      case 'status-500':
      case 'status-503':
        return json(response, Number(fault.slice(-3)), { error: { message: 'upstream overloaded', type: 'server_error' } });
      case 'status-429':
        response.setHeader('retry-after', '1');
        return json(response, 429, { error: { message: 'Rate limit reached', type: 'rate_limit_error' } });
      case 'html-502':
        response.writeHead(502, { 'content-type': 'text/html' });
        response.end(`<html><head><title>502 Bad Gateway</title></head><body>${'<p>cloudflare</p>'.repeat(2000)}</body></html>`);
        return;
      case 'garbage-200': {
        const bytes = Buffer.alloc(4096);
        for (let index = 0; index < bytes.length; index++) bytes[index] = Math.floor(Math.random() * 256);
        response.writeHead(200, { 'content-type': stream ? 'text/event-stream' : 'application/json' });
        response.end(bytes);
        return;
      }
      case 'empty-200':
        response.writeHead(200, { 'content-type': 'application/json', 'content-length': '0' });
        response.end();
        return;
      case 'huge-error':
      case 'huge-bad-request': {
        const status = fault === 'huge-error' ? 500 : 400;
        const type = status === 500 ? 'server_error' : 'invalid_request_error';
        return json(response, status, { error: { message: `bad: ${'x'.repeat(10 * 1024 * 1024)}`, type } });
      }
      case 'echo-headers':
      case 'echo-in-stream': {
        const headers = exchange.request.headers;
        const values = Object.values(headers).flat().join(' | ');
        // The caller's prompt too, as providers quote a request back in their 400s.
        const prompt = JSON.stringify(exchange.body?.messages?.at(-1)?.content ?? null);
        const message = `Incorrect API key provided: ${values}; headers were ${JSON.stringify(headers)}; prompt was ${prompt}`;
        const error = { error: { message, type: 'invalid_request_error', code: 'invalid_api_key' } };
        // Echoed in a response header too, which no gateway should pass on.
        response.setHeader('x-echo', values.replace(/[^\x20-\x7e]/g, '?'));
        if (fault === 'echo-headers') return json(response, upstream.echoStatus, error);
        response.writeHead(200, { 'content-type': 'text/event-stream' });
        await write(response, `data: ${JSON.stringify(chunk({ role: 'assistant', content: 'Hello' }))}\n\n`);
        response.end(`data: ${JSON.stringify(error)}\n\n`);
        return;
      }
      case 'drip':
        return drip(exchange, stream);
      case 'two-choices-one-cut': {
        response.writeHead(200, { 'content-type': 'text/event-stream' });
        const first = answerPieces(6);
        const second = answerPieces(12);
        const event = (index: number, delta: object, finish: string | null = null) => {
          const body = chunk(delta, finish) as { choices: Array<{ index: number }> };
          body.choices[0]!.index = index;
          return `data: ${JSON.stringify(body)}\n\n`;
        };
        let text = event(0, { role: 'assistant', content: '' }) + event(1, { role: 'assistant', content: '' });
        for (const [index, piece] of first.entries()) text += event(0, { content: piece }) + event(1, { content: second[index] });
        response.end(text + event(0, {}, 'stop'));
        return;
      }
      case 'endless-line':
      case 'endless-body':
        return endless(exchange, fault === 'endless-line' || stream, maxBytes);
      default: {
        const long = exchange.body?.messages?.some((message) => String(message.content).includes('[long]'));
        return healthy(exchange, fault, long ? longWords : maxWords);
      }
    }
  };

  server.on('connection', (socket: Socket) => {
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  let closing: Promise<void> | undefined;

  const upstream: ChaosUpstream = {
    url: `http://127.0.0.1:${port}/v1`,
    faults: options.faults ?? [],
    get requests() {
      return requests;
    },
    get open() {
      return open;
    },
    recentHeaders,
    recentBodies,
    echoStatus: 401,
    close() {
      closing ??= new Promise<void>((resolve) => {
        server.close(() => resolve());
        for (const socket of sockets) socket.destroy();
      });
      return closing;
    },
  };
  return upstream;
}

/** A healthy answer, or one broken part-way by `fault` (cut, stall, error-event, clean-end, slow-drip). */
async function healthy(exchange: Exchange, fault: Fault, maxWords: number): Promise<void> {
  const { body, response, closed } = exchange;
  const last = body?.messages?.at(-1);
  const prefix = last?.role === 'assistant' && typeof last.content === 'string' ? last.content : '';
  const pieces = answerPieces(4 + Math.floor(Math.random() * (maxWords - 3)), prefix);
  const breaks = fault === 'cut' || fault === 'stall' || fault === 'error-event' || fault === 'clean-end';
  const delay = async () => {
    if (fault === 'slow-drip') await sleep(20 + Math.random() * 20, undefined, { signal: closed });
  };

  if (body?.stream !== true) {
    const text = JSON.stringify(completion(pieces.join('')));
    if (fault === 'error-event') return json(response, 200, { error: { message: 'internal error', type: 'server_error' } });
    if (!breaks && fault !== 'slow-drip') return json(response, 200, JSON.parse(text));
    const cutAt = breaks ? Math.floor(text.length * (0.2 + Math.random() * 0.6)) : text.length;
    response.writeHead(200, {
      'content-type': 'application/json',
      ...(fault !== 'clean-end' && { 'content-length': String(Buffer.byteLength(text)) }),
    });
    for (let start = 0; start < cutAt; start += Math.ceil(text.length / 8)) {
      await delay();
      await write(response, text.slice(start, Math.min(cutAt, start + Math.ceil(text.length / 8))));
    }
    if (fault === 'cut') response.socket?.destroy();
    else if (fault === 'clean-end') response.end();
    else if (fault !== 'stall') response.end();
    return;
  }

  response.writeHead(200, { 'content-type': 'text/event-stream; charset=utf-8', 'cache-control': 'no-cache' });
  const events = [chunk({ role: 'assistant', content: '' }), ...pieces.map((content) => chunk({ content })), chunk({}, 'stop')];
  const breakAt = breaks ? 1 + Math.floor(Math.random() * pieces.length) : events.length;
  for (const event of events.slice(0, breakAt)) {
    await delay();
    await write(response, `data: ${JSON.stringify(event)}\n\n`);
  }
  if (!breaks) {
    await write(response, 'data: [DONE]\n\n');
    response.end();
  } else if (fault === 'cut') {
    response.socket?.end(() => response.socket?.destroy());
  } else if (fault === 'error-event') {
    response.end(`data: ${JSON.stringify({ error: { message: 'internal error mid-stream', type: 'server_error' } })}\n\n`);
  } else if (fault === 'clean-end') {
    response.end();
  } // stall: hold until the caller gives up
}

/** A valid answer one byte at a time, 200 ms apart, for as long as the caller waits (at most 3000 bytes). */
async function drip(exchange: Exchange, stream: boolean): Promise<void> {
  const { response, closed } = exchange;
  const body = stream
    ? answerPieces(50)
        .map((content) => `data: ${JSON.stringify(chunk({ content }))}\n\n`)
        .join('')
    : JSON.stringify(completion(answerPieces(50).join('')));
  response.writeHead(200, { 'content-type': stream ? 'text/event-stream' : 'application/json' });
  for (let index = 0; index < Math.min(body.length, 3000) && !closed.aborted; index++) {
    await write(response, body[index]!);
    await sleep(200, undefined, { signal: closed });
  }
}

/** A 200 whose body (an SSE line, or a JSON string) never ends, up to `maxBytes`, at the pace the caller reads. */
async function endless(exchange: Exchange, sse: boolean, maxBytes: number): Promise<void> {
  const { response, closed } = exchange;
  response.writeHead(200, { 'content-type': sse ? 'text/event-stream' : 'application/json' });
  await write(
    response,
    sse ? 'data: {"choices":[{"index":0,"delta":{"content":"' : '{"choices":[{"index":0,"message":{"content":"',
  );
  const block = 'x'.repeat(1024 * 1024);
  for (let written = 0; written < maxBytes && !closed.aborted; written += block.length) {
    if (!response.write(block)) await new Promise((resolve) => response.once('drain', resolve).once('close', resolve));
  }
}

function chunk(delta: object, finish: string | null = null): object {
  return {
    id: 'chatcmpl-chaos',
    object: 'chat.completion.chunk',
    created: 1_700_000_000,
    model: 'chaos-model',
    choices: [{ index: 0, delta, logprobs: null, finish_reason: finish }],
  };
}

function completion(text: string): object {
  return {
    id: 'chatcmpl-chaos',
    object: 'chat.completion',
    created: 1_700_000_000,
    model: 'chaos-model',
    choices: [{ index: 0, message: { role: 'assistant', content: text }, logprobs: null, finish_reason: 'stop' }],
    usage: { prompt_tokens: 5, completion_tokens: 5, total_tokens: 10 },
  };
}

function json(response: ServerResponse, status: number, body: unknown): void {
  const text = JSON.stringify(body);
  response.writeHead(status, { 'content-type': 'application/json', 'content-length': String(Buffer.byteLength(text)) });
  response.end(text);
}

function write(response: ServerResponse, text: string): Promise<void> {
  return new Promise((resolve, reject) => response.write(text, (error) => (error ? reject(error) : resolve())));
}

function parse(raw: string): Exchange['body'] {
  try {
    return JSON.parse(raw);
  } catch {
    return undefined;
  }
}
