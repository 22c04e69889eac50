// The reliability suite's client: sends one request of a kind (chat or messages, JSON or SSE) and
// judges the answer: a complete, coherent success (its text passes answers.ts's check and it ends
// the way its API ends), a clean failure (an error in the route's shape, or a stream that ends
// with an error event), or the two things that must never happen: a truncated success and a hang.
import { Agent } from 'undici';
import { answerProblem } from './answers.ts';

export type Kind = 'chat-json' | 'chat-sse' | 'messages-json' | 'messages-sse';
export const kinds: readonly Kind[] = ['chat-json', 'chat-sse', 'messages-json', 'messages-sse'];

export type Verdict = 'success' | 'failure' | 'truncated' | 'hang' | 'malformed-error';

export interface Outcome {
  kind: Kind;
  verdict: Verdict;
  status: number;
  /** What was wrong, for verdicts other than success. */
  problem?: string;
  body: string;
  headers: Record<string, string | string[] | undefined>;
}

export interface ChaosClient {
  send(kind: Kind, options?: { model?: string; prompt?: string }): Promise<Outcome>;
  /** A raw request through the same connection pool; never rejects (status 0 and the error as body on a network failure or timeout). */
  raw(
    method: string,
    path: string,
    options?: { headers?: Record<string, string>; body?: string | Buffer },
  ): Promise<{ status: number; body: string; headers: Record<string, string | string[] | undefined> }>;
  /** Closes every connection, so the gateway's descriptors can go back down; later requests open new ones. */
  close(): Promise<void>;
}

export function createChaosClient(baseUrl: string, options: { apiKey?: string; timeoutMs: number }): ChaosClient {
  const newAgent = () => new Agent({ connections: 64, keepAliveTimeout: 2000 });
  let agent = newAgent();
  const auth: Record<string, string> = options.apiKey ? { authorization: `Bearer ${options.apiKey}` } : {};

  const raw: ChaosClient['raw'] = async (method, path, request = {}) => {
    try {
      const response = await agent.request({
        origin: baseUrl,
        path,
        method: method as 'GET',
        headers: { ...auth, ...request.headers },
        body: request.body,
        signal: AbortSignal.timeout(options.timeoutMs),
      });
      return { status: response.statusCode, body: await response.body.text(), headers: response.headers };
    } catch (error) {
      return { status: 0, body: String((error as Error).name === 'TimeoutError' ? 'timeout' : error), headers: {} };
    }
  };

  return {
    raw,
    async send(kind, { model = 'chaos', prompt = `chaos ${Math.random()}` } = {}) {
      const messages = kind.startsWith('messages');
      const stream = kind.endsWith('sse');
      const body = messages
        ? { model, max_tokens: 256, stream, messages: [{ role: 'user', content: prompt }] }
        : { model, stream, messages: [{ role: 'user', content: prompt }] };
      const started = Date.now();
      const response = await raw('POST', messages ? '/v1/messages' : '/v1/chat/completions', {
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify(body),
      });
      const outcome = { kind, status: response.status, body: response.body, headers: response.headers };
      if (response.status === 0) {
        const hung = response.body === 'timeout' || Date.now() - started >= options.timeoutMs;
        return { ...outcome, verdict: hung ? 'hang' : 'failure', problem: response.body };
      }
      const problem = judge(kind, response.status, response.body);
      return { ...outcome, ...problem };
    },
    close() {
      const old = agent;
      agent = newAgent();
      return old.close();
    },
  };
}

function judge(kind: Kind, status: number, body: string): { verdict: Verdict; problem?: string } {
  if (status !== 200) {
    const shape = errorShapeProblem(body, kind.startsWith('messages') ? 'anthropic' : 'openai');
    return shape ? { verdict: 'malformed-error', problem: `${status}: ${shape}` } : { verdict: 'failure' };
  }
  const problem = successProblem(kind, body);
  if (problem === undefined) return { verdict: 'success' };
  // A stream that ended with a well-formed error event is a clean failure, not a success.
  if (problem === 'error event') return { verdict: 'failure' };
  return { verdict: 'truncated', problem };
}

/** Why a 200 body is not a complete answer ('error event' for a stream that reported its failure). */
function successProblem(kind: Kind, body: string): string | undefined {
  switch (kind) {
    case 'chat-json': {
      const parsed = parseJson(body) as { choices?: Array<{ message?: { content?: unknown }; finish_reason?: unknown }> };
      const choice = parsed?.choices?.[0];
      if (choice?.finish_reason !== 'stop') return `finish_reason ${String(choice?.finish_reason)}`;
      return answerProblem(choice.message?.content);
    }
    case 'messages-json': {
      const parsed = parseJson(body) as { type?: unknown; content?: Array<{ text?: unknown }>; stop_reason?: unknown };
      if (parsed?.type !== 'message' || parsed.stop_reason !== 'end_turn') return `stop_reason ${String(parsed?.stop_reason)}`;
      return answerProblem(parsed.content?.map((block) => block.text ?? '').join(''));
    }
    case 'chat-sse': {
      const data = sseEvents(body).map((event) => event.data);
      if (data.some((payload) => (parseJson(payload) as { error?: unknown } | undefined)?.error !== undefined)) {
        return data.includes('[DONE]') ? '[DONE] after an error event' : 'error event';
      }
      if (data.at(-1) !== '[DONE]') return 'no [DONE] and no error event';
      let text = '';
      let finish: unknown;
      for (const payload of data.slice(0, -1)) {
        const chunk = parseJson(payload) as { choices?: Array<{ delta?: { content?: unknown }; finish_reason?: unknown }> };
        if (chunk === undefined) return `unparsable event ${payload.slice(0, 60)}`;
        for (const choice of chunk.choices ?? []) {
          if (typeof choice.delta?.content === 'string') text += choice.delta.content;
          finish = choice.finish_reason ?? finish;
        }
      }
      if (finish !== 'stop') return `finish_reason ${String(finish)} before [DONE]`;
      return answerProblem(text);
    }
    case 'messages-sse': {
      const events = sseEvents(body);
      if (events.some((event) => event.event === 'error')) {
        return events.at(-1)?.event === 'error' ? 'error event' : 'events after an error event';
      }
      if (events.at(-1)?.event !== 'message_stop') return 'no message_stop and no error event';
      let text = '';
      let stop: unknown;
      for (const event of events) {
        const payload = parseJson(event.data) as { delta?: { type?: string; text?: unknown; stop_reason?: unknown } };
        if (event.event === 'content_block_delta' && typeof payload?.delta?.text === 'string') text += payload.delta.text;
        if (event.event === 'message_delta') stop = payload?.delta?.stop_reason;
      }
      if (stop !== 'end_turn') return `stop_reason ${String(stop)}`;
      return answerProblem(text);
    }
  }
}

/** Why a body is not an error in the dialect's shape, or undefined when it is. */
export function errorShapeProblem(body: string, dialect: 'openai' | 'anthropic'): string | undefined {
  const parsed = parseJson(body) as { type?: unknown; error?: Record<string, unknown> } | undefined;
  if (parsed === undefined) return `not JSON: ${body.slice(0, 80)}`;
  const error = parsed.error;
  if (error === null || typeof error !== 'object') return `no error object: ${body.slice(0, 80)}`;
  if (typeof error.message !== 'string' || typeof error.type !== 'string')
    return `error without message/type: ${body.slice(0, 80)}`;
  if (dialect === 'anthropic') return parsed.type === 'error' ? undefined : `not Anthropic's shape: ${body.slice(0, 80)}`;
  for (const field of ['code', 'param']) if (!(field in error)) return `error without ${field}: ${body.slice(0, 80)}`;
  return undefined;
}

export function sseEvents(body: string): Array<{ event: string | undefined; data: string }> {
  const events: Array<{ event: string | undefined; data: string }> = [];
  for (const block of body.split(/\r?\n\r?\n/)) {
    let event: string | undefined;
    const data: string[] = [];
    for (const line of block.split(/\r?\n/)) {
      if (line.startsWith('event:')) event = line.slice(6).trim();
      else if (line.startsWith('data:')) data.push(line.slice(line.startsWith('data: ') ? 6 : 5));
    }
    if (data.length > 0) events.push({ event, data: data.join('\n') });
  }
  return events;
}

function parseJson(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return undefined;
  }
}
