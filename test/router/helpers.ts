// Shared set-up for router tests: providers in front of emulators, and a hello request.
import { after } from 'node:test';
import type { ConfigInput } from '../../src/config/schema.ts';
import type { ChatRequest } from '../../src/protocol/chat.ts';
import { createRouter, type Router } from '../../src/router/router.ts';
import { type ScriptEntry, startUpstream, type Upstream } from '../support/upstream.ts';

export const hello: ChatRequest = { model: 'm', messages: [{ role: 'user', content: 'hi' }] };

type Routing = NonNullable<ConfigInput['routing']>;

/** A router over OpenAI-compatible upstreams named a, b, c… in priority order, all serving model `m`. */
export function routerFor(urls: string[], routing: Routing = {}, extra: Partial<ConfigInput> = {}): Router {
  const providers: NonNullable<ConfigInput['providers']> = {};
  urls.forEach((url, index) => {
    const name = String.fromCharCode(97 + index);
    providers[name] = { baseUrl: url, apiKey: `sk-test-key-${name}-0000`, priority: index + 1, models: { m: `${name}-model` } };
  });
  return createRouter({ providers, routing: { retryDelayMs: 5, ...routing }, ...extra });
}

/** Reads a whole stream into its text. */
export async function collect(stream: AsyncIterable<{ choices: Array<{ delta: { content?: string | null } }> }>) {
  let text = '';
  for await (const chunk of stream) text += chunk.choices[0]?.delta.content ?? '';
  return text;
}

/** Starts an emulated upstream that closes itself when the test file is done. */
export async function upstream(script: ScriptEntry[] = [], fallback?: ScriptEntry): Promise<Upstream> {
  const started = await startUpstream(script, fallback === undefined ? {} : { fallback });
  after(() => started.close());
  return started;
}
