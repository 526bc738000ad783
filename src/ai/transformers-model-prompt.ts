/**
 * From the AI SDK's call options to one transformers.js generation: the prompt as one text,
 * the generation options, and a warning for every call option the model cannot honour.
 *
 * The prompt becomes text in one of two ways:
 * - through a chat template (the tokenizer's own, or the one the app passes), which gets the
 *   conversation as `{ role, content }` messages with string content;
 * - without one (a base model, such as the generated test models), as the text of every message
 *   joined by blank lines, so a single `prompt: 'Hello'` is exactly `Hello`.
 * Tool calls and tool results in the conversation are written as JSON text: the model gets what
 * happened, not a tool protocol it was never trained on.
 */
import { invalidArgument } from '../core/errors.ts';

/** The call options this provider reads, in either specification version. */
export interface CallOptions {
  prompt: readonly PromptMessage[];
  maxOutputTokens?: number;
  temperature?: number;
  topP?: number;
  topK?: number;
  stopSequences?: readonly string[];
  presencePenalty?: number;
  frequencyPenalty?: number;
  seed?: number;
  responseFormat?: { type: string };
  tools?: readonly unknown[];
  toolChoice?: unknown;
  abortSignal?: AbortSignal;
}

type PromptMessage = { role: string; content: string | readonly PromptPart[] };
type PromptPart = { type: string; text?: string; toolName?: string; input?: unknown; output?: unknown };

export type Warning = { type: 'unsupported'; feature: string; details?: string };

/** What a call asks for, read before the model is loaded. */
export interface CallSettings {
  maxNewTokens: number;
  stopSequences: string[];
  /** Options for the pipeline call, as the library names them. */
  options: Record<string, unknown>;
  warnings: Warning[];
}

/** The prompt as the model reads it. */
export interface PromptText {
  text: string;
  /** True when a chat template wrote `text` (its special tokens are already in it). */
  templated: boolean;
}

/** What the loaded tokenizer offers for chat templates (both library versions). */
export interface ChatTokenizer {
  chat_template?: unknown;
  apply_chat_template?: (messages: { role: string; content: string }[], options: Record<string, unknown>) => unknown;
}

/** @throws WorkflowError `InvalidArgument` for a call option out of range */
export function readCall(call: CallOptions, defaultMaxNewTokens: number): CallSettings {
  const warnings: Warning[] = [];
  const unsupported = (feature: string, details: string) => warnings.push({ type: 'unsupported', feature, details });
  if (call.tools !== undefined && call.tools.length > 0) unsupported('tools', 'transformersModel does not parse tool calls from the model output; the tools were not offered');
  if (call.responseFormat?.type === 'json') unsupported('responseFormat', 'the output is not constrained to JSON');
  if (call.presencePenalty !== undefined) unsupported('presencePenalty', 'not supported by transformers.js generation');
  if (call.frequencyPenalty !== undefined) unsupported('frequencyPenalty', 'not supported by transformers.js generation');
  if (call.seed !== undefined) unsupported('seed', 'transformers.js sampling takes no seed (greedy decoding, the default, is deterministic)');
  if (!Array.isArray(call.prompt)) throw invalidArgument('prompt', 'must be an array of messages', call.prompt);

  const maxNewTokens = call.maxOutputTokens ?? defaultMaxNewTokens;
  if (!(Number.isInteger(maxNewTokens) && maxNewTokens >= 1)) throw invalidArgument('maxOutputTokens', 'must be an integer >= 1', maxNewTokens);
  const stopSequences = (call.stopSequences ?? []).filter((s) => s.length > 0);

  // Greedy unless a temperature above 0 asks for sampling: a durable step's answer should be the
  // one a redelivery would get anyway.
  const options: Record<string, unknown> = { do_sample: false };
  if (call.temperature !== undefined && call.temperature > 0) {
    options['do_sample'] = true;
    options['temperature'] = call.temperature;
    if (call.topP !== undefined) options['top_p'] = call.topP;
    if (call.topK !== undefined) options['top_k'] = call.topK;
  }
  return { maxNewTokens, stopSequences, options, warnings };
}

/**
 * @param chatTemplate the app's template, `false` for plain text, `undefined` for the tokenizer's own if it has one
 * @throws WorkflowError `InvalidArgument` for a message part that is not text, or a template that does not render
 */
export function promptText(prompt: readonly PromptMessage[], tokenizer: ChatTokenizer, chatTemplate: string | false | undefined): PromptText {
  const messages = prompt.map((m) => ({ role: m.role, content: contentText(m.content) }));
  const template = chatTemplate === false ? undefined : (chatTemplate ?? tokenizerTemplate(tokenizer));
  if (template === undefined) return { text: messages.map((m) => m.content).join('\n\n'), templated: false };
  if (typeof tokenizer.apply_chat_template !== 'function') throw invalidArgument('chatTemplate', 'needs a tokenizer with apply_chat_template (transformers.js 2.12 or later)');
  let text: unknown;
  try {
    text = tokenizer.apply_chat_template(messages, { chat_template: template, tokenize: false, add_generation_prompt: true });
  } catch (e) {
    throw invalidArgument('chatTemplate', `does not render this conversation: ${e instanceof Error ? e.message : String(e)}`);
  }
  if (typeof text !== 'string') throw invalidArgument('chatTemplate', 'did not render to a string');
  return { text, templated: true };
}

function tokenizerTemplate(tokenizer: ChatTokenizer): string | undefined {
  const t = tokenizer.chat_template;
  return typeof t === 'string' && t.length > 0 ? t : undefined;
}

function contentText(content: string | readonly PromptPart[]): string {
  if (typeof content === 'string') return content;
  const pieces: string[] = [];
  for (const part of content) {
    if (part.type === 'text' || part.type === 'reasoning') pieces.push(part.text ?? '');
    else if (part.type === 'tool-call') pieces.push(JSON.stringify({ tool: part.toolName, input: part.input }));
    else if (part.type === 'tool-result') pieces.push(JSON.stringify({ tool: part.toolName, output: part.output }));
    else throw invalidArgument(`prompt part ${part.type}`, 'is not supported by transformersModel (text models only)');
  }
  return pieces.join('\n');
}
