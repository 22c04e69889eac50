// Zero to failover: fake keys in the environment, emulators standing in for Groq and Together
// (their base URLs overridden by GROQ_BASE_URL / TOGETHER_BASE_URL). `init --yes` writes a valid
// config; `serve` with it and `serve` with no config at all serve the same models, and fail over.
import assert from 'node:assert/strict';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import OpenAI from 'openai';
import { cleanEnv, type RunningCli, runCli, startCli, tempDir } from '../support/cli.ts';
import { completion, startUpstream, type Upstream } from '../support/upstream.ts';

const groqKey = 'gsk_fake_init_test_key_1';
const togetherKey = 'tg_fake_init_test_key_2';

describe('switchboard init and serve from the environment', () => {
  let groq: Upstream;
  let together: Upstream;
  let written: Awaited<ReturnType<typeof tempDir>>;
  let empty: Awaited<ReturnType<typeof tempDir>>;
  let env: NodeJS.ProcessEnv;
  const running: RunningCli[] = [];

  before(async () => {
    groq = await startUpstream([], { fallback: { json: completion('from groq') } });
    together = await startUpstream([], { fallback: { json: completion('from together') } });
    written = await tempDir();
    empty = await tempDir();
    env = cleanEnv({
      GROQ_API_KEY: groqKey,
      TOGETHER_API_KEY: togetherKey,
      GROQ_BASE_URL: groq.url,
      TOGETHER_BASE_URL: together.url,
    });
  });
  after(async () => {
    for (const cli of running) cli.kill();
    await groq.close();
    await together.close();
    await written.remove();
    await empty.remove();
  });

  async function serve(cwd: string): Promise<{ cli: RunningCli; url: string }> {
    const cli = startCli(['serve', '--port', '0'], { cwd, env });
    running.push(cli);
    const [, url] = await cli.waitFor(/listening on (http:\/\/127\.0\.0\.1:\d+)/, 15_000);
    return { cli, url: url! };
  }

  async function modelIds(url: string): Promise<string[]> {
    const client = new OpenAI({ baseURL: `${url}/v1`, apiKey: 'none', maxRetries: 0 });
    const ids: string[] = [];
    for await (const model of client.models.list()) ids.push(model.id);
    return ids.sort();
  }

  let fromFile: string[] = [];

  it('init --yes writes a commented config mapping each model to every provider that has it, without a key', async () => {
    const result = await runCli(['init', '--yes'], { cwd: written.path, env });
    assert.equal(result.code, 0, result.stderr);
    assert.match(result.stderr, /found keys for groq \(GROQ_API_KEY\), together \(TOGETHER_API_KEY\)/);
    assert.match(result.stdout, /llama-3\.1-8b → groq, together/);
    const text = await readFile(join(written.path, 'switchboard.yaml'), 'utf8');
    assert.match(text, /^# switchboard\.yaml, written by `switchboard init`/);
    assert.match(text, /apiKey: \$\{GROQ_API_KEY:-\}/);
    assert.match(text, /apiKey: \$\{TOGETHER_API_KEY:-\}/);
    assert.match(text, /llama-3\.1-8b: llama-3\.1-8b-instant/);
    assert.match(text, /llama-3\.1-8b: meta-llama\/Meta-Llama-3\.1-8B-Instruct-Turbo/);
    assert.match(text, /llama-3\.1-8b: \{ input: 0\.05, output: 0\.08 \}/);
    assert.ok(text.indexOf('  groq:') < text.indexOf('  together:'), 'groq is tried first');
    assert.doesNotMatch(text + result.stdout + result.stderr, new RegExp(`${groqKey}|${togetherKey}`));

    const validated = await runCli(['validate', 'switchboard.yaml'], { cwd: written.path, env });
    assert.equal(validated.code, 0, validated.stderr);
    assert.match(validated.stdout, /providers {2}groq \(priority 1\), together \(priority 2\)/);

    const again = await runCli(['init', '--yes'], { cwd: written.path, env });
    assert.equal(again.code, 1);
    assert.match(again.stderr, /exists; pass --force/);
  });

  it('init --models serves only the models named, refuses an unknown one, and will not ask without a terminal', async () => {
    const dir = await tempDir();
    try {
      const picked = await runCli(['init', '--models', 'llama-3.3-70b', '--output', 'two.yaml'], { cwd: dir.path, env });
      assert.equal(picked.code, 0, picked.stderr);
      const text = await readFile(join(dir.path, 'two.yaml'), 'utf8');
      assert.match(text, /llama-3\.3-70b: llama-3\.3-70b-versatile/);
      assert.match(text, /llama-3\.3-70b: meta-llama\/Llama-3\.3-70B-Instruct-Turbo/);
      assert.doesNotMatch(text, /llama-3\.1-8b/);
      assert.match(picked.stdout, /Next: switchboard serve --config two\.yaml/);
      const unknown = await runCli(['init', '--models', 'llama-3.3-70b,gpt-9'], { cwd: dir.path, env });
      assert.equal(unknown.code, 1);
      assert.match(unknown.stderr, /not served by any provider found: gpt-9/);
      const asked = await runCli(['init'], { cwd: dir.path, env });
      assert.equal(asked.code, 1);
      assert.match(asked.stderr, /stdin is not a terminal: pass --yes/);
    } finally {
      await dir.remove();
    }
  });

  it('serve reads the written file and fails over from Groq to Together', async () => {
    const { cli, url } = await serve(written.path);
    fromFile = await modelIds(url);
    assert.ok(fromFile.includes('llama-3.1-8b') && fromFile.includes('gpt-oss-120b'), fromFile.join(', '));
    const client = new OpenAI({ baseURL: `${url}/v1`, apiKey: 'none', maxRetries: 0 });
    const first = await client.chat.completions.create({ model: 'llama-3.1-8b', messages: [{ role: 'user', content: 'hi' }] });
    assert.equal(first.choices[0]?.message.content, 'from groq');
    const sent = groq.requests.at(-1)!;
    assert.equal(sent.body.model, 'llama-3.1-8b-instant');
    assert.equal(sent.headers.authorization, `Bearer ${groqKey}`);
    cli.child.kill('SIGTERM');
    assert.equal((await cli.exited(10_000)).code, 0);
  });

  it('serve with no config file builds the same configuration from the environment and says so', async () => {
    const { cli, url } = await serve(empty.path);
    assert.match(cli.stderr, /serving a config built from the environment \(groq: GROQ_API_KEY, together: TOGETHER_API_KEY\)/);
    await cli.waitFor(/models {5}llama-3\.1-8b → groq, together/);
    assert.deepEqual(await modelIds(url), fromFile);
    // Groq refuses the connection from now on: the answer comes from Together.
    await groq.close();
    const client = new OpenAI({ baseURL: `${url}/v1`, apiKey: 'none', maxRetries: 0 });
    const answer = await client.chat.completions.create({ model: 'llama-3.1-8b', messages: [{ role: 'user', content: 'hi' }] });
    assert.equal(answer.choices[0]?.message.content, 'from together');
    assert.equal(together.requests.at(-1)!.body.model, 'meta-llama/Meta-Llama-3.1-8B-Instruct-Turbo');
    cli.child.kill('SIGTERM');
    const result = await cli.exited(10_000);
    assert.equal(result.code, 0, result.stderr);
    assert.doesNotMatch(result.stdout + result.stderr, new RegExp(`${groqKey}|${togetherKey}`));
  });

  it('models lists what the environment serves, with prices and context windows', async () => {
    const result = await runCli(['models'], { cwd: empty.path, env });
    assert.equal(result.code, 0, result.stderr);
    assert.match(result.stdout, /^models: config built from the environment$/m);
    assert.match(result.stdout, /^groq +llama-3\.1-8b +llama-3\.1-8b-instant +\$0\.05 +\$0\.08 +- +131K +config$/m);
    assert.match(result.stdout, /^together +llama-3\.1-8b +meta-llama\/Meta-Llama-3\.1-8B-Instruct-Turbo +- +- +- +131K/m);
  });

  it('with no key and no config, serve says how to start the demo, and models shows the catalog', async () => {
    const result = await runCli(['serve', '--port', '0'], { cwd: empty.path, env: cleanEnv() });
    assert.equal(result.code, 1);
    assert.match(result.stderr, /no provider key in the environment/);
    assert.match(result.stderr, /switchboard demo/);
    assert.match(result.stderr, /GROQ_API_KEY, CEREBRAS_API_KEY/);
    const init = await runCli(['init', '--yes'], { cwd: empty.path, env: cleanEnv() });
    assert.equal(init.code, 1);
    assert.match(init.stderr, /no provider key in the environment/);
    const models = await runCli(['models'], { cwd: empty.path, env: cleanEnv() });
    assert.equal(models.code, 0, models.stderr);
    assert.match(models.stdout, /^models: catalog \(no config file and no provider key set\)$/m);
    assert.match(models.stdout, /^anthropic +claude-sonnet-4\.5 +claude-sonnet-4-5 +\$3 +\$15 +\$0\.3 /m);
  });
});
