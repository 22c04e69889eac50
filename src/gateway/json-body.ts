// The gateway's body parser: every chat body is JSON (whatever its content type says), and its
// nesting is bounded before it is parsed. A body a few kilobytes long can nest thousands of levels;
// parsing it is fine, but every later pass over it (the schema check, a dialect's translation, the
// encoding for an upstream) recurses, and one overflowing stack must not become a provider failure.
import type { Readable } from 'node:stream';
import { StringDecoder } from 'node:string_decoder';
import { errorCodes, type FastifyInstance, type FastifyRequest } from 'fastify';
import { invalidRequest } from '../protocol/errors.ts';

type ParserDone = (error: Error | null, body?: unknown) => void;
type BodyParser = (request: FastifyRequest, body: string, done: ParserDone) => void;

/**
 * Whether `text` opens more than `maxDepth` arrays and objects inside one another. Brackets inside
 * strings do not count; string contents are skipped with indexOf, so the cost is close to one pass
 * over the structural characters (measured: 0.7-0.8 µs per KB of a chat body, a quarter of JSON.parse).
 */
export function nestsDeeperThan(text: string, maxDepth: number): boolean {
  // A body shorter than the limit cannot open more brackets than it has characters.
  if (text.length <= maxDepth) return false;
  let depth = 0;
  const length = text.length;
  for (let index = 0; index < length; index++) {
    const code = text.charCodeAt(index);
    if (code === 0x22) {
      index = closingQuote(text, index);
      if (index === -1) return false; // unterminated: JSON.parse reports it
    } else if (code === 0x7b || code === 0x5b) {
      depth += 1;
      if (depth > maxDepth) return true;
    } else if (code === 0x7d || code === 0x5d) {
      depth -= 1;
    }
  }
  return false;
}

/** The index of the quote that closes the string opened at `open`, or -1. */
function closingQuote(text: string, open: number): number {
  let quote = text.indexOf('"', open + 1);
  while (quote !== -1) {
    // Escaped when preceded by an odd number of backslashes.
    let backslashes = 0;
    while (text.charCodeAt(quote - 1 - backslashes) === 0x5c) backslashes += 1;
    if (backslashes % 2 === 0) return quote;
    quote = text.indexOf('"', quote + 1);
  }
  return -1;
}

/**
 * Installs the JSON parser for every content type; `maxDepth` is read per request, so a reload applies.
 * Bodies over `limitBytes` get Fastify's 413, refused by Content-Length before a byte is read.
 */
export function installJsonParser(
  server: FastifyInstance,
  limitBytes: number,
  maxDepth: () => number,
  noteBody?: (bytes: number) => void,
): void {
  const parse = server.getDefaultJsonParser('error', 'error') as unknown as BodyParser;
  // curl -d sends form encoding and fetch sends text/plain unless told otherwise: parse any body as JSON.
  server.removeContentTypeParser(['application/json', 'text/plain']);
  server.addContentTypeParser('*', (request, payload, done) => {
    readBodyText(request, payload, limitBytes, (error, body) => {
      if (error) {
        done(error);
        return;
      }
      const text = body as string;
      noteBody?.(text.length);
      const limit = maxDepth();
      if (nestsDeeperThan(text, limit)) {
        done(
          invalidRequest(
            `The request body nests arrays and objects more than ${limit} levels deep (server.maxJsonDepth).`,
            null,
            'json_too_deep',
          ),
        );
        return;
      }
      parse(request, text, done);
    });
  });
}

/**
 * Reads a body as UTF-8 text, decoding each chunk as it arrives. Fastify's own reader keeps every
 * chunk, copies them into one Buffer and decodes that: for a 4 MB body that is 4 MB of socket
 * chunks, a 4 MB copy and a 4 MB string that Node keeps outside the JS heap (strings decoded from
 * over ~1 MB are external, in malloc'd memory). Malloc rarely gives such blocks back to the system
 * (glibc raises its mmap threshold after the first one is freed, and later ones fill its heap), so
 * after a storm of large bodies RSS stayed ~50 MB above its start with the JS heap back to normal.
 * Decoded chunk by chunk, the text is ordinary strings in the JS heap, which V8 gives back, and
 * each socket chunk can be collected as soon as it is decoded.
 */
function readBodyText(request: FastifyRequest, payload: Readable, limitBytes: number, done: ParserDone): void {
  const declared = request.headers['content-length'];
  const contentLength = declared === undefined ? Number.NaN : Number(declared);
  if (contentLength > limitBytes) {
    done(new errorCodes.FST_ERR_CTP_BODY_TOO_LARGE());
    return;
  }
  let received = 0;
  let first: Buffer | undefined;
  let decoder: StringDecoder | undefined;
  const parts: string[] = [];
  const finish = (error: Error | null, body?: string) => {
    payload.removeListener('data', onData);
    payload.removeListener('end', onEnd);
    payload.removeListener('error', onError);
    done(error, body);
  };
  const onData = (chunk: Buffer | string) => {
    const bytes = typeof chunk === 'string' ? Buffer.from(chunk) : chunk;
    received += bytes.length;
    if (received > limitBytes) {
      finish(new errorCodes.FST_ERR_CTP_BODY_TOO_LARGE());
      return;
    }
    // Most bodies come in one chunk: decoded once at the end, with no decoder.
    if (first === undefined && decoder === undefined) {
      first = bytes;
      return;
    }
    if (decoder === undefined) {
      decoder = new StringDecoder('utf8');
      parts.push(decoder.write(first!));
      first = undefined;
    }
    parts.push(decoder.write(bytes));
  };
  const onEnd = () => {
    if (!Number.isNaN(contentLength) && received !== contentLength) {
      finish(new errorCodes.FST_ERR_CTP_INVALID_CONTENT_LENGTH());
      return;
    }
    if (decoder === undefined) {
      finish(null, first === undefined ? '' : first.toString('utf8'));
      return;
    }
    parts.push(decoder.end());
    finish(null, parts.join(''));
  };
  const onError = (error: Error & { statusCode?: number }) => {
    if (!(typeof error.statusCode === 'number' && error.statusCode >= 400)) error.statusCode = 400;
    finish(error);
  };
  payload.on('data', onData);
  payload.on('end', onEnd);
  payload.on('error', onError);
  payload.resume();
}
