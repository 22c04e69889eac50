// A stream asked for several choices (`n: 2`) is complete only when every choice has its
// finish_reason: an upstream that ends cleanly without [DONE] while one is still open broke it.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { ChatChunk, FinishReason } from '../../src/protocol/chat.ts';
import { gateway, post, providersFor, upstream } from './helpers.ts';

function chunk(index: number, content: string | undefined, finish: FinishReason | null = null): ChatChunk {
  return {
    id: 'chatcmpl-choices',
    object: 'chat.completion.chunk',
    created: 1_700_000_000,
    model: 'llama-0',
    choices: [{ index, delta: content === undefined ? {} : { content }, logprobs: null, finish_reason: finish }],
  };
}

/** Choice 0 answers in full and finishes; choice 1 gets part of its answer and, unless `finishBoth`, no finish_reason. */
function twoChoices(finishBoth: boolean): ChatChunk[] {
  const chunks = [
    {
      ...chunk(0, ''),
      choices: [{ index: 0, delta: { role: 'assistant' as const, content: '' }, logprobs: null, finish_reason: null }],
    },
    {
      ...chunk(1, ''),
      choices: [{ index: 1, delta: { role: 'assistant' as const, content: '' }, logprobs: null, finish_reason: null }],
    },
    chunk(0, 'The first answer '),
    chunk(1, 'The second answer '),
    chunk(0, 'is complete.'),
    chunk(0, undefined, 'stop'),
    chunk(1, 'stops half'),
  ];
  if (finishBoth) chunks.push(chunk(1, ' way, then ends.'), chunk(1, undefined, 'stop'));
  return chunks;
}

const request = { model: 'llama', n: 2, stream: true, messages: [{ role: 'user', content: 'Two answers, please' }] };

/** The `data:` payloads of an SSE body, parsed, [DONE] kept as a string. */
function events(body: string): unknown[] {
  return body
    .split('\n\n')
    .filter((block) => block.startsWith('data: '))
    .map((block) => block.slice('data: '.length))
    .map((data) => (data === '[DONE]' ? data : JSON.parse(data)));
}

describe('streams with several choices', () => {
  it('n: 2, a clean end without [DONE] while choice 1 is unfinished: an error event, never [DONE]', async (t) => {
    const first = await upstream(t, [{ sse: twoChoices(false), done: false }]);
    const switchboard = await gateway(t, providersFor([first.url]));
    const response = await post(switchboard, request);
    assert.equal(response.status, 200);
    const received = events(await response.text());
    assert.ok(!received.includes('[DONE]'), 'no [DONE] after a truncated choice');
    const last = received.at(-1) as { error?: { code: string; message: string } };
    assert.equal(last.error?.code, 'stream_incomplete', JSON.stringify(last));
    // What did arrive is relayed as it came: choice 0 whole, choice 1 in part.
    const text = (index: number) =>
      received
        .flatMap((event) => (event as ChatChunk).choices ?? [])
        .filter((choice) => choice.index === index)
        .map((choice) => choice.delta.content ?? '')
        .join('');
    assert.equal(text(0), 'The first answer is complete.');
    assert.equal(text(1), 'The second answer stops half');
    assert.equal(first.requests.length, 1, 'two choices cannot be continued from one text: no recovery attempt');
  });

  it('n: 2, a clean end without [DONE] after both choices finished is complete', async (t) => {
    const first = await upstream(t, [{ sse: twoChoices(true), done: false }]);
    const switchboard = await gateway(t, providersFor([first.url]));
    const response = await post(switchboard, request);
    const received = events(await response.text());
    assert.equal(received.at(-1), '[DONE]');
    const finishes = received
      .flatMap((event) => (typeof event === 'string' ? [] : (event as ChatChunk).choices))
      .filter((choice) => choice.finish_reason !== null)
      .map((choice) => [choice.index, choice.finish_reason]);
    assert.deepEqual(finishes, [
      [0, 'stop'],
      [1, 'stop'],
    ]);
  });
});
