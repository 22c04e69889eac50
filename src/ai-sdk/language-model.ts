// A router model as the AI SDK's LanguageModelV4. Every call is its own router request, so each
// fails over by the router's rules on its own: there is no "current model" shared between calls.
import type {
  LanguageModelV4,
  LanguageModelV4CallOptions,
  LanguageModelV4Content,
  LanguageModelV4GenerateResult,
  LanguageModelV4StreamPart,
  LanguageModelV4StreamResult,
} from '@ai-sdk/provider';
import type { ChatChunk } from '../protocol/chat.ts';
import type { Router, StreamResult } from '../router/router.ts';
import { finishReasonFor, routingMetadata, usageFor } from './answer.ts';
import { toAiSdkError } from './errors.ts';
import { prepareCall } from './request.ts';
import { reasoningOf, StreamPartWriter } from './stream-parts.ts';

export class SwitchboardLanguageModel implements LanguageModelV4 {
  readonly specificationVersion = 'v4' as const;
  readonly provider = 'switchboard';
  readonly modelId: string;
  /** Image URLs go to the provider as they are (Chat Completions takes them); other files are downloaded by the AI SDK. */
  readonly supportedUrls = { 'image/*': [/^https?:\/\/.*$/] };
  readonly #router: Router;

  constructor(router: Router, modelId: string) {
    this.#router = router;
    this.modelId = modelId;
  }

  async doGenerate(call: LanguageModelV4CallOptions): Promise<LanguageModelV4GenerateResult> {
    const { request, options, warnings } = prepareCall(this.modelId, call, false);
    let result: Awaited<ReturnType<Router['complete']>>;
    try {
      result = await this.#router.complete(request, options);
    } catch (error) {
      throw toAiSdkError(error, this.modelId, request, call.abortSignal);
    }
    const { response } = result;
    const choice = response.choices[0];
    const content: LanguageModelV4Content[] = [];
    const message = choice?.message;
    const reasoning = reasoningOf(message);
    if (reasoning !== undefined) content.push({ type: 'reasoning', text: reasoning });
    if (typeof message?.content === 'string' && message.content !== '') content.push({ type: 'text', text: message.content });
    if (typeof message?.refusal === 'string' && message.refusal !== '') content.push({ type: 'text', text: message.refusal });
    for (const call of message?.tool_calls ?? []) {
      const input = call.function.arguments.trim() === '' ? '{}' : call.function.arguments;
      content.push({ type: 'tool-call', toolCallId: call.id, toolName: call.function.name, input });
    }
    return {
      content,
      finishReason: finishReasonFor(choice?.finish_reason),
      usage: usageFor(response.usage),
      providerMetadata: routingMetadata(result),
      request: { body: request },
      response: {
        id: response.id,
        modelId: response.model,
        timestamp: new Date(response.created * 1000),
        body: response,
      },
      warnings,
    };
  }

  async doStream(call: LanguageModelV4CallOptions): Promise<LanguageModelV4StreamResult> {
    const { request, options, warnings } = prepareCall(this.modelId, call, true);
    let result: StreamResult;
    try {
      // Resolves once the first content arrived; every failover before that is invisible here.
      result = await this.#router.stream(request, options);
    } catch (error) {
      throw toAiSdkError(error, this.modelId, request, call.abortSignal);
    }
    const chunks: AsyncIterator<ChatChunk> = result[Symbol.asyncIterator]();
    const metadata = () => routingMetadata(result);
    const modelId = this.modelId;
    let writer: StreamPartWriter;
    let ended = false;
    let emitted = 0;
    const stream = new ReadableStream<LanguageModelV4StreamPart>({
      start(controller) {
        writer = new StreamPartWriter((part) => {
          emitted += 1;
          controller.enqueue(part);
        }, call.includeRawChunks === true);
        controller.enqueue({ type: 'stream-start', warnings });
      },
      // One upstream chunk per pull (a chunk may make no part, so read until one does or it ends):
      // a slow reader slows the upstream read instead of buffering the answer here.
      async pull(controller) {
        const before = emitted;
        while (!ended && emitted === before) {
          let next: IteratorResult<ChatChunk>;
          try {
            next = await chunks.next();
          } catch (error) {
            ended = true;
            writer.fail(toAiSdkError(error, modelId, request, call.abortSignal), result.usage, metadata());
            controller.close();
            return;
          }
          if (next.done) {
            ended = true;
            writer.end(result.usage, metadata());
            controller.close();
            return;
          }
          writer.chunk(next.value);
        }
      },
      async cancel() {
        ended = true;
        await result.cancel();
      },
    });
    return { stream, request: { body: request } };
  }
}
