import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { type Simulator, startSimulator } from '../../src/demo/simulator.ts';

function chat(simulator: Simulator, body: Record<string, unknown> = {}): Promise<Response> {
  return fetch(`${simulator.url}/chat/completions`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ model: 'llama-3.1-8b', messages: [{ role: 'user', content: 'hi' }], ...body }),
    signal: AbortSignal.timeout(3000),
  });
}

describe('demo simulator', () => {
  let simulator: Simulator;
  before(async () => {
    simulator = await startSimulator({ name: 'fast', latencyMs: 20 });
  });
  after(() => simulator.close());

  it('answers a chat completion as JSON after about its latency', async () => {
    const started = performance.now();
    const response = await chat(simulator);
    const elapsed = performance.now() - started;
    assert.equal(response.status, 200);
    const body = (await response.json()) as { object: string; model: string; choices: Array<{ message: { content: string } }> };
    assert.equal(body.object, 'chat.completion');
    assert.equal(body.model, 'llama-3.1-8b');
    assert.match(body.choices[0]!.message.content, /^Hello from fast/);
    assert.ok(elapsed >= 15, `answered in ${elapsed} ms`);
  });

  it('streams chunks ending in [DONE], with usage when asked', async () => {
    const response = await chat(simulator, { stream: true, stream_options: { include_usage: true } });
    assert.match(response.headers.get('content-type') ?? '', /^text\/event-stream/);
    const events = (await response.text()).split('\n\n').filter(Boolean);
    assert.equal(events.at(-1), 'data: [DONE]');
    const chunks = events.slice(0, -1).map((event) => JSON.parse(event.replace(/^data: /, '')));
    assert.equal(chunks[0].choices[0].delta.role, 'assistant');
    assert.equal(chunks.at(-2).choices[0].finish_reason, 'stop');
    assert.equal(chunks.at(-1).usage.completion_tokens > 0, true);
    const text = chunks.map((chunk) => chunk.choices[0]?.delta.content ?? '').join('');
    assert.match(text, /^Hello from fast/);
  });

  it('answers 503 while down in that mode, and normally once back', async () => {
    await simulator.goDown('503');
    const down = await chat(simulator);
    assert.equal(down.status, 503);
    assert.equal(((await down.json()) as { error: { type: string } }).error.type, 'server_error');
    await simulator.comeBack();
    assert.equal((await chat(simulator)).status, 200);
  });

  it('refuses connections while down in that mode, and comes back on the same port', async () => {
    await simulator.goDown('refuse');
    assert.equal(simulator.mode, 'refuse');
    // The first try may land on a keep-alive socket the client has not yet seen closed.
    await chat(simulator).catch(() => {});
    await assert.rejects(chat(simulator), (error: Error) => {
      assert.equal((error.cause as { code?: string }).code, 'ECONNREFUSED');
      return true;
    });
    await simulator.comeBack();
    assert.equal((await chat(simulator)).status, 200);
  });

  it('lets an answer already under way finish when it goes down', async () => {
    const slow = await startSimulator({ name: 'slow', latencyMs: 200 });
    try {
      const pending = chat(slow);
      await new Promise((resolve) => setTimeout(resolve, 50));
      await slow.goDown('refuse');
      assert.equal((await pending).status, 200);
    } finally {
      await slow.close();
    }
  });
});
