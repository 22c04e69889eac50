// `switchboard/ai-sdk`: the router as a Vercel AI SDK provider (the `@ai-sdk/provider` v4 specification).
// First: on a Node too old for Switchboard this stops with one line before anything else loads.
import '../node-version.ts';

export type { SwitchboardMetadata } from './answer.ts';
export { SwitchboardEmbeddingModel } from './embedding-model.ts';
export { SwitchboardLanguageModel } from './language-model.ts';
export { createSwitchboard, type Switchboard } from './provider.ts';
