import assert from 'node:assert/strict';
import type { AddressInfo } from 'node:net';
import { describe, it } from 'node:test';
import { APIError } from 'openai';
import { ConfigError } from '../../src/config/schema.ts';
import { client, gateway, hello, post, providersFor, upstream } from './helpers.ts';

const bounded = { timeout: 5000 };
const keys = { server: { apiKeys: ['sb-key-one', 'sb-key-two'] } };

describe('gateway auth', () => {
  it('refuses /v1 requests without a valid key, in OpenAI shape, before any upstream request', bounded, async (t) => {
    const first = await upstream(t);
    const switchboard = await gateway(t, providersFor([first.url], keys), { host: '127.0.0.1' });
    const attempts: Array<Record<string, string>> = [
      {},
      { authorization: 'Bearer wrong' },
      { authorization: 'sb-key-one' },
      { authorization: 'Bearer sb-key-one2' },
    ];
    for (const headers of attempts) {
      const response = await post(switchboard, hello, headers);
      assert.equal(response.status, 401);
      assert.equal(response.headers.get('www-authenticate'), 'Bearer');
      const body = (await response.json()) as { error: { code: string; type: string } };
      assert.equal(body.error.code, 'invalid_api_key');
      assert.equal(body.error.type, 'authentication_error');
    }
    assert.equal((await fetch(`${switchboard.url}/v1/models`)).status, 401);
    const error = await client(switchboard, 'nope')
      .chat.completions.create(hello)
      .catch((thrown: unknown) => thrown);
    assert.ok(error instanceof APIError && error.status === 401);
    assert.equal(first.requests.length, 0);
  });

  it('accepts any configured key, as a bearer token', bounded, async (t) => {
    const first = await upstream(t);
    const switchboard = await gateway(t, providersFor([first.url], keys), { host: '127.0.0.1' });
    const answer = await client(switchboard, 'sb-key-two').chat.completions.create(hello);
    assert.equal(answer.choices[0]?.message.content, 'ok');
    assert.equal((await post(switchboard, hello, { authorization: 'bearer sb-key-one' })).status, 200);
    const models = await fetch(`${switchboard.url}/v1/models`, { headers: { authorization: 'Bearer sb-key-one' } });
    assert.equal(models.status, 200);
    // The key a client sends is never forwarded: the upstream sees the provider's own key.
    assert.equal(first.requests[0]?.headers.authorization, 'Bearer sk-upstream-0-secret');
  });

  it(
    'asks a key for the status, its stream, the probe route, metrics and the dashboard; leaves /healthz open',
    bounded,
    async (t) => {
      const first = await upstream(t);
      const switchboard = await gateway(t, providersFor([first.url], keys), { host: '127.0.0.1' });
      const probe = {
        method: 'POST',
        body: JSON.stringify({ deployment: 'first/llama' }),
        headers: { 'content-type': 'application/json' },
      };
      for (const path of ['/status', '/status/stream', '/metrics', '/']) {
        const refused = await fetch(switchboard.url + path);
        assert.equal(refused.status, 401, path);
        const text = await refused.text();
        assert.doesNotMatch(text, /first\/llama|llama-0/, `${path} shows no data without a key`);
      }
      assert.equal((await fetch(`${switchboard.url}/status/probe`, probe)).status, 401);
      assert.equal(first.requests.length, 0, 'no probe was sent');
      assert.equal((await fetch(`${switchboard.url}/healthz`)).status, 200);
      const auth = { authorization: 'Bearer sb-key-two' };
      for (const path of ['/status', '/metrics', '/']) {
        assert.equal((await fetch(switchboard.url + path, { headers: auth })).status, 200, path);
      }
      const stream = await fetch(`${switchboard.url}/status/stream`, { headers: { 'x-api-key': 'sb-key-one' } });
      assert.equal(stream.status, 200);
      assert.equal(stream.headers.get('content-type'), 'text/event-stream; charset=utf-8');
      await stream.body?.cancel();
      const probed = await fetch(`${switchboard.url}/status/probe`, { ...probe, headers: { ...probe.headers, ...auth } });
      assert.equal(probed.status, 200);
      assert.equal(((await probed.json()) as { healthy: boolean }).healthy, true);
    },
  );

  it('leaves them open with server.protectStatus false', bounded, async (t) => {
    const first = await upstream(t);
    const config = providersFor([first.url], { server: { apiKeys: ['sb-key-one'], protectStatus: false } });
    const switchboard = await gateway(t, config, { host: '127.0.0.1' });
    for (const path of ['/healthz', '/status', '/metrics', '/']) {
      assert.equal((await fetch(switchboard.url + path)).status, 200, path);
    }
  });

  it('listens on 127.0.0.1 only when no keys are configured, whatever host is asked', bounded, async (t) => {
    const first = await upstream(t);
    const lines: string[] = [];
    const { pino } = await import('pino');
    const logger = pino({ level: 'info' }, { write: (line: string) => lines.push(line) });
    const switchboard = await gateway(t, providersFor([first.url]), { host: '0.0.0.0', logger });
    assert.equal((switchboard.server.server.address() as AddressInfo).address, '127.0.0.1');
    assert.match(switchboard.url, /^http:\/\/127\.0\.0\.1:\d+$/);
    const warning = lines.map((line) => JSON.parse(line)).find((line) => line.level === 40);
    assert.match(warning?.msg ?? '', /127\.0\.0\.1 only/);
    assert.equal(warning?.askedHost, '0.0.0.0');
  });

  it('listens where asked when keys are set, and will not drop them by reload while it does', bounded, async (t) => {
    const first = await upstream(t);
    const config = providersFor([first.url], keys);
    const switchboard = await gateway(t, config, { host: '0.0.0.0' });
    assert.equal((switchboard.server.server.address() as AddressInfo).address, '0.0.0.0');
    assert.throws(() => switchboard.reload({ ...config, server: { apiKeys: [] } }), ConfigError);
    assert.equal((await post(switchboard, hello)).status, 401, 'the old keys still apply');
    switchboard.reload({ ...config, server: { apiKeys: ['sb-key-three'] } });
    assert.equal((await post(switchboard, hello, { authorization: 'Bearer sb-key-one' })).status, 401);
    assert.equal((await post(switchboard, hello, { authorization: 'Bearer sb-key-three' })).status, 200);
  });
});
