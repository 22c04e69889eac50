// The Responses dialect (`POST /v1/responses`): the pure translation of responses-request.ts,
// responses-answer.ts and responses-stream.ts, plus the stored conversations. A request naming a
// `previous_response_id` is rebuilt from the store into the whole conversation before routing, so
// whichever provider answers the follow-up sees every earlier turn, whoever answered those.
import { randomBytes } from 'node:crypto';
import type { ChatRequest } from '../protocol/chat.ts';
import { invalidRequest } from '../protocol/errors.ts';
import type { ConversationItem } from '../protocol/responses.ts';
import type { ResponseStore, StoredResponse } from '../state/responses.ts';
import type { Dialect } from './dialects.ts';
import { clip } from './endpoints.ts';
import { type ResponseEnvelope, responseFromChat } from './responses-answer.ts';
import { chatRequestFromResponses, type InputItem, parseResponsesRequest, type ResponsesRequest } from './responses-request.ts';
import { createResponsesStreamEncoder } from './responses-stream.ts';

export interface ResponsesDialectOptions {
  store: ResponseStore;
  /** The providers of `model` that run every one of `tools`; throws SwitchboardError (400) when none does. */
  providersForTools(model: string, tools: readonly string[]): readonly string[];
  /** A failed save: the answer still goes out, and a follow-up naming it gets a 400. */
  onStoreError(error: unknown): void;
  /** Epoch ms; a parameter for tests. */
  now?: () => number;
}

interface Turn {
  envelope: ResponseEnvelope;
  keyId: string | null;
  conversation: ConversationItem[];
  only: readonly string[] | undefined;
}

/** The Responses dialect over a store of conversations. */
export function createResponsesDialect(options: ResponsesDialectOptions): Dialect {
  const now = options.now ?? Date.now;
  // The canonical request is what the chat handler hands back to response() and events().
  const turns = new WeakMap<ChatRequest, Turn>();

  const save = async (turn: Turn, response: StoredResponse['response']) => {
    if (!turn.envelope.request.store) return;
    const stored = {
      id: response.id,
      owner: turn.keyId,
      storedAt: now(),
      conversation: withIds(turn.conversation, response.id),
      output: response.output,
      response,
    };
    await options.store.save(stored).catch(options.onStoreError);
  };

  return {
    name: 'responses',
    async request(body, keyId) {
      const request = parseResponsesRequest(body);
      const only = request.builtinTools.length > 0 ? options.providersForTools(request.model, request.builtinTools) : undefined;
      const history = await historyOf(options.store, request, keyId);
      const conversation = [...history, ...(await resolve(options.store, request.input, keyId))];
      requireCalls(conversation);
      const chat = chatRequestFromResponses(request, conversation);
      if (chat.messages.length === 0) {
        throw invalidRequest('The conversation is empty: send input items with a message.', 'input', 'empty_input');
      }
      const envelope = {
        id: `resp_${randomBytes(24).toString('hex')}`,
        createdAt: Math.floor(now() / 1000),
        model: request.model,
        request,
      };
      turns.set(chat, { envelope, keyId, conversation, only });
      return chat;
    },
    only: (chat) => turns.get(chat)?.only,
    async response(result, chat) {
      const turn = turns.get(chat) as Turn;
      const response = responseFromChat(
        { ...turn.envelope, model: result.response.model || turn.envelope.model },
        result.response,
      );
      await save(turn, response);
      return response;
    },
    events(chat) {
      const turn = turns.get(chat) as Turn;
      const encoder = createResponsesStreamEncoder(turn.envelope);
      return {
        chunk: (chunk) => encoder.chunk(chunk),
        async end(result) {
          const { text, response } = encoder.end(result.usage);
          // Saved before the client hears response.completed, so a follow-up can never race it.
          await save(turn, response);
          return text;
        },
        error: (error) => encoder.error(error),
      };
    },
    error: (error) => error.toJSON(),
    challenge: 'Bearer',
  };
}

// Another caller's response is as unknown as a missing one: its existence is not to be told.
async function historyOf(store: ResponseStore, request: ResponsesRequest, keyId: string | null): Promise<ConversationItem[]> {
  const id = request.previousResponseId;
  if (id === null) return [];
  const stored = await store.get(id);
  if (stored === undefined || stored.owner !== keyId) {
    const message = `Previous response with id '${clip(id)}' not found (never stored, deleted, or past its retention).`;
    throw invalidRequest(message, 'previous_response_id', 'previous_response_not_found');
  }
  return [...stored.conversation, ...stored.output];
}

async function resolve(store: ResponseStore, input: InputItem[], keyId: string | null): Promise<ConversationItem[]> {
  const items: ConversationItem[] = [];
  for (const item of input) {
    if (item.type !== 'item_reference') {
      items.push(item);
      continue;
    }
    const found = await store.item(item.id);
    if (found === undefined || found.owner !== keyId) {
      throw invalidRequest(`Item with id '${clip(item.id)}' not found.`, `${item.at}.id`, 'item_not_found');
    }
    items.push(found.item);
  }
  return items;
}

// Every provider refuses a tool result that answers no call before it (OpenAI: 400 "No tool call
// found for function call output"), so it is refused here, before an upstream is bothered.
function requireCalls(conversation: readonly ConversationItem[]): void {
  const calls = new Set<string>();
  for (const item of conversation) {
    if (item.type === 'function_call') calls.add(item.call_id);
    if (item.type === 'function_call_output' && !calls.has(item.call_id)) {
      const message = `No tool call found for function call output with call_id '${clip(item.call_id)}': send the function_call item (or a previous_response_id or item_reference that has it) before its output.`;
      throw invalidRequest(message, 'input', 'invalid_value');
    }
  }
}

// Input items are listed with ids (GET …/input_items); one given none gets one here, and keeps it
// in every later turn, whose conversation starts with this one's.
function withIds(conversation: ConversationItem[], responseId: string): ConversationItem[] {
  const suffix = responseId.slice('resp_'.length);
  return conversation.map((item, index) => {
    if (item.id !== undefined) return item;
    const prefix = item.type === 'message' ? 'msg' : item.type === 'function_call' ? 'fc' : 'fco';
    return { ...item, id: `${prefix}_${suffix}_in${index}` };
  });
}
