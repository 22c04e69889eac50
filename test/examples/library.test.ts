// The README's library example is examples/library.ts, run here against emulated providers.
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { after, describe, it } from 'node:test';
import { promisify } from 'node:util';
import { completion, openaiError, startUpstream, textChunks } from '../support/upstream.ts';

const run = promisify(execFile);
const root = new URL('../../', import.meta.url);

describe('examples/library.ts', () => {
  it('is the code the README shows', () => {
    const example = readFileSync(new URL('examples/library.ts', root), 'utf8');
    const readme = readFileSync(new URL('README.md', root), 'utf8');
    const body = example.split('\n').slice(2).join('\n').trim();
    assert.ok(readme.includes(body), 'README.md shows examples/library.ts verbatim (after its two comment lines)');
  });

  it('fails over from a failing first provider and prints who answered', async () => {
    const groq = await startUpstream([
      { status: 503, json: openaiError('overloaded', 'server_error') },
      { status: 503, json: openaiError('overloaded', 'server_error') },
    ]);
    const together = await startUpstream([
      { json: completion('Hello there, nice to meet!') },
      { sse: textChunks('1, 2, 3, 4, 5.') },
    ]);
    after(() => Promise.all([groq.close(), together.close()]));
    const { stdout } = await run(process.execPath, ['--conditions=switchboard-source', 'examples/library.ts'], {
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
    assert.match(
      stdout,
      /^Hello there, nice to meet!\nanswered by together in \d+ ms after 2 attempt\(s\)\n1, 2, 3, 4, 5\.\nstreamed by together; first token after \d+ ms\n$/,
    );
    assert.equal(together.requests[0]!.headers.authorization, 'Bearer tg_test');
  });
});
