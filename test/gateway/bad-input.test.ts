// Every request the gateway must refuse on its own: the right status, OpenAI's error shape,
// the field named, and no request reaching an upstream.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type { Gateway } from '../../src/gateway/server.ts';
import { startGateway } from '../../src/gateway/server.ts';
import { startUpstream, type Upstream } from '../support/upstream.ts';
import { hello, post, providersFor } from './helpers.ts';

const bounded = { timeout: 5000 };
const message = { role: 'user', content: 'hi' };

interface ErrorBody {
  error: { message: string; type: string; code: string | null; param: string | null };
}

describe('bad input never reaches an upstream', () => {
  let first: Upstream;
  let switchboard: Gateway;

  before(async () => {
    first = await startUpstream();
    switchboard = await startGateway({
      config: { ...providersFor([first.url]), server: { bodyLimitBytes: 4096 } },
      port: 0,
      logger: false,
    });
  });
  after(async () => {
    await switchboard.close(0);
    await first.close();
  });

  async function refused(response: Response, status: number): Promise<ErrorBody['error']> {
    assert.equal(response.status, status);
    assert.match(response.headers.get('content-type') ?? '', /^application\/json/);
    const body = (await response.json()) as ErrorBody;
    assert.deepEqual(Object.keys(body.error).sort(), ['code', 'message', 'param', 'type']);
    assert.equal(first.requests.length, 0, 'no upstream request');
    return body.error;
  }

  it('413 for a body over server.bodyLimitBytes', bounded, async () => {
    const error = await refused(
      await post(switchboard, { ...hello, messages: [{ role: 'user', content: 'x'.repeat(5000) }] }),
      413,
    );
    assert.equal(error.code, 'request_too_large');
  });

  it('400 for malformed JSON', bounded, async () => {
    const error = await refused(await post(switchboard, '{"model": "llama", "messages": ['), 400);
    assert.equal(error.code, 'invalid_json');
    assert.equal(error.type, 'invalid_request_error');
  });

  it('400 for an empty body', bounded, async () => {
    await refused(await post(switchboard, ''), 400);
  });

  it('400 for a body that is not an object', bounded, async () => {
    const error = await refused(await post(switchboard, '[1, 2]'), 400);
    assert.match(error.message, /JSON object/);
  });

  it('400 naming model when it is missing', bounded, async () => {
    const error = await refused(await post(switchboard, { messages: [message] }), 400);
    assert.equal(error.param, 'model');
    assert.equal(error.code, 'missing_required_parameter');
    assert.match(error.message, /'model'/);
  });

  it('404 for an unknown model, listing the known ones', bounded, async () => {
    const error = await refused(await post(switchboard, { model: 'gpt-9', messages: [message] }), 404);
    assert.equal(error.code, 'model_not_found');
    assert.equal(error.param, 'model');
    assert.match(error.message, /gpt-9.*known models: llama/);
  });

  const wrongTypes: Array<[string, Record<string, unknown>, string]> = [
    ['messages is not an array', { messages: 'hi' }, 'messages'],
    ['messages is empty', { messages: [] }, 'messages'],
    ['a message has no role', { messages: [{ content: 'hi' }] }, 'messages[0].role'],
    ['temperature is a string', { temperature: '0.7' }, 'temperature'],
    ['stream is not a boolean', { stream: 'yes' }, 'stream'],
    ['max_tokens is negative', { max_tokens: -5 }, 'max_tokens'],
    ['max_tokens is fractional', { max_tokens: 1.5 }, 'max_tokens'],
    ['n is zero', { n: 0 }, 'n'],
    ['stop is a number', { stop: 3 }, 'stop'],
    ['tools is an object', { tools: {} }, 'tools'],
    ['model is a number', { model: 7 }, 'model'],
  ];
  for (const [name, fields, param] of wrongTypes) {
    it(`400 naming the field when ${name}`, bounded, async () => {
      const error = await refused(await post(switchboard, { ...hello, ...fields }), 400);
      assert.equal(error.param, param);
      assert.ok(error.message.includes(`'${param}'`), error.message);
    });
  }

  const outsideTheProtocol: Array<[string, Record<string, unknown>, string, RegExp]> = [
    [
      'a message role is not one of the protocol',
      { messages: [message, { role: 'wizard', content: 'hi' }] },
      'messages[1].role',
      /'system', 'developer', 'user', 'assistant', 'tool', 'function'/,
    ],
    ['tool_choice is not a mode', { tool_choice: 'sometimes' }, 'tool_choice', /'none', 'auto', 'required'/],
    ['response_format.type is unknown', { response_format: { type: 'yaml' } }, 'response_format.type', /'json_schema'/],
  ];
  for (const [name, fields, param, allowed] of outsideTheProtocol) {
    it(`400 naming the field and its values when ${name}`, bounded, async () => {
      const error = await refused(await post(switchboard, { ...hello, ...fields }), 400);
      assert.equal(error.param, param);
      assert.equal(error.code, 'invalid_value');
      assert.match(error.message, allowed);
    });
  }

  it('passes every role, tool_choice mode and response_format type of the protocol', bounded, async () => {
    const roles = ['system', 'developer', 'user', 'assistant', 'tool', 'function'].map((role) => ({
      role,
      content: 'x',
      ...(role === 'tool' && { tool_call_id: 'call_1' }),
      ...(role === 'function' && { name: 'f' }),
    }));
    const response = await post(switchboard, {
      ...hello,
      messages: [...roles, message],
      tool_choice: 'required',
      tools: [{ type: 'function', function: { name: 'f', parameters: { type: 'object' } } }],
      response_format: { type: 'json_schema', json_schema: { name: 'x', schema: { type: 'object' } } },
    });
    assert.equal(response.status, 200);
    assert.equal(first.requests.length, 1);
    first.requests.length = 0;
  });

  it('accepts fields it does not know, and nulls where OpenAI allows them', bounded, async () => {
    const response = await post(switchboard, { ...hello, temperature: null, max_tokens: null, x_vendor: { a: 1 } });
    assert.equal(response.status, 200);
    assert.equal(first.requests.length, 1);
    assert.deepEqual(first.requests[0]?.body.x_vendor, { a: 1 });
    first.requests.length = 0;
  });

  it('parses a JSON body sent without a JSON content type (curl -d)', bounded, async () => {
    const response = await fetch(`${switchboard.url}/v1/chat/completions`, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: JSON.stringify(hello),
    });
    assert.equal(response.status, 200);
    first.requests.length = 0;
  });

  it('404 in OpenAI shape for an unknown route', bounded, async () => {
    const error = await refused(await fetch(`${switchboard.url}/v1/audio/speech`, { method: 'POST', body: '{}' }), 404);
    assert.match(
      error.message,
      /^Invalid URL \(POST \/v1\/audio\/speech\)\. This gateway serves: POST \/v1\/chat\/completions, /,
    );
  });

  it('405 with Allow for the wrong method', bounded, async () => {
    const response = await fetch(`${switchboard.url}/v1/chat/completions`);
    assert.equal(response.headers.get('allow'), 'POST');
    const error = await refused(response, 405);
    assert.equal(error.code, 'method_not_allowed');
    const models = await fetch(`${switchboard.url}/v1/models`, { method: 'DELETE' });
    assert.equal(models.status, 405);
    assert.equal(models.headers.get('allow'), 'GET, HEAD');
  });
});
