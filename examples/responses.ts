// A Responses API conversation through the gateway; its turns may be answered by different providers.
// Run: SWITCHBOARD_URL=http://127.0.0.1:4000 node examples/responses.ts (with `switchboard serve` running).
import OpenAI from 'openai';

const baseURL = `${process.env.SWITCHBOARD_URL ?? 'http://127.0.0.1:4000'}/v1`;
const client = new OpenAI({ baseURL, apiKey: process.env.SWITCHBOARD_API_KEY ?? 'none' });

const first = await client.responses.create({
  model: 'llama-3.1-8b',
  instructions: 'Answer in one sentence.',
  input: 'What is the capital of France?',
});
console.log(first.output_text);

// The gateway keeps the conversation, so whichever provider answers the next turn sees all of it.
const second = await client.responses.create({
  model: 'llama-3.1-8b',
  previous_response_id: first.id,
  input: 'How many people live there?',
});
console.log(second.output_text);

const stream = client.responses.stream({ model: 'llama-3.1-8b', previous_response_id: second.id, input: 'Thanks!' });
for await (const event of stream) {
  if (event.type === 'response.output_text.delta') process.stdout.write(event.delta);
}
console.log(`\n(${(await stream.finalResponse()).status})`);
