// The floor: a bare reverse proxy on node:http and undici, run as its own process:
// `node bench/lib/proxy.ts bytes|parse UPSTREAM_ORIGIN PORT`.
// `bytes` streams the request body through untouched; `parse` reads it, JSON.parse and
// JSON.stringify it (the least work any gateway does). Both pass the answer, JSON or SSE,
// through as bytes over one keep-alive pool.
import { createServer, type IncomingMessage } from 'node:http';
import { pipeline } from 'node:stream';
import { Pool } from 'undici';

const [mode, upstream, port] = process.argv.slice(2) as [string, string, string];
// No cap on upstream sockets: a proxy must hold as many streams open as its clients do.
const pool = new Pool(upstream, { connections: null, keepAliveTimeout: 60_000 });
const hopByHop = new Set(['connection', 'keep-alive', 'transfer-encoding', 'host', 'content-length']);

function forwardHeaders(headers: IncomingMessage['headers'], keepLength: boolean): Record<string, string> {
  const out: Record<string, string> = {};
  for (const name in headers) {
    const value = headers[name];
    if (typeof value === 'string' && (!hopByHop.has(name) || (keepLength && name === 'content-length'))) out[name] = value;
  }
  return out;
}

async function readBody(request: IncomingMessage): Promise<string> {
  const pieces: Buffer[] = [];
  for await (const piece of request) pieces.push(piece as Buffer);
  return Buffer.concat(pieces).toString('utf8');
}

const server = createServer(async (request, response) => {
  try {
    const body = mode === 'parse' ? JSON.stringify(JSON.parse(await readBody(request))) : request;
    const answer = await pool.request({
      method: 'POST',
      path: request.url ?? '/',
      headers: forwardHeaders(request.headers, mode === 'bytes'),
      body,
    });
    const headers: Record<string, string> = {};
    for (const name in answer.headers) {
      const value = answer.headers[name];
      if (typeof value === 'string' && (name === 'content-length' || !hopByHop.has(name))) headers[name] = value;
    }
    response.writeHead(answer.statusCode, headers);
    // A client that leaves mid-answer destroys both sides; nothing is left to report to it.
    pipeline(answer.body, response, () => {});
  } catch (error) {
    if (!response.headersSent) response.writeHead(502, { 'content-type': 'application/json' });
    response.end(JSON.stringify({ error: { message: (error as Error).message } }));
  }
});
server.listen(Number(port), '127.0.0.1', () => process.stdout.write(`listening ${port}\n`));
process.on('SIGTERM', () => process.exit(0));
