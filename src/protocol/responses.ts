// OpenAI's Responses API shapes, as far as Switchboard speaks them (platform.openai.com/docs/api-reference/responses).
// Conversation items are what a stored response keeps, and what a follow-up turn rebuilds its
// conversation from, whichever provider answers it.

export interface InputTextContent {
  type: 'input_text';
  text: string;
}

export interface InputImageContent {
  type: 'input_image';
  image_url: string;
  detail?: 'auto' | 'low' | 'high';
}

export interface OutputTextContent {
  type: 'output_text';
  text: string;
  annotations: unknown[];
}

export interface RefusalContent {
  type: 'refusal';
  refusal: string;
}

export type ItemContent = InputTextContent | InputImageContent | OutputTextContent | RefusalContent;

export interface MessageItem {
  type: 'message';
  id?: string;
  role: 'user' | 'assistant' | 'system' | 'developer';
  content: string | ItemContent[];
  status?: 'in_progress' | 'completed' | 'incomplete';
}

export interface FunctionCallItem {
  type: 'function_call';
  id?: string;
  call_id: string;
  name: string;
  arguments: string;
  status?: 'in_progress' | 'completed' | 'incomplete';
}

export interface FunctionCallOutputItem {
  type: 'function_call_output';
  id?: string;
  call_id: string;
  output: string;
}

/** One turn of a conversation: a message, a call the model made, or the caller's result for it. */
export type ConversationItem = MessageItem | FunctionCallItem | FunctionCallOutputItem;

/** Output items: what a response adds to its conversation. */
export type OutputItem =
  | (MessageItem & { id: string; role: 'assistant'; content: Array<OutputTextContent | RefusalContent> })
  | (FunctionCallItem & { id: string });

export interface ResponseUsage {
  input_tokens: number;
  input_tokens_details: { cached_tokens: number };
  output_tokens: number;
  output_tokens_details: { reasoning_tokens: number };
  total_tokens: number;
}

export type ResponseStatus = 'completed' | 'incomplete' | 'in_progress' | 'failed';

/** A `response` object, as `POST /v1/responses` answers and `GET /v1/responses/{id}` returns it. */
export interface ResponseObject {
  id: string;
  object: 'response';
  created_at: number;
  status: ResponseStatus;
  error: { code: string; message: string } | null;
  incomplete_details: { reason: 'max_output_tokens' | 'content_filter' } | null;
  instructions: string | null;
  max_output_tokens: number | null;
  model: string;
  output: OutputItem[];
  parallel_tool_calls: boolean;
  previous_response_id: string | null;
  reasoning: { effort: string | null; summary: string | null };
  store: boolean;
  temperature: number | null;
  text: { format: Record<string, unknown> };
  tool_choice: unknown;
  tools: unknown[];
  top_p: number | null;
  truncation: 'disabled' | 'auto';
  usage: ResponseUsage | null;
  user: string | null;
  metadata: Record<string, string>;
  [extension: string]: unknown;
}
