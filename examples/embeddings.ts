// Embeddings through the gateway: the same vectors whichever provider of the model answers.
// Run: SWITCHBOARD_URL=http://127.0.0.1:4000 node examples/embeddings.ts (with `switchboard serve` running).
import OpenAI from 'openai';

const baseURL = `${process.env.SWITCHBOARD_URL ?? 'http://127.0.0.1:4000'}/v1`;
const client = new OpenAI({ baseURL, apiKey: process.env.SWITCHBOARD_API_KEY ?? 'none' });

const { data, usage } = await client.embeddings.create({
  model: 'text-embedding-3-small',
  input: ['first document', 'second document'],
  dimensions: 256,
});
console.log(`${data.length} vectors of ${data[0]?.embedding.length} dimensions, ${usage.prompt_tokens} tokens`);
