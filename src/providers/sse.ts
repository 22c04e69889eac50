// The one SSE decoder in Switchboard: bytes from an upstream in, events out.
// eventsource-parser handles comments (`: OPENROUTER PROCESSING`), CRLF, multi-line
// `data`, and lines split across packets; this file only adapts it to async iteration
// and bounds what it may hold: a line that never ends must not grow the heap.
import { createParser } from 'eventsource-parser';
import type { SseEvent } from './adapter.ts';
import { malformed } from './failure.ts';

export interface ReadEventsOptions {
  /** Named in the error when the stream breaks a limit. */
  provider: string;
  /** Most characters one event (its lines and their data) may hold before it completes; default 1 MiB. */
  maxEventBytes?: number;
}

const defaultMaxEventBytes = 1024 * 1024;

/**
 * Yields the events of an SSE body as they complete. A final event without its blank line is still
 * delivered. An event longer than `maxEventBytes` throws a malformed-answer SwitchboardError.
 */
export async function* readEvents(
  body: AsyncIterable<Uint8Array | string>,
  options: ReadEventsOptions = { provider: 'upstream' },
): AsyncGenerator<SseEvent> {
  const maxEventBytes = options.maxEventBytes ?? defaultMaxEventBytes;
  let pending: SseEvent[] = [];
  let overflowed = false;
  const parser = createParser({
    maxBufferSize: maxEventBytes,
    onEvent(message) {
      pending.push({ event: message.event, data: message.data });
    },
    onError(error) {
      if (error.type === 'max-buffer-size-exceeded') overflowed = true;
    },
  });
  const decoder = new TextDecoder();
  for await (const piece of body) {
    parser.feed(typeof piece === 'string' ? piece : decoder.decode(piece, { stream: true }));
    if (overflowed) throw malformed(options.provider, `a stream event longer than ${maxEventBytes} bytes`);
    if (pending.length > 0) {
      const ready = pending;
      pending = [];
      yield* ready;
    }
  }
  // The body ended cleanly: a last event without its blank line is still an event
  // (a cut body never gets here; the transport throws instead).
  parser.feed(`${decoder.decode()}\n\n`);
  if (overflowed) throw malformed(options.provider, `a stream event longer than ${maxEventBytes} bytes`);
  yield* pending;
}
