// Finding 2 of issue 9, the caller's side: an unknown model name of 3 MB was echoed whole into the
// 404 and twice into the log. Every quotation of a caller's value is now a bounded excerpt.
import assert from 'node:assert/strict';
import { Writable } from 'node:stream';
import { describe, it } from 'node:test';
import { pino } from 'pino';
import { gateway, post, providersFor, upstream } from './helpers.ts';

describe('caller values quoted in errors and logs', () => {
  it('a 3 MB model name gets a short 404 and a short log line', { timeout: 20_000 }, async (t) => {
    const lines: string[] = [];
    const sink = new Writable({
      write(chunk, _encoding, done) {
        lines.push(String(chunk));
        done();
      },
    });
    const first = await upstream(t);
    const switchboard = await gateway(t, providersFor([first.url]), { logger: pino({ level: 'info' }, sink) });
    const model = `unknown-${'m'.repeat(3 * 1024 * 1024)}`;
    const response = await post(switchboard, { model, messages: [{ role: 'user', content: 'hi' }] });
    assert.equal(response.status, 404);
    const body = await response.text();
    assert.ok(body.length < 1024, `a ${body.length}-character 404`);
    assert.match(body, /model \\"unknown-m+…\\" is not served here/);
    const strategy = await post(
      switchboard,
      { model: 'llama', messages: [{ role: 'user', content: 'hi' }] },
      { 'x-switchboard-strategy': 's'.repeat(8000) },
    );
    assert.equal(strategy.status, 400);
    assert.ok((await strategy.text()).length < 1024);
    const path = await fetch(`${switchboard.url}/${'p'.repeat(8000)}`, { signal: AbortSignal.timeout(5000) });
    assert.equal(path.status, 404);
    assert.ok((await path.text()).length < 4096);
    await switchboard.close(0);
    assert.ok(lines.length >= 3, 'the requests were logged');
    for (const line of lines) assert.ok(line.length < 4096, `a log line of ${line.length} characters`);
    assert.equal(first.requests.length, 0);
  });
});
