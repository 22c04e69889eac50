// What a deployment can serve and what a request needs, as plain data, so the router sends a
// request only where it can be answered. A capability nobody stated is assumed present: an
// unknown model is tried, and its own 400 is handled like any other.
import type { ChatRequest } from '../protocol/chat.ts';
import { invalidRequest, type SwitchboardError } from '../protocol/errors.ts';
import { requestedOutputTokens } from './tokens.ts';

/** What one deployment supports. Undefined means unknown, which routes as supported. */
export interface Capabilities {
  /** Function tools (`tools`). */
  tools?: boolean;
  /** Images in messages (`image_url` parts). */
  vision?: boolean;
  /** `response_format: json_schema`. */
  jsonSchema?: boolean;
  /** Audio in messages (`input_audio` parts). */
  audioInput?: boolean;
  /** Audio answers (`modalities` with `audio`). */
  audioOutput?: boolean;
  /** The context window in tokens: input and output together. */
  contextTokens?: number;
  /** The most output tokens one answer may have. */
  maxOutputTokens?: number;
}

export type Feature = 'tools' | 'vision' | 'jsonSchema' | 'audioInput' | 'audioOutput';

/** How each feature is named to a caller. */
export const featureNames: Readonly<Record<Feature, string>> = {
  tools: 'tools',
  vision: 'images (vision)',
  jsonSchema: 'response_format json_schema',
  audioInput: 'audio input',
  audioOutput: 'audio output',
};

/** What a request needs from a deployment. */
export interface Needs {
  features: readonly Feature[];
  /** Output tokens the caller asked for (0 when unset). */
  outputTokens: number;
}

function hasPart(request: ChatRequest, type: string): boolean {
  if (!Array.isArray(request.messages)) return false;
  return request.messages.some(
    (message) =>
      message !== null &&
      typeof message === 'object' &&
      Array.isArray(message.content) &&
      (message.content as unknown[]).some((part) => (part as { type?: unknown } | null)?.type === type),
  );
}

/** The features a request uses; a tool list sent with `tool_choice: none` still needs tools. */
export function needsOf(request: ChatRequest): Needs {
  const features: Feature[] = [];
  if (Array.isArray(request.tools) && request.tools.length > 0) features.push('tools');
  if (hasPart(request, 'image_url')) features.push('vision');
  if (request.response_format?.type === 'json_schema') features.push('jsonSchema');
  if (hasPart(request, 'input_audio')) features.push('audioInput');
  const modalities = request.modalities;
  if ((Array.isArray(modalities) && modalities.includes('audio')) || (request.audio !== undefined && request.audio !== null)) {
    features.push('audioOutput');
  }
  return { features, outputTokens: requestedOutputTokens(request) };
}

/** Why a deployment cannot take a request: a feature it lacks, an output too long, or a window too small. */
export type Unfit =
  | { kind: 'feature'; feature: Feature }
  | { kind: 'output'; maxOutputTokens: number }
  | { kind: 'window'; contextTokens: number };

/** Why a deployment cannot serve the request, or undefined when it can (as far as it is known). */
export function unservable(capabilities: Capabilities, needs: Needs, inputTokens: number | undefined): Unfit | undefined {
  for (const feature of needs.features) {
    if (capabilities[feature] === false) return { kind: 'feature', feature };
  }
  const { maxOutputTokens, contextTokens } = capabilities;
  if (maxOutputTokens !== undefined && needs.outputTokens > maxOutputTokens) return { kind: 'output', maxOutputTokens };
  if (contextTokens !== undefined && inputTokens !== undefined && inputTokens + needs.outputTokens > contextTokens) {
    return { kind: 'window', contextTokens };
  }
  return undefined;
}

/**
 * The 400 for a request no configured deployment of its models can take, saying why: the
 * feature nobody supports, the output nobody gives, or the tokens it needs against the largest
 * window. `unfit` lists every deployment left out, with its model.
 */
export function unfitError(
  unfit: ReadonlyArray<{ model: string; reason: Unfit }>,
  needs: Needs,
  inputTokens: number | undefined,
): SwitchboardError {
  const models = [...new Set(unfit.map((entry) => entry.model))].join(', ');
  const windows = unfit.flatMap((entry) => (entry.reason.kind === 'window' ? [entry.reason.contextTokens] : []));
  if (windows.length > 0 && inputTokens !== undefined) {
    const largest = Math.max(...windows);
    const output = needs.outputTokens > 0 ? ` (${roundTokens(needs.outputTokens)} of them output)` : '';
    return invalidRequest(
      `the request needs ~${roundTokens(inputTokens + needs.outputTokens)} tokens${output}; largest window configured for ${models} is ${roundTokens(largest)}`,
      'messages',
      'context_length_exceeded',
    ).with({ kind: 'context-length' });
  }
  const outputs = unfit.flatMap((entry) => (entry.reason.kind === 'output' ? [entry.reason.maxOutputTokens] : []));
  if (outputs.length > 0) {
    return invalidRequest(
      `max_tokens ${needs.outputTokens} is more than any deployment of ${models} answers (at most ${Math.max(...outputs)})`,
      needs.outputTokens > 0 ? 'max_tokens' : null,
      'max_tokens_too_large',
    );
  }
  const features = [
    ...new Set(unfit.flatMap((entry) => (entry.reason.kind === 'feature' ? [featureNames[entry.reason.feature]] : []))),
  ];
  return invalidRequest(`no deployment of ${models} supports ${features.join(' and ')}`, null, 'unsupported_capability');
}

/** Merges capability sources in order: a later source's stated values win, unstated ones keep the earlier. */
export function mergeCapabilities(...sources: ReadonlyArray<Capabilities | undefined>): Capabilities {
  const merged: Capabilities = {};
  for (const source of sources) {
    if (source === undefined) continue;
    for (const [name, value] of Object.entries(source) as [keyof Capabilities, Capabilities[keyof Capabilities]][]) {
      if (value !== undefined) (merged as Record<string, unknown>)[name] = value;
    }
  }
  return merged;
}

/** `140000` → `140k`, `131072` → `131k`, `900` → `900`: how windows are named in messages. */
export function roundTokens(tokens: number): string {
  return tokens >= 1000 ? `${Math.floor(tokens / 1000)}k` : String(tokens);
}
