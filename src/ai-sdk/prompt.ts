// The AI SDK's prompt (LanguageModelV4Prompt) as canonical Chat Completions messages.
// What Chat Completions cannot carry (audio, PDFs, provider file references) is refused with the
// spec's UnsupportedFunctionalityError rather than dropped, so a caller never gets an answer to a
// prompt it did not send.
import {
  type LanguageModelV4FilePart,
  type LanguageModelV4Prompt,
  type LanguageModelV4ToolResultOutput,
  UnsupportedFunctionalityError,
} from '@ai-sdk/provider';
import type { AssistantMessage, ChatMessage, ContentPart, TextPart, ToolCall } from '../protocol/chat.ts';

/** Converts a prompt; throws UnsupportedFunctionalityError for parts Chat Completions cannot carry. */
export function convertPrompt(prompt: LanguageModelV4Prompt): ChatMessage[] {
  const messages: ChatMessage[] = [];
  for (const message of prompt) {
    switch (message.role) {
      case 'system':
        messages.push({ role: 'system', content: message.content });
        break;
      case 'user': {
        const parts = message.content.map((part) => (part.type === 'text' ? textPart(part.text) : filePart(part)));
        const only = parts.length === 1 ? parts[0] : undefined;
        messages.push({ role: 'user', content: only?.type === 'text' ? only.text : parts });
        break;
      }
      case 'assistant': {
        let text = '';
        const calls: ToolCall[] = [];
        for (const part of message.content) {
          if (part.type === 'text') text += part.text;
          else if (part.type === 'tool-call' && !part.providerExecuted) {
            calls.push({
              id: part.toolCallId,
              type: 'function',
              function: { name: part.toolName, arguments: JSON.stringify(part.input ?? {}) },
            });
          } else if (part.type === 'file' || part.type === 'reasoning-file') {
            throw unsupported(`${part.type} parts in assistant messages`);
          }
          // Reasoning, custom parts and provider-executed tool results are the answering
          // provider's own record; another provider cannot read them, so they stay out.
        }
        const assistant: AssistantMessage = { role: 'assistant', content: text === '' && calls.length > 0 ? null : text };
        if (calls.length > 0) assistant.tool_calls = calls;
        messages.push(assistant);
        break;
      }
      case 'tool':
        for (const part of message.content) {
          if (part.type !== 'tool-result') continue; // approval responses concern provider-executed tools only
          messages.push({ role: 'tool', tool_call_id: part.toolCallId, content: toolOutput(part.output) });
        }
        break;
    }
  }
  return messages;
}

function textPart(text: string): TextPart {
  return { type: 'text', text };
}

function unsupported(functionality: string): UnsupportedFunctionalityError {
  return new UnsupportedFunctionalityError({
    functionality,
    message: `switchboard: ${functionality} cannot be sent as Chat Completions, the format the router speaks`,
  });
}

function filePart(part: Pick<LanguageModelV4FilePart, 'data' | 'mediaType'>): ContentPart {
  const { data, mediaType } = part;
  if (data.type === 'text') return textPart(data.text);
  if (data.type === 'reference') throw unsupported('provider file references');
  if (mediaType.startsWith('image')) {
    if (data.type === 'url') return { type: 'image_url', image_url: { url: data.originalUrl ?? data.url.href } };
    // The AI SDK detects the subtype of image bytes; a bare `image` means it could not.
    if (!mediaType.includes('/') || mediaType.endsWith('/*')) throw unsupported(`images of unknown type (${mediaType})`);
    return { type: 'image_url', image_url: { url: `data:${mediaType};base64,${base64(data.data)}` } };
  }
  if (mediaType.startsWith('text') && data.type === 'data') return textPart(Buffer.from(bytes(data.data)).toString('utf8'));
  throw unsupported(`files of type ${mediaType}`);
}

function bytes(data: Uint8Array | string): Uint8Array {
  return typeof data === 'string' ? Buffer.from(data, 'base64') : data;
}

function base64(data: Uint8Array | string): string {
  return typeof data === 'string' ? data : Buffer.from(data).toString('base64');
}

/** A tool's output as the text of a `tool` message: Chat Completions tool results are text. */
function toolOutput(output: LanguageModelV4ToolResultOutput): string | TextPart[] {
  switch (output.type) {
    case 'text':
    case 'error-text':
      return output.value;
    case 'json':
    case 'error-json':
      return JSON.stringify(output.value);
    case 'execution-denied':
      return output.reason ?? 'The tool call was not executed: the user denied it.';
    case 'content':
      return output.value.map((item) => {
        if (item.type === 'text') return textPart(item.text);
        if (item.type === 'file' && item.data.type === 'text') return textPart(item.data.text);
        throw unsupported(`${item.type} parts in tool results`);
      });
  }
}
