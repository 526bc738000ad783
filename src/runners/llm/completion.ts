/**
 * The recorded answer: one `chat.completion` object in OpenAI's shape, whether it arrived as
 * one JSON body or was assembled from `chat.completion.chunk` events. That object is what the
 * memo keeps, and `toResult` turns it into what `llm.chat` returns.
 *
 * Stream assembly follows the published format. Only the fields that stream as text are
 * appended: `delta.content`, `refusal`, `reasoning` / `reasoning_content` (the reasoning
 * fields of DeepSeek, vLLM, Groq, OpenRouter) and each tool call's `function.arguments`; every
 * other field of a delta is a label (Groq's `channel`, …) and is set, the last non-null value
 * winning. Tool calls arrive as `delta.tool_calls[j]` fragments keyed by `index`, whose `id`,
 * `type` and `function.name` come once; `reasoning_details` fragments build a list
 * (message-parts.ts); `finish_reason` comes on a late chunk; `usage` on a last chunk with empty
 * `choices` when the request asked for it. The completion's `id`, `model`, … keep the first
 * real value: an empty one (Azure's content-filter preamble sends `id: ""`, `model: ""`,
 * `created: 0`) is replaced by a later real one.
 *
 * Normalised on the way in, streamed or not: typed content parts become the text and the
 * reasoning (message-parts.ts); an empty `content` beside tool calls and an empty `refusal` or
 * reasoning become null, as the types say. A choice's reasoning that came as thinking parts is
 * kept on the choice (`reasoning`), not in the message: the message is sent back as it is.
 */
import type { Json } from '../../core/json.ts';
import { StepError } from '../../core/outcome.ts';
import { isObj, mergeReasoningDetails, readContentParts } from './message-parts.ts';
import type { AssistantMessage, ChatChoice, ChatResult, ToolCall, Usage } from './types.ts';

type Obj = { [k: string]: Json };

/** A `chat.completion` as recorded. */
export type Completion = {
  id: string;
  object: 'chat.completion';
  created: number;
  model: string;
  choices: ChatChoice[];
  usage: Usage | null;
  [field: string]: unknown;
};

/** What the first choice shows so far (what progress reports). */
export interface PartialAnswer {
  text: string;
  reasoning: string;
  refusal: string;
  /** Tool calls so far, their arguments as the partial JSON text received (AI SDK streams). */
  toolCalls?: { id: string; name: string; input: string }[];
}

/** Message fields that stream as text and are appended. */
const TEXT_FIELDS = new Set(['refusal', 'reasoning', 'reasoning_content']);
const HEAD_FIELDS = ['id', 'created', 'model', 'system_fingerprint', 'service_tier', 'provider'] as const;

interface ChoiceState {
  index: number;
  fields: Obj;
  content: string | null;
  thinking: string;
  unknownParts: string[];
  toolCalls: Map<number, { id: string; type: string; name: string; arguments: string; extra: Obj }>;
  finishReason: string | null;
}

/** Builds a `Completion` from the chunks of a stream. */
export class CompletionBuilder {
  #head: Obj = {};
  #usage: Usage | null = null;
  readonly #choices = new Map<number, ChoiceState>();

  /** Applies one parsed `chat.completion.chunk`. @throws StepError (transient) on a malformed chunk */
  add(chunk: unknown): void {
    if (!isObj(chunk)) throw malformed('a stream chunk is not an object');
    for (const k of HEAD_FIELDS) {
      const v = chunk[k];
      if (!isEmpty(v) && isEmpty(this.#head[k])) this.#head[k] = v as Json;
    }
    if (isObj(chunk['usage'])) this.#usage = chunk['usage'] as Usage;
    const choices = chunk['choices'];
    if (choices === undefined || choices === null) return;
    if (!Array.isArray(choices)) throw malformed('choices is not an array');
    for (const c of choices) {
      if (!isObj(c)) throw malformed('a choice is not an object');
      const index = typeof c['index'] === 'number' ? c['index'] : 0;
      let st = this.#choices.get(index);
      if (!st) this.#choices.set(index, (st = { index, fields: {}, content: null, thinking: '', unknownParts: [], toolCalls: new Map(), finishReason: null }));
      if (typeof c['finish_reason'] === 'string') st.finishReason = c['finish_reason'];
      const delta = c['delta'];
      if (isObj(delta)) applyDelta(st, delta);
    }
  }

  /** The first choice's text, reasoning and refusal so far. */
  get partial(): PartialAnswer {
    const st = this.#choices.get(0);
    if (!st) return { text: '', reasoning: '', refusal: '' };
    const f = st.fields;
    const reasoning = (typeof f['reasoning_content'] === 'string' ? f['reasoning_content'] : '') + (typeof f['reasoning'] === 'string' ? f['reasoning'] : '') + st.thinking;
    return { text: st.content ?? '', reasoning, refusal: typeof f['refusal'] === 'string' ? f['refusal'] : '' };
  }

  /** Whether any chunk said how the answer ended. */
  get finished(): boolean {
    return [...this.#choices.values()].some((c) => c.finishReason !== null);
  }

  build(): Completion {
    const choices = [...this.#choices.values()]
      .sort((a, b) => a.index - b.index)
      .map((st): ChatChoice => {
        const message: AssistantMessage = { role: 'assistant', content: st.content, ...st.fields };
        if (st.toolCalls.size > 0) {
          message.tool_calls = [...st.toolCalls.entries()]
            .sort(([a], [b]) => a - b)
            .map(([, t]): ToolCall => ({ ...t.extra, id: t.id, type: t.type, function: { name: t.name, arguments: t.arguments } }));
        }
        return finishChoice({ index: st.index, message, finish_reason: st.finishReason }, st.thinking, st.unknownParts);
      });
    return {
      ...this.#head,
      id: str(this.#head['id']),
      object: 'chat.completion',
      created: typeof this.#head['created'] === 'number' ? this.#head['created'] : 0,
      model: str(this.#head['model']),
      choices,
      usage: this.#usage,
    };
  }
}

function applyDelta(st: ChoiceState, delta: Obj): void {
  for (const [k, v] of Object.entries(delta)) {
    if (k === 'role') continue;
    if (k === 'content') {
      if (typeof v === 'string') st.content = (st.content ?? '') + v;
      else if (Array.isArray(v)) {
        const parts = readContentParts(v);
        st.content = (st.content ?? '') + parts.text;
        st.thinking += parts.thinking;
        st.unknownParts.push(...parts.unknown);
      } else if (v !== null) st.unknownParts.push(typeof v);
    } else if (k === 'tool_calls') {
      if (Array.isArray(v)) for (const t of v) addToolCall(st, t);
    } else if (k === 'reasoning_details' && Array.isArray(v)) {
      const list = Array.isArray(st.fields[k]) ? st.fields[k] : (st.fields[k] = []);
      mergeReasoningDetails(list, v);
    } else if (TEXT_FIELDS.has(k) && typeof v === 'string') {
      st.fields[k] = (typeof st.fields[k] === 'string' ? st.fields[k] : '') + v;
    } else if (v !== null || st.fields[k] === undefined) {
      st.fields[k] = v;
    }
  }
}

function addToolCall(st: ChoiceState, t: unknown): void {
  if (!isObj(t)) return;
  const index = typeof t['index'] === 'number' ? t['index'] : st.toolCalls.size;
  let call = st.toolCalls.get(index);
  if (!call) st.toolCalls.set(index, (call = { id: '', type: 'function', name: '', arguments: '', extra: {} }));
  if (typeof t['id'] === 'string' && t['id'] !== '') call.id = t['id'];
  if (typeof t['type'] === 'string') call.type = t['type'];
  const fn = t['function'];
  if (isObj(fn)) {
    if (typeof fn['name'] === 'string') call.name += fn['name'];
    if (typeof fn['arguments'] === 'string') call.arguments += fn['arguments'];
  }
}

/**
 * Normalises a choice (empty strings where the types say null) and refuses one whose content
 * Stepwise could not read at all.
 * @throws StepError (permanent) when the only content came in parts of unknown types
 */
function finishChoice(choice: ChatChoice, thinking: string, unknownParts: readonly string[]): ChatChoice {
  const m = choice.message;
  const hasTools = (m.tool_calls?.length ?? 0) > 0;
  if (m.content === '' && hasTools) m.content = null;
  for (const k of TEXT_FIELDS) if (m[k] === '') m[k] = null;
  if (unknownParts.length > 0 && !m.content && !hasTools && !thinking) {
    throw StepError.permanent(`LLM API answered with content Stepwise cannot read (parts of type ${[...new Set(unknownParts)].join(', ')})`);
  }
  if (thinking !== '') choice['reasoning'] = thinking;
  return choice;
}

/**
 * Checks a non-streamed `chat.completion` body.
 * @throws StepError (transient) when it is not one; (permanent) when its content cannot be read
 */
export function parseCompletion(body: unknown): Completion {
  if (!isObj(body) || !Array.isArray(body['choices'])) throw malformed('the response is not a chat completion (no choices)');
  const choices = body['choices'].map((c, i): ChatChoice => {
    if (!isObj(c) || !isObj(c['message'])) throw malformed(`choices[${i}] has no message`);
    const m = c['message'];
    const raw = m['content'];
    let content: string | null = typeof raw === 'string' ? raw : null;
    let thinking = '';
    const unknown: string[] = [];
    if (Array.isArray(raw)) {
      const parts = readContentParts(raw);
      content = parts.text;
      thinking = parts.thinking;
      unknown.push(...parts.unknown);
    } else if (raw !== null && raw !== undefined && typeof raw !== 'string') unknown.push(typeof raw);
    const message: AssistantMessage = { ...m, role: 'assistant', content };
    const choice: ChatChoice = { ...c, index: typeof c['index'] === 'number' ? c['index'] : i, message, finish_reason: typeof c['finish_reason'] === 'string' ? c['finish_reason'] : null };
    return finishChoice(choice, thinking, unknown);
  });
  return {
    ...body,
    id: str(body['id']),
    object: 'chat.completion',
    created: typeof body['created'] === 'number' ? body['created'] : 0,
    model: str(body['model']),
    choices,
    usage: isObj(body['usage']) ? (body['usage'] as Usage) : null,
  };
}

/**
 * Checks that a completion is an answer before it is recorded: a body or stream with no
 * choice, or whose first choice ended with `finish_reason: 'error'`, is a server glitch. It
 * is never memoized, so the next attempt asks again.
 * @throws StepError (transient)
 */
export function checkAnswer(c: Completion): void {
  const first = c.choices[0];
  if (!first) throw malformed('the completion has no choices');
  if (first.finish_reason === 'error') throw StepError.transient('LLM API ended the answer with finish_reason "error"');
}

/** What `llm.chat` returns for a completion. @throws StepError (transient) when it has no choice */
export function toResult(c: Completion, replayed: boolean): ChatResult {
  checkAnswer(c);
  const first = c.choices[0]!;
  const m = first.message;
  const text = (v: unknown): string | null => (typeof v === 'string' && v !== '' ? v : null);
  return {
    message: m,
    content: m.content,
    toolCalls: m.tool_calls ?? [],
    finishReason: first.finish_reason,
    usage: c.usage,
    choices: c.choices,
    id: c.id,
    model: c.model,
    reasoning: text(m['reasoning_content']) ?? text(m['reasoning']) ?? text(first['reasoning']),
    reasoningDetails: Array.isArray(m['reasoning_details']) ? (m['reasoning_details'] as Json[]) : [],
    refusal: text(m.refusal),
    replayed,
  };
}

/** A recorded value read back from the memo, if it is one of ours and an answer. */
export function asCompletion(v: Json | null | undefined): Completion | undefined {
  return isObj(v) && v['object'] === 'chat.completion' && Array.isArray(v['choices']) && v['choices'].length > 0 ? (v as Completion) : undefined;
}

function malformed(what: string): StepError {
  return StepError.transient(`LLM API sent a malformed answer: ${what}`);
}

function isEmpty(v: unknown): boolean {
  return v === undefined || v === null || v === '' || v === 0;
}

function str(v: Json | undefined): string {
  return typeof v === 'string' ? v : '';
}
