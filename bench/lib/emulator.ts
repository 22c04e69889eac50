// The upstream emulator, run as its own process: `node bench/lib/emulator.ts PORT DELAY_MS SLOW_GAP_MS`.
// OpenAI chat completions as JSON or as an SSE stream of 20 chunks, from buffers built once,
// so that it costs next to nothing per request and is never what a run measures.
// The body is scanned, not parsed: `"stream":true` picks SSE, the model `bench-slow` picks a
// stream with SLOW_GAP_MS between chunks (for the open-streams test). DELAY_MS (default 0)
// holds every answer back before its status line.
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';

const chunkCount = 20;
const port = Number(process.argv[2] ?? 0);
const delayMs = Number(process.argv[3] ?? 0);
const slowGapMs = Number(process.argv[4] ?? 500);
const created = 1_700_000_000;
const words = 'The quick brown fox jumps over the lazy dog while the router keeps every byte on its way.'.split(' ');

const completion = Buffer.from(
  JSON.stringify({
    id: 'chatcmpl-bench',
    object: 'chat.completion',
    created,
    model: 'bench-model',
    choices: [{ index: 0, message: { role: 'assistant', content: words.join(' ') }, finish_reason: 'stop' }],
    usage: { prompt_tokens: 12, completion_tokens: words.length, total_tokens: 12 + words.length },
  }),
);

function chunk(delta: object, finishReason: string | null, usage?: object): Buffer {
  const body = {
    id: 'chatcmpl-bench',
    object: 'chat.completion.chunk',
    created,
    model: 'bench-model',
    choices: [{ index: 0, delta, finish_reason: finishReason }],
    ...(usage && { usage }),
  };
  return Buffer.from(`data: ${JSON.stringify(body)}\n\n`);
}

// A role chunk, 18 content chunks, a finish chunk with usage, then [DONE]: 20 chunks.
const events: Buffer[] = [chunk({ role: 'assistant', content: '' }, null)];
for (let index = 0; index < chunkCount - 2; index += 1) {
  events.push(chunk({ content: `${words[index % words.length]} ` }, null));
}
events.push(chunk({}, 'stop', { prompt_tokens: 12, completion_tokens: chunkCount - 2, total_tokens: chunkCount + 10 }));
events.push(Buffer.from('data: [DONE]\n\n'));

const jsonHeaders = { 'content-type': 'application/json', 'content-length': String(completion.length) };
const sseHeaders = { 'content-type': 'text/event-stream', 'cache-control': 'no-cache' };

/** Writes one event per event-loop turn (or per `gapMs`), so each leaves as its own packet, as a real stream's do. */
function writeEvents(response: ServerResponse, gapMs: number): void {
  let index = 0;
  const next = () => {
    if (response.destroyed) return;
    const event = events[index] as Buffer;
    index += 1;
    if (index === events.length) response.end(event);
    else {
      response.write(event);
      if (gapMs > 0) setTimeout(next, gapMs);
      else setImmediate(next);
    }
  };
  next();
}

function answer(request: IncomingMessage, response: ServerResponse, body: string): void {
  if (request.method !== 'POST' || !request.url?.endsWith('/chat/completions')) {
    response.writeHead(404, { 'content-type': 'application/json' }).end('{"error":{"message":"not found"}}');
    return;
  }
  if (body.includes('"stream":true')) {
    response.writeHead(200, sseHeaders);
    writeEvents(response, body.includes('bench-slow') ? slowGapMs : 0);
  } else {
    response.writeHead(200, jsonHeaders).end(completion);
  }
}

const server = createServer({ keepAliveTimeout: 60_000 }, (request, response) => {
  let body = '';
  request.setEncoding('latin1');
  request.on('data', (piece: string) => {
    body += piece;
  });
  request.on('end', () => {
    if (delayMs > 0) setTimeout(answer, delayMs, request, response, body);
    else answer(request, response, body);
  });
});
server.maxRequestsPerSocket = 0;
server.listen(port, '127.0.0.1', () => {
  const address = server.address();
  process.stdout.write(`listening ${typeof address === 'object' && address ? address.port : port}\n`);
});
process.on('SIGTERM', () => process.exit(0));
