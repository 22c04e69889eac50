// The one SSE decoder in Switchboard: bytes from an upstream in, events out.
// eventsource-parser handles comments (`: OPENROUTER PROCESSING`), CRLF, multi-line
// `data`, and lines split across packets; this file only adapts it to async iteration.
import { createParser } from 'eventsource-parser';
import type { SseEvent } from './adapter.ts';

/** Yields the events of an SSE body as they complete. A final event without its blank line is still delivered. */
export async function* readEvents(body: AsyncIterable<Uint8Array | string>): AsyncGenerator<SseEvent> {
  let pending: SseEvent[] = [];
  const parser = createParser({
    onEvent(message) {
      pending.push({ event: message.event, data: message.data });
    },
  });
  const decoder = new TextDecoder();
  for await (const piece of body) {
    parser.feed(typeof piece === 'string' ? piece : decoder.decode(piece, { stream: true }));
    if (pending.length > 0) {
      const ready = pending;
      pending = [];
      yield* ready;
    }
  }
  // The body ended cleanly: a last event without its blank line is still an event
  // (a cut body never gets here; the transport throws instead).
  parser.feed(`${decoder.decode()}\n\n`);
  yield* pending;
}
