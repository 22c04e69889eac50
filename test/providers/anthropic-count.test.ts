// Anthropic's count_tokens wire format (docs.anthropic.com, "Count Message tokens"), and the estimate.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { SwitchboardError } from '../../src/protocol/errors.ts';
import type { Target } from '../../src/providers/adapter.ts';
import { decodeCountTokens, encodeCountTokens, estimateCountTokens } from '../../src/providers/anthropic-count.ts';
import { loadTokenizer } from '../../src/router/count-tokens.ts';

const target: Target = {
  provider: 'anthropic',
  model: 'claude-haiku-4-5-20251001',
  apiKey: 'sk-ant-test',
  auth: 'x-api-key',
  headers: { 'anthropic-version': '2023-06-01' },
  defaultMaxTokens: 4096,
};

describe('anthropic count_tokens', () => {
  it('encodes to /messages/count_tokens with the provider’s model, leaving out what only /messages takes', () => {
    const wire = encodeCountTokens(
      {
        model: 'claude',
        messages: [{ role: 'user', content: 'hi' }],
        system: 'Be brief.',
        tools: [{ name: 'f', input_schema: { type: 'object' } }],
        max_tokens: 100,
        stream: true,
        temperature: 0.2,
        thinking: { type: 'enabled', budget_tokens: 1024 },
      },
      target,
    );
    assert.equal(wire.path, '/messages/count_tokens');
    assert.equal(wire.headers['x-api-key'], 'sk-ant-test');
    assert.equal(wire.headers['anthropic-version'], '2023-06-01');
    assert.deepEqual(JSON.parse(wire.body), {
      model: 'claude-haiku-4-5-20251001',
      messages: [{ role: 'user', content: 'hi' }],
      system: 'Be brief.',
      tools: [{ name: 'f', input_schema: { type: 'object' } }],
      thinking: { type: 'enabled', budget_tokens: 1024 },
    });
  });

  it('decodes input_tokens, and classifies errors and bad bodies', () => {
    assert.equal(decodeCountTokens({ status: 200, headers: {}, body: '{"input_tokens":2095}' }, target), 2095);
    const fail = (status: number, body: string) => {
      try {
        decodeCountTokens({ status, headers: {}, body }, target);
      } catch (error) {
        assert.ok(error instanceof SwitchboardError);
        return error;
      }
      assert.fail('expected an error');
    };
    const overloaded = fail(529, '{"type":"error","error":{"type":"overloaded_error","message":"Overloaded"}}');
    assert.equal(overloaded.kind, 'server');
    const bad = fail(400, '{"type":"error","error":{"type":"invalid_request_error","message":"messages: Field required"}}');
    assert.equal(bad.kind, 'bad-request');
    assert.equal(fail(200, '{"tokens":3}').kind, 'malformed');
    assert.equal(fail(200, '{"input_tokens":-1}').kind, 'malformed');
    assert.equal(fail(200, 'nope').kind, 'malformed');
  });

  it('estimates from every part that carries text: system, messages, tool calls and results, tools', () => {
    const length = (text: string) => text.length;
    const only = (body: Record<string, unknown>) => estimateCountTokens({ model: 'm', messages: [], ...body } as never, length);
    assert.equal(only({ system: 'abcd' }), 4);
    assert.equal(only({ system: [{ type: 'text', text: 'abcd' }] }), 4);
    assert.equal(only({ messages: [{ role: 'user', content: 'abc' }] }), 3 + 3);
    assert.equal(
      only({
        messages: [
          { role: 'assistant', content: [{ type: 'tool_use', id: 't', name: 'f', input: { a: 1 } }] },
          { role: 'user', content: [{ type: 'tool_result', tool_use_id: 't', content: [{ type: 'text', text: 'xy' }] }] },
        ],
      }),
      // 'f' + '\n' + '{"a":1}' + '\n' + 'xy', and two messages' overhead
      'f\n{"a":1}\nxy'.length + 6,
    );
    assert.equal(only({ messages: [{ role: 'user', content: [{ type: 'image', source: {} }] }] }), 1600 + 3);
    assert.equal(only({ tools: [{ name: 'f', description: 'd', input_schema: {} }] }), 'f\nd\n{}'.length + 10);
  });

  it('estimates with gpt-tokenizer: special-token text is text, and a huge body stays cheap and proportional', async () => {
    const count = await loadTokenizer();
    const small = estimateCountTokens({ model: 'm', messages: [{ role: 'user', content: 'a <|endoftext|> b' }] }, count);
    assert.ok(small > 3 && small < 20, String(small));
    const sentence = 'The quick brown fox jumps over the lazy dog. ';
    const big = sentence.repeat(40_000); // 1.8 MB
    const started = performance.now();
    const estimate = estimateCountTokens({ model: 'm', messages: [{ role: 'user', content: big }] }, count);
    const perSentence = count(sentence.repeat(100)) / 100;
    assert.ok(Math.abs(estimate - perSentence * 40_000) / (perSentence * 40_000) < 0.02, `${estimate}`);
    assert.ok(performance.now() - started < 5000);
  });
});
