// Finding 4 of issue 9: a key given in `providers.<name>.headers` was not a secret, so an upstream
// that echoed it put it into client errors, /status, the log and `switchboard status`; and excerpts
// were cut before they were scrubbed, so the first characters of a key survived the cut. Finding 10:
// /status without a key showed internal upstream addresses and another caller's prompt text.
import assert from 'node:assert/strict';
import { Writable } from 'node:stream';
import { describe, it } from 'node:test';
import { pino } from 'pino';
import type { Gateway } from '../../src/gateway/server.ts';
import { runCli } from '../support/cli.ts';
import { completion, openaiError, refusingUrl } from '../support/upstream.ts';
import { gateway, post, upstream } from './helpers.ts';

const bounded = { timeout: 30_000 };
const azureKey = 'azure0123456789abcdefSECRET';
const customToken = 'custom-token-7f3a9b2c4d5e6f70';
const providerKey = 'plainkey-00000000-1111-2222';
const gatewayKey = 'gw-key-0123456789abcdefghij';
const prompt = 'PROMPT-OF-ANOTHER-CALLER-about-my-bank-account';

function capturedLogger() {
  const lines: string[] = [];
  const sink = new Writable({
    write(chunk, _encoding, done) {
      lines.push(String(chunk));
      done();
    },
  });
  return { logger: pino({ level: 'info' }, sink), lines };
}

/** Fails if `text` holds any of the keys, or the first 8 characters of one (what an early cut leaves). */
function assertNoKey(where: string, text: string): void {
  for (const key of [azureKey, customToken, providerKey, gatewayKey]) {
    assert.ok(!text.includes(key.slice(0, 8)), `${where} shows ${key.slice(0, 8)}…: ${text.slice(0, 2000)}`);
  }
}

async function statusText(switchboard: Gateway, key?: string): Promise<string> {
  const headers: Record<string, string> = key ? { authorization: `Bearer ${key}` } : {};
  const response = await fetch(`${switchboard.url}/status`, { headers, signal: AbortSignal.timeout(5000) });
  assert.equal(response.status, 200);
  return response.text();
}

describe('secrets are every configured credential', () => {
  it(
    'keys in headers, apiKey and server.apiKeys never leave, even echoed by an upstream or cut in an excerpt',
    bounded,
    async (t) => {
      // Azure-style: the key is a header, auth none. The upstream echoes it in a JSON error.
      const azure = await upstream(t, [], (request) => ({
        status: 401,
        json: openaiError(`Access denied: key ${String(request.headers['api-key'])} is not valid`, 'invalid_request_error'),
      }));
      // A custom auth header echoed in a plain-text 500, just past where excerpts used to be cut.
      const custom = await upstream(t, [], (request) => ({
        status: 500,
        text: `${'x'.repeat(195)}${String(request.headers['x-custom-auth'])} rejected`,
      }));
      // A non key-shaped apiKey echoed from its bearer header.
      const plain = await upstream(t, [], (request) => ({
        status: 503,
        json: openaiError(`overloaded for ${String(request.headers.authorization).slice(7)}`, 'server_error'),
      }));
      const { logger, lines } = capturedLogger();
      const switchboard = await gateway(
        t,
        {
          server: { apiKeys: [gatewayKey], protectStatus: false },
          providers: {
            azure: { baseUrl: azure.url, auth: 'none', headers: { 'api-key': azureKey }, priority: 1, models: { llama: 'gpt' } },
            custom: {
              baseUrl: custom.url,
              auth: 'none',
              headers: { 'x-custom-auth': customToken },
              priority: 2,
              models: { llama: 'c' },
            },
            plain: { baseUrl: plain.url, apiKey: providerKey, priority: 3, models: { llama: 'p' } },
          },
          routing: { retryDelayMs: 1, maxAttemptsPerProvider: 1 },
        },
        { logger },
      );
      const auth = { authorization: `Bearer ${gatewayKey}` };
      const failed = await post(switchboard, { model: 'llama', messages: [{ role: 'user', content: 'hi' }] }, auth);
      assert.equal(failed.status, 503);
      const failedBody = await failed.text();
      assert.match(failedBody, /azure.*custom.*plain/s, 'every provider was tried and is listed');
      assertNoKey('the client error', failedBody);
      // A caller who pastes a key into the wrong field does not see it echoed either.
      const unknown = await post(switchboard, { model: gatewayKey, messages: [{ role: 'user', content: 'hi' }] }, auth);
      assert.equal(unknown.status, 404);
      assertNoKey('the 404', await unknown.text());

      assertNoKey('/status with a key', await statusText(switchboard, gatewayKey));
      assertNoKey('/status without a key', await statusText(switchboard));
      const cli = await runCli(['status', switchboard.url, '--json'], {
        env: { ...process.env, SWITCHBOARD_API_KEY: gatewayKey },
      });
      assert.equal(cli.code, 0, cli.stderr);
      assert.match(cli.stdout, /"lastError"/);
      assertNoKey('switchboard status', cli.stdout + cli.stderr);
      await switchboard.close(0);
      assert.ok(lines.length >= 2, 'the requests were logged');
      assertNoKey('the log', lines.join(''));
    },
  );
});

describe('/status without a gateway key', () => {
  it('tells each last error by kind and status only: no upstream address, no request text', bounded, async (t) => {
    const quoting = await upstream(t, [], (request) => ({
      status: 400,
      json: openaiError(`Unsupported content: ${String(request.body.messages[0].content)}`, 'invalid_request_error'),
    }));
    const good = await upstream(t, [], { json: completion('ok') });
    const refusing = await refusingUrl();
    const switchboard = await gateway(t, {
      server: { apiKeys: [gatewayKey], protectStatus: false },
      providers: {
        quoting: { baseUrl: quoting.url, apiKey: providerKey, models: { llama: 'l' } },
        refusing: { baseUrl: refusing, apiKey: providerKey, priority: 1, models: { other: 'o' } },
        good: { baseUrl: good.url, apiKey: providerKey, priority: 2, models: { other: 'o' } },
      },
      routing: { retryDelayMs: 1 },
    });
    const auth = { authorization: `Bearer ${gatewayKey}` };
    assert.equal((await post(switchboard, { model: 'llama', messages: [{ role: 'user', content: prompt }] }, auth)).status, 400);
    assert.equal((await post(switchboard, { model: 'other', messages: [{ role: 'user', content: 'hi' }] }, auth)).status, 200);

    const port = new URL(refusing).port;
    const open = await statusText(switchboard);
    assert.ok(!open.includes(prompt.slice(0, 12)), `the prompt is shown: ${open}`);
    assert.ok(!open.includes(`:${port}`) && !open.includes(new URL(quoting.url).host), `an upstream address is shown: ${open}`);
    const providers = (JSON.parse(open) as { providers: Record<string, { lastError: string | null }> }).providers;
    assert.equal(providers.quoting?.lastError, 'bad-request (HTTP 400)');
    assert.equal(providers.refusing?.lastError, 'connect (upstream_unreachable)');
    assert.equal(providers.good?.lastError, null);

    const detailed = await statusText(switchboard, gatewayKey);
    assert.ok(detailed.includes(prompt), 'a caller with a gateway key sees the upstream text');
    assert.ok(!(await statusText(switchboard, 'wrong-key')).includes(prompt), 'a wrong key is no key');
    const table = await runCli(['status', switchboard.url], { env: { ...process.env, SWITCHBOARD_API_KEY: '' } });
    assert.equal(table.code, 0, table.stderr);
    assert.match(table.stdout, /bad-request \(HTTP 400\)/);
    assert.ok(!table.stdout.includes(prompt.slice(0, 12)));
  });
});
