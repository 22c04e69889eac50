// Shared by the Responses tests: Anthropic-format upstream answers (docs.anthropic.com/en/api/messages
// and /messages-streaming), a config mixing an OpenAI-format and an Anthropic-format provider, and an
// SSE reader for the gateway's typed events.
import type { ConfigInput } from '../../src/config/schema.ts';

/** An Anthropic `message` answering `text`, or making one tool call. */
export function anthropicMessage(text: string, toolUse?: { id: string; name: string; input: Record<string, unknown> }) {
  const content: unknown[] = text === '' ? [] : [{ type: 'text', text }];
  if (toolUse) content.push({ type: 'tool_use', ...toolUse });
  return {
    id: 'msg_emulator',
    type: 'message',
    role: 'assistant',
    model: 'claude-emulator',
    content,
    stop_reason: toolUse ? 'tool_use' : 'end_turn',
    stop_sequence: null,
    usage: { input_tokens: 11, output_tokens: Math.max(1, text.split(' ').length) },
  };
}

function event(data: { type: string }): string {
  return `event: ${data.type}\ndata: ${JSON.stringify(data)}\n\n`;
}

/** Anthropic's stream events for `text`, one delta per word (no `[DONE]`: send with `done: false`). */
export function anthropicStream(text: string): string[] {
  const words = text.split(/(?<=\S)(?=\s)/);
  const message = {
    id: 'msg_emulator',
    type: 'message',
    role: 'assistant',
    model: 'claude-emulator',
    content: [],
    stop_reason: null,
    stop_sequence: null,
    usage: { input_tokens: 11, output_tokens: 1 },
  };
  return [
    event({ type: 'message_start', message } as { type: string }),
    event({ type: 'content_block_start', index: 0, content_block: { type: 'text', text: '' } } as { type: string }),
    ...words.map((word) =>
      event({ type: 'content_block_delta', index: 0, delta: { type: 'text_delta', text: word } } as { type: string }),
    ),
    event({ type: 'content_block_stop', index: 0 } as { type: string }),
    event({
      type: 'message_delta',
      delta: { stop_reason: 'end_turn', stop_sequence: null },
      usage: { output_tokens: words.length },
    } as {
      type: string;
    }),
    event({ type: 'message_stop' }),
  ];
}

/**
 * `openai` (OpenAI format) first, then `anthropic` (Anthropic format), both serving `llama`.
 * `extra` is merged over each provider's fields.
 */
export function mixedProviders(
  openaiUrl: string,
  anthropicUrl: string,
  extra: { openai?: object; anthropic?: object; routing?: object; responses?: object } = {},
): ConfigInput {
  return {
    providers: {
      openai: { baseUrl: openaiUrl, apiKey: 'sk-openai-secret', priority: 1, models: { llama: 'gpt-emulated' }, ...extra.openai },
      anthropic: {
        protocol: 'anthropic',
        baseUrl: anthropicUrl,
        apiKey: 'sk-ant-secret',
        priority: 2,
        models: { llama: 'claude-emulated' },
        ...extra.anthropic,
      },
    },
    routing: { retryDelayMs: 1, ...extra.routing },
    ...(extra.responses && { responses: extra.responses }),
  } as ConfigInput;
}

export interface TypedEvent {
  event: string;
  // biome-ignore lint/suspicious/noExplicitAny: tests read whatever fields an event has
  data: any;
}

/** The `event:`/`data:` pairs of a Responses SSE body. */
export function typedEvents(text: string): TypedEvent[] {
  return text
    .split('\n\n')
    .filter((block) => block.trim() !== '')
    .map((block) => {
      const name = /^event: (.*)$/m.exec(block)?.[1] ?? '';
      const data = /^data: (.*)$/m.exec(block)?.[1] ?? 'null';
      return { event: name, data: JSON.parse(data) };
    });
}

/** POSTs a body to `/v1/responses`. */
export function postResponses(url: string, body: unknown, signal: AbortSignal = AbortSignal.timeout(5000)) {
  return fetch(`${url}/v1/responses`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: typeof body === 'string' ? body : JSON.stringify(body),
    signal,
  });
}
