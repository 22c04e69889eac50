// Canonical chunks as the AI SDK's stream parts, in the spec's order: response-metadata, then
// reasoning-start / -delta / -end and text-start / -delta / -end blocks, tool-input-start / -delta / -end per tool call,
// each call's complete tool-call, and finish last. The router has already recovered what could
// be recovered, so a chunk here is never a repeat; a failure it reports is final.
import { randomUUID } from 'node:crypto';
import type { LanguageModelV4StreamPart, SharedV4ProviderMetadata } from '@ai-sdk/provider';
import type { ChatChunk, ToolCallDelta, Usage } from '../protocol/chat.ts';
import { finishReasonFor, usageFor } from './answer.ts';

interface PendingTool {
  id: string;
  name: string;
  arguments: string;
  /** tool-input-start went out (it waits for the name, which some providers send late). */
  started: boolean;
}

export class StreamPartWriter {
  readonly #emit: (part: LanguageModelV4StreamPart) => void;
  readonly #includeRaw: boolean;
  readonly #tools = new Map<number, PendingTool>();
  #text: string | undefined;
  #textBlocks = 0;
  #reasoning: string | undefined;
  #reasoningBlocks = 0;
  #finishReason: string | null = null;
  #identified = false;

  constructor(emit: (part: LanguageModelV4StreamPart) => void, includeRaw = false) {
    this.#emit = emit;
    this.#includeRaw = includeRaw;
  }

  chunk(chunk: ChatChunk): void {
    if (this.#includeRaw) this.#emit({ type: 'raw', rawValue: chunk });
    if (!this.#identified) {
      this.#identified = true;
      this.#emit({ type: 'response-metadata', id: chunk.id, modelId: chunk.model, timestamp: new Date(chunk.created * 1000) });
    }
    // The router asks for one choice (n is never set), so the first is the answer.
    const choice = chunk.choices[0];
    if (choice === undefined) return;
    const { content, refusal, tool_calls: toolCalls } = choice.delta;
    const reasoning = reasoningOf(choice.delta);
    if (reasoning !== undefined) this.#reasoningDelta(reasoning);
    if (typeof content === 'string' && content !== '') this.#textDelta(content);
    if (typeof refusal === 'string' && refusal !== '') this.#textDelta(refusal);
    for (const delta of toolCalls ?? []) this.#toolDelta(delta);
    if (choice.finish_reason) this.#finishReason = choice.finish_reason;
  }

  #reasoningDelta(delta: string): void {
    if (this.#reasoning === undefined) {
      this.#reasoning = `reasoning-${this.#reasoningBlocks++}`;
      this.#emit({ type: 'reasoning-start', id: this.#reasoning });
    }
    this.#emit({ type: 'reasoning-delta', id: this.#reasoning, delta });
  }

  #closeReasoning(): void {
    if (this.#reasoning === undefined) return;
    this.#emit({ type: 'reasoning-end', id: this.#reasoning });
    this.#reasoning = undefined;
  }

  #textDelta(delta: string): void {
    this.#closeReasoning();
    if (this.#text === undefined) {
      this.#text = `text-${this.#textBlocks++}`;
      this.#emit({ type: 'text-start', id: this.#text });
    }
    this.#emit({ type: 'text-delta', id: this.#text, delta });
  }

  #closeText(): void {
    if (this.#text === undefined) return;
    this.#emit({ type: 'text-end', id: this.#text });
    this.#text = undefined;
  }

  #toolDelta(delta: ToolCallDelta): void {
    let tool = this.#tools.get(delta.index);
    if (tool === undefined) {
      tool = { id: delta.id || `call_${randomUUID()}`, name: '', arguments: '', started: false };
      this.#tools.set(delta.index, tool);
    }
    tool.name += delta.function?.name ?? '';
    const piece = delta.function?.arguments ?? '';
    tool.arguments += piece;
    if (!tool.started && tool.name !== '') {
      this.#closeReasoning();
      this.#closeText();
      tool.started = true;
      this.#emit({ type: 'tool-input-start', id: tool.id, toolName: tool.name });
      if (tool.arguments !== '') this.#emit({ type: 'tool-input-delta', id: tool.id, delta: tool.arguments });
    } else if (tool.started && piece !== '') {
      this.#emit({ type: 'tool-input-delta', id: tool.id, delta: piece });
    }
  }

  /** The stream ended complete: closes open blocks, emits each tool call whole, then finish. */
  end(usage: Usage | undefined, providerMetadata: SharedV4ProviderMetadata): void {
    this.#closeReasoning();
    this.#closeText();
    for (const tool of [...this.#tools.entries()].sort(([a], [b]) => a - b).map(([, pending]) => pending)) {
      if (!tool.started) {
        tool.started = true;
        this.#emit({ type: 'tool-input-start', id: tool.id, toolName: tool.name });
        if (tool.arguments !== '') this.#emit({ type: 'tool-input-delta', id: tool.id, delta: tool.arguments });
      }
      this.#emit({ type: 'tool-input-end', id: tool.id });
      // A call without arguments is sent as '' by some providers; the spec wants JSON.
      const input = tool.arguments.trim() === '' ? '{}' : tool.arguments;
      this.#emit({ type: 'tool-call', toolCallId: tool.id, toolName: tool.name, input });
    }
    this.#emit({ type: 'finish', finishReason: finishReasonFor(this.#finishReason), usage: usageFor(usage), providerMetadata });
  }

  /**
   * The stream broke and nothing could continue it: an error part, then a finish whose reason is
   * `error`, so the caller never mistakes the partial answer for a whole one. Half-received
   * tool calls are not emitted: their arguments are cut.
   */
  fail(error: unknown, usage: Usage | undefined, providerMetadata: SharedV4ProviderMetadata): void {
    this.#closeReasoning();
    this.#closeText();
    this.#emit({ type: 'error', error });
    this.#emit({
      type: 'finish',
      finishReason: { unified: 'error', raw: this.#finishReason ?? undefined },
      usage: usageFor(usage),
      providerMetadata,
    });
  }
}

/**
 * The reasoning text OpenAI-compatible servers add beside `content`: `reasoning_content` (DeepSeek,
 * vLLM) or `reasoning` (OpenRouter, Groq's parsed format). OpenAI's own API sends none.
 */
export function reasoningOf(message: Record<string, unknown> | undefined): string | undefined {
  const reasoning = message?.reasoning_content ?? message?.reasoning;
  return typeof reasoning === 'string' && reasoning !== '' ? reasoning : undefined;
}
