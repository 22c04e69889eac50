// `POST /v1/messages/count_tokens` (the Anthropic SDK's `messages.countTokens`): Anthropic's own
// count when an Anthropic deployment of the model answers, else an estimate, said so in
// `x-switchboard-estimate: true`. Errors are in Anthropic's shape (the route's dialect).
import type { FastifyReply, FastifyRequest } from 'fastify';
import type { CountTokensBody } from '../router/router.ts';
import type { GatewayContext } from './context.ts';
import { clientClosed, shuttingDown } from './errors.ts';

export function createCountTokensHandler(context: GatewayContext) {
  return async (request: FastifyRequest, reply: FastifyReply) => {
    if (context.closing) throw shuttingDown();
    const controller = new AbortController();
    const response = reply.raw;
    const onClose = () => {
      if (!response.writableFinished) controller.abort(clientClosed());
    };
    response.once('close', onClose);
    const result = await context.router.countTokens(request.body as CountTokensBody, { signal: controller.signal });
    reply.header('x-request-id', request.id);
    reply.header('x-switchboard-attempts', String(result.attempts.length));
    if (result.provider !== undefined) reply.header('x-switchboard-provider', result.provider);
    if (result.estimated) reply.header('x-switchboard-estimate', 'true');
    return { input_tokens: result.inputTokens };
  };
}
