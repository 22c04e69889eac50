// Bad input the fuzzer does not reach: bodies nested thousands deep, bytes the HTTP parser
// refuses, bodies far over the limit, huge values that must not be echoed whole, and a storm of
// large bad bodies after which the gateway's memory must come back within 50 MB of its start.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { errorShapeProblem } from '../support/chaos-client.ts';
import { scale } from '../support/chaos-config.ts';
import { type ChaosTarget, startChaosTarget } from '../support/chaos-target.ts';
import { emptyFigures, publishFigures } from '../support/figures.ts';
import { settle } from '../support/gateway-process.ts';
import { sendRaw } from '../support/raw-http.ts';

const figures = emptyFigures();
const depth = 5000;
const nested = (inner: string) => `${'['.repeat(depth)}${inner}${']'.repeat(depth)}`;
const nestedObject = `${'{"a":'.repeat(depth)}1${'}'.repeat(depth)}`;

describe('bad input: limits at parse time, bounded echoes, memory back after a storm', { timeout: 300_000 * scale }, () => {
  let target: ChaosTarget;

  before(async () => {
    target = await startChaosTarget();
  });

  after(async () => {
    if (target && !target.gateway.alive()) figures.crashes++;
    publishFigures('bad-input', figures);
    await target?.dispose();
  });

  async function post(path: string, body: string | Buffer, headers: Record<string, string> = {}) {
    const response = await target.client.raw('POST', path, { headers: { 'content-type': 'application/json', ...headers }, body });
    figures.requests++;
    if (response.status >= 500 || response.status === 0) figures.serverErrorsFromClientInput++;
    return response;
  }

  it('bodies nested 5,000 deep anywhere are a 400 naming the limit, reach no upstream and cost no provider health', async () => {
    const message = (content: string) => `{"role":"user","content":${content}}`;
    const cases: Array<[string, string]> = [
      ['/v1/chat/completions', `{"model":"chaos","messages":[${message(nested('"x"'))}]}`],
      ['/v1/chat/completions', `{"model":"chaos","messages":[${message('"hi"')}],"metadata":${nestedObject}}`],
      [
        '/v1/messages',
        `{"model":"chaos","max_tokens":5,"messages":[${message('"hi"')}],"tools":[{"name":"f","input_schema":${nestedObject}}]}`,
      ],
      [
        '/v1/messages',
        `{"model":"chaos","max_tokens":5,"messages":[${message('"hi"')},{"role":"assistant","content":[{"type":"tool_use","id":"t1","name":"f","input":${nestedObject}}]},{"role":"user","content":[{"type":"tool_result","tool_use_id":"t1","content":"ok"}]}]}`,
      ],
    ];
    const calls = target.upstreamCalls();
    // Ten rounds: enough to open every circuit if each one were blamed on the providers.
    for (let round = 0; round < 10; round++) {
      for (const [path, body] of cases) {
        const response = await post(path, body);
        assert.equal(response.status, 400, `${path}: ${response.status} ${response.body.slice(0, 200)}`);
        assert.equal(errorShapeProblem(response.body, path === '/v1/messages' ? 'anthropic' : 'openai'), undefined);
        assert.match(response.body, /deep|depth|nest/i, 'the message names the limit');
      }
    }
    figures.upstreamCallsFromInvalidInput += target.upstreamCalls() - calls;
    assert.equal(target.upstreamCalls() - calls, 0, 'no upstream call');
    const status = JSON.parse((await target.client.raw('GET', '/status')).body) as {
      providers: Record<string, { state: string; consecutiveFailures: number }>;
    };
    for (const [name, provider] of Object.entries(status.providers)) {
      assert.equal(provider.state, 'closed', `${name} is not blamed`);
      assert.equal(provider.consecutiveFailures, 0, `${name} is not blamed`);
    }
    const answered = await target.client.send('chat-json');
    assert.equal(answered.verdict, 'success', 'normal traffic still flows');
  });

  it('errors from the HTTP parser (bad request line, bad header, huge headers) are a 4xx in OpenAI’s shape', async () => {
    const cases: Array<[string, string]> = [
      ['a malformed request line', 'GARBAGE\r\n\r\n'],
      ['a header without a colon', 'GET /healthz HTTP/1.1\r\nHost: x\r\nBad Header\r\n\r\n'],
      ['a control character in a header', 'POST /v1/chat/completions HTTP/1.1\r\nHost: x\r\nX-A: a\x01b\r\n\r\n'],
      ['headers over 16 KB', `GET /healthz HTTP/1.1\r\nHost: x\r\nX-Big: ${'a'.repeat(70_000)}\r\n\r\n`],
      ['a bad Content-Length', 'POST /v1/chat/completions HTTP/1.1\r\nHost: x\r\nContent-Length: abc\r\n\r\n'],
    ];
    for (const [name, bytes] of cases) {
      const answer = await sendRaw(target.gateway.url, bytes);
      figures.requests++;
      if (answer.status >= 500) figures.serverErrorsFromClientInput++;
      assert.ok(answer.status >= 400 && answer.status < 500, `${name}: ${answer.status} ${answer.headers.slice(0, 80)}`);
      assert.equal(errorShapeProblem(answer.body, 'openai'), undefined, `${name}: ${answer.body}`);
    }
  });

  it('a 12 MB body gets a readable 413 in OpenAI’s shape, not a reset', async () => {
    const body = `{"model":"chaos","messages":[{"role":"user","content":"${'x'.repeat(12 * 1024 * 1024)}"}]}`;
    const response = await post('/v1/chat/completions', body);
    assert.equal(response.status, 413, `${response.status} ${response.body.slice(0, 200)}`);
    assert.equal(errorShapeProblem(response.body, 'openai'), undefined);
  });

  it('a 3 MB model name is not echoed whole into the 404 or the log', async () => {
    const logBefore = target.gateway.output().length;
    const model = `fuzz-${'m'.repeat(3 * 1024 * 1024)}`;
    const response = await post('/v1/chat/completions', JSON.stringify({ model, messages: [{ role: 'user', content: 'x' }] }));
    assert.equal(response.status, 404);
    assert.ok(response.body.length < 4096, `a ${response.body.length}-character 404`);
    await new Promise((resolve) => setTimeout(resolve, 300));
    const logged = target.gateway.output().length - logBefore;
    assert.ok(logged < 16_384, `${logged} characters logged for one request`);
  });

  it('after a storm of large bad bodies, memory comes back within 50 MB of the start once idle', async () => {
    figures.rssStartMb = target.gateway.rssMb();
    figures.fdsStart = target.gateway.fdCount();
    // Under the 4 MiB limit: a body over it is refused before it is read (the test above).
    const sizes = [64 * 1024, 1024 * 1024, 3 * 1024 * 1024, 4 * 1024 * 1024 - 4096];
    const bodies = [
      (size: number) => `{"model":"chaos","messages":[{"role":"user","content":"${'x'.repeat(size)}"}]`, // unterminated
      (size: number) => `{"model":"chaos","messages":"${'y'.repeat(size)}"}`, // wrong type
      (size: number) => `{"model":"fuzz-${'z'.repeat(size)}","messages":[{"role":"user","content":"x"}]}`, // unknown model
      (size: number) => nested('1').padEnd(size, ' '), // deep, not an object
    ];
    const count = 160 * scale;
    let next = 0;
    const calls = target.upstreamCalls();
    const worker = async () => {
      while (next < count) {
        const index = next++;
        const body = bodies[index % bodies.length]!(sizes[Math.floor(index / bodies.length) % sizes.length]!);
        const response = await post(index % 3 === 0 ? '/v1/messages' : '/v1/chat/completions', body);
        assert.ok(response.status >= 400 && response.status < 500, `${response.status} ${response.body.slice(0, 200)}`);
        if (index % 20 === 0) figures.rssPeakMb = Math.max(figures.rssPeakMb ?? 0, target.gateway.rssMb());
      }
    };
    await Promise.all(Array.from({ length: 8 }, worker));
    figures.upstreamCallsFromInvalidInput += target.upstreamCalls() - calls;
    assert.equal(target.upstreamCalls() - calls, 0, 'no upstream call');
    await target.client.close();
    figures.rssIdleMb = await settle(target.gateway.rssMb, (mb) => mb <= figures.rssStartMb! + 50, 30_000);
    figures.fdsEnd = await settle(target.gateway.fdCount, (fds) => fds <= figures.fdsStart!, 10_000);
    console.log(
      `bad-input storm: ${count} bodies of 64 KB–4 MB; RSS ${figures.rssStartMb} → ${figures.rssPeakMb} → ${figures.rssIdleMb} MB`,
    );
    assert.ok(figures.rssIdleMb <= figures.rssStartMb + 50, `RSS ${figures.rssStartMb} → ${figures.rssIdleMb} MB idle`);
    assert.ok(figures.fdsEnd <= figures.fdsStart, `fds ${figures.fdsStart} → ${figures.fdsEnd}`);
  });
});
