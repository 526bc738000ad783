/**
 * The recorded answer: one `chat.completion` object in OpenAI's shape, whether it arrived as
 * one JSON body or was assembled from `chat.completion.chunk` events. That object is what the
 * memo keeps, and `toResult` turns it into what `llm.chat` returns.
 *
 * Stream assembly follows the published format: `choices[i].delta.content` (and any other
 * string field of a delta, e.g. a provider's `reasoning_content`) is appended; tool calls
 * arrive as `delta.tool_calls[j]` fragments keyed by `index`, whose `id`, `type` and
 * `function.name` come once and whose `function.arguments` is appended; `finish_reason` comes on
 * a late chunk; `usage` on a last chunk with empty `choices` when the request asked for it.
 */
import type { Json } from '../../core/json.ts';
import { StepError } from '../../core/outcome.ts';
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

interface ChoiceState {
  index: number;
  fields: Obj;
  content: string | null;
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
    for (const k of ['id', 'created', 'model', 'system_fingerprint', 'service_tier'] as const) {
      const v = chunk[k];
      if (v !== undefined && v !== null && this.#head[k] === undefined) this.#head[k] = v;
    }
    if (isObj(chunk['usage'])) this.#usage = chunk['usage'] as Usage;
    const choices = chunk['choices'];
    if (choices === undefined || choices === null) return;
    if (!Array.isArray(choices)) throw malformed('choices is not an array');
    for (const c of choices) {
      if (!isObj(c)) throw malformed('a choice is not an object');
      const index = typeof c['index'] === 'number' ? c['index'] : 0;
      let st = this.#choices.get(index);
      if (!st) this.#choices.set(index, (st = { index, fields: {}, content: null, toolCalls: new Map(), finishReason: null }));
      if (typeof c['finish_reason'] === 'string') st.finishReason = c['finish_reason'];
      const delta = c['delta'];
      if (!isObj(delta)) continue;
      for (const [k, v] of Object.entries(delta)) {
        if (k === 'role') continue;
        if (k === 'content') {
          if (typeof v === 'string') st.content = (st.content ?? '') + v;
        } else if (k === 'tool_calls') {
          if (Array.isArray(v)) for (const t of v) addToolCall(st, t);
        } else if (typeof v === 'string') {
          st.fields[k] = (typeof st.fields[k] === 'string' ? st.fields[k] : '') + v;
        } else if (v !== null || st.fields[k] === undefined) {
          st.fields[k] = v;
        }
      }
    }
  }

  /** The first choice's text so far (what progress shows). */
  get text(): string {
    return this.#choices.get(0)?.content ?? '';
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
        return { index: st.index, message, finish_reason: st.finishReason };
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

/** Checks a non-streamed `chat.completion` body. @throws StepError (transient) when it is not one */
export function parseCompletion(body: unknown): Completion {
  if (!isObj(body) || !Array.isArray(body['choices'])) throw malformed('the response is not a chat completion (no choices)');
  const choices = body['choices'].map((c, i): ChatChoice => {
    if (!isObj(c) || !isObj(c['message'])) throw malformed(`choices[${i}] has no message`);
    const m = c['message'];
    const message: AssistantMessage = { ...m, role: 'assistant', content: typeof m['content'] === 'string' ? m['content'] : null };
    return { ...c, index: typeof c['index'] === 'number' ? c['index'] : i, message, finish_reason: typeof c['finish_reason'] === 'string' ? c['finish_reason'] : null };
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

/** What `llm.chat` returns for a completion. @throws StepError (transient) when it has no choice */
export function toResult(c: Completion, replayed: boolean): ChatResult {
  const first = c.choices[0];
  if (!first) throw malformed('the completion has no choices');
  return {
    message: first.message,
    content: first.message.content,
    toolCalls: first.message.tool_calls ?? [],
    finishReason: first.finish_reason,
    usage: c.usage,
    choices: c.choices,
    id: c.id,
    model: c.model,
    replayed,
  };
}

/** A recorded value read back from the memo, if it is one of ours. */
export function asCompletion(v: Json | null | undefined): Completion | undefined {
  return isObj(v) && v['object'] === 'chat.completion' && Array.isArray(v['choices']) ? (v as Completion) : undefined;
}

function malformed(what: string): StepError {
  return StepError.transient(`LLM API sent a malformed answer: ${what}`);
}

function isObj(v: unknown): v is Obj {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

function str(v: Json | undefined): string {
  return typeof v === 'string' ? v : '';
}
