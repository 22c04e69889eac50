// Counting the tokens of an Anthropic Messages request through the gateway (`messages.countTokens`).
// Run: SWITCHBOARD_URL=http://127.0.0.1:4000 node examples/count-tokens.ts (with `switchboard serve` running).
import Anthropic from '@anthropic-ai/sdk';

const anthropic = new Anthropic({
  baseURL: process.env.SWITCHBOARD_URL ?? 'http://127.0.0.1:4000',
  apiKey: process.env.SWITCHBOARD_API_KEY ?? 'none',
});
const { data, response } = await anthropic.messages
  .countTokens({ model: 'claude-sonnet', messages: [{ role: 'user', content: 'How long is this?' }] })
  .withResponse();
// Anthropic's own count when the model has an Anthropic deployment; otherwise an estimate, said so.
const estimated = response.headers.get('x-switchboard-estimate') === 'true';
console.log(`${data.input_tokens} input tokens${estimated ? ' (estimated)' : ''}`);
