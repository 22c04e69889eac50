// The README's Responses example is examples/responses.ts, run here against a gateway over two
// emulated providers: the first turn answered in OpenAI's format, the next ones in Anthropic's.
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { after, describe, it } from 'node:test';
import { promisify } from 'node:util';
import { startGateway } from '../../src/gateway/server.ts';
import { anthropicMessage, anthropicStream } from '../gateway/responses-helpers.ts';
import { completion, openaiError, startUpstream } from '../support/upstream.ts';

const run = promisify(execFile);
const root = new URL('../../', import.meta.url);
const overloaded = { status: 503, json: openaiError('overloaded', 'server_error') };

describe('examples/responses.ts', () => {
  it('is the code the README shows', () => {
    const example = readFileSync(new URL('examples/responses.ts', root), 'utf8');
    const readme = readFileSync(new URL('README.md', root), 'utf8');
    const body = example.split('\n').slice(2).join('\n').trim();
    assert.ok(readme.includes(body), 'README.md shows examples/responses.ts verbatim (after its two comment lines)');
  });

  it('holds a conversation across a failover to another provider', async () => {
    const openai = await startUpstream([{ json: completion('Paris is the capital of France.') }, overloaded, overloaded]);
    const anthropic = await startUpstream([
      { json: anthropicMessage('About two million people live in Paris.') },
      { sse: anthropicStream("You're welcome!"), done: false },
    ]);
    const gateway = await startGateway({
      port: 0,
      logger: false,
      config: {
        providers: {
          openai: { baseUrl: openai.url, priority: 1, models: { 'llama-3.1-8b': 'gpt-emulated' } },
          anthropic: {
            protocol: 'anthropic',
            baseUrl: anthropic.url,
            priority: 2,
            models: { 'llama-3.1-8b': 'claude-emulated' },
          },
        },
      },
    });
    after(() => Promise.all([gateway.close(0), openai.close(), anthropic.close()]));
    const { stdout } = await run(process.execPath, ['examples/responses.ts'], {
      cwd: root,
      env: { ...process.env, SWITCHBOARD_URL: gateway.url },
      timeout: 20_000,
    });
    assert.equal(
      stdout,
      "Paris is the capital of France.\nAbout two million people live in Paris.\nYou're welcome!\n(completed)\n",
    );
    assert.deepEqual(
      anthropic.requests[1]?.body.messages.map((message: { role: string }) => message.role),
      ['user', 'assistant', 'user', 'assistant', 'user'],
    );
  });
});
