// `POST /v1/embeddings`: OpenAI's embeddings body to the router and its answer back unchanged
// in shape; the router checks the body and keeps failover inside the model's vector space.
import type { FastifyReply, FastifyRequest } from 'fastify';
import type { EmbeddingRequest } from '../protocol/embeddings.ts';
import { beginExchange, setAnswerHeaders } from './chat.ts';
import type { GatewayContext } from './context.ts';
import { shuttingDown } from './errors.ts';

export function createEmbeddingsHandler(context: GatewayContext) {
  return async (request: FastifyRequest, reply: FastifyReply) => {
    if (context.closing) throw shuttingDown();
    const body = request.body as EmbeddingRequest;
    const model = body !== null && typeof body === 'object' && typeof body.model === 'string' ? body.model : 'unknown';
    const exchange = beginExchange(context, reply, { model });
    const strategy = request.headers['x-switchboard-strategy'];
    const result = await context.router.embed(body, {
      signal: exchange.controller.signal,
      strategy: typeof strategy === 'string' ? strategy : undefined,
    });
    exchange.provider = result.provider;
    exchange.attempts = result.attempts;
    exchange.costUsd = result.costUsd;
    exchange.inputTokens = result.response.usage?.prompt_tokens ?? 0;
    setAnswerHeaders(reply, request.id, result);
    return result.response;
  };
}
