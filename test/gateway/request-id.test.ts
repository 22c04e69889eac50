// A caller's x-request-id is echoed and logged only when it is a plausible id: up to 200 visible
// ASCII characters. A 12 KB one (anything up to the 16 KB header limit got through) was echoed
// whole into the response header and every log line of the request (found by the reliability suite).
import assert from 'node:assert/strict';
import { it } from 'node:test';
import { pino } from 'pino';
import { gateway, hello, post, providersFor, until, upstream } from './helpers.ts';

it('echoes a caller’s request id, and replaces one that is too long or not visible ASCII', { timeout: 5000 }, async (t) => {
  const first = await upstream(t);
  const lines: Array<Record<string, unknown>> = [];
  const logger = pino({ level: 'info' }, { write: (line: string) => lines.push(JSON.parse(line)) });
  const switchboard = await gateway(t, providersFor([first.url]), { logger });

  const kept = await post(switchboard, hello, { 'x-request-id': 'trace-42:a/b=c' });
  assert.equal(kept.headers.get('x-request-id'), 'trace-42:a/b=c');
  const edge = 'e'.repeat(200);
  assert.equal((await post(switchboard, hello, { 'x-request-id': edge })).headers.get('x-request-id'), edge);

  for (const refused of ['r'.repeat(12_000), 'e'.repeat(201), 'two words', 'caf\u00e9']) {
    const response = await post(switchboard, hello, { 'x-request-id': refused });
    assert.equal(response.status, 200);
    const id = response.headers.get('x-request-id') ?? '';
    assert.notEqual(id, refused);
    assert.match(id, /^req-\d+$/);
    await until(() => lines.some((line) => line.reqId === id));
  }
  assert.ok(
    lines.every((line) => String(line.reqId ?? '').length <= 200),
    'no long request id logged',
  );
  assert.ok(!JSON.stringify(lines).includes('r'.repeat(201)));
});
