// The canonical embeddings shapes: OpenAI's `POST /v1/embeddings` request and its
// CreateEmbeddingResponse, field names as OpenAI spells them so bodies pass through untouched.

/** One text, a batch of texts, one list of token ids, or a batch of token-id lists. */
export type EmbeddingInput = string | string[] | number[] | number[][];

export interface EmbeddingRequest {
  /** The generic embedding model name. */
  model: string;
  input: EmbeddingInput;
  /** Shorter vectors, for models that support it (OpenAI's text-embedding-3 family). */
  dimensions?: number;
  /** `base64`: each vector as base64 of its little-endian float32 values. Default `float`. */
  encoding_format?: 'float' | 'base64';
  user?: string;
  [extension: string]: unknown;
}

export interface Embedding {
  object: 'embedding';
  index: number;
  /** Floats, or a base64 string when `encoding_format: 'base64'` was asked for. */
  embedding: number[] | string;
  [extension: string]: unknown;
}

export interface EmbeddingUsage {
  prompt_tokens: number;
  total_tokens: number;
  [extension: string]: unknown;
}

export interface EmbeddingResponse {
  object: 'list';
  data: Embedding[];
  model: string;
  usage: EmbeddingUsage;
  [extension: string]: unknown;
}
