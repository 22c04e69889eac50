import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { cleanEnv, runCli, tempDir } from '../support/cli.ts';

describe('switchboard validate', () => {
  let dir: Awaited<ReturnType<typeof tempDir>>;
  before(async () => {
    dir = await tempDir();
  });
  after(() => dir.remove());

  it('passes examples/switchboard.yaml with no key set, naming the providers it would leave out', async () => {
    const result = await runCli(['validate', 'examples/switchboard.yaml']);
    assert.equal(result.code, 0, result.stderr);
    assert.match(result.stdout, /^ok: examples\/switchboard\.yaml$/m);
    assert.match(result.stdout, /left out {3}groq: GROQ_API_KEY is not set/);
    assert.match(result.stdout, /left out {3}openrouter: OPENROUTER_API_KEY is not set/);
    assert.equal(result.stderr, '');
  });

  it('counts a provider in once its key is set, and never prints the key', async () => {
    const result = await runCli(['validate', 'examples/switchboard.yaml'], {
      env: cleanEnv({ GROQ_API_KEY: 'gsk_secret_value_123' }),
    });
    assert.equal(result.code, 0, result.stderr);
    assert.match(result.stdout, /providers {2}groq \(priority 1\)$/m);
    assert.match(result.stdout, /llama-3\.1-8b → groq/);
    assert.doesNotMatch(result.stdout + result.stderr, /gsk_secret_value_123/);
  });

  it('passes examples/local.yaml', async () => {
    const result = await runCli(['validate', 'examples/local.yaml']);
    assert.equal(result.code, 0, result.stderr);
    assert.match(result.stdout, /^ok: examples\/local\.yaml$/m);
    assert.match(result.stdout, /llama-3\.1-8b → local/);
  });

  it('prints every schema problem on its own line, with its path, and exits 1', async () => {
    const file = await dir.write(
      'schema.yaml',
      ['providers:', '  groq:', '    preset: groq', '    models: [llama]', 'routing:', '  failureThreshold: 0', ''].join('\n'),
    );
    const result = await runCli(['validate', file]);
    assert.equal(result.code, 1);
    assert.equal(result.stdout, '');
    const lines = result.stderr.trim().split('\n');
    assert.equal(lines[0], `invalid config: ${file}`);
    assert.ok(
      lines.some((line) => /^ {2}providers\.groq\.models: /.test(line)),
      result.stderr,
    );
    assert.ok(
      lines.some((line) => /^ {2}routing\.failureThreshold: /.test(line)),
      result.stderr,
    );
  });

  it('names a required variable that is not set', async () => {
    const file = await dir.write(
      'env.yaml',
      ['providers:', '  groq:', '    preset: groq', '    apiKey: ${SWITCHBOARD_TEST_UNSET_KEY}', '    models: { m: m }', ''].join(
        '\n',
      ),
    );
    const result = await runCli(['validate', file]);
    assert.equal(result.code, 1);
    assert.match(result.stderr, /providers\.groq\.apiKey: environment variable SWITCHBOARD_TEST_UNSET_KEY is not set/);
  });

  it('rejects a file that is not YAML', async () => {
    const file = await dir.write('broken.yaml', 'providers: [unclosed\n');
    const result = await runCli(['validate', file]);
    assert.equal(result.code, 1);
    assert.match(result.stderr, /not valid YAML or JSON/);
  });

  it('rejects an unknown strategy, which only the router can tell', async () => {
    const file = await dir.write(
      'strategy.yaml',
      ['providers:', '  local: { preset: llamacpp, models: { m: m } }', 'routing: { strategy: random }', ''].join('\n'),
    );
    const result = await runCli(['validate', file]);
    assert.equal(result.code, 1);
    assert.match(result.stderr, /unknown routing\.strategy "random"/);
  });

  it('says so when the file cannot be read', async () => {
    const result = await runCli(['validate', 'no-such-file.yaml']);
    assert.equal(result.code, 1);
    assert.match(result.stderr, /no-such-file\.yaml: cannot read \(ENOENT\)/);
  });

  it('wants a file argument', async () => {
    const result = await runCli(['validate']);
    assert.equal(result.code, 1);
    assert.match(result.stderr, /missing required argument 'file'/);
  });

  it('has --help', async () => {
    const result = await runCli(['validate', '--help']);
    assert.equal(result.code, 0);
    assert.match(result.stdout, /Usage: switchboard validate \[options\] <file>/);
  });
});
