import assert from 'node:assert/strict';
import { after, describe, it } from 'node:test';
import { cleanEnv, type RunningCli, startCli, tempDir } from '../support/cli.ts';

// `npm start` is `node scripts/start.ts`; extra arguments pass through to the command it picks.
describe('npm start', () => {
  const children: RunningCli[] = [];
  after(() => {
    for (const child of children) child.kill();
  });

  it('runs the demo when no provider key is set', async () => {
    const cli = startCli(['--duration', '1', '--port', '0'], { script: 'scripts/start.ts' });
    children.push(cli);
    const result = await cli.exited(15_000);
    assert.equal(result.code, 0, result.stderr);
    assert.match(result.stderr, /No provider key set .*running the demo/);
    assert.match(result.stdout, /Switchboard demo/);
  });

  it('serves a config built from the environment when a key is set, with only that provider', async () => {
    const dir = await tempDir();
    after(() => dir.remove());
    const cli = startCli(['--port', '0'], {
      script: 'scripts/start.ts',
      cwd: dir.path,
      env: cleanEnv({ TOGETHER_API_KEY: 'tgp_v1_fake_key_for_test' }),
    });
    children.push(cli);
    await cli.waitFor(/providers {2}together \(priority 1\)/);
    assert.match(cli.stderr, /TOGETHER_API_KEY set: serving/);
    assert.match(cli.stderr, /serving a config built from the environment \(together: TOGETHER_API_KEY\)/);
    cli.child.kill('SIGTERM');
    const result = await cli.exited(10_000);
    assert.equal(result.code, 0, result.stderr);
    assert.doesNotMatch(result.stdout + result.stderr, /tgp_v1_fake_key_for_test/);
  });
});
