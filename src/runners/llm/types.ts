/**
 * The OpenAI chat-completions wire format, as far as Stepwise reads it. Everything else a
 * request or a response carries is passed through untouched: the runner does not need to know
 * a provider's extra parameters to send them, nor its extra response fields to record them.
 * Open-ended objects carry `[field: string]: unknown`; the runner checks that a request is
 * JSON before it sends or memoizes it (a non-JSON request is a permanent `InvalidPayload`).
 */
import type { Json } from '../../core/json.ts';

/** A function call requested by the model (`choices[].message.tool_calls[]`). */
export type ToolCall = {
  id: string;
  type: 'function' | (string & {});
  function: { name: string; arguments: string };
};

/** One message of the conversation; provider-specific fields are passed through. */
export type ChatMessage = {
  role: 'system' | 'developer' | 'user' | 'assistant' | 'tool' | (string & {});
  content?: Json;
  name?: string;
  tool_calls?: ToolCall[];
  tool_call_id?: string;
  [field: string]: unknown;
};

/** The assistant's answer, ready to be appended to `messages` for the next turn. */
export type AssistantMessage = {
  role: 'assistant';
  content: string | null;
  tool_calls?: ToolCall[];
  refusal?: string | null;
  [field: string]: unknown;
};

export type Usage = {
  prompt_tokens: number;
  completion_tokens: number;
  total_tokens: number;
  [field: string]: unknown;
};

/**
 * A chat-completions request body, without `model` when the client has a default. Every field
 * other than `stream` goes to the server as given (`tools`, `tool_choice`, `temperature`,
 * `max_tokens`, `response_format`, `stream_options`, provider extensions, …) and is part of the
 * memo key.
 */
export type ChatRequest = {
  messages: ChatMessage[];
  /** Overrides the client's model. */
  model?: string;
  tools?: Json[];
  tool_choice?: Json;
  /**
   * Stream the answer as server-sent events: tokens go to `step.progress` as they arrive. Not
   * part of the memo key (a streamed and a plain answer to the same request are the same answer).
   * @default false
   */
  stream?: boolean;
  [param: string]: unknown;
};

export type ChatChoice = {
  index: number;
  message: AssistantMessage;
  /** 'stop' | 'length' | 'tool_calls' | 'content_filter' | …; null when the server sent none. */
  finish_reason: string | null;
  /**
   * Reasoning that arrived as typed `thinking` content parts (Mistral), kept here rather than
   * in `message` so the message can be sent back unchanged. Absent otherwise.
   */
  reasoning?: string;
  [field: string]: unknown;
};

/** What `llm.chat` resolves with. The same shape whether the answer was streamed or not. */
export type ChatResult = {
  /** The first choice's message (`choices[0].message`), ready to append to `messages`. */
  message: AssistantMessage;
  /**
   * `message.content`: the text (typed text parts joined), or null (e.g. a tool-calls-only
   * answer, also when the server sent "" beside the tool calls).
   */
  content: string | null;
  /** `message.tool_calls`, or [] when the model called no function. */
  toolCalls: ToolCall[];
  finishReason: string | null;
  /** Token counts, when the server sent them (streams: ask with `stream_options: { include_usage: true }`). */
  usage: Usage | null;
  /** Every choice (more than one when `n` > 1). */
  choices: ChatChoice[];
  /** The completion's id and model as the server reported them ('' when absent). */
  id: string;
  model: string;
  /**
   * The first choice's reasoning text, whichever way the provider sent it:
   * `message.reasoning_content` (DeepSeek, older vLLM), `message.reasoning` (vLLM, Groq,
   * OpenRouter) or `thinking` content parts (Mistral); null when there was none.
   */
  reasoning: string | null;
  /**
   * `message.reasoning_details` (OpenRouter), streamed fragments joined into one list; [] when
   * absent. Send the message back as it is to keep the reasoning signatures across turns.
   */
  reasoningDetails: Json[];
  /** `message.refusal`: the model's refusal text, or null (also when the server sent ""). */
  refusal: string | null;
  /**
   * True when the answer came from this step's memo: recorded by an earlier delivery of the
   * step, and no HTTP request was made this time.
   */
  replayed: boolean;
};

