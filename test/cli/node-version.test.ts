// On a Node older than Switchboard needs, every entry point stops with one line naming the version,
// before any dependency loads (undici 8 would otherwise fail with a TypeError on Node 20).
import assert from 'node:assert/strict';
import { execFile, execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { isSupportedNode, nodeVersionNeeded } from '../../src/node-version.ts';

const run = promisify(execFile);
const root = fileURLToPath(new URL('../..', import.meta.url));
const scratch = mkdtempSync(join(tmpdir(), 'switchboard-node-version-'));
after(() => rmSync(scratch, { recursive: true, force: true }));

// Pretends to be Node 20.11.1, and makes undici fail when it is evaluated, as undici 8 does on a
// real Node 20: the line must come before anything gets that far.
const preload = join(scratch, 'old-node.mjs');
writeFileSync(
  preload,
  `import { registerHooks } from 'node:module';
Object.defineProperty(process.versions, 'node', { value: '20.11.1' });
registerHooks({
  load(url, context, next) {
    if (/\\/node_modules\\/undici\\/index\\.js$/.test(url)) {
      // The names Switchboard imports are declared (the ESM linker reads them from the source), and never reached.
      const source = 'throw new TypeError("undici evaluated on an old Node"); exports.Agent = 0; exports.fetch = 0;';
      return { format: 'commonjs', source, shortCircuit: true };
    }
    return next(url, context);
  },
});
`,
);

async function outcome(args: string[], node = process.execPath) {
  try {
    const { stdout, stderr } = await run(node, args, { cwd: root, timeout: 20_000 });
    return { code: 0, stdout, stderr };
  } catch (error) {
    const failed = error as { code: number; stdout: string; stderr: string };
    return { code: failed.code, stdout: failed.stdout, stderr: failed.stderr };
  }
}

const oneLine = `switchboard needs Node ${nodeVersionNeeded} or newer; this is Node 20.11.1.\n`;

describe('an unsupported Node', () => {
  it('is told apart from a supported one, and the version needed is the one package.json declares', () => {
    assert.equal(isSupportedNode('20.19.0'), false);
    assert.equal(isSupportedNode('22.17.1'), false);
    assert.equal(isSupportedNode('22.18.0'), true);
    assert.equal(isSupportedNode('23.0.0'), true);
    assert.equal(isSupportedNode('24.11.1'), true);
    const engines = (JSON.parse(readFileSync(join(root, 'package.json'), 'utf8')) as { engines: { node: string } }).engines;
    assert.equal(engines.node, `>=${nodeVersionNeeded}`);
  });

  for (const entry of ['src/index.ts', 'src/gateway/server.ts', 'src/ai-sdk/index.ts']) {
    it(`importing ${entry} stops with one line before any dependency loads`, async () => {
      const result = await outcome(['--import', preload, '--input-type=module', '-e', `await import('./${entry}');`]);
      assert.equal(result.code, 1);
      assert.equal(result.stderr, oneLine);
      assert.equal(result.stdout, '');
    });
  }

  it('the CLI stops with one line before any dependency loads', async () => {
    const result = await outcome(['--import', preload, 'src/cli/main.ts', '--help']);
    assert.equal(result.code, 1);
    assert.equal(result.stderr, oneLine);
    assert.equal(result.stdout, '');
  });

  const oldNode = '/usr/bin/node';
  let oldVersion = '';
  try {
    oldVersion = execFileSync(oldNode, ['--version'], { encoding: 'utf8' }).trim().slice(1);
  } catch {
    // No system Node here.
  }
  const skip = oldVersion === '' || isSupportedNode(oldVersion) ? `no Node older than ${nodeVersionNeeded} at ${oldNode}` : false;
  it(`a real old Node (${oldVersion || 'none'}) gets the line from the built package and the CLI`, {
    skip,
    timeout: 120_000,
  }, async () => {
    // Built inside the repository (tmp/ is ignored) so that its imports find node_modules.
    mkdirSync(join(root, 'tmp'), { recursive: true });
    const outDir = mkdtempSync(join(root, 'tmp', 'node-version-'));
    try {
      execFileSync(
        process.execPath,
        [join(root, 'node_modules/typescript/bin/tsc'), '-p', 'tsconfig.build.json', '--outDir', outDir],
        {
          cwd: root,
          stdio: 'ignore',
        },
      );
      const line = `switchboard needs Node ${nodeVersionNeeded} or newer; this is Node ${oldVersion}.\n`;
      for (const entry of ['index.js', 'gateway/server.js', 'ai-sdk/index.js']) {
        const result = await outcome(
          ['--input-type=module', '-e', `await import(${JSON.stringify(join(outDir, entry))});`],
          oldNode,
        );
        assert.equal(result.stderr, line, entry);
        assert.equal(result.code, 1, entry);
      }
      const cli = await outcome([join(outDir, 'cli/main.js'), '--help'], oldNode);
      assert.equal(cli.stderr, line);
      assert.equal(cli.code, 1);
    } finally {
      rmSync(outDir, { recursive: true, force: true });
    }
  });
});
