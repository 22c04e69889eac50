// Streams: open an attempt, wait for its first content under the first-token deadline
// (failover is free until then), then relay the rest to the caller.
//
// The cut-off: once content has been handed to the caller, a failure can no longer be
// hidden by starting elsewhere from scratch. The relay then asks the router to continue
// on the next candidate, its fallbacks models included, from the text already delivered (a
// prefill where the provider takes one, else an explicit request to continue; continuation.ts). When nothing can
// continue, the error is thrown from the iterator: no finish_reason is invented and the
// caller never sees a clean end after a failure.
import type { Config } from '../config/schema.ts';
import { type ChatChunk, chunkChanged, hasContent, type Usage } from '../protocol/chat.ts';
import { type Attempt, SwitchboardError } from '../protocol/errors.ts';
import { excerpt } from '../protocol/redact.ts';
import type { SseEvent, StreamState } from '../providers/adapter.ts';
import { readEvents } from '../providers/sse.ts';
import type { Transport } from '../providers/transport.ts';
import { type Continuation, continuationRequest, dropEcho, primeChars } from './continuation.ts';
import { addCost } from './cost.ts';
import type { Deployment } from './deployment.ts';
import type { AttemptOptions } from './hedge.ts';
import { encodeFor, type Provider } from './provider.ts';
import type { Run } from './run.ts';

/** What a stream needs from its router; read per use, so a reload applies to the next attempt. */
export interface StreamContext {
  transport(): Transport;
  config(): Config;
  secrets(): readonly string[];
  /** The first-token deadline for this deployment, in ms. */
  firstTokenMs(deployment: Deployment): number;
  noteFirstToken(deployment: Deployment, ms: number): void;
  noteHeaders(deployment: Deployment, headers: Record<string, string>): number | undefined;
  recordFailure(deployment: Deployment, error: SwitchboardError): unknown;
  /** Notes a segment's reported usage (its cached share); returns its cost. */
  noteUsage(deployment: Deployment, usage: Usage): number | undefined;
  /** Continues a broken stream elsewhere from `text`, avoiding the deployment ids in `exclude`; rejects when none can. */
  recover(run: Run, model: string, text: string, exclude: ReadonlySet<string>): Promise<{ value: Segment }>;
}

/** One upstream stream, primed: its first content is in `buffered`. */
export interface Segment {
  deployment: Deployment;
  provider: Provider;
  events: AsyncIterator<SseEvent>;
  state: StreamState;
  buffered: ChatChunk[];
  /** Releases the attempt; `abort` (default true) closes the upstream connection, not needed after a clean end. */
  close(abort?: boolean): Promise<void>;
}

/** A stream whose first content has arrived. Iterate it once for every chunk, that first one included. */
export class StreamResult implements AsyncIterable<ChatChunk> {
  /** The provider answering now (it changes when a broken stream is recovered elsewhere). */
  provider: string;
  /** The deployment answering now. */
  deployment: string;
  /** The generic model answering (the one asked for, or a fallback). */
  readonly model: string;
  /** From the call until the first content arrived, every attempt included. */
  readonly latencyMs: number;
  /** Every provider tried; grows if the stream breaks and is recovered. */
  readonly attempts: Attempt[];
  /** Usage as reported upstream, summed across a recovery; undefined when none was reported. */
  usage: Usage | undefined;
  /** USD for the answer from each answering provider's `pricing` and reported usage; undefined when unknown. */
  costUsd: number | undefined;
  /** Times a broken stream was continued on another provider. */
  recoveries = 0;
  /** Events skipped because their payload could not be parsed. */
  skippedEvents = 0;
  readonly #relay: AsyncGenerator<ChatChunk>;
  readonly #abandon: () => Promise<void>;
  #started = false;

  constructor(init: {
    provider: string;
    deployment: string;
    model: string;
    latencyMs: number;
    attempts: Attempt[];
    relay: (result: StreamResult) => AsyncGenerator<ChatChunk>;
    /** Releases everything when the stream is cancelled before it was iterated. */
    abandon: () => Promise<void>;
  }) {
    this.provider = init.provider;
    this.deployment = init.deployment;
    this.model = init.model;
    this.latencyMs = init.latencyMs;
    this.attempts = init.attempts;
    this.#relay = init.relay(this);
    this.#abandon = init.abandon;
  }

  [Symbol.asyncIterator](): AsyncGenerator<ChatChunk> {
    this.#started = true;
    return this.#relay;
  }

  /** Abandons the stream and closes the upstream connection; safe before, during or after iteration. */
  async cancel(): Promise<void> {
    // An async generator that never started skips its `finally` on return(), so release here.
    const started = this.#started;
    this.#started = true;
    await this.#relay.return(undefined);
    if (!started) await this.#abandon();
  }
}

function streamError(provider: string, code: string, message: string, kind: 'timeout' | 'connect' | 'bad-request' = 'connect') {
  return new SwitchboardError({
    message: `${provider}: ${message}`,
    status: kind === 'timeout' ? 504 : kind === 'bad-request' ? 400 : 502,
    type: kind === 'timeout' ? 'timeout_error' : kind === 'bad-request' ? 'invalid_request_error' : 'server_error',
    code,
    kind,
    provider,
  });
}

/** Opens a stream on one deployment and returns once its first content has arrived. Throws SwitchboardError. */
export async function openSegment(
  deployment: Deployment,
  run: Run,
  context: StreamContext,
  continuation?: Continuation,
  options: AttemptOptions = {},
): Promise<Segment> {
  const { provider, target, model } = deployment;
  const { timeouts, responseModel, limits } = context.config().routing;
  const controller = new AbortController();
  const onRunAbort = () => controller.abort(run.signal.reason);
  run.signal.addEventListener('abort', onRunAbort, { once: true });
  const attemptSignal = options.signal;
  const onAttemptAbort = () => controller.abort(attemptSignal?.reason);
  attemptSignal?.addEventListener('abort', onAttemptAbort, { once: true });
  const firstTokenMs = Math.max(1, Math.min(context.firstTokenMs(deployment), run.remainingMs()));
  const timeOut = () =>
    controller.abort(streamError(provider.name, 'first_token_timeout', `no content within ${firstTokenMs} ms`, 'timeout'));
  // One timer per attempt: at the hedge delay (when it comes before the deadline) it starts the
  // hedge and re-arms itself for the rest of the first-token deadline.
  const late = options.late !== undefined && options.late.afterMs < firstTokenMs ? options.late : undefined;
  let timer =
    late === undefined
      ? setTimeout(timeOut, firstTokenMs)
      : setTimeout(() => {
          timer = setTimeout(timeOut, firstTokenMs - late.afterMs);
          late.start();
        }, late.afterMs);
  const started = performance.now();
  let events: AsyncIterator<SseEvent> | undefined;
  let release: (() => void) | undefined;
  const close = async (abort = true) => {
    clearTimeout(timer);
    run.signal.removeEventListener('abort', onRunAbort);
    attemptSignal?.removeEventListener('abort', onAttemptAbort);
    // Aborting builds an error with a stack: worth skipping on every stream that ended cleanly.
    if (abort || release === undefined) controller.abort();
    else release?.();
    await events?.return?.();
  };
  if (attemptSignal?.aborted) onAttemptAbort();
  try {
    const wire = encodeFor(provider, continuationRequest(run.request, continuation), target);
    const response = await context.transport().open(provider.endpoint, wire, {
      provider: provider.name,
      signal: controller.signal,
      firstByteMs: firstTokenMs,
      idleMs: timeouts.idleMs,
      maxErrorBodyBytes: limits.errorBodyBytes,
    });
    const retryAfterMs = context.noteHeaders(deployment, response.headers);
    if (response.status !== 200) {
      const body = await response.text();
      try {
        provider.adapter.decode({ status: response.status, headers: response.headers, body }, target);
      } catch (error) {
        if (error instanceof SwitchboardError && retryAfterMs !== undefined && error.retryAfterMs === undefined) {
          throw error.with({ retryAfterMs });
        }
        throw error;
      }
      throw streamError(provider.name, 'stream_incomplete', `answered HTTP ${response.status} without an error body`);
    }
    events = readEvents(response.body, { provider: provider.name, maxEventBytes: limits.eventBytes })[Symbol.asyncIterator]();
    release = response.release;
    const segment: Segment = {
      deployment,
      provider,
      events,
      state: provider.adapter.startStream(target, run.request),
      buffered: [],
      close,
    };
    const rename = responseModel === 'generic';
    // An explicit continuation is read a little further, so an echo of the delivered text's end can be dropped.
    const instruct = continuation?.mode === 'instruct';
    let seen = 0;
    for (let primed = false; !primed; ) {
      const next = await events.next();
      if (next.done || segment.state.done) {
        if (instruct && seen > 0) break;
        throw streamError(provider.name, 'stream_incomplete', 'stream ended before any content');
      }
      for (const chunk of provider.adapter.decodeEvent(next.value, segment.state)) {
        if (rename) renameChunk(chunk, model);
        segment.buffered.push(chunk);
        if (!instruct) primed ||= hasContent(chunk);
        else {
          seen += chunk.choices[0]?.delta.content?.length ?? 0;
          primed ||= seen >= primeChars || chunk.choices.some((choice) => choice.finish_reason);
        }
      }
    }
    if (instruct) dropEcho(continuation.text, segment.buffered);
    clearTimeout(timer);
    context.noteFirstToken(deployment, performance.now() - started);
    return segment;
  } catch (error) {
    await close();
    throw error;
  }
}

interface RelayInput {
  first: Segment;
  run: Run;
  context: StreamContext;
}

/** Relays chunks to the caller, continuing on another provider when a stream breaks after content. */
export async function* relay(result: StreamResult, { first, run, context }: RelayInput): AsyncGenerator<ChatChunk> {
  const { streamRecovery, responseModel } = context.config().routing;
  const rename = responseModel === 'generic';
  let segment = first;
  let delivered = '';
  let toolCalls = false;
  // Per choice index: whether its finish_reason came. With `n` > 1 the stream is complete only
  // when every choice seen has finished, and one text cannot continue several choices elsewhere.
  const choices = new Map<number, boolean>();
  const finished = () => choices.size > 0 && [...choices.values()].every(Boolean);
  const multiChoice = () => choices.size > 1 || (run.request.n ?? 1) > 1;
  let usageBefore: Usage | undefined;
  let costBefore: number | undefined = result.costUsd;
  let identity: { id: string; created: number } | undefined;
  const broken = new Set<string>();
  let complete = false;
  try {
    for (;;) {
      let segmentUsage: Usage | undefined;
      try {
        for (let chunk = segment.buffered.shift(); chunk !== undefined || !segment.state.done; chunk = segment.buffered.shift()) {
          if (chunk === undefined) {
            const next = await segment.events.next();
            if (next.done) break;
            for (const decoded of segment.provider.adapter.decodeEvent(next.value, segment.state)) {
              segment.buffered.push(decoded);
            }
            continue;
          }
          if (identity === undefined) identity = { id: chunk.id, created: chunk.created };
          else if (result.recoveries > 0) {
            // A continuation speaks as the original stream: same id, no second role, no empty chunks.
            chunk.id = identity.id;
            chunk.created = identity.created;
            chunkChanged(chunk);
            for (const choice of chunk.choices) delete choice.delta.role;
            if (!hasContent(chunk) && !chunk.usage) continue;
          }
          if (rename) renameChunk(chunk, result.model);
          if (chunk.usage) {
            segmentUsage = chunk.usage;
            result.costUsd = addCost(costBefore, context.noteUsage(segment.deployment, chunk.usage));
            if (usageBefore !== undefined) {
              chunk.usage = addUsage(usageBefore, chunk.usage);
              chunkChanged(chunk);
            }
            result.usage = chunk.usage;
          }
          for (const choice of chunk.choices) {
            if (typeof choice.delta.content === 'string') delivered += choice.delta.content;
            if (choice.delta.tool_calls) toolCalls = true;
            if (choice.finish_reason) choices.set(choice.index, true);
            else if (!choices.has(choice.index)) choices.set(choice.index, false);
          }
          yield chunk;
        }
        // Ended at the HTTP level: finished if every choice's finish_reason came, otherwise cut.
        if (!segment.state.done && !finished())
          throw streamError(segment.provider.name, 'stream_incomplete', 'stream ended before it was complete');
        for (const chunk of segment.provider.adapter.endStream?.(segment.state) ?? []) yield chunk;
        complete = true;
        return;
      } catch (thrown) {
        const error = asStreamError(thrown, segment.provider, run, context.secrets());
        result.skippedEvents += segment.state.malformed;
        segment.state.malformed = 0;
        await segment.close();
        if (error.kind !== 'aborted') context.recordFailure(segment.deployment, error);
        const attempt = run.attempts.findLast((entry) => entry.provider === segment.provider.name && entry.outcome === 'ok');
        if (attempt) {
          attempt.outcome = error.kind;
          attempt.reason = error.message;
        }
        if (error.kind === 'aborted' || !streamRecovery || finished() || multiChoice() || toolCalls || delivered.length === 0) {
          throw endError(error, run, toolCalls);
        }
        broken.add(segment.deployment.id);
        try {
          segment = (await context.recover(run, result.model, delivered, broken)).value;
        } catch {
          // Nothing could continue: name the break the caller lived through, not the last refusal.
          throw endError(error, run, false);
        }
        usageBefore = addUsage(usageBefore, segmentUsage);
        costBefore = result.costUsd;
        result.recoveries += 1;
        result.provider = segment.provider.name;
        result.deployment = segment.deployment.id;
      }
    }
  } finally {
    result.skippedEvents += segment.state.malformed;
    await segment.close(!complete);
    // The stream's span learns its tokens and cost only now, at its end.
    run.trace?.answered({
      deployment: result.deployment,
      provider: result.provider,
      usage: result.usage,
      costUsd: result.costUsd,
    });
    run.finish();
  }
}

function renameChunk(chunk: ChatChunk, model: string): void {
  if (chunk.model === model) return;
  chunk.model = model;
  chunkChanged(chunk);
}

function endError(error: SwitchboardError, run: Run, duringToolCall: boolean): SwitchboardError {
  const message = duringToolCall ? `${error.message} (during a tool call, which cannot be continued)` : error.message;
  return error.with({ message, attempts: run.attempts });
}

function addUsage(base: Usage | undefined, next: Usage | undefined): Usage | undefined {
  if (base === undefined) return next;
  if (next === undefined) return base;
  return {
    ...next,
    prompt_tokens: base.prompt_tokens + next.prompt_tokens,
    completion_tokens: base.completion_tokens + next.completion_tokens,
    total_tokens: base.total_tokens + next.total_tokens,
  };
}

function asStreamError(thrown: unknown, provider: Provider, run: Run, secrets: readonly string[]): SwitchboardError {
  if (!(thrown instanceof SwitchboardError)) {
    if (run.signal.aborted) return run.abortError();
    return streamError(provider.name, 'stream_incomplete', `stream failed: ${excerpt(String(thrown), secrets)}`);
  }
  thrown.message = excerpt(thrown.message, secrets);
  return thrown;
}
