// The request bodies the load sends, shaped like what applications send: `chat`, a system and a
// user message with sampling parameters (about 0.6 KB), and `conversation`, a long support
// conversation (20 turns) with three tools and a tool call and its result in the history (about
// 8 KB). `small` is the 0.2 KB body the bench sent before issue 13, kept to measure what the
// body's size changes. Built once per (kind, stream, model) and reused; none contains
// `"stream":true` or `bench-slow` anywhere but where the emulator should see them.

export type BodyKind = 'chat' | 'conversation' | 'small';
export const bodyKinds: readonly BodyKind[] = ['chat', 'conversation', 'small'];

/** autocannon's `idReplacement` puts a fresh id wherever this appears, so that no two bodies are equal. */
export const uniqueIdToken = '[<id>]';

const systemPrompt =
  'You are the support assistant of Northwind Outfitters, an online shop for hiking and camping gear. ' +
  'Answer in the customer’s language, in short paragraphs, without markdown headings. Never promise refunds ' +
  'or delivery dates you cannot check; when an order is involved, look it up first.';

const userQuestion =
  'I ordered the Ridgeline 45 L backpack last Tuesday and tracking still says "label created". ' +
  'I leave for a trek on Saturday. Will it arrive in time, or should I pick one up in a store?';

function chat(model: string, stream: boolean): object {
  return {
    model,
    messages: [
      { role: 'system', content: systemPrompt },
      { role: 'user', content: userQuestion },
    ],
    temperature: 0.3,
    top_p: 0.9,
    max_tokens: 400,
    user: 'customer-5f2c9a1e',
    ...(stream && { stream: true }),
  };
}

const tools = [
  {
    type: 'function',
    function: {
      name: 'lookup_order',
      description: 'Find an order by its number or by the customer’s e-mail address; returns items, status and tracking.',
      parameters: {
        type: 'object',
        properties: {
          order_number: { type: 'string', pattern: '^NW-[0-9]{6}$', description: 'The order number, e.g. NW-104233.' },
          email: { type: 'string', format: 'email', description: 'The address the order was placed with.' },
        },
        anyOf: [{ required: ['order_number'] }, { required: ['email'] }],
        additionalProperties: false,
      },
    },
  },
  {
    type: 'function',
    function: {
      name: 'store_stock',
      description: 'Stock of one product in the stores near a postcode, nearest first.',
      parameters: {
        type: 'object',
        properties: {
          sku: { type: 'string', description: 'The product’s SKU.' },
          postcode: { type: 'string', description: 'Postcode to search around.' },
          radius_km: { type: 'integer', minimum: 1, maximum: 200, default: 25 },
        },
        required: ['sku', 'postcode'],
        additionalProperties: false,
      },
    },
  },
  {
    type: 'function',
    function: {
      name: 'create_ticket',
      description: 'Open a ticket for the logistics team when a parcel is late or lost.',
      parameters: {
        type: 'object',
        properties: {
          order_number: { type: 'string' },
          reason: { type: 'string', enum: ['late', 'lost', 'damaged', 'wrong_item'] },
          priority: { type: 'string', enum: ['normal', 'high'] },
          note: { type: 'string', maxLength: 2000 },
        },
        required: ['order_number', 'reason'],
        additionalProperties: false,
      },
    },
  },
];

// Twenty turns of a conversation that wanders the way support chats do.
const turns: Array<[string, string]> = [
  [
    'Hi, I need help with an order I placed last week.',
    'Hello! I am happy to help. Could you give me the order number, or the e-mail address you ordered with?',
  ],
  [
    'It is NW-104233. The Ridgeline 45 L backpack in slate blue, plus two dry bags.',
    'Thank you. Let me look that order up so that I can see where it stands.',
  ],
  [
    'The tracking page still says the label was created on Wednesday and nothing since then.',
    'That status means the warehouse printed the shipping label but the carrier has not scanned the parcel yet. It usually changes within a day or two; four days is longer than it should be.',
  ],
  [
    'I leave on Saturday for four days in the Cairngorms, so I really need the pack by Friday.',
    'Understood: Friday is the deadline. I will check both the delivery and whether a store near you has the same pack, so that you have a fallback either way.',
  ],
  [
    'What size should I have ordered anyway? My back length is about 47 centimetres.',
    'For a 47 cm back length the Ridgeline’s M/L frame is the right one: it adjusts from 45 to 52 cm. The S/M frame would sit too low on your hips.',
  ],
  [
    'I think I ordered S/M by mistake. Can that be changed before it ships?',
    'If the parcel has not left the warehouse, the size can sometimes still be swapped. I will check the order details for the frame size first.',
  ],
  [
    'Also, does the pack come with a rain cover or do I need to buy one separately?',
    'The Ridgeline 45 L has a rain cover stowed in the bottom pocket, so you do not need a separate one. The dry bags you ordered are still worth having for your sleeping bag and spare clothes.',
  ],
  [
    'Good. How much does the pack weigh with everything attached?',
    'The M/L frame weighs 1.62 kg with the lid, hip-belt pockets and rain cover; without the lid it is 1.48 kg.',
  ],
  [
    'And the hip belt, is it removable? I had bruises from my last pack.',
    'The hip belt is not removable, but its padding is thicker than on most packs of this size and the wings pivot with your hips, which is what usually prevents bruising on long days.',
  ],
  ['OK. Can you check the order now? I would like to know if the size is right.', 'Of course, looking it up now.'],
];

const lateTurns: Array<[string, string]> = [
  [
    'So what happens if it does not arrive by Friday?',
    'Then the fallback is to pick up an M/L pack in a store and return the delivered one when it arrives; returns are free within 60 days. I can check store stock for you now if you give me your postcode.',
  ],
  [
    'My postcode is AB10 1XG.',
    'Thanks. The Aberdeen store on Union Street has two M/L packs in slate blue and one in forest green; Inverness has one in slate blue.',
  ],
  [
    'Could you reserve the slate blue one in Aberdeen?',
    'I cannot reserve stock from here, but the store holds items for 24 hours if you call them; their number is on the store page. I have also asked logistics to chase the parcel.',
  ],
  [
    'Will I be charged twice if I buy in store and the parcel still comes?',
    'You will pay for both at first, and the refund for the returned pack is made to your card within five working days of the return being scanned.',
  ],
  [
    'Fine. One last thing: which dry bag size fits a down sleeping bag of about 900 grams?',
    'A 13 L dry bag holds a 900 g down bag comfortably without compressing it too hard; the 8 L you ordered is better for clothes.',
  ],
  [
    'Thanks, that is really helpful. Please let me know as soon as logistics hears from the carrier.',
    'I will. You will get an e-mail on the ticket the moment the parcel is scanned or the carrier replies.',
  ],
  ['Actually, one more question about the frame sizes before I go.', 'Sure, go ahead.'],
  [
    'If I measure my back again and it is 45 cm, is M/L still right?',
    'At 45 cm you are at the bottom of M/L and the top of S/M. Most people at 45 cm prefer M/L because the load lifters then sit at the right angle; try both in the store if you can.',
  ],
  [
    'How do I measure my back length properly? Last time a friend did it with a tape and we got two different numbers.',
    'Stand straight and tilt your head forward: the bony bump at the base of your neck is the top (C7). Put your hands on your hip bones with your thumbs pointing backwards; the point between your thumbs on your spine is the bottom. Measure along the spine between the two, not in a straight line, and do it twice; if the numbers differ, take the longer one.',
  ],
];

function small(model: string, stream: boolean): object {
  return {
    model,
    messages: [
      { role: 'system', content: 'You are a terse assistant.' },
      { role: 'user', content: 'Name a fox that jumps over a dog, in twenty words or fewer.' },
    ],
    max_tokens: 64,
    temperature: 0.2,
    ...(stream && { stream: true }),
  };
}

function conversation(model: string, stream: boolean): object {
  const messages: object[] = [{ role: 'system', content: `${systemPrompt} Use the tools when an order or stock is involved.` }];
  for (const [question, answer] of turns)
    messages.push({ role: 'user', content: question }, { role: 'assistant', content: answer });
  // The last early turn's answer calls a tool; its result and the assistant's reading of it follow.
  messages.pop();
  messages.push(
    {
      role: 'assistant',
      content: null,
      tool_calls: [
        {
          id: 'call_8fQ2x1LmR7',
          type: 'function',
          function: { name: 'lookup_order', arguments: '{"order_number":"NW-104233"}' },
        },
      ],
    },
    {
      role: 'tool',
      tool_call_id: 'call_8fQ2x1LmR7',
      content: JSON.stringify({
        order_number: 'NW-104233',
        placed_at: '2026-11-17T09:41:12Z',
        status: 'awaiting_pickup_by_carrier',
        items: [
          { sku: 'RL45-SB-SM', name: 'Ridgeline 45 L, slate blue, S/M', quantity: 1, price_gbp: 169 },
          { sku: 'DB-08-OR', name: 'Dry bag 8 L, orange', quantity: 2, price_gbp: 14 },
        ],
        shipping: { method: 'standard', carrier: 'ParcelLine', tracking: 'PL7741902284GB', promised_by: '2026-11-22' },
      }),
    },
    {
      role: 'assistant',
      content:
        'I found it. The order contains the Ridgeline 45 L in slate blue with the S/M frame, and two 8 L dry bags. It is still waiting for the carrier to collect it, which is why the tracking has not moved, and the promised date has already passed.',
    },
  );
  for (const [question, answer] of lateTurns)
    messages.push({ role: 'user', content: question }, { role: 'assistant', content: answer });
  messages.push({ role: 'user', content: userQuestion });
  return {
    model,
    messages,
    tools,
    tool_choice: 'auto',
    parallel_tool_calls: false,
    temperature: 0.3,
    top_p: 0.9,
    max_tokens: 800,
    user: 'customer-5f2c9a1e',
    ...(stream && { stream: true }),
  };
}

const built = new Map<string, string>();
const makers: Record<BodyKind, (model: string, stream: boolean) => object> = { chat, conversation, small };

/**
 * The JSON text of a request body of `kind`, streaming or not, for `model`; with `unique`, the last
 * message starts with autocannon's id token (`uniqueIdToken`), replaced by a fresh id per request.
 */
export function requestBody(kind: BodyKind, stream: boolean, model = 'bench-model', unique = false): string {
  const key = `${kind}/${stream}/${model}/${unique}`;
  let body = built.get(key);
  if (body === undefined) {
    const request = makers[kind](model, stream) as { messages: Array<{ content: string }> };
    const last = request.messages.at(-1) as { content: string };
    if (unique) last.content = `${uniqueIdToken} ${last.content}`;
    body = JSON.stringify(request);
    built.set(key, body);
  }
  return body;
}
