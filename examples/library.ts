// Switchboard as a library: two OpenAI-compatible providers serving one generic model.
// Run: GROQ_URL=… TOGETHER_URL=… node examples/library.ts (defaults to the real APIs).
import { createRouter, SwitchboardError } from 'switchboard';

const router = createRouter({
  providers: {
    groq: {
      preset: 'groq',
      apiKey: process.env.GROQ_API_KEY,
      baseUrl: process.env.GROQ_URL, // optional: overrides the preset's URL
      priority: 1,
      models: { 'llama-3.1-8b': 'llama-3.1-8b-instant' },
    },
    together: {
      preset: 'together',
      apiKey: process.env.TOGETHER_API_KEY,
      baseUrl: process.env.TOGETHER_URL,
      priority: 2,
      models: { 'llama-3.1-8b': 'meta-llama/Meta-Llama-3.1-8B-Instruct-Turbo' },
    },
  },
  routing: { failureThreshold: 3, timeouts: { firstTokenMs: 10_000, totalMs: 60_000 } },
});

try {
  const result = await router.complete({
    model: 'llama-3.1-8b',
    messages: [{ role: 'user', content: 'Say hello in five words.' }],
  });
  console.log(result.response.choices[0]?.message.content);
  console.log(`answered by ${result.provider} in ${result.latencyMs.toFixed(0)} ms after ${result.attempts.length} attempt(s)`);

  const stream = await router.stream({ model: 'llama-3.1-8b', messages: [{ role: 'user', content: 'Count to five.' }] });
  for await (const chunk of stream) process.stdout.write(chunk.choices[0]?.delta.content ?? '');
  console.log(`\nstreamed by ${stream.provider}; first token after ${stream.latencyMs.toFixed(0)} ms`);
} catch (error) {
  if (!(error instanceof SwitchboardError)) throw error;
  // Every attempt is listed: provider, status, reason.
  console.error(error.status, error.message, error.attempts);
  process.exitCode = 1;
} finally {
  await router.close();
}
