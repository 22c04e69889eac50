// A router embedding model as the AI SDK's EmbeddingModelV4, for `embed` and `embedMany`.
// router.embed() fails over only between deployments declared to produce the same vectors.
import type { EmbeddingModelV4, EmbeddingModelV4CallOptions, EmbeddingModelV4Result, SharedV4Warning } from '@ai-sdk/provider';
import type { Router } from '../router/router.ts';
import { routingMetadata } from './answer.ts';
import { toAiSdkError } from './errors.ts';

export class SwitchboardEmbeddingModel implements EmbeddingModelV4 {
  readonly specificationVersion = 'v4' as const;
  readonly provider = 'switchboard';
  readonly modelId: string;
  /** OpenAI's limit of inputs per embeddings request; `embedMany` splits larger batches. */
  readonly maxEmbeddingsPerCall = 2048;
  readonly supportsParallelCalls = true;
  readonly #router: Router;

  constructor(router: Router, modelId: string) {
    this.#router = router;
    this.modelId = modelId;
  }

  async doEmbed(call: EmbeddingModelV4CallOptions): Promise<EmbeddingModelV4Result> {
    const warnings: SharedV4Warning[] = [];
    const headers = Object.keys(call.headers ?? {}).filter((name) => name.toLowerCase() !== 'user-agent');
    if (headers.length > 0) {
      warnings.push({ type: 'unsupported', feature: 'headers', details: 'per-call headers are not sent to providers' });
    }
    const request = {
      model: this.modelId,
      input: call.values,
      ...(call.dimensions !== undefined && { dimensions: call.dimensions }),
    };
    const strategy = call.providerOptions?.switchboard?.strategy;
    let result: Awaited<ReturnType<Router['embed']>>;
    try {
      result = await this.#router.embed(request, {
        ...(call.abortSignal && { signal: call.abortSignal }),
        ...(typeof strategy === 'string' && { strategy }),
      });
    } catch (error) {
      throw toAiSdkError(error, this.modelId, request, call.abortSignal);
    }
    const { response } = result;
    // Providers list vectors with their input's index; the spec wants them in input order.
    const embeddings = [...response.data]
      .sort((a, b) => a.index - b.index)
      .map((item) => (typeof item.embedding === 'string' ? decodeFloats(item.embedding) : item.embedding));
    return {
      embeddings,
      usage: { tokens: response.usage.prompt_tokens },
      providerMetadata: routingMetadata(result),
      response: { body: response },
      warnings,
    };
  }
}

/** A base64 vector (little-endian float32, OpenAI's `encoding_format: base64`) as numbers. */
function decodeFloats(encoded: string): number[] {
  const bytes = Buffer.from(encoded, 'base64');
  const floats: number[] = [];
  for (let offset = 0; offset + 4 <= bytes.length; offset += 4) floats.push(bytes.readFloatLE(offset));
  return floats;
}
