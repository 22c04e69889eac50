// OpenTelemetry tracing against a real OTLP/HTTP receiver (a small collector in the test that
// decodes the JSON export): a request that failed over is one parent span and two attempt
// children with GenAI attribute names, under the caller's trace id, and each upstream request
// carries its attempt's traceparent.
import assert from 'node:assert/strict';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { describe, it } from 'node:test';
import { parseConfig } from '../../src/config/schema.ts';
import { parseTraceparent } from '../../src/observe/trace-context.ts';
import { tracesEndpoint } from '../../src/observe/tracing.ts';
import { gateway, hello, post, providersFor, until, upstream } from '../gateway/helpers.ts';
import { openaiError, textChunks } from '../support/upstream.ts';

interface OtlpValue {
  stringValue?: string;
  intValue?: string | number;
  boolValue?: boolean;
  doubleValue?: number;
}
interface OtlpSpan {
  traceId: string;
  spanId: string;
  parentSpanId?: string;
  name: string;
  kind: number;
  attributes: Array<{ key: string; value: OtlpValue }>;
}

/** A collector: every span of every POST to /v1/traces. */
async function startCollector() {
  const spans: OtlpSpan[] = [];
  const paths: string[] = [];
  const server = createServer((request, response) => {
    const chunks: Buffer[] = [];
    request.on('data', (chunk: Buffer) => chunks.push(chunk));
    request.on('end', () => {
      paths.push(`${request.method} ${request.url} ${request.headers['content-type']}`);
      const body = JSON.parse(Buffer.concat(chunks).toString('utf8')) as {
        resourceSpans: Array<{ scopeSpans: Array<{ spans: OtlpSpan[] }> }>;
      };
      for (const resource of body.resourceSpans) for (const scope of resource.scopeSpans) spans.push(...scope.spans);
      response.writeHead(200, { 'content-type': 'application/json' }).end('{}');
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  return { url, spans, paths, close: () => new Promise<void>((resolve) => server.close(() => resolve())) };
}

function attributes(span: OtlpSpan): Record<string, string | number | boolean | undefined> {
  const value = (v: OtlpValue) =>
    v.stringValue ?? (v.intValue !== undefined ? Number(v.intValue) : (v.boolValue ?? v.doubleValue));
  return Object.fromEntries(span.attributes.map((attribute) => [attribute.key, value(attribute.value)]));
}

describe('OpenTelemetry tracing', () => {
  it('exports one request span and an attempt child per provider tried, under the caller’s trace id', {
    timeout: 20_000,
  }, async (t) => {
    const collector = await startCollector();
    t.after(() => collector.close());
    const first = await upstream(t, [], { status: 503, json: openaiError('overloaded', 'server_error') });
    const second = await upstream(t);
    const config = providersFor([first.url, second.url], { telemetry: { otlp: { endpoint: collector.url } } });
    const switchboard = await gateway(t, config);
    const traceId = '4bf92f3577b34da6a3ce929d0e0e4736';
    const callerSpan = '00f067aa0ba902b7';
    const response = await post(switchboard, hello, { traceparent: `00-${traceId}-${callerSpan}-01` });
    assert.equal(response.status, 200);
    const answer = (await response.json()) as { model: string };
    await switchboard.close(0);
    await until(() => collector.spans.length >= 3, 5000);

    assert.deepEqual(collector.paths, ['POST /v1/traces application/json']);
    assert.equal(collector.spans.length, 3);
    for (const span of collector.spans) assert.equal(span.traceId, traceId, 'the caller’s trace id is kept');
    const parent = collector.spans.find((span) => span.parentSpanId === callerSpan)!;
    assert.ok(parent, 'the request span is a child of the caller’s span');
    assert.equal(parent.name, 'chat llama');
    const top = attributes(parent);
    assert.equal(top['gen_ai.operation.name'], 'chat');
    assert.equal(top['gen_ai.request.model'], 'llama');
    assert.equal(top['gen_ai.response.model'], answer.model, 'the model the provider says answered');
    assert.equal(top['gen_ai.provider.name'], 'second');
    assert.equal(top['switchboard.attempts'], 2);
    assert.ok(Number(top['gen_ai.usage.output_tokens']) > 0);

    const children = collector.spans.filter((span) => span.parentSpanId === parent.spanId);
    assert.equal(children.length, 2);
    const [failed, answered] = children.sort(
      (a, b) => Number(attributes(a)['switchboard.attempt']) - Number(attributes(b)['switchboard.attempt']),
    );
    assert.deepEqual(
      [
        attributes(failed!)['gen_ai.provider.name'],
        attributes(failed!)['switchboard.deployment'],
        attributes(failed!)['switchboard.outcome'],
      ],
      ['first', 'first/llama', 'server'],
    );
    assert.equal(attributes(failed!)['http.response.status_code'], 503);
    assert.equal(attributes(failed!)['error.type'], 'server');
    assert.equal(attributes(failed!)['gen_ai.request.model'], 'llama-0');
    assert.deepEqual(
      [
        attributes(answered!)['gen_ai.provider.name'],
        attributes(answered!)['switchboard.outcome'],
        attributes(answered!)['http.response.status_code'],
      ],
      ['second', 'ok', 200],
    );
    assert.ok(Number(attributes(answered!)['gen_ai.usage.input_tokens']) > 0);

    // Each upstream request carried its own attempt's span as parent.
    const sent = [first, second].map((server) => parseTraceparent(server.requests[0]!.headers.traceparent));
    assert.deepEqual(
      sent.map((parentOf) => parentOf?.traceId),
      [traceId, traceId],
    );
    assert.deepEqual(
      sent.map((parentOf) => parentOf?.spanId),
      [failed!.spanId, answered!.spanId],
    );
    // No prompt text on any span.
    assert.doesNotMatch(JSON.stringify(collector.spans), /Say hi/);
  });

  it('gives a stream’s span its tokens at the end, and its answering attempt the time to first token', {
    timeout: 20_000,
  }, async (t) => {
    const collector = await startCollector();
    t.after(() => collector.close());
    const only = await upstream(t, [], { sse: textChunks('Hello there', { usage: true }) });
    const switchboard = await gateway(t, providersFor([only.url], { telemetry: { otlp: { endpoint: collector.url } } }));
    const response = await post(switchboard, { ...hello, stream: true, stream_options: { include_usage: true } });
    assert.equal(response.status, 200);
    assert.match(await response.text(), /\[DONE\]/);
    await switchboard.close(0);
    await until(() => collector.spans.length >= 2, 5000);
    const parent = collector.spans.find((span) => span.parentSpanId === undefined || span.parentSpanId === '')!;
    const child = collector.spans.find((span) => span.parentSpanId === parent.spanId)!;
    assert.ok(Number(attributes(parent)['gen_ai.usage.output_tokens']) > 0, JSON.stringify(attributes(parent)));
    assert.equal(attributes(child)['switchboard.outcome'], 'ok');
    assert.ok(Number(attributes(child)['switchboard.time_to_first_token_ms']) >= 0);
  });

  it('is off without an endpoint, and reads the standard variables', () => {
    const config = parseConfig(providersFor(['http://127.0.0.1:9/v1']));
    assert.equal(tracesEndpoint(config, {}), undefined);
    assert.equal(
      tracesEndpoint(config, { OTEL_EXPORTER_OTLP_ENDPOINT: 'http://127.0.0.1:4318/' }),
      'http://127.0.0.1:4318/v1/traces',
    );
    assert.equal(tracesEndpoint(config, { OTEL_EXPORTER_OTLP_TRACES_ENDPOINT: 'http://c:4318/custom' }), 'http://c:4318/custom');
    assert.equal(parseTraceparent('00-00000000000000000000000000000000-00f067aa0ba902b7-01'), undefined);
    assert.equal(parseTraceparent('not a traceparent'), undefined);
  });
});
