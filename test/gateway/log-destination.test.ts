import assert from 'node:assert/strict';
import { closeSync, openSync, readFileSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { setTimeout as delay } from 'node:timers/promises';
import { createLogDestination } from '../../src/gateway/log-destination.ts';

function flushed(destination: ReturnType<typeof createLogDestination>): Promise<void> {
  return new Promise((resolve) => destination.flush(resolve));
}

describe('log destination', () => {
  it('writes every line, in order, to its file descriptor', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'switchboard-log-'));
    const fd = openSync(join(dir, 'log'), 'w');
    try {
      const problems: string[] = [];
      const destination = createLogDestination({ fd, onProblem: (message) => problems.push(message) });
      for (let index = 0; index < 1000; index++) destination.write(`{"line":${index}}\n`);
      await flushed(destination);
      const lines = readFileSync(join(dir, 'log'), 'utf8').trimEnd().split('\n');
      assert.equal(lines.length, 1000);
      assert.deepEqual(lines.slice(0, 2), ['{"line":0}', '{"line":1}']);
      assert.equal(lines.at(-1), '{"line":999}');
      assert.deepEqual(problems, []);
    } finally {
      closeSync(fd);
      await rm(dir, { recursive: true, force: true });
    }
  });

  it('lines go out together within a short window without a flush; flush writes at once', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'switchboard-log-'));
    const file = join(dir, 'log');
    const fd = openSync(file, 'w');
    try {
      const destination = createLogDestination({ fd });
      for (let index = 0; index < 100; index++) destination.write(`{"line":${index}}\n`);
      // Held for the batch: nothing is written in the same turn.
      assert.equal(readFileSync(file, 'utf8'), '');
      const until = performance.now() + 2000;
      while (readFileSync(file, 'utf8').split('\n').length < 101 && performance.now() < until) await delay(5);
      assert.equal(readFileSync(file, 'utf8').trimEnd().split('\n').length, 100, 'every line out without a flush');
      destination.write('{"last":true}\n');
      await flushed(destination);
      assert.equal(readFileSync(file, 'utf8').trimEnd().split('\n').at(-1), '{"last":true}');
    } finally {
      closeSync(fd);
      await rm(dir, { recursive: true, force: true });
    }
  });

  it('a destination that fails (a full disk: /dev/full) is reported once and dropped; writes go on without throwing', async () => {
    const fd = openSync('/dev/full', 'w');
    try {
      const problems: string[] = [];
      const destination = createLogDestination({ fd, onProblem: (message) => problems.push(message) });
      destination.write('{"first":true}\n');
      await flushed(destination);
      for (let index = 0; index < 100; index++) destination.write(`{"line":${index}}\n`);
      await flushed(destination);
      assert.equal(problems.length, 1);
      assert.match(problems[0]!, /request log output failed \(ENOSPC\)/);
    } finally {
      closeSync(fd);
    }
  });

  it('lines beyond maxPendingBytes are dropped with one notice, not held in memory', async () => {
    const fd = openSync('/dev/null', 'w');
    try {
      const problems: string[] = [];
      const destination = createLogDestination({ fd, maxPendingBytes: 100, onProblem: (message) => problems.push(message) });
      // All written in one turn of the event loop, so nothing has gone out yet.
      for (let index = 0; index < 50; index++) destination.write(`${'x'.repeat(30)}\n`);
      await flushed(destination);
      assert.deepEqual(problems, ['request log output is not being read; dropping log lines until it catches up']);
    } finally {
      closeSync(fd);
    }
  });
});
