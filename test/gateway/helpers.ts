// Shared set-up for the gateway tests: a gateway in front of scripted upstreams, closed after the test.
import type { TestContext } from 'node:test';
import OpenAI from 'openai';
import type { ConfigInput } from '../../src/config/schema.ts';
import { type Gateway, type GatewayOptions, startGateway } from '../../src/gateway/server.ts';
import { type ScriptEntry, startUpstream, type Upstream } from '../support/upstream.ts';

export const hello = { model: 'llama', messages: [{ role: 'user' as const, content: 'Say hi' }] };

export async function upstream(t: TestContext, script: ScriptEntry[] = [], fallback?: ScriptEntry): Promise<Upstream> {
  const started = await startUpstream(script, fallback === undefined ? {} : { fallback });
  t.after(() => started.close());
  return started;
}

/** A config with one provider per URL, named first, second, …, in that priority order, all serving `llama`. */
export function providersFor(urls: string[], extra: Partial<ConfigInput> = {}): ConfigInput {
  const names = ['first', 'second', 'third', 'fourth'];
  const providers: ConfigInput['providers'] = {};
  for (const [index, url] of urls.entries()) {
    providers[names[index]!] = {
      baseUrl: url,
      apiKey: `sk-upstream-${index}-secret`,
      priority: index + 1,
      models: { llama: `llama-${index}` },
    };
  }
  return { ...extra, providers, routing: { retryDelayMs: 1, ...extra.routing } };
}

export async function gateway(
  t: TestContext,
  config: ConfigInput,
  options: Omit<GatewayOptions, 'config'> = {},
): Promise<Gateway> {
  const started = await startGateway({ port: 0, logger: false, ...options, config });
  t.after(() => started.close(0));
  return started;
}

export function client(gateway: Gateway, apiKey = 'unused'): OpenAI {
  return new OpenAI({ baseURL: `${gateway.url}/v1`, apiKey, maxRetries: 0, timeout: 5000 });
}

/** POSTs a body as-is (a string is sent verbatim) to the chat route. */
export function post(gateway: Gateway, body: unknown, headers: Record<string, string> = {}, signal?: AbortSignal) {
  return fetch(`${gateway.url}/v1/chat/completions`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...headers },
    body: typeof body === 'string' ? body : JSON.stringify(body),
    signal: signal ?? AbortSignal.timeout(5000),
  });
}

/** Polls `check` every 5 ms until it holds; fails after `timeoutMs`. */
export async function until(check: () => boolean | Promise<boolean>, timeoutMs = 1000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`condition not met within ${timeoutMs} ms`);
    await new Promise((resolve) => setTimeout(resolve, 5));
  }
}

/** The `data:` payloads of an SSE body. */
export function events(text: string): string[] {
  return text
    .split('\n\n')
    .filter((block) => block.startsWith('data: '))
    .map((block) => block.slice('data: '.length));
}
