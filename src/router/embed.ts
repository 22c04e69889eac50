// Embeddings through the router: the request's checks, one attempt, its cost, and the error
// when every deployment of the model failed. Failover stays inside one vector space: only the
// providers that map the generic embedding name are tried, and never another model.
import type { EmbeddingRequest, EmbeddingResponse } from '../protocol/embeddings.ts';
import { type Attempt, invalidRequest, SwitchboardError } from '../protocol/errors.ts';
import { ownValue } from '../protocol/own-value.ts';
import { excerpt } from '../protocol/redact.ts';
import type { Target, WireRequest, WireResponse } from '../providers/adapter.ts';
import type { OneShotContext, OneShotOptions } from './one-shot.ts';
import { allFailed } from './outcomes.ts';
import type { Provider } from './provider.ts';
import type { Run } from './run.ts';

/** What `router.embed()` returns. */
export interface EmbeddingResult {
  /** OpenAI's CreateEmbeddingResponse; `model` names the generic model unless `routing.responseModel` is `provider`. */
  response: EmbeddingResponse;
  /** The provider that answered. */
  provider: string;
  /** The deployment that answered. */
  deployment: string;
  /** The generic embedding model: always the one asked for. */
  model: string;
  /** From the call until the answer was complete, every attempt included. */
  latencyMs: number;
  /** Every provider tried, in order, the answering one last. */
  attempts: Attempt[];
  /** USD for the input tokens, from the answering provider's `pricing`; undefined when unpriced. */
  costUsd: number | undefined;
}

/** OpenAI's limit on the items of a batch ("any array must be 2048 dimensions or less"). */
export const maxEmbeddingInputs = 2048;
/** Larger than any embedding model's vectors (text-embedding-3-large: 3072); bounds what goes upstream. */
const maxDimensions = 65_536;

/** Throws a 400 naming the field for a body that is not an embeddings request; no provider is called. */
export function checkEmbeddingRequest(request: EmbeddingRequest): void {
  if (request === null || typeof request !== 'object' || Array.isArray(request)) {
    throw invalidRequest('the request body must be a JSON object');
  }
  if (typeof request.model !== 'string' || request.model === '') throw invalidRequest('`model` is required', 'model');
  if (!isInput(request.input)) {
    throw invalidRequest(
      '`input` must be a non-empty string, a non-empty array of strings, or token ids (an array of integers or of integer arrays)',
      'input',
    );
  }
  // One list of token ids is one input; a batch is a list of texts or of token-id lists.
  const batch = Array.isArray(request.input) && typeof request.input[0] !== 'number';
  if (batch && request.input.length > maxEmbeddingInputs) {
    throw invalidRequest(
      `\`input\` has ${request.input.length} items; a batch may have at most ${maxEmbeddingInputs}: split it into several requests`,
      'input',
    );
  }
  const { dimensions, encoding_format: format } = request;
  if (dimensions !== undefined && (!Number.isInteger(dimensions) || dimensions < 1 || dimensions > maxDimensions)) {
    throw invalidRequest(`\`dimensions\` must be a positive integer up to ${maxDimensions}`, 'dimensions');
  }
  if (format !== undefined && format !== 'float' && format !== 'base64') {
    throw invalidRequest("`encoding_format` must be 'float' or 'base64'", 'encoding_format');
  }
  if (request.user !== undefined && typeof request.user !== 'string') throw invalidRequest('`user` must be a string', 'user');
}

function isInput(input: unknown): boolean {
  if (typeof input === 'string') return input.length > 0;
  if (!Array.isArray(input) || input.length === 0) return false;
  if (typeof input[0] === 'string') return input.every((item) => typeof item === 'string' && item.length > 0);
  if (typeof input[0] === 'number') return input.every(isTokenId);
  return input.every((item) => Array.isArray(item) && item.length > 0 && item.every(isTokenId));
}

function isTokenId(value: unknown): boolean {
  return Number.isSafeInteger(value) && (value as number) >= 0;
}

/** The `model` is not served as an embedding model: 404 for an unknown name, 400 for a chat model. */
export function notAnEmbeddingModel(model: string, known: boolean, embeddingModels: Iterable<string>): SwitchboardError {
  const list = [...embeddingModels].join(', ') || '(none configured)';
  if (known) {
    return invalidRequest(
      `"${model}" is a chat model, not an embedding model; embedding models: ${list}`,
      'model',
      'wrong_model_type',
    );
  }
  return new SwitchboardError({
    message: `embedding model "${excerpt(model, [], 100)}" is not served here; embedding models: ${list}`,
    status: 404,
    type: 'invalid_request_error',
    code: 'model_not_found',
    kind: 'model-not-found',
    param: 'model',
  });
}

/** One attempt's I/O, supplied by the router (the transport and its rate-limit bookkeeping). */
export type SendEmbedding = (
  provider: Provider,
  wire: WireRequest,
) => Promise<{ response: WireResponse; retryAfterMs: number | undefined }>;

/** Sends the request to one provider and checks its answer. */
export async function attemptEmbedding(
  provider: Provider,
  target: Target,
  run: Run<EmbeddingRequest>,
  send: SendEmbedding,
): Promise<EmbeddingResponse> {
  const codec = provider.embedder;
  if (codec === undefined) {
    // The config refuses embeddings at such providers; this guards a hand-built Provider.
    throw invalidRequest(`${provider.name} has no embeddings endpoint`, 'model', 'embeddings_not_supported');
  }
  let wire: WireRequest;
  try {
    wire = codec.encode(run.request, target);
  } catch {
    // A library caller's extension field that JSON cannot hold (a cycle): the caller's 400, not the provider's failure.
    throw invalidRequest('The request cannot be encoded for an upstream.', null, 'request_not_encodable');
  }
  const { response, retryAfterMs } = await send(provider, wire);
  try {
    return codec.decode(response, target, run.request);
  } catch (error) {
    // A 429's wait hint from its headers, when its body gave none.
    if (error instanceof SwitchboardError && retryAfterMs !== undefined && error.retryAfterMs === undefined) {
      throw error.with({ retryAfterMs });
    }
    throw error;
  }
}

/** USD for an embedding answer: input tokens at the provider's input price. */
export function embeddingCost(provider: Provider, model: string, response: EmbeddingResponse): number | undefined {
  const pricing = ownValue(provider.pricing, model);
  if (pricing === undefined) return undefined;
  return (response.usage.prompt_tokens * pricing.input) / 1e6;
}

/**
 * Every deployment of the embedding model failed or is held off: the error lists each of them
 * (tried or not) and says that no other model was tried. 503 unless every attempt failed the
 * same telling way (429, 504, 404).
 */
export function embeddingsUnavailable(
  run: Run<EmbeddingRequest>,
  serving: readonly Provider[],
  retryAfterMs: number | undefined,
): SwitchboardError {
  const base = allFailed(run, retryAfterMs);
  const tried = new Map<string, Attempt>();
  for (const attempt of run.attempts) tried.set(attempt.provider, attempt);
  const list = serving.map((provider) => {
    const attempt = tried.get(provider.name);
    if (attempt === undefined) return `${provider.name} (not tried: cooling down or rate-limited)`;
    return `${provider.name} (${attempt.status || attempt.outcome}: ${attempt.reason ?? attempt.outcome})`;
  });
  return base.with({
    message: `every deployment of embedding model "${run.request.model}" is unavailable: ${list.join('; ')}. No other model was tried: its vectors would not be comparable.`,
    code: 'embedding_model_unavailable',
    status: base.status === 404 || base.status === 429 || base.status === 504 ? base.status : 503,
  });
}

/** `router.embed()`: the checks, the failover loop over the model's deployments only, the answer or the 503. */
export async function embedWith(
  router: OneShotContext,
  request: EmbeddingRequest,
  options: OneShotOptions,
): Promise<EmbeddingResult> {
  checkEmbeddingRequest(request);
  const state = router.state();
  const model = request.model;
  if (!state.embeddingModels.has(model)) {
    throw notAnEmbeddingModel(model, state.byModel.has(model), state.embeddingModels);
  }
  const run = router.run(request, options);
  try {
    const outcome = await router
      .failover()
      .routeModel(model, run, (deployment) =>
        attemptEmbedding(deployment.provider, deployment.target, run, (_provider, wire) =>
          router.exchange(deployment, wire, run),
        ),
      );
    if ('error' in outcome) {
      const { error } = outcome;
      if (outcome.final || error.kind === 'context-length' || error.kind === 'content-policy') {
        throw error.attempts.length > 0 ? error : error.with({ attempts: run.attempts });
      }
      const serving = state.byModel.get(model) ?? [];
      const readyAt = Math.min(...serving.map((deployment) => state.tracker.readyAt(deployment.id, Date.now())));
      const providers = [...new Set(serving.map((deployment) => deployment.provider))];
      throw embeddingsUnavailable(run, providers, readyAt - Date.now());
    }
    const { value, deployment } = outcome.value;
    const provider = deployment.provider;
    if (state.config.routing.responseModel === 'generic') value.model = model;
    return {
      response: value,
      provider: provider.name,
      deployment: deployment.id,
      model,
      latencyMs: run.elapsedMs(),
      attempts: run.attempts,
      costUsd: embeddingCost(provider, model, value),
    };
  } finally {
    run.finish();
  }
}
