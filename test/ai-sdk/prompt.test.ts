// The AI SDK's prompt as Chat Completions messages: every part the format can carry, and a
// refusal (not a silent drop) for the parts it cannot.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { type LanguageModelV4Prompt, UnsupportedFunctionalityError } from '@ai-sdk/provider';
import { convertPrompt } from '../../src/ai-sdk/prompt.ts';

describe('convertPrompt', () => {
  it('carries a tool conversation: assistant text and calls, then every kind of tool output', () => {
    const prompt: LanguageModelV4Prompt = [
      { role: 'system', content: 'Be brief.' },
      { role: 'user', content: [{ type: 'text', text: 'Weather and time?' }] },
      {
        role: 'assistant',
        content: [
          { type: 'reasoning', text: 'private chain of thought' },
          { type: 'text', text: 'Checking.' },
          { type: 'tool-call', toolCallId: 'c1', toolName: 'weather', input: { city: 'Oslo' } },
          { type: 'tool-call', toolCallId: 'c2', toolName: 'clock', input: {} },
          { type: 'tool-call', toolCallId: 'c3', toolName: 'news', input: { topic: 'x' } },
          { type: 'tool-call', toolCallId: 'c4', toolName: 'mail', input: { to: 'a' } },
        ],
      },
      {
        role: 'tool',
        content: [
          { type: 'tool-result', toolCallId: 'c1', toolName: 'weather', output: { type: 'json', value: { celsius: 3 } } },
          { type: 'tool-result', toolCallId: 'c2', toolName: 'clock', output: { type: 'text', value: '12:00' } },
          { type: 'tool-result', toolCallId: 'c3', toolName: 'news', output: { type: 'error-text', value: 'feed down' } },
          { type: 'tool-result', toolCallId: 'c4', toolName: 'mail', output: { type: 'execution-denied', reason: 'not now' } },
        ],
      },
    ];
    assert.deepEqual(convertPrompt(prompt), [
      { role: 'system', content: 'Be brief.' },
      { role: 'user', content: 'Weather and time?' },
      {
        role: 'assistant',
        content: 'Checking.',
        tool_calls: [
          { id: 'c1', type: 'function', function: { name: 'weather', arguments: '{"city":"Oslo"}' } },
          { id: 'c2', type: 'function', function: { name: 'clock', arguments: '{}' } },
          { id: 'c3', type: 'function', function: { name: 'news', arguments: '{"topic":"x"}' } },
          { id: 'c4', type: 'function', function: { name: 'mail', arguments: '{"to":"a"}' } },
        ],
      },
      { role: 'tool', tool_call_id: 'c1', content: '{"celsius":3}' },
      { role: 'tool', tool_call_id: 'c2', content: '12:00' },
      { role: 'tool', tool_call_id: 'c3', content: 'feed down' },
      { role: 'tool', tool_call_id: 'c4', content: 'not now' },
    ]);
  });

  it('turns text files into text and tool results with content into text parts', () => {
    const prompt: LanguageModelV4Prompt = [
      {
        role: 'user',
        content: [
          { type: 'text', text: 'Summarise:' },
          { type: 'file', mediaType: 'text/plain', data: { type: 'data', data: new TextEncoder().encode('line one') } },
          { type: 'file', mediaType: 'text/markdown', data: { type: 'text', text: '# title' } },
        ],
      },
      { role: 'assistant', content: [{ type: 'tool-call', toolCallId: 'c1', toolName: 'read', input: {} }] },
      {
        role: 'tool',
        content: [
          {
            type: 'tool-result',
            toolCallId: 'c1',
            toolName: 'read',
            output: { type: 'content', value: [{ type: 'text', text: 'page 1' }] },
          },
        ],
      },
    ];
    assert.deepEqual(convertPrompt(prompt), [
      {
        role: 'user',
        content: [
          { type: 'text', text: 'Summarise:' },
          { type: 'text', text: 'line one' },
          { type: 'text', text: '# title' },
        ],
      },
      {
        role: 'assistant',
        content: null,
        tool_calls: [{ id: 'c1', type: 'function', function: { name: 'read', arguments: '{}' } }],
      },
      { role: 'tool', tool_call_id: 'c1', content: [{ type: 'text', text: 'page 1' }] },
    ]);
  });

  it('refuses what Chat Completions cannot carry instead of dropping it', () => {
    const pdf: LanguageModelV4Prompt = [
      { role: 'user', content: [{ type: 'file', mediaType: 'application/pdf', data: { type: 'data', data: 'JVBERi0=' } }] },
    ];
    const unknownImage: LanguageModelV4Prompt = [
      { role: 'user', content: [{ type: 'file', mediaType: 'image', data: { type: 'data', data: new Uint8Array([1, 2]) } }] },
    ];
    const reference: LanguageModelV4Prompt = [
      {
        role: 'user',
        content: [{ type: 'file', mediaType: 'image/png', data: { type: 'reference', reference: { openai: 'file-1' } } }],
      },
    ];
    for (const prompt of [pdf, unknownImage, reference]) {
      assert.throws(
        () => convertPrompt(prompt),
        (error) => UnsupportedFunctionalityError.isInstance(error),
      );
    }
  });
});
