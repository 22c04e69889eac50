// Responses conversation items: checking the `input` items a request sends, and turning a
// conversation (stored items and new ones) into Chat Completions messages. Formats from OpenAI's API
// reference (platform.openai.com/docs/api-reference/responses/create, "input"). Pure.
import type { ChatMessage, ContentPart } from '../protocol/chat.ts';
import { invalidRequest, type SwitchboardError } from '../protocol/errors.ts';
import type { ConversationItem, ItemContent, MessageItem } from '../protocol/responses.ts';

type Json = Record<string, unknown>;

/** An input item, or a reference to an output item of a stored response. */
export type InputItem = ConversationItem | { type: 'item_reference'; id: string; at: string };

const roles = new Set(['user', 'assistant', 'system', 'developer']);

/** Chat Completions messages for a conversation, appended to `messages`. */
export function appendConversation(messages: ChatMessage[], conversation: ConversationItem[]): ChatMessage[] {
  for (const item of conversation) appendItem(messages, item);
  return messages;
}

function appendItem(messages: ChatMessage[], item: ConversationItem): void {
  const last = messages.at(-1);
  if (item.type === 'function_call') {
    const call = { id: item.call_id, type: 'function' as const, function: { name: item.name, arguments: item.arguments } };
    // Calls made in one turn are one assistant message in Chat Completions, after its text if any.
    if (last?.role === 'assistant') last.tool_calls = [...(last.tool_calls ?? []), call];
    else messages.push({ role: 'assistant', content: null, tool_calls: [call] });
    return;
  }
  if (item.type === 'function_call_output') {
    messages.push({ role: 'tool', tool_call_id: item.call_id, content: item.output });
    return;
  }
  messages.push(messageFrom(item));
}

function messageFrom(item: MessageItem): ChatMessage {
  if (typeof item.content === 'string') {
    return item.role === 'assistant' ? { role: 'assistant', content: item.content } : { role: item.role, content: item.content };
  }
  if (item.role === 'assistant' || item.role === 'system' || item.role === 'developer') {
    const text = item.content.map((part) => (part.type === 'refusal' ? part.refusal : 'text' in part ? part.text : '')).join('');
    return item.role === 'assistant' ? { role: 'assistant', content: text } : { role: item.role, content: text };
  }
  const parts = item.content.map(
    (part): ContentPart =>
      part.type === 'input_image'
        ? { type: 'image_url', image_url: { url: part.image_url, ...(part.detail ? { detail: part.detail } : {}) } }
        : { type: 'text', text: part.type === 'refusal' ? part.refusal : part.text },
  );
  const only = parts.length === 1 ? parts[0] : undefined;
  return { role: 'user', content: only?.type === 'text' ? only.text : parts };
}

/** The checked `input` of a request: a string is one user message. Throws SwitchboardError (400). */
export function inputItems(value: unknown): InputItem[] {
  if (value == null) return [];
  if (typeof value === 'string') return [{ type: 'message', role: 'user', content: value }];
  if (!Array.isArray(value)) throw invalidType('input', 'a string or an array of input items');
  return value.flatMap((item: unknown, index): InputItem[] => inputItem(item, `input[${index}]`));
}

function inputItem(item: unknown, at: string): InputItem[] {
  if (!isObject(item)) throw invalidType(at, 'an input item object');
  // An "easy input message" has a role and no type.
  const type = item.type ?? (item.role !== undefined ? 'message' : undefined);
  const id = typeof item.id === 'string' ? { id: item.id } : {};
  switch (type) {
    case 'message': {
      if (typeof item.role !== 'string' || !roles.has(item.role)) {
        throw invalidType(`${at}.role`, "'user', 'assistant', 'system' or 'developer'");
      }
      const role = item.role as MessageItem['role'];
      return [{ type: 'message', ...id, role, content: contentFrom(item.content, `${at}.content`) }];
    }
    case 'function_call':
      return [
        {
          type: 'function_call',
          ...id,
          call_id: string(item, 'call_id', at),
          name: string(item, 'name', at),
          arguments: string(item, 'arguments', at),
        },
      ];
    case 'function_call_output':
      return [{ type: 'function_call_output', ...id, call_id: string(item, 'call_id', at), output: outputFrom(item.output, at) }];
    case 'item_reference':
      return [{ type: 'item_reference', id: string(item, 'id', at), at }];
    // Reasoning is the answering model's own; another model cannot take it (and OpenAI's is encrypted).
    case 'reasoning':
      return [];
    default: {
      const message = `Input items of type '${String(type)}' at '${at}.type' cannot be sent to other providers; Switchboard accepts message, function_call, function_call_output, item_reference and reasoning items.`;
      throw invalidRequest(message, `${at}.type`, 'invalid_value');
    }
  }
}

function contentFrom(value: unknown, at: string): string | ItemContent[] {
  if (typeof value === 'string') return value;
  if (!Array.isArray(value)) throw invalidType(at, 'a string or an array of content parts');
  return value.map((part: unknown, index): ItemContent => {
    const where = `${at}[${index}]`;
    if (!isObject(part)) throw invalidType(where, 'a content part');
    if (part.type === 'input_text') return { type: 'input_text', text: string(part, 'text', where) };
    if (part.type === 'output_text') return { type: 'output_text', text: string(part, 'text', where), annotations: [] };
    if (part.type === 'refusal') return { type: 'refusal', refusal: string(part, 'refusal', where) };
    if (part.type === 'input_image') {
      if (typeof part.image_url !== 'string') {
        const message = `Images at '${where}' must be sent as image_url (a URL or a data: URL); file ids are OpenAI's alone.`;
        throw invalidRequest(message, `${where}.image_url`, 'invalid_value');
      }
      const detail = part.detail === 'low' || part.detail === 'high' || part.detail === 'auto' ? part.detail : undefined;
      return { type: 'input_image', image_url: part.image_url, ...(detail && { detail }) };
    }
    const message = `Content parts of type '${String(part.type)}' at '${where}.type' cannot be sent to other providers.`;
    throw invalidRequest(message, `${where}.type`, 'invalid_value');
  });
}

// Chat Completions tool messages hold text, so text parts of an output are joined.
function outputFrom(value: unknown, at: string): string {
  if (typeof value === 'string') return value;
  if (!Array.isArray(value)) throw invalidType(`${at}.output`, 'a string or an array of input_text parts');
  return (contentFrom(value, `${at}.output`) as ItemContent[])
    .map((part) => {
      if (part.type === 'input_text' || part.type === 'output_text') return part.text;
      throw invalidRequest(`Only text can be sent as a function_call_output at '${at}.output'.`, `${at}.output`, 'invalid_value');
    })
    .join('');
}

/** `object[key]` as a string; a 400 naming `at.key` when it is missing or not a string. */
export function string(object: Json, key: string, at: string): string {
  const value = object[key];
  if (value == null)
    throw invalidRequest(`Missing required parameter: '${at}.${key}'.`, `${at}.${key}`, 'missing_required_parameter');
  if (typeof value !== 'string') throw invalidType(`${at}.${key}`, 'a string');
  return value;
}

/** A JSON object (not null, not an array). */
export function isObject(value: unknown): value is Json {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** The 400 for a parameter of the wrong type. */
export function invalidType(param: string, expected: string): SwitchboardError {
  return invalidRequest(`Invalid type for '${param}': expected ${expected}.`, param, 'invalid_type');
}
