// OpenAI's embeddings wire protocol (`POST /embeddings`), spoken by OpenAI and the
// OpenAI-compatible vendors that serve embedding models (Together, Mistral, Fireworks, vLLM, Ollama…).
// Pure: the request in, the wire out; the wire in, a checked response out.
import type { EmbeddingInput, EmbeddingRequest, EmbeddingResponse } from '../protocol/embeddings.ts';
import { baseHeaders, type EmbeddingsCodec, type Target, type WireRequest, type WireResponse } from './adapter.ts';
import { malformed } from './failure.ts';
import { parseAnswer } from './openai.ts';

/** How many vectors an input asks for: one per string or token list. */
export function inputCount(input: EmbeddingInput): number {
  if (typeof input === 'string') return 1;
  // A flat list of token ids is one input; a list of strings or of token lists is a batch.
  return input.length > 0 && typeof input[0] === 'number' ? 1 : input.length;
}

export const openaiEmbeddings: EmbeddingsCodec = {
  encode(request: EmbeddingRequest, target: Target): WireRequest {
    return { path: '/embeddings', headers: baseHeaders(target), body: JSON.stringify({ ...request, model: target.model }) };
  },

  decode(response: WireResponse, target: Target, request: EmbeddingRequest): EmbeddingResponse {
    const body = parseAnswer(response, target.provider, 'data') as Partial<EmbeddingResponse> | null;
    if (body === null || typeof body !== 'object' || !Array.isArray(body.data)) {
      throw malformed(target.provider, 'no data');
    }
    const expected = inputCount(request.input);
    if (body.data.length !== expected) {
      throw malformed(target.provider, `${body.data.length} vectors for ${expected} inputs`);
    }
    const base64 = request.encoding_format === 'base64';
    const seen = new Set<number>();
    let dimensions: number | undefined;
    for (const [position, item] of body.data.entries()) {
      if (item === null || typeof item !== 'object') throw malformed(target.provider, `data[${position}] is not an object`);
      item.object ??= 'embedding';
      item.index ??= position;
      if (!Number.isInteger(item.index) || item.index < 0 || item.index >= expected || seen.has(item.index)) {
        throw malformed(target.provider, `data[${position}].index ${String(item.index)} is out of place`);
      }
      seen.add(item.index);
      // Some OpenAI-compatible servers ignore `encoding_format` and send floats: encode them as asked.
      if (base64 && Array.isArray(item.embedding)) item.embedding = floatsToBase64(item.embedding);
      const length = vectorLength(item.embedding);
      if (length === undefined || length === 0) throw malformed(target.provider, `data[${position}].embedding is not a vector`);
      // One answer is one vector space: vectors of several lengths are a broken answer, not a choice.
      if (dimensions !== undefined && length !== dimensions) {
        throw malformed(target.provider, `vectors of ${dimensions} and ${length} dimensions in one answer`);
      }
      dimensions = length;
      // A server that ignores `dimensions` answers vectors of another shape: not the space asked for.
      if (request.dimensions !== undefined && length !== request.dimensions) {
        throw malformed(target.provider, `vectors of ${length} dimensions, ${request.dimensions} asked for`);
      }
    }
    const usage = body.usage;
    body.usage = {
      ...usage,
      prompt_tokens: typeof usage?.prompt_tokens === 'number' ? usage.prompt_tokens : 0,
      total_tokens: typeof usage?.total_tokens === 'number' ? usage.total_tokens : (usage?.prompt_tokens ?? 0),
    };
    body.object = 'list';
    return body as EmbeddingResponse;
  },
};

/** The number of dimensions of a float vector or of a base64 float32 one; undefined when it is neither. */
function vectorLength(embedding: unknown): number | undefined {
  if (Array.isArray(embedding)) {
    for (const value of embedding) if (typeof value !== 'number') return undefined;
    return embedding.length;
  }
  if (typeof embedding === 'string') {
    const bytes = Buffer.byteLength(embedding, 'base64');
    return bytes % 4 === 0 ? bytes / 4 : undefined;
  }
  return undefined;
}

/** Float32 little-endian, base64: the encoding OpenAI documents for `encoding_format: base64`. */
function floatsToBase64(values: number[]): string {
  const bytes = Buffer.allocUnsafe(values.length * 4);
  for (const [index, value] of values.entries()) bytes.writeFloatLE(value, index * 4);
  return bytes.toString('base64');
}
