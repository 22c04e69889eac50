// The README's embeddings and token-counting examples (examples/embeddings.ts,
// examples/count-tokens.ts), run against a gateway over emulated providers.
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { after, describe, it } from 'node:test';
import { promisify } from 'node:util';
import { startGateway } from '../../src/gateway/server.ts';
import { embeddingsAnswer } from '../support/embeddings.ts';
import { openaiError, startUpstream } from '../support/upstream.ts';

const run = promisify(execFile);
const root = new URL('../../', import.meta.url);
const overloaded = { status: 503, json: openaiError('overloaded', 'server_error') };

function shownInReadme(file: string): void {
  const example = readFileSync(new URL(file, root), 'utf8');
  const readme = readFileSync(new URL('README.md', root), 'utf8');
  const body = example.split('\n').slice(2).join('\n').trim();
  assert.ok(readme.includes(body), `README.md shows ${file} verbatim (after its two comment lines)`);
}

async function runExample(file: string, url: string): Promise<string> {
  const { stdout } = await run(process.execPath, [file], {
    cwd: root,
    env: { ...process.env, SWITCHBOARD_URL: url },
    timeout: 20_000,
  });
  return stdout;
}

describe('examples/embeddings.ts', () => {
  it('is the code the README shows', () => shownInReadme('examples/embeddings.ts'));

  it('gets vectors while the first provider of the model is down', async () => {
    const openai = await startUpstream([overloaded, overloaded], { fallback: embeddingsAnswer() });
    const openrouter = await startUpstream([], { fallback: embeddingsAnswer({ space: 'text-embedding-3-small' }) });
    const gateway = await startGateway({
      port: 0,
      logger: false,
      config: {
        providers: {
          openai: { baseUrl: openai.url, embeddings: { 'text-embedding-3-small': 'text-embedding-3-small' } },
          openrouter: {
            baseUrl: openrouter.url,
            priority: 200,
            embeddings: { 'text-embedding-3-small': 'openai/text-embedding-3-small' },
          },
        },
        routing: { retryDelayMs: 1 },
      },
    });
    after(() => Promise.all([gateway.close(0), openai.close(), openrouter.close()]));
    const stdout = await runExample('examples/embeddings.ts', gateway.url);
    assert.equal(stdout, '2 vectors of 256 dimensions, 8 tokens\n');
    assert.equal(openrouter.requests.length, 1);
    assert.equal(openrouter.requests[0]!.body.dimensions, 256);
  });
});

describe('examples/count-tokens.ts', () => {
  it('is the code the README shows', () => shownInReadme('examples/count-tokens.ts'));

  it('prints Anthropic’s count, or an estimate marked as one', async () => {
    const claude = await startUpstream([], { fallback: { json: { input_tokens: 14 } } });
    const llama = await startUpstream();
    const config = (anthropic: boolean) => ({
      providers: {
        llama: { baseUrl: llama.url, models: { 'claude-sonnet': 'llama-3.3-70b' } },
        ...(anthropic
          ? { claude: { protocol: 'anthropic' as const, baseUrl: claude.url, models: { 'claude-sonnet': 'claude-sonnet-4-5' } } }
          : {}),
      },
    });
    const gateway = await startGateway({ port: 0, logger: false, config: config(true) });
    after(() => Promise.all([gateway.close(0), claude.close(), llama.close()]));
    assert.equal(await runExample('examples/count-tokens.ts', gateway.url), '14 input tokens\n');
    assert.equal(claude.requests[0]!.path, '/v1/messages/count_tokens');
    gateway.reload(config(false));
    assert.match(await runExample('examples/count-tokens.ts', gateway.url), /^\d+ input tokens \(estimated\)\n$/);
    assert.equal(llama.requests.length, 0);
  });
});
