// Switchboard inside the Vercel AI SDK: the router is the provider, no gateway in between.
// Run: GROQ_URL=… TOGETHER_URL=… node examples/ai-sdk.ts (defaults to the real APIs).
import { APICallError, embed, generateText, streamText } from 'ai';
import { createSwitchboard, type SwitchboardMetadata } from 'switchboard/ai-sdk';

const switchboard = createSwitchboard({
  providers: {
    groq: {
      preset: 'groq',
      apiKey: process.env.GROQ_API_KEY,
      baseUrl: process.env.GROQ_URL,
      priority: 1,
      models: { 'llama-3.1-8b': 'llama-3.1-8b-instant' },
    },
    together: {
      preset: 'together',
      apiKey: process.env.TOGETHER_API_KEY,
      baseUrl: process.env.TOGETHER_URL,
      priority: 2,
      models: { 'llama-3.1-8b': 'meta-llama/Meta-Llama-3.1-8B-Instruct-Turbo' },
      embeddings: { 'bge-base': 'BAAI/bge-base-en-v1.5' },
    },
  },
});

try {
  // Every call fails over on its own, by the router's rules.
  const { text, providerMetadata } = await generateText({
    model: switchboard('llama-3.1-8b'),
    prompt: 'Say hello in five words.',
  });
  const route = providerMetadata?.switchboard as SwitchboardMetadata;
  console.log(text);
  console.log(`answered by ${route.provider} after ${route.attempts.length} attempt(s)`);

  const result = streamText({ model: switchboard('llama-3.1-8b'), prompt: 'Count to five.' });
  for await (const delta of result.textStream) process.stdout.write(delta);
  const streamed = (await result.providerMetadata)?.switchboard as SwitchboardMetadata;
  console.log(`\nstreamed by ${streamed.provider}; finish: ${await result.finishReason}`);

  // Embeddings fail over only between deployments of the same model: the vectors stay comparable.
  const { embedding } = await embed({ model: switchboard.embeddingModel('bge-base'), value: 'a sunny day' });
  console.log(`embedded in ${embedding.length} dimensions`);
} catch (error) {
  if (!APICallError.isInstance(error)) throw error;
  // The router's error: its status, and every attempt in `data.attempts`.
  console.error(error.statusCode, error.message);
  process.exitCode = 1;
} finally {
  await switchboard.close();
}
