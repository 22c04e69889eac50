import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { cleanEnv, runCli, tempDir } from '../support/cli.ts';

describe('switchboard validate', () => {
  let dir: Awaited<ReturnType<typeof tempDir>>;
  before(async () => {
    dir = await tempDir();
  });
  after(() => dir.remove());

  it('refuses examples/switchboard.yaml with no key set, as serve would, naming every variable', async () => {
    const result = await runCli(['validate', 'examples/switchboard.yaml']);
    assert.equal(result.code, 1);
    assert.equal(result.stdout, '');
    assert.match(result.stderr, /serve would refuse it/);
    assert.match(
      result.stderr,
      /no provider can take traffic \(groq: GROQ_API_KEY is not set; .*openrouter: OPENROUTER_API_KEY is not set/,
    );
    assert.match(result.stderr, /set one of GROQ_API_KEY, .*switchboard demo/);
  });

  it('names the providers it leaves out once one key is set', async () => {
    const result = await runCli(['validate', 'examples/switchboard.yaml'], { env: cleanEnv({ TOGETHER_API_KEY: 'tg-1' }) });
    assert.equal(result.code, 0, result.stderr);
    assert.match(result.stdout, /^ok: examples\/switchboard\.yaml$/m);
    assert.match(result.stdout, /left out {3}groq: GROQ_API_KEY is not set/);
    assert.match(result.stdout, /left out {3}openrouter: OPENROUTER_API_KEY is not set/);
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
    assert.match(result.stderr, /broken\.yaml:2:1: not valid YAML or JSON: /);
  });

  it('shows a YAML syntax error with its line and a caret under the spot', async () => {
    const file = await dir.write(
      'indent.yaml',
      ['providers:', '  groq:', '    preset: groq', '   models: { a: b }', ''].join('\n'),
    );
    const result = await runCli(['validate', file]);
    assert.equal(result.code, 1);
    const lines = result.stderr.split('\n');
    const at = lines.findIndex((line) => line.includes(`${file}:4:`));
    assert.ok(at > 0, result.stderr);
    assert.match(lines[at]!, /not valid YAML or JSON: \S/);
    assert.equal(lines[at + 1], '    4 |    models: { a: b }');
    assert.match(lines[at + 2]!, /^ {6}\| +\^$/);
  });

  it('rejects an unknown strategy, which only the router can tell', async () => {
    const file = await dir.write(
      'strategy.yaml',
      ['providers:', '  local: { preset: llamacpp, models: { m: m } }', 'routing: { strategy: random }', ''].join('\n'),
    );
    const result = await runCli(['validate', file]);
    assert.equal(result.code, 1);
    assert.match(result.stderr, /routing\.strategy: unknown strategy "random" \(known: priority, /);
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
