import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { describe, it } from 'node:test';
import { pino } from 'pino';
import { createLogger } from '../../src/gateway/logger.ts';
import { completion, openaiError, textChunks } from '../support/upstream.ts';
import { client, gateway, hello, post, providersFor, until, upstream } from './helpers.ts';

const bounded = { timeout: 5000 };

/** A pino logger writing parsed lines into an array. */
function capture(): { logger: pino.Logger; lines: Array<Record<string, unknown>> } {
  const lines: Array<Record<string, unknown>> = [];
  const logger = pino({ level: 'debug' }, { write: (line: string) => lines.push(JSON.parse(line)) });
  return { logger, lines };
}

describe('gateway observability', () => {
  it('lists the generic models in the OpenAI list shape, with their providers', bounded, async (t) => {
    const first = await upstream(t);
    const second = await upstream(t);
    const config = providersFor([first.url, second.url]);
    config.providers.second!.models = { llama: 'llama-1', mistral: 'mistral-small' };
    const switchboard = await gateway(t, config);
    const page = await client(switchboard).models.list();
    assert.deepEqual(page.data, [
      { id: 'llama', object: 'model', created: 0, owned_by: 'switchboard', providers: ['first', 'second'] },
      { id: 'mistral', object: 'model', created: 0, owned_by: 'switchboard', providers: ['second'] },
    ]);
  });

  it('serves /healthz and /status with every provider and model', bounded, async (t) => {
    const first = await upstream(t, [{ status: 503, json: openaiError('overloaded', 'server_error') }]);
    const second = await upstream(t);
    const switchboard = await gateway(t, providersFor([first.url, second.url]));
    assert.equal((await post(switchboard, hello)).status, 200);
    assert.deepEqual(await (await fetch(`${switchboard.url}/healthz`)).json(), { status: 'ok' });
    const status = (await (await fetch(`${switchboard.url}/status`)).json()) as {
      status: string;
      now: number;
      providers: Record<
        string,
        { consecutiveFailures: number; requests: number; errors: number; lastError: string; state: string }
      >;
      models: Array<{ id: string; providers: string[] }>;
    };
    assert.equal(status.status, 'ok');
    assert.ok(Math.abs(status.now - Date.now()) < 1000);
    assert.deepEqual(Object.keys(status.providers), ['first', 'second']);
    assert.equal(status.providers.first!.consecutiveFailures, 1);
    assert.equal(status.providers.first!.state, 'closed');
    assert.match(status.providers.first!.lastError, /overloaded/);
    assert.equal(status.providers.second!.requests, 1);
    assert.deepEqual(status.models, [{ id: 'llama', providers: ['first', 'second'] }]);
  });

  it('exports Prometheus metrics: requests, failovers, latencies and provider health', bounded, async (t) => {
    const first = await upstream(t, [{ status: 503, json: openaiError('overloaded', 'server_error') }]);
    const second = await upstream(t, [{ json: completion('hi') }, { sse: textChunks('streamed hi') }]);
    // The first stays open for the test: its first probe is a minute away.
    const routing = { failureThreshold: 1, recovery: { probeDelaysMs: [60_000] } };
    const switchboard = await gateway(t, providersFor([first.url, second.url], { routing }));
    assert.equal((await post(switchboard, hello)).status, 200);
    await (await post(switchboard, { ...hello, stream: true })).text();
    assert.equal((await post(switchboard, { ...hello, model: 'nope' })).status, 404);
    const response = await fetch(`${switchboard.url}/metrics`);
    assert.match(response.headers.get('content-type') ?? '', /^text\/plain; version=0\.0\.4/);
    const text = await response.text();
    const expected = [
      'switchboard_requests_total{provider="second",model="llama",status="200"} 2',
      'switchboard_requests_total{provider="none",model="unknown",status="404"} 1',
      'switchboard_failovers_total{from="first",to="second"} 1',
      'switchboard_attempts_total{provider="first",outcome="server"} 1',
      'switchboard_attempts_total{provider="second",outcome="ok"} 2',
      'switchboard_attempt_duration_seconds_count{provider="second",outcome="ok"} 2',
      'switchboard_request_duration_seconds_count{model="llama",stream="true"} 1',
      'switchboard_request_duration_seconds_count{model="llama",stream="false"} 1',
      'switchboard_time_to_first_token_seconds_count{provider="second"} 1',
      'switchboard_provider_circuit_state{provider="first",model="llama"} 2',
      'switchboard_provider_circuit_state{provider="second",model="llama"} 0',
      'switchboard_provider_healthy{provider="first",model="llama"} 0',
      'switchboard_provider_consecutive_failures{provider="first",model="llama"} 1',
      'switchboard_provider_rate_limited{provider="second",model="llama"} 0',
      'switchboard_inflight_requests 0',
    ];
    for (const line of expected) assert.ok(text.includes(line), `missing: ${line}`);
    assert.match(text, /switchboard_provider_latency_ema_seconds\{provider="second",model="llama"\} \d/);
    assert.match(text, /process_cpu_user_seconds_total/);
  });

  it('counts hedges started and won in /metrics', bounded, async (t) => {
    const slow = await upstream(t, [{ delayMs: 3000, sse: textChunks('late') }]);
    const fast = await upstream(t, [{ sse: textChunks('hedged hi') }]);
    const routing = { hedging: { delayMs: 50 } };
    const switchboard = await gateway(t, providersFor([slow.url, fast.url], { routing }));
    const response = await post(switchboard, { ...hello, stream: true });
    assert.match(await response.text(), /hedged/);
    assert.equal(response.headers.get('x-switchboard-provider'), 'second');
    await slow.waitForClose(0, 2000);
    const text = await (await fetch(`${switchboard.url}/metrics`)).text();
    assert.ok(text.includes('switchboard_hedges_total{provider="second",outcome="started"} 1'), text);
    assert.ok(text.includes('switchboard_hedges_total{provider="second",outcome="won"} 1'));
  });

  it(
    'serves the dashboard page, which follows /status/stream, and its chart library from the gateway itself',
    bounded,
    async (t) => {
      const first = await upstream(t);
      const switchboard = await gateway(t, providersFor([first.url]));
      const response = await fetch(`${switchboard.url}/`);
      assert.equal(response.status, 200);
      assert.equal(response.headers.get('content-type'), 'text/html; charset=utf-8');
      assert.match(response.headers.get('content-security-policy') ?? '', /default-src 'none'.*connect-src 'self'/);
      const html = await response.text();
      assert.match(html, /^<!doctype html>/);
      assert.match(html, /fetch\('status\/stream'/);
      assert.doesNotMatch(html, /innerHTML/, 'server values are set as text, never parsed as HTML');
      const loaded = [...html.matchAll(/<(?:script|link)[^>]+(?:src|href)="([^"]+)"/g)].map((match) => match[1]);
      assert.deepEqual(loaded, ['data:,', 'assets/uplot.css', 'assets/uplot.js'], 'nothing from another host');
      for (const asset of ['assets/uplot.css', 'assets/uplot.js']) {
        const served = await fetch(`${switchboard.url}/${asset}`);
        assert.equal(served.status, 200, asset);
        assert.ok((await served.text()).length > 1000, asset);
      }
    },
  );

  it('logs one JSON line per request, with no key or body in it', bounded, async (t) => {
    const first = await upstream(t, [
      {
        status: 401,
        json: openaiError('Incorrect API key provided: sk-upstream-0-secret', 'invalid_request_error', 'invalid_api_key'),
      },
    ]);
    const second = await upstream(t);
    const { logger, lines } = capture();
    const config = providersFor([first.url, second.url], { server: { apiKeys: ['sb-client-key'] } });
    const switchboard = await gateway(t, config, { logger, host: '127.0.0.1' });
    const response = await post(
      switchboard,
      { ...hello, messages: [{ role: 'user', content: 'a secret prompt' }] },
      { authorization: 'Bearer sb-client-key', 'x-request-id': 'trace-42' },
    );
    assert.equal(response.status, 200);
    assert.equal(response.headers.get('x-request-id'), 'trace-42');
    await until(() => lines.some((line) => line.reqId === 'trace-42'));
    const requestLines = lines.filter((line) => line.reqId === 'trace-42');
    assert.equal(requestLines.length, 1);
    const line = requestLines[0]!;
    assert.equal(line.model, 'llama');
    assert.equal(line.provider, 'second');
    assert.equal(line.attempts, 2);
    assert.equal(line.status, 200);
    assert.equal(typeof line.latencyMs, 'number');
    assert.equal(line.tried, 'first:401 second:200');
    // A provider's key echoed in its error reaches neither the log nor the status page.
    const everything = JSON.stringify(lines) + (await (await fetch(`${switchboard.url}/status`)).text());
    for (const secret of ['sk-upstream-0-secret', 'sk-upstream-1-secret', 'sb-client-key', 'a secret prompt']) {
      assert.ok(!everything.includes(secret), `${secret} leaked`);
    }
  });

  it('redacts authorization and api keys if anything ever logs them', bounded, async () => {
    const { logger, lines } = capture();
    const redacting = await createLogger(logger, 'info');
    redacting.info({ headers: { authorization: 'Bearer sb-x' }, provider: { apiKey: 'sk-y' }, apiKey: 'sk-z' }, 'oops');
    const last = lines.at(-1)!;
    assert.deepEqual(last.headers, { authorization: '[redacted]' });
    assert.deepEqual(last.provider, { apiKey: '[redacted]' });
    assert.equal(last.apiKey, '[redacted]');
  });

  it('the default logger (to stdout) censors credential fields at any depth it looks, and copies nothing else', bounded, () => {
    const logger = new URL('../../src/gateway/logger.ts', import.meta.url).href;
    const script = [
      `const { createLogger } = await import(${JSON.stringify(logger)});`,
      "const log = await createLogger(undefined, 'info');",
      "log.info({ headers: { authorization: 'Bearer sb-x', 'x-api-key': 'sk-w' }, provider: { apiKey: 'sk-y' }, apiKey: 'sk-z', config: { providers: { p: { apiKey: 'sk-v', baseUrl: 'http://u' } } } }, 'oops');",
      "log.info({ reqId: 'req-1', model: 'llama', provider: 'groq', status: 200 }, 'chat completion');",
      'log.flush();',
    ].join('\n');
    const run = spawnSync(process.execPath, ['--input-type=module', '-e', script], { encoding: 'utf8', timeout: 10_000 });
    assert.equal(run.status, 0, run.stderr);
    const [oops, request] = run.stdout
      .trim()
      .split('\n')
      .map((line) => JSON.parse(line) as Record<string, unknown>);
    assert.deepEqual(oops!.headers, { authorization: '[redacted]', 'x-api-key': '[redacted]' });
    assert.deepEqual(oops!.provider, { apiKey: '[redacted]' });
    assert.equal(oops!.apiKey, '[redacted]');
    assert.deepEqual(oops!.config, { providers: { p: { apiKey: '[redacted]', baseUrl: 'http://u' } } });
    assert.ok(!run.stdout.includes('sk-'), run.stdout);
    assert.equal(request!.provider, 'groq');
    assert.equal(request!.msg, 'chat completion');
  });

  it('close() resolves once the request log is out: a process that exits right after loses no line', bounded, () => {
    const url = (path: string) => JSON.stringify(new URL(path, import.meta.url).href);
    const script = [
      "import { pbkdf2 } from 'node:crypto';",
      "import { writeSync } from 'node:fs';",
      `const { startGateway } = await import(${url('../../src/gateway/server.ts')});`,
      `const { completion, startUpstream } = await import(${url('../support/upstream.ts')});`,
      `const { hello, providersFor } = await import(${url('./helpers.ts')});`,
      "const upstream = await startUpstream([], { fallback: { json: completion('hi') } });",
      'const gateway = await startGateway({ port: 0, config: providersFor([upstream.url]) });',
      "const response = await fetch(`${gateway.url}/v1/chat/completions`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(hello) });",
      'await response.text();',
      // The one thread of libuv's pool (UV_THREADPOOL_SIZE=1) is busy a while: the log's writes wait behind it.
      "pbkdf2('password', 'salt', 100_000, 32, 'sha256', () => {});",
      'await gateway.close(0);',
      "writeSync(1, 'closed() resolved\\n');",
      'process.exit(0);',
    ].join('\n');
    const run = spawnSync(process.execPath, ['--input-type=module', '-e', script], {
      encoding: 'utf8',
      timeout: 10_000,
      env: { ...process.env, UV_THREADPOOL_SIZE: '1' },
    });
    assert.equal(run.status, 0, run.stderr);
    const lines = run.stdout.trimEnd().split('\n');
    assert.equal(lines.at(-1), 'closed() resolved', run.stdout);
    const messages = lines.slice(0, -1).map((line) => (JSON.parse(line) as { msg: string }).msg);
    assert.ok(messages.includes('chat completion'), run.stdout);
    assert.equal(messages.at(-1), 'switchboard gateway closed', run.stdout);
  });

  it('the default logger censors credentials in lists too, and an error keeps its message and stack', bounded, () => {
    const logger = new URL('../../src/gateway/logger.ts', import.meta.url).href;
    const script = [
      `const { createLogger } = await import(${JSON.stringify(logger)});`,
      "const log = await createLogger(undefined, 'info');",
      "log.info({ providers: [{ name: 'a', apiKey: 'sk-list-1' }], config: { providers: [{ apiKey: 'sk-list-2' }] } }, 'listed');",
      "const error = Object.assign(new Error('upstream refused', { cause: new Error('socket hang up') }), { headers: { authorization: 'Bearer sk-err' } });",
      "log.error({ reqId: 'req-2', err: error }, 'unhandled error');",
      'log.flush();',
    ].join('\n');
    const run = spawnSync(process.execPath, ['--input-type=module', '-e', script], { encoding: 'utf8', timeout: 10_000 });
    assert.equal(run.status, 0, run.stderr);
    const [listed, failed] = run.stdout
      .trim()
      .split('\n')
      .map((line) => JSON.parse(line) as Record<string, unknown>);
    assert.ok(!run.stdout.includes('sk-'), run.stdout);
    // The old path redaction (`providers.*.apiKey`) covered a list of providers as well.
    assert.deepEqual(listed!.providers, [{ name: 'a', apiKey: '[redacted]' }]);
    assert.deepEqual(listed!.config, { providers: [{ apiKey: '[redacted]' }] });
    // Censoring a field of an error must not turn it into a plain object that pino's error serializer skips.
    const err = failed!.err as Record<string, unknown>;
    assert.deepEqual(err.headers, { authorization: '[redacted]' });
    assert.match(String(err.message), /^upstream refused/);
    assert.equal(err.type, 'Error');
    assert.match(String(err.stack), /upstream refused/);
    assert.match(String(err.stack), /caused by: Error: socket hang up/);
  });
});
