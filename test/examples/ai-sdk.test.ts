// The README's AI SDK example is examples/ai-sdk.ts, run here against emulated providers.
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { after, describe, it } from 'node:test';
import { promisify } from 'node:util';
import { embeddingsAnswer } from '../support/embeddings.ts';
import { completion, openaiError, startUpstream, textChunks } from '../support/upstream.ts';

const run = promisify(execFile);
const root = new URL('../../', import.meta.url);

describe('examples/ai-sdk.ts', () => {
  it('is the code the README shows', () => {
    const example = readFileSync(new URL('examples/ai-sdk.ts', root), 'utf8');
    const readme = readFileSync(new URL('README.md', root), 'utf8');
    const body = example.split('\n').slice(2).join('\n').trim();
    assert.ok(readme.includes(body), 'README.md shows examples/ai-sdk.ts verbatim (after its two comment lines)');
  });

  it('fails over inside generateText and streamText and prints who answered', async () => {
    const groq = await startUpstream([
      { status: 503, json: openaiError('overloaded', 'server_error') },
      { status: 503, json: openaiError('overloaded', 'server_error') },
    ]);
    const together = await startUpstream([
      { json: completion('Hello there, nice to meet!') },
      { sse: textChunks('1, 2, 3, 4, 5.', { usage: true }) },
      embeddingsAnswer({ dimensions: 768 }),
    ]);
    after(() => Promise.all([groq.close(), together.close()]));
    const { stdout } = await run(process.execPath, ['--conditions=switchboard-source', 'examples/ai-sdk.ts'], {
      cwd: root,
      env: {
        ...process.env,
        GROQ_URL: groq.url,
        TOGETHER_URL: together.url,
        GROQ_API_KEY: 'gsk_test',
        TOGETHER_API_KEY: 'tg_test',
      },
      timeout: 20_000,
    });
    assert.equal(
      stdout,
      'Hello there, nice to meet!\nanswered by together after 2 attempt(s)\n1, 2, 3, 4, 5.\nstreamed by together; finish: stop\nembedded in 768 dimensions\n',
    );
    assert.equal(groq.requests.length, 2, 'each call asked groq first: no shared "current model"');
    assert.equal(together.requests[1]!.body.stream, true);
    assert.equal(together.requests[2]!.path, '/v1/embeddings');
    assert.equal(together.requests[2]!.body.model, 'BAAI/bge-base-en-v1.5');
  });
});
