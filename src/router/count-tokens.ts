// Token counting for Anthropic's `messages.countTokens`: Anthropic's own count when an Anthropic
// deployment of the model answers, else an estimate with an OpenAI tokenizer, marked as one.
import type { Attempt } from '../protocol/errors.ts';
import { invalidRequest, SwitchboardError } from '../protocol/errors.ts';
import type { Target, WireRequest, WireResponse } from '../providers/adapter.ts';
import { type CountTokensBody, decodeCountTokens, encodeCountTokens, estimateCountTokens } from '../providers/anthropic-count.ts';
import type { OneShotContext, OneShotOptions } from './one-shot.ts';
import type { Provider } from './provider.ts';

/** What `router.countTokens()` returns. */
export interface TokenCountResult {
  inputTokens: number;
  /** True when no Anthropic deployment of the model answered and the count is an estimate. */
  estimated: boolean;
  /** The Anthropic provider that counted; undefined for an estimate. */
  provider: string | undefined;
  /** The Anthropic deployments tried, in order. */
  attempts: Attempt[];
}

/** Throws a 400 naming the field unless the body has a model and a non-empty messages array. */
export function checkCountRequest(body: unknown): asserts body is CountTokensBody {
  if (body === null || typeof body !== 'object' || Array.isArray(body)) {
    throw invalidRequest('The request body must be a JSON object.', null, 'invalid_type');
  }
  const { model, messages } = body as Record<string, unknown>;
  if (typeof model !== 'string' || model === '') throw invalidRequest('model: Field required', 'model');
  if (!Array.isArray(messages) || messages.length === 0) {
    throw invalidRequest('messages: a non-empty array is required', 'messages');
  }
  // The shape only, as Anthropic checks it; which block types count is left to Anthropic or the estimate.
  const { system, tools } = body as Record<string, unknown>;
  if (system !== undefined && typeof system !== 'string' && !isBlockList(system)) {
    throw invalidRequest('system: expected a string or an array of content blocks', 'system');
  }
  for (const [index, message] of messages.entries()) {
    const { role, content } = (isObject(message) ? message : {}) as Record<string, unknown>;
    if (role !== 'user' && role !== 'assistant') {
      throw invalidRequest(`messages.${index}.role: expected 'user' or 'assistant'`, `messages.${index}.role`);
    }
    if (typeof content !== 'string' && !isBlockList(content)) {
      throw invalidRequest(
        `messages.${index}.content: expected a string or an array of content blocks`,
        `messages.${index}.content`,
      );
    }
  }
  if (tools !== undefined && !(Array.isArray(tools) && tools.every((tool) => isObject(tool) && typeof tool.name === 'string'))) {
    throw invalidRequest('tools: expected an array of tools, each with a name', 'tools');
  }
}

function isObject(value: unknown): value is Record<string, unknown> {
  return value !== null && typeof value === 'object' && !Array.isArray(value);
}

function isBlockList(value: unknown): boolean {
  return Array.isArray(value) && value.every((block) => isObject(block) && typeof block.type === 'string');
}

/** Sends the count to one Anthropic deployment. */
export async function attemptCount(
  provider: Provider,
  target: Target,
  body: CountTokensBody,
  send: (provider: Provider, wire: WireRequest) => Promise<{ response: WireResponse; retryAfterMs: number | undefined }>,
): Promise<number> {
  const { response, retryAfterMs } = await send(provider, encodeCountTokens(body, target));
  try {
    return decodeCountTokens(response, target);
  } catch (error) {
    if (error instanceof SwitchboardError && retryAfterMs !== undefined && error.retryAfterMs === undefined) {
      throw error.with({ retryAfterMs });
    }
    throw error;
  }
}

let tokenizer: Promise<(text: string) => number> | undefined;

/** gpt-tokenizer (o200k), loaded on first use so that a gateway that never estimates never pays for it. */
export function loadTokenizer(): Promise<(text: string) => number> {
  tokenizer ??= import('gpt-tokenizer').then(
    // Text that looks like a special token (`<|endoftext|>`) is counted as text, not refused.
    ({ countTokens }) =>
      (text: string) =>
        countTokens(text, { disallowedSpecial: new Set() }),
  );
  return tokenizer;
}

/** `router.countTokens()`: Anthropic's count from an Anthropic deployment of the model, else an estimate. */
export async function countTokensWith(
  router: OneShotContext,
  body: CountTokensBody,
  options: OneShotOptions,
): Promise<TokenCountResult> {
  checkCountRequest(body);
  const state = router.state();
  const model = body.model;
  if (state.embeddingModels.has(model)) {
    throw invalidRequest(`"${model}" is an embedding model; count tokens for a chat model`, 'model', 'wrong_model_type');
  }
  const serving = state.byModel.get(model);
  if (serving === undefined) throw router.unknownModel(model);
  let attempts: Attempt[] = [];
  const others = serving.filter((deployment) => deployment.provider.protocol !== 'anthropic');
  if (others.length < serving.length) {
    const run = router.run(body, options);
    try {
      const exclude = new Set(others.map((deployment) => deployment.id));
      const outcome = await router
        .failover()
        .routeModel(
          model,
          run,
          (deployment) =>
            attemptCount(deployment.provider, deployment.target, body, (_provider, wire) =>
              router.exchange(deployment, wire, run),
            ),
          exclude,
        );
      if ('value' in outcome) {
        const provider = outcome.value.deployment.provider.name;
        return { inputTokens: outcome.value.value, estimated: false, provider, attempts: run.attempts };
      }
      // Anthropic refused the request itself (a 400), or the caller left: that is the answer.
      if (outcome.final) {
        throw outcome.error.attempts.length > 0 ? outcome.error : outcome.error.with({ attempts: run.attempts });
      }
      attempts = run.attempts;
    } finally {
      run.finish();
    }
  }
  const count = await loadTokenizer();
  return { inputTokens: estimateCountTokens(body, count), estimated: true, provider: undefined, attempts };
}
