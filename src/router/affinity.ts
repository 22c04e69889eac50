// Which conversation a request belongs to, so its turns can stay on one deployment while it is
// healthy and the provider's prompt cache keeps hitting. The key is, in order: the request's
// `prompt_cache_key`, a session header the gateway passes on, `user`, or the conversation's
// stable prefix (its system prompt and first message, which every later turn repeats). It is
// hashed with the model: stores and messages between replicas never carry the caller's text.
import { createHash } from 'node:crypto';
import type { ChatMessage, ChatRequest } from '../protocol/chat.ts';

/**
 * The request's conversation key (a hex digest), or undefined when nothing identifies one.
 * `follow` says whether the request goes where the key is pinned: always for a named key; for a
 * prefix only when the request continues a conversation (it has an earlier answer), so repeated
 * one-off requests that happen to be identical are routed by the strategy. Every answer pins.
 */
export function affinityKey(request: ChatRequest, session: string | undefined): { key: string; follow: boolean } | undefined {
  const named =
    nonEmpty(request.prompt_cache_key) ?? (session === undefined ? undefined : nonEmpty(session)) ?? nonEmpty(request.user);
  const source = named ?? stablePrefix(request.messages);
  if (source === undefined) return undefined;
  const key = createHash('sha256')
    .update(`${request.model}\u0000${named === undefined ? 'prefix' : 'name'}\u0000${source}`)
    .digest('hex')
    .slice(0, 32);
  return { key, follow: named !== undefined || request.messages.some((message) => message?.role === 'assistant') };
}

function nonEmpty(value: unknown): string | undefined {
  return typeof value === 'string' && value.length > 0 ? value : undefined;
}

/** The system and developer messages and the first other message: what every turn of a conversation begins with. */
function stablePrefix(messages: readonly ChatMessage[]): string | undefined {
  if (!Array.isArray(messages)) return undefined;
  const prefix: unknown[] = [];
  for (const message of messages) {
    if (message === null || typeof message !== 'object') return undefined;
    prefix.push([message.role, message.content]);
    if (message.role !== 'system' && message.role !== 'developer') break;
  }
  return prefix.length === 0 ? undefined : JSON.stringify(prefix);
}
