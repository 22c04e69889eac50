// The README's quick start is examples/quick-start.ts, run here against `switchboard serve` with no
// config file: fake keys in the environment, emulators behind GROQ_BASE_URL and TOGETHER_BASE_URL.
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { after, describe, it } from 'node:test';
import { promisify } from 'node:util';
import { cleanEnv, startCli, tempDir } from '../support/cli.ts';
import { completion, refusingUrl, startUpstream } from '../support/upstream.ts';

const run = promisify(execFile);
const root = new URL('../../', import.meta.url);

describe('examples/quick-start.ts', () => {
  it('is the code the README shows', () => {
    const example = readFileSync(new URL('examples/quick-start.ts', root), 'utf8');
    const readme = readFileSync(new URL('README.md', root), 'utf8');
    const body = example.split('\n').slice(2).join('\n').trim();
    assert.ok(readme.includes(body), 'README.md shows examples/quick-start.ts verbatim (after its two comment lines)');
  });

  it('gets its answer through a gateway started with only keys set, from Together when Groq is down', async () => {
    const together = await startUpstream([], { fallback: { json: completion('Hello from Together!') } });
    const dir = await tempDir();
    const env = cleanEnv({
      GROQ_API_KEY: 'gsk_quick_start_fake',
      TOGETHER_API_KEY: 'tg_quick_start_fake',
      GROQ_BASE_URL: await refusingUrl(),
      TOGETHER_BASE_URL: together.url,
    });
    const gateway = startCli(['serve', '--port', '0'], { cwd: dir.path, env });
    after(async () => {
      gateway.kill();
      await together.close();
      await dir.remove();
    });
    const [, url] = await gateway.waitFor(/listening on (http:\/\/127\.0\.0\.1:\d+)/, 15_000);
    const { stdout } = await run(process.execPath, ['examples/quick-start.ts'], {
      cwd: root,
      env: { ...process.env, SWITCHBOARD_URL: url },
      timeout: 20_000,
    });
    assert.equal(stdout.trim(), 'Hello from Together!');
    assert.equal(together.requests.at(-1)?.body.model, 'meta-llama/Meta-Llama-3.1-8B-Instruct-Turbo');
  });
});
