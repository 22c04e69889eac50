// The README's quick start: the openai SDK pointed at `npm start` / `switchboard serve`.
// Run: node examples/quick-start.ts (SWITCHBOARD_URL names another gateway than http://127.0.0.1:4000).
import OpenAI from 'openai';

const baseURL = `${process.env.SWITCHBOARD_URL ?? 'http://127.0.0.1:4000'}/v1`;
const client = new OpenAI({ baseURL, apiKey: process.env.SWITCHBOARD_API_KEY ?? 'none' });
const answer = await client.chat.completions.create({
  model: 'llama-3.1-8b', // Groq's llama-3.1-8b-instant, else Together's Meta-Llama-3.1-8B-Instruct-Turbo
  messages: [{ role: 'user', content: 'Hello!' }],
});
console.log(answer.choices[0]?.message.content);
