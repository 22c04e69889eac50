// A config with many mistakes is reported whole, in one run, with "did you mean" where a known
// name is close; and `validate` and `serve` agree on every file here.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { cleanEnv, type RunningCli, runCli, startCli, tempDir } from '../support/cli.ts';

const dozenMistakes = [
  'server:',
  '  port: 99999', // 1: out of range
  '  logLevel: verbose', // 2: not a level
  'provider: {}', // 3: misspelt top-level key
  'providers:',
  '  grok:',
  '    preset: grok', // 4: misspelt preset
  '    apikey: ${GROQ_APIKEY}', // 5: misspelt key; 6: misspelt variable
  '    models: { llama-3.1-8b: llama-3.1-8b-instant }',
  '  together:',
  '    preset: together',
  '    priority: high', // 7: not a number
  '    models: [llama-3.1-8b]', // 8: a list, not a map
  '  local:',
  '    baseUrl: not-a-url', // 9: not a URL
  '    auth: Bearer', // 10: wrong case
  '    models: { m: default }',
  '  groq:', // 11: no preset and no baseUrl
  '    apiKey: gsk-x',
  '    models: { m: n }',
  'routing:',
  '  strategy: cheapset', // 12: misspelt strategy
  '  colldownMs: 5000', // 13: misspelt key
  '  healthCheck: { intervalMS: 1000 }', // 14: wrong case
  '',
].join('\n');

/** Each mistake: a pattern its line of the report must match (path, problem, suggestion, line). */
const expected: RegExp[] = [
  /^ {2}server\.port: Too big: .*65535 \(line 2\)$/,
  /^ {2}server\.logLevel: "verbose" is not one of fatal, .* \(line 3\)$/,
  /^ {2}provider: unknown key; did you mean "providers"\? \(line 4\)$/,
  /^ {2}providers\.grok\.preset: "grok" is not one of .*; did you mean "groq"\? \(line 7\)$/,
  /^ {2}providers\.grok\.apikey: unknown key; did you mean "apiKey"\? \(line 8\)$/,
  /^ {2}providers\.grok\.apikey: environment variable GROQ_APIKEY is not set; did you mean "GROQ_API_KEY"\? \(line 8\)$/,
  /^ {2}providers\.together\.priority: .*expected number.* \(line 12\)$/,
  /^ {2}providers\.together\.models: expected a map of generic model name to provider model name \(line 13\)$/,
  /^ {2}providers\.local\.baseUrl: Invalid URL \(line 15\)$/,
  /^ {2}providers\.local\.auth: "Bearer" is not one of bearer, x-api-key, api-key, none; did you mean "bearer"\? \(line 16\)$/,
  /^ {2}providers\.groq\.baseUrl: set baseUrl, or a preset that has one; did you mean "preset: groq"\? \(line 18\)$/,
  /^ {2}routing\.strategy: unknown strategy "cheapset"; did you mean "cheapest"\? \(known: .*\) \(line 22\)$/,
  /^ {2}routing\.colldownMs: unknown key; did you mean "cooldownMs"\? \(line 23\)$/,
  /^ {2}routing\.healthCheck\.intervalMS: unknown key; did you mean "intervalMs"\? \(line 24\)$/,
];

/** Files and whether `serve` should start with each. */
const examples: Array<{ name: string; text: string; starts: boolean; says: RegExp }> = [
  { name: 'dozen.yaml', text: dozenMistakes, starts: false, says: /cheapset/ },
  {
    name: 'syntax.yaml',
    text: 'providers:\n  local:\n    baseUrl: http://127.0.0.1:9/v1\n   models: { m: m }\n',
    starts: false,
    says: /syntax\.yaml:4:\d+: not valid YAML/,
  },
  {
    name: 'disabled.yaml',
    text: 'providers:\n  a: { baseUrl: "http://127.0.0.1:9/v1", models: { m: m }, enabled: false }\n',
    starts: false,
    says: /no provider can take traffic \(a: enabled: false\)[\s\S]*set enabled: true/,
  },
  {
    name: 'no-key.yaml',
    text: 'providers:\n  groq: { preset: groq, apiKey: "${SWITCHBOARD_TEST_NO_KEY:-}", models: { m: m } }\n',
    starts: false,
    says: /no provider can take traffic \(groq: SWITCHBOARD_TEST_NO_KEY is not set\)/,
  },
  {
    name: 'warning.yaml',
    text: [
      'providers:',
      '  local: { baseUrl: "http://127.0.0.1:9/v1", auth: none, models: { m: m } }',
      '  groq: { preset: groq, apiKey: "${SWITCHBOARD_TEST_NO_KEY:-}", models: { big: llama-3.3-70b-versatile } }',
      'routing: { fallbacks: { m: [big] } }',
      '',
    ].join('\n'),
    starts: true,
    says: /warning +model big: no enabled provider serves it \(groq: SWITCHBOARD_TEST_NO_KEY is not set\)/,
  },
];

describe('config problems', () => {
  let dir: Awaited<ReturnType<typeof tempDir>>;
  const running: RunningCli[] = [];
  const env = cleanEnv({ GROQ_API_KEY: 'gsk-test-not-a-key' });

  before(async () => {
    dir = await tempDir();
  });
  after(async () => {
    for (const cli of running) cli.kill();
    await dir.remove();
  });

  it('reports all fourteen mistakes of one file in one run, in file order, with suggestions', async () => {
    const file = await dir.write('dozen.yaml', dozenMistakes);
    const result = await runCli(['validate', file], { env });
    assert.equal(result.code, 1);
    const lines = result.stderr.trimEnd().split('\n');
    assert.equal(lines[0], `invalid config: ${file}`);
    const problems = lines.slice(1);
    for (const pattern of expected) {
      assert.ok(
        problems.some((line) => pattern.test(line)),
        `missing ${pattern}\n${result.stderr}`,
      );
    }
    assert.equal(problems.length, expected.length, result.stderr);
    const order = problems.map((line) => Number(/\(line (\d+)\)$/.exec(line)?.[1]));
    assert.deepEqual(
      order,
      [...order].sort((a, b) => a - b),
    );
    assert.doesNotMatch(result.stderr, /gsk-test-not-a-key/);
  });

  for (const example of examples) {
    it(`validate and serve agree on ${example.name}`, async () => {
      const file = await dir.write(example.name, example.text);
      const validated = await runCli(['validate', file], { env });
      assert.equal(validated.code, example.starts ? 0 : 1, validated.stdout + validated.stderr);
      assert.match(validated.stdout + validated.stderr, example.says);
      const cli = startCli(['serve', '--config', file, '--port', '0', '--no-watch'], { env });
      running.push(cli);
      if (example.starts) {
        await cli.waitFor(/listening on http/, 10_000);
        await cli.waitFor(example.says, 5000);
        cli.child.kill('SIGTERM');
        const stopped = await cli.exited(10_000);
        assert.equal(stopped.code, 0, stopped.stderr);
      } else {
        const served = await cli.exited(10_000);
        assert.equal(served.code, 1, served.stderr);
        assert.match(served.stderr, example.says);
      }
    });
  }
});
