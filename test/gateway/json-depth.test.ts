// Finding 1 of issue 9: a body nested thousands of levels deep overflowed the stack when it was
// encoded for the upstream, was blamed on every provider in turn and opened every circuit. Now it is
// refused at parse time with a 400 naming the limit, reaches no upstream and costs no provider health.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { nestsDeeperThan } from '../../src/gateway/json-body.ts';
import { completion } from '../support/upstream.ts';
import { gateway, hello, post, providersFor, upstream } from './helpers.ts';

const bounded = { timeout: 10_000 };
const deep = (levels: number) => `${'['.repeat(levels)}${']'.repeat(levels)}`;

interface ErrorBody {
  error: { message: string; type: string; code: string | null; param: string | null };
}

async function refusedAsTooDeep(response: Response): Promise<void> {
  assert.equal(response.status, 400);
  const body = (await response.json()) as ErrorBody;
  assert.deepEqual(Object.keys(body.error).sort(), ['code', 'message', 'param', 'type']);
  assert.equal(body.error.type, 'invalid_request_error');
  assert.equal(body.error.code, 'json_too_deep');
  assert.match(body.error.message, /more than 64 levels deep \(server\.maxJsonDepth\)/);
}

describe('request nesting depth', () => {
  it(
    'refuses a deep pass-through field with a 400, no upstream call and no health penalty, ten times over',
    bounded,
    async (t) => {
      const first = await upstream(t, [], { json: completion('from first') });
      const second = await upstream(t, [], { json: completion('from second') });
      const switchboard = await gateway(t, providersFor([first.url, second.url]));
      const body = `{"model":"llama","messages":[{"role":"user","content":"hi"}],"metadata":${deep(5000)}}`;
      for (let index = 0; index < 10; index++) await refusedAsTooDeep(await post(switchboard, body));
      assert.equal(first.requests.length + second.requests.length, 0);
      for (const status of Object.values(switchboard.router.status())) {
        assert.equal(status.state, 'closed');
        assert.equal(status.errors, 0);
      }
      const answer = await post(switchboard, hello);
      assert.equal(answer.status, 200);
      assert.equal(answer.headers.get('x-switchboard-provider'), 'first');
    },
  );

  it('refuses deep content, tools[].input_schema and tool_use.input on /v1/messages as 400s, not 500s', bounded, async (t) => {
    const first = await upstream(t, [], { json: completion('ok') });
    const switchboard = await gateway(t, providersFor([first.url]));
    const messages = (body: string) =>
      fetch(`${switchboard.url}/v1/messages`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', 'anthropic-version': '2023-06-01' },
        body,
        signal: AbortSignal.timeout(5000),
      });
    const schema = `{"type":"object","properties":{"x":${deep(5000)}}}`;
    const withTool = `{"model":"llama","max_tokens":5,"messages":[{"role":"user","content":"hi"}],"tools":[{"name":"f","input_schema":${schema}}]}`;
    const toolUse = `{"model":"llama","max_tokens":5,"messages":[{"role":"user","content":"hi"},{"role":"assistant","content":[{"type":"tool_use","id":"t1","name":"f","input":{"a":${deep(5000)}}}]},{"role":"user","content":[{"type":"tool_result","tool_use_id":"t1","content":"done"}]}]}`;
    const content = `{"model":"llama","messages":[{"role":"user","content":[{"type":"text","text":"hi","x":${deep(5000)}}]}]}`;
    for (const response of [await messages(withTool), await messages(toolUse)]) {
      assert.equal(response.status, 400);
      const body = (await response.json()) as { type: string; error: { type: string; message: string } };
      assert.equal(body.type, 'error');
      assert.match(body.error.message, /server\.maxJsonDepth/);
    }
    await refusedAsTooDeep(await post(switchboard, content));
    assert.equal(first.requests.length, 0);
  });

  it('takes server.maxJsonDepth from the config and lets a body at the limit through', bounded, async (t) => {
    const first = await upstream(t, [], { json: completion('ok') });
    const switchboard = await gateway(t, { ...providersFor([first.url]), server: { maxJsonDepth: 8 } });
    // The body's own object is level 1; metadata's 7 arrays make 8.
    const atLimit = `{"model":"llama","messages":[{"role":"user","content":"hi"}],"metadata":${deep(7)}}`;
    assert.equal((await post(switchboard, atLimit)).status, 200);
    const over = await post(switchboard, `{"model":"llama","messages":[{"role":"user","content":"hi"}],"metadata":${deep(8)}}`);
    assert.equal(over.status, 400);
    assert.match(((await over.json()) as ErrorBody).error.message, /more than 8 levels/);
  });
});

describe('nestsDeeperThan', () => {
  it('counts brackets outside strings only, escapes included', () => {
    assert.equal(nestsDeeperThan('[[[]]]', 3), false);
    assert.equal(nestsDeeperThan('[[[[]]]]', 3), true);
    assert.equal(nestsDeeperThan(`{"a":"${'['.repeat(100)}"}`, 3), false);
    assert.equal(nestsDeeperThan(`{"a":"\\"${'['.repeat(100)}"}`, 3), false);
    assert.equal(nestsDeeperThan(`{"a":"x\\\\","b":[[[[1]]]]}`, 3), true);
    assert.equal(nestsDeeperThan(`{"a":"\\\\\\"[[[[","b":1}`, 3), false);
    assert.equal(nestsDeeperThan(`[1,[2,[3]],{"k":[4]}]`, 3), false);
  });
});
