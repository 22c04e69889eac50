// One streamed attempt: open it, wait for its first content under the first-token
// deadline (failover is free until then), then relay the rest to the caller.
//
// The cut-off: once a chunk with content has been handed to the caller, a failure can
// no longer be hidden by trying elsewhere from scratch. It is then reported as an error
// thrown from the iterator, and the stream is never presented as complete: no chunk
// with a finish_reason is invented and the caller sees no clean end.
import type { Config } from '../config/schema.ts';
import { type ChatChunk, hasContent, type Usage } from '../protocol/chat.ts';
import { type Attempt, SwitchboardError } from '../protocol/errors.ts';
import { redact } from '../protocol/redact.ts';
import type { SseEvent, StreamState, Target } from '../providers/adapter.ts';
import { readEvents } from '../providers/sse.ts';
import type { Transport } from '../providers/transport.ts';
import type { Provider } from './provider.ts';
import type { Run } from './run.ts';
import type { FailoverTracker } from './tracker.ts';

export interface StreamContext {
  transport: Transport;
  tracker: FailoverTracker;
  config: Config;
  secrets: readonly string[];
  noteHeaders(provider: Provider, headers: Record<string, string>): number | undefined;
  recordFailure(provider: Provider, error: SwitchboardError): unknown;
}

/** A stream whose first content has arrived. Iterate it once for every chunk, that first one included. */
export class StreamResult implements AsyncIterable<ChatChunk> {
  /** The provider answering. */
  readonly provider: string;
  /** The generic model answering (the one asked for, or a fallback). */
  readonly model: string;
  /** From the call until the first content arrived, every attempt included. */
  readonly latencyMs: number;
  /** Every provider tried; grows if the stream fails later. */
  readonly attempts: Attempt[];
  /** The last usage the upstream reported, if any. */
  usage: Usage | undefined;
  /** Events skipped because their payload could not be parsed. */
  skippedEvents = 0;
  readonly #relay: AsyncGenerator<ChatChunk>;

  constructor(init: {
    provider: string;
    model: string;
    latencyMs: number;
    attempts: Attempt[];
    relay: (result: StreamResult) => AsyncGenerator<ChatChunk>;
  }) {
    this.provider = init.provider;
    this.model = init.model;
    this.latencyMs = init.latencyMs;
    this.attempts = init.attempts;
    this.#relay = init.relay(this);
  }

  [Symbol.asyncIterator](): AsyncGenerator<ChatChunk> {
    return this.#relay;
  }

  /** Abandons the stream and closes the upstream connection. */
  async cancel(): Promise<void> {
    await this.#relay.return(undefined);
  }
}

function firstTokenTimeout(provider: string, ms: number): SwitchboardError {
  return new SwitchboardError({
    message: `${provider}: no content within ${ms} ms`,
    status: 504,
    type: 'timeout_error',
    code: 'first_token_timeout',
    kind: 'timeout',
    provider,
  });
}

function endedEarly(provider: string, detail: string): SwitchboardError {
  return new SwitchboardError({
    message: `${provider}: stream ${detail}`,
    status: 502,
    type: 'server_error',
    code: 'stream_incomplete',
    kind: 'connect',
    provider,
  });
}

/** Opens a stream on one provider and returns once its first content has arrived. Throws SwitchboardError. */
export async function openStream(
  provider: Provider,
  target: Target,
  run: Run,
  model: string,
  context: StreamContext,
): Promise<StreamResult> {
  const { timeouts, responseModel } = context.config.routing;
  const controller = new AbortController();
  const onRunAbort = () => controller.abort(run.signal.reason);
  run.signal.addEventListener('abort', onRunAbort, { once: true });
  const firstTokenMs = Math.max(
    1,
    Math.min(typeof timeouts.firstTokenMs === 'number' ? timeouts.firstTokenMs : 15_000, run.remainingMs()),
  );
  const firstTokenTimer = setTimeout(() => controller.abort(firstTokenTimeout(provider.name, firstTokenMs)), firstTokenMs);
  const release = () => {
    clearTimeout(firstTokenTimer);
    run.signal.removeEventListener('abort', onRunAbort);
  };
  const rename = responseModel === 'generic';
  let events: AsyncIterator<SseEvent> | undefined;
  try {
    const wire = provider.adapter.encode(run.request, target);
    const response = await context.transport.open(provider.endpoint, wire, {
      provider: provider.name,
      signal: controller.signal,
      firstByteMs: firstTokenMs,
      idleMs: timeouts.idleMs,
    });
    const retryAfterMs = context.noteHeaders(provider, response.headers);
    if (response.status !== 200) {
      const body = await response.text();
      try {
        provider.adapter.decode({ status: response.status, headers: response.headers, body }, target);
      } catch (error) {
        if (error instanceof SwitchboardError && retryAfterMs !== undefined && error.retryAfterMs === undefined) {
          throw new SwitchboardError({ ...errorInit(error), retryAfterMs }, { cause: error.cause });
        }
        throw error;
      }
      throw endedEarly(provider.name, `answered HTTP ${response.status} without an error body`);
    }
    events = readEvents(response.body)[Symbol.asyncIterator]();
    const state = provider.adapter.startStream(target, run.request);
    const buffered: ChatChunk[] = [];
    for (let primed = false; !primed; ) {
      const next = await events.next();
      if (next.done || state.done) throw endedEarly(provider.name, 'ended before any content');
      for (const chunk of provider.adapter.decodeEvent(next.value, state)) {
        if (rename) chunk.model = model;
        buffered.push(chunk);
        primed ||= hasContent(chunk);
      }
    }
    clearTimeout(firstTokenTimer);
    const opened = events;
    return new StreamResult({
      provider: provider.name,
      model,
      latencyMs: run.elapsedMs(),
      attempts: run.attempts,
      relay: (result) => relay(result, { provider, run, context, controller, events: opened, state, buffered, rename, release }),
    });
  } catch (error) {
    release();
    controller.abort();
    await events?.return?.();
    throw error;
  }
}

interface RelayInput {
  provider: Provider;
  run: Run;
  context: StreamContext;
  controller: AbortController;
  events: AsyncIterator<SseEvent>;
  state: StreamState;
  buffered: ChatChunk[];
  rename: boolean;
  release(): void;
}

async function* relay(result: StreamResult, input: RelayInput): AsyncGenerator<ChatChunk> {
  const { provider, run, context, controller, events, state, buffered, rename } = input;
  let finished = false;
  let complete = false;
  const pass = (chunk: ChatChunk) => {
    if (rename) chunk.model = result.model;
    if (chunk.usage) result.usage = chunk.usage;
    for (const choice of chunk.choices) if (choice.finish_reason) finished = true;
    return chunk;
  };
  try {
    for (const chunk of buffered) yield pass(chunk);
    buffered.length = 0;
    while (!state.done) {
      const next = await events.next();
      if (next.done) break;
      for (const chunk of provider.adapter.decodeEvent(next.value, state)) yield pass(chunk);
    }
    // A stream that ended at the HTTP level is finished if its finish_reason came; otherwise it was cut.
    if (!state.done && !finished) throw endedEarly(provider.name, 'ended before it was complete');
    for (const chunk of provider.adapter.endStream?.(state) ?? []) yield pass(chunk);
    complete = true;
  } catch (thrown) {
    const error = asStreamError(thrown, provider, run, context.secrets);
    if (error.kind !== 'aborted') context.recordFailure(provider, error);
    const attempt = run.attempts.findLast((entry) => entry.provider === provider.name && entry.outcome === 'ok');
    if (attempt) {
      attempt.outcome = error.kind;
      attempt.reason = error.message;
    }
    throw new SwitchboardError({ ...errorInit(error), attempts: run.attempts }, { cause: error });
  } finally {
    result.skippedEvents = state.malformed;
    input.release();
    if (!complete) controller.abort();
    await events.return?.();
    run.finish();
  }
}

function asStreamError(thrown: unknown, provider: Provider, run: Run, secrets: readonly string[]): SwitchboardError {
  if (!(thrown instanceof SwitchboardError)) {
    return run.signal.aborted ? run.abortError() : endedEarly(provider.name, `failed: ${redact(String(thrown), secrets)}`);
  }
  thrown.message = redact(thrown.message, secrets);
  return thrown;
}

function errorInit(error: SwitchboardError) {
  return {
    message: error.message,
    status: error.status,
    type: error.type,
    code: error.code,
    kind: error.kind,
    provider: error.provider,
    param: error.param,
    attempts: error.attempts,
    ...(error.retryAfterMs === undefined ? {} : { retryAfterMs: error.retryAfterMs }),
  };
}
