// The one SSE writer out. Each chunk is written to the socket as it arrives, with no
// sleeps; the dialect's encoder says what the bytes are (OpenAI's
// `data: <json>\n\n` … `data: [DONE]\n\n`, or Anthropic's named events). A stream that fails
// after its headers went out gets one error event and no completion marker, so no client
// mistakes a truncated answer for a complete one.
import { once } from 'node:events';
import type { ServerResponse } from 'node:http';
import type { SwitchboardError } from '../protocol/errors.ts';
import type { StreamResult } from '../router/stream.ts';
import type { EventEncoder } from './dialects.ts';
import { clientClosed, toHttpError } from './errors.ts';

/**
 * Sends the stream's headers and relays every chunk. Resolves when the stream has ended,
 * with the error that cut it short, if any (also when the client went away). Never throws.
 * `signal` is aborted when the client disconnects; it ends a wait for a slow reader.
 */
export async function writeStream(
  response: ServerResponse,
  result: StreamResult,
  encoder: EventEncoder,
  requestId: string,
  signal: AbortSignal,
  writeTimeoutMs = 0,
): Promise<SwitchboardError | undefined> {
  response.writeHead(200, {
    'content-type': 'text/event-stream; charset=utf-8',
    'cache-control': 'no-cache',
    connection: 'keep-alive',
    // nginx and similar proxies buffer responses unless told not to.
    'x-accel-buffering': 'no',
    'x-request-id': requestId,
    'x-switchboard-provider': result.provider,
    'x-switchboard-model': result.model,
    'x-switchboard-attempts': String(result.attempts.length),
    'x-switchboard-latency-ms': formatMs(result.latencyMs),
  });
  // Chunks decoded from one upstream packet go out in one write: the socket is corked at the
  // first of them and uncorked once this turn of the event loop is done with them. (Node's own
  // cork lasts to the next tick, which comes before the next chunk's promise settles.) Nothing
  // waits on a timer; a chunk that arrives alone is flushed in the same turn. The socket, not
  // the response, is corked: a corked response buffers in itself and never emits 'drain'.
  const socket = response.socket;
  let corked = false;
  const flush = () => {
    if (!corked) return;
    corked = false;
    socket?.uncork();
  };
  try {
    for await (const chunk of result) {
      // Leaving the loop returns the iterator, which closes the upstream request.
      if (response.destroyed) break;
      const text = encoder.chunk(chunk);
      if (text === '') continue;
      if (!corked && socket) {
        corked = true;
        socket.cork();
        setImmediate(flush);
      }
      if (!response.write(text)) {
        flush();
        await drained(response, signal, writeTimeoutMs);
      }
    }
    flush();
    if (response.destroyed) return clientClosed();
    const end = encoder.end(result);
    const tail = typeof end === 'string' ? end : await end;
    if (response.destroyed) return clientClosed();
    response.end(tail);
    return undefined;
  } catch (thrown) {
    flush();
    const error = toHttpError(thrown);
    if (!response.destroyed) response.end(encoder.error(error));
    return error;
  }
}

/**
 * Waits for a slow reader to take what was written; a disconnect ends the wait too. A client
 * that takes nothing for `writeTimeoutMs` (0: no limit) has stopped reading: its connection is
 * closed, which aborts the upstream request, and the loop sees `destroyed` and stops.
 */
async function drained(response: ServerResponse, signal: AbortSignal, writeTimeoutMs: number): Promise<void> {
  const timeout = writeTimeoutMs > 0 ? AbortSignal.timeout(writeTimeoutMs) : undefined;
  try {
    await once(response, 'drain', { signal: timeout ? AbortSignal.any([signal, timeout]) : signal });
  } catch {
    if (timeout?.aborted && !signal.aborted) response.destroy();
  }
}

/** Milliseconds with one decimal, as the latency headers carry them. */
export function formatMs(ms: number): string {
  return String(Math.round(ms * 10) / 10);
}
