import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, it, type TestContext } from 'node:test';
import type { ConfigInput } from '../../src/config/schema.ts';
import { gatewayKeyId } from '../../src/gateway/auth.ts';
import { startGateway } from '../../src/gateway/server.ts';
import type { UsageReport } from '../../src/gateway/usage.ts';
import { completion, openaiError, textChunks } from '../support/upstream.ts';
import { client, gateway, hello, providersFor, upstream } from './helpers.ts';

const keys = ['sk-gateway-alpha-secret', 'sk-gateway-beta-secret'];

async function ledgerPath(t: TestContext): Promise<string> {
  const directory = await mkdtemp(join(tmpdir(), 'switchboard-usage-gateway-'));
  t.after(() => rm(directory, { recursive: true, force: true }));
  return join(directory, 'usage.db');
}

/** Two providers, priced; the first fails its first request with a 503. */
async function pricedConfig(t: TestContext, path: string): Promise<ConfigInput> {
  const first = await upstream(t, [{ status: 503, json: openaiError('overloaded', 'server_error') }], {
    json: completion('hi there', { usage: { prompt_tokens: 11 } }),
  });
  const second = await upstream(t, [], { json: completion('from second', { usage: { prompt_tokens: 7 } }) });
  const config = providersFor([first.url, second.url], { server: { apiKeys: keys }, usage: { path } });
  config.providers.first!.pricing = { llama: { input: 1, output: 2 } };
  config.providers.second!.pricing = { llama: { input: 3, output: 4 } };
  config.routing = { ...config.routing, failureThreshold: 5 };
  return config;
}

async function usage(url: string, query: string, key: string | null = keys[0]!): Promise<Response> {
  return fetch(`${url}/usage${query}`, {
    headers: key === null ? {} : { authorization: `Bearer ${key}` },
    signal: AbortSignal.timeout(5000),
  });
}

describe('usage ledger through the gateway', () => {
  it('records each request with its key id, provider, tokens and cost, and sums them on GET /usage', async (t) => {
    const path = await ledgerPath(t);
    const started = await gateway(t, await pricedConfig(t, path));
    const alpha = client(started, keys[0]);
    const beta = client(started, keys[1]);

    // 1: the first provider answers 503, the second answers (7 in, 2 out at 3/4 per million).
    const failedOver = await alpha.chat.completions.create(hello);
    assert.equal(failedOver.choices[0]?.message.content, 'from second');
    // 2, 3: the first provider answers (11 in, 2 out at 1/2 per million).
    await alpha.chat.completions.create(hello);
    await beta.chat.completions.create(hello);
    // 4: an unknown model, refused before any provider is tried.
    await assert.rejects(beta.chat.completions.create({ ...hello, model: 'nope' }), { status: 404 });

    const response = await usage(started.url, '?since=1h');
    assert.equal(response.status, 200);
    const report = (await response.json()) as UsageReport;
    assert.equal(report.total.requests, 4);
    assert.equal(report.total.errors, 1);
    assert.equal(report.total.inputTokens, 7 + 11 + 11);
    assert.equal(report.total.outputTokens, 2 + 2 + 2);
    const expectedCost = (7 * 3 + 2 * 4 + 2 * (11 * 1 + 2 * 2)) / 1e6;
    assert.ok(Math.abs(report.total.costUsd - expectedCost) < 1e-12, `${report.total.costUsd} ≠ ${expectedCost}`);

    const byProvider = Object.fromEntries(report.by.provider!.map((group) => [group.name, group.requests]));
    assert.deepEqual(byProvider, { first: 2, second: 1, '(none)': 1 });
    const byModel = Object.fromEntries(report.by.model!.map((group) => [group.name, group.requests]));
    assert.deepEqual(byModel, { llama: 3, nope: 1 });
    const byKey = Object.fromEntries(report.by.key!.map((group) => [group.name, group.requests]));
    assert.deepEqual(byKey, { [gatewayKeyId(keys[0]!)]: 2, [gatewayKeyId(keys[1]!)]: 2 });
    assert.match(gatewayKeyId(keys[0]!), /^key-[0-9a-f]{10}$/);
    const text = JSON.stringify(report);
    for (const key of keys) assert.ok(!text.includes(key), 'no gateway key in the report');

    const one = (await (await usage(started.url, '?since=1h&by=provider')).json()) as UsageReport;
    assert.deepEqual(Object.keys(one.by), ['provider']);
    const empty = (await (await usage(started.url, `?since=1h&until=${Date.now() - 30 * 60_000}`)).json()) as UsageReport;
    assert.equal(empty.total.requests, 0);

    const status = (await (await fetch(`${started.url}/status`, { headers: { authorization: `Bearer ${keys[0]}` } })).json()) as {
      usage: { path: string; droppedRows: number };
    };
    assert.equal(status.usage.path, path);
    assert.equal(status.usage.droppedRows, 0);
  });

  it('counts a stream with its usage, under the provider that streamed it', async (t) => {
    const path = await ledgerPath(t);
    const only = await upstream(t, [{ sse: textChunks('One two three', { usage: true }) }]);
    const started = await gateway(t, providersFor([only.url], { usage: { path } }));
    const stream = await client(started).chat.completions.create({
      ...hello,
      stream: true,
      stream_options: { include_usage: true },
    });
    for await (const _chunk of stream) {
      // Read to the end.
    }
    const report = (await (await usage(started.url, '?by=provider,key', null)).json()) as UsageReport;
    assert.deepEqual(report.total, {
      requests: 1,
      errors: 0,
      inputTokens: 5,
      outputTokens: 3,
      costUsd: 0,
      latencyMsAvg: report.total.latencyMsAvg,
    });
    assert.deepEqual(
      report.by.provider!.map((group) => group.name),
      ['first'],
    );
    assert.deepEqual(
      report.by.key!.map((group) => group.name),
      ['(none)'],
      'a gateway without keys records no key',
    );
  });

  it('keeps its rows across a restart of the gateway', async (t) => {
    const path = await ledgerPath(t);
    const config = await pricedConfig(t, path);
    const before = await startGateway({ port: 0, logger: false, config });
    await client(before, keys[0]).chat.completions.create(hello);
    await client(before, keys[0]).chat.completions.create(hello);
    await before.close(0);

    const after = await gateway(t, config);
    await client(after, keys[1]).chat.completions.create(hello);
    const report = (await (await usage(after.url, '?since=1h&by=key')).json()) as UsageReport;
    assert.equal(report.total.requests, 3);
    assert.deepEqual(Object.fromEntries(report.by.key!.map((group) => [group.name, group.requests])), {
      [gatewayKeyId(keys[0]!)]: 2,
      [gatewayKeyId(keys[1]!)]: 1,
    });
  });

  it('needs a gateway key when keys are set, and answers bad ranges with a 400 naming the parameter', async (t) => {
    const path = await ledgerPath(t);
    const started = await gateway(t, await pricedConfig(t, path));
    const anonymous = await usage(started.url, '?since=1h', null);
    assert.equal(anonymous.status, 401);
    assert.equal(((await anonymous.json()) as { error: { type: string } }).error.type, 'authentication_error');
    assert.equal((await usage(started.url, '?since=1h', 'sk-wrong')).status, 401);

    for (const [query, param] of [
      ['?since=yesterday', 'since'],
      ['?since=1h&until=soon', 'until'],
      ['?since=1h&until=2h', 'until'],
      ['?by=region', 'by'],
      ['?since=1h&since=2h', 'since'],
    ] as const) {
      const response = await usage(started.url, query);
      assert.equal(response.status, 400, query);
      const body = (await response.json()) as { error: { type: string; param: string; message: string } };
      assert.equal(body.error.type, 'invalid_request_error', query);
      assert.equal(body.error.param, param, query);
    }
  });

  it('answers 404 usage_disabled when the ledger is off, and records nothing', async (t) => {
    const only = await upstream(t);
    const started = await gateway(t, providersFor([only.url], { usage: { enabled: false } }));
    await client(started).chat.completions.create(hello);
    const response = await usage(started.url, '', null);
    assert.equal(response.status, 404);
    assert.equal(((await response.json()) as { error: { code: string } }).error.code, 'usage_disabled');
    const status = (await (
      await fetch(`${started.url}/status`, { headers: { authorization: `Bearer ${keys[0]}` } })
    ).json()) as Record<string, unknown>;
    assert.equal('usage' in status, false);
  });
  it('records a made-up model name as a short excerpt without secrets, so GET /usage stays small', async (t) => {
    const path = await ledgerPath(t);
    const started = await gateway(t, await pricedConfig(t, path));
    const alpha = client(started, keys[0]);
    const huge = `unknown-${'m'.repeat(1_000_000)}`;
    await assert.rejects(alpha.chat.completions.create({ ...hello, model: huge }), { status: 404 });
    // A gateway key pasted into the model field by mistake.
    await assert.rejects(alpha.chat.completions.create({ ...hello, model: `oops ${keys[1]}` }), { status: 404 });
    await started.close(0);
    const reopened = await gateway(t, await pricedConfig(t, path));
    const answer = await usage(reopened.url, '?by=model');
    const text = await answer.text();
    assert.equal(answer.status, 200);
    assert.ok(text.length < 2000, `GET /usage answered ${text.length} characters`);
    assert.ok(!text.includes(keys[1]!));
    const names = (JSON.parse(text) as UsageReport).by.model!.map((group) => group.name);
    assert.ok(
      names.some((name) => name.startsWith('unknown-mmm') && name.length <= 101),
      names.join(' | '),
    );
    assert.ok(names.includes('oops [redacted]'), names.join(' | '));
    for (const query of [`?by=${'b'.repeat(8000)}`, `?since=${'s'.repeat(8000)}`, `?until=${'u'.repeat(8000)}`]) {
      const refused = await usage(reopened.url, query);
      assert.equal(refused.status, 400);
      assert.ok((await refused.text()).length < 600);
    }
  });
});
