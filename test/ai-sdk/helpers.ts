// Shared set-up for the AI SDK provider tests: a Switchboard over scripted upstreams, closed after the test.
import type { TestContext } from 'node:test';
import { createSwitchboard, type Switchboard } from '../../src/ai-sdk/index.ts';
import type { ConfigInput } from '../../src/config/schema.ts';
import { type ScriptEntry, startUpstream, type Upstream } from '../support/upstream.ts';

export const bounded = { timeout: 10_000 };

export async function upstream(t: TestContext, script: ScriptEntry[] = [], fallback?: ScriptEntry): Promise<Upstream> {
  const started = await startUpstream(script, fallback === undefined ? {} : { fallback });
  t.after(() => started.close());
  return started;
}

const names = ['first', 'second', 'third'];

/** Providers named first, second, third in priority order, each serving the chat model `llama`. */
export function providersFor(urls: string[], routing: ConfigInput['routing'] = {}): ConfigInput {
  const providers: ConfigInput['providers'] = {};
  for (const [index, url] of urls.entries()) {
    providers[names[index]!] = {
      baseUrl: url,
      apiKey: `sk-upstream-${index}-secret`,
      priority: index + 1,
      models: { llama: `llama-${index}` },
    };
  }
  return { providers, routing: { retryDelayMs: 1, ...routing } };
}

export function switchboard(t: TestContext, config: ConfigInput): Switchboard {
  const created = createSwitchboard(config);
  t.after(() => created.close());
  return created;
}

/** The attempts `providerMetadata.switchboard` lists, as [provider, outcome] pairs. */
export function attemptsIn(metadata: unknown): Array<[string, string]> {
  const record = (metadata as { switchboard?: { attempts?: Array<{ provider: string; outcome: string }> } }).switchboard;
  return (record?.attempts ?? []).map((attempt) => [attempt.provider, attempt.outcome]);
}
