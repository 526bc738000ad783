/**
 * One generation for `transformersModel`, over the transformers runner's own machinery: the
 * worker's shared pipeline (loaded once, with its yield before each forward pass), taken by one
 * call at a time, and the runner's per-token hook (3.x+ streamer, 2.x `callback_function`).
 *
 * Every new token is decoded with the ids so far; the text that has become stable since the
 * last token goes to `onDelta`. Stable means: the new text extends what was already sent, and
 * does not end in U+FFFD (a byte-level tokenizer's half-decoded character, which the next token
 * completes). A stop sequence ends the generation at the next token and cuts the text before it.
 * The abort signal is checked on every token: an aborted call rejects with the signal's reason
 * at the next token, and the pipeline is free for the next call.
 */
import { untilAborted } from '../runners/transformers/abort.ts';
import { pipelineFor, tokenHook } from '../runners/transformers/generate.ts';
import { acquire, type TextGenerationPipeline } from '../runners/transformers/pipelines.ts';
import type { Adapter } from '../runners/transformers/types.ts';
import { promptText, type CallOptions, type CallSettings, type ChatTokenizer, type PromptText } from './transformers-model-prompt.ts';

export interface RunResult {
  prompt: PromptText;
  /** The whole new text (special tokens skipped), cut before a stop sequence. */
  text: string;
  finishReason: 'stop' | 'length';
  inputTokens: number | undefined;
  outputTokens: number;
}

/** Thrown from the token hook to end a generation that met a stop sequence. */
class StopSequence {}

/**
 * @param onDelta gets each stable piece of new text, in order; their concatenation is `text`
 * @throws the signal's reason once it aborts; WorkflowError `InvalidArgument` for bad call
 *   options; the library's error when the model cannot be loaded or run
 */
export async function runGeneration(
  a: Adapter,
  model: string,
  call: CallOptions,
  settings: CallSettings,
  chatTemplate: string | false | undefined,
  signal: AbortSignal,
  onDelta: (delta: string) => void,
): Promise<RunResult> {
  signal.throwIfAborted();
  const generator = await untilAborted(pipelineFor(a, model), signal);
  const prompt = promptText(call.prompt, generator.tokenizer as ChatTokenizer, chatTemplate);
  const options = prompt.templated ? { ...settings.options, add_special_tokens: false } : settings.options;
  const release = await take(generator, signal);

  let ids: number[] = [];
  let text = '';
  let sent = '';
  let stopped = false;
  const send = (upTo: string) => {
    if (upTo.length > sent.length && upTo.startsWith(sent)) {
      onDelta(upTo.slice(sent.length));
      sent = upTo;
    }
  };
  const onTokens = (newIds: number[]) => {
    signal.throwIfAborted();
    ids = newIds;
    text = generator.tokenizer.decode(ids, { skip_special_tokens: true });
    const cut = stopIndex(text, settings.stopSequences);
    if (cut !== undefined) {
      text = text.slice(0, cut);
      stopped = true;
      send(text);
      throw new StopSequence();
    }
    send(text.replace(/\uFFFD+$/, ''));
  };

  try {
    await generator(prompt.text, { ...options, max_new_tokens: settings.maxNewTokens, ...tokenHook(a.streaming, onTokens) });
  } catch (e) {
    signal.throwIfAborted(); // an abort is the reason, not what the hook's throw became
    if (!stopped) throw e;
  } finally {
    release();
  }
  signal.throwIfAborted();
  send(text);
  return {
    prompt,
    text: sent,
    finishReason: !stopped && ids.length >= settings.maxNewTokens && !endsWithEos(generator, ids) ? 'length' : 'stop',
    inputTokens: countTokens(a, generator, prompt.text),
    outputTokens: ids.length,
  };
}

/** Waits for this call's turn on the shared pipeline; stops waiting (and passes the turn on) when the signal aborts. */
async function take(pipeline: object, signal: AbortSignal): Promise<() => void> {
  const turn = acquire(pipeline);
  try {
    return await untilAborted(turn, signal);
  } catch (e) {
    void turn.then((release) => release());
    throw e;
  }
}

function stopIndex(text: string, stops: readonly string[]): number | undefined {
  let at: number | undefined;
  for (const s of stops) {
    const i = text.indexOf(s);
    if (i !== -1 && (at === undefined || i < at)) at = i;
  }
  return at;
}

function endsWithEos(generator: TextGenerationPipeline, ids: readonly number[]): boolean {
  const config = (generator.model as { config?: { eos_token_id?: unknown } } | undefined)?.config;
  const eos = config?.eos_token_id;
  const last = ids[ids.length - 1];
  return Array.isArray(eos) ? eos.includes(last) : eos === last;
}

/** The prompt's length in tokens (without special tokens the pipeline may add around it). */
function countTokens(a: Adapter, generator: TextGenerationPipeline, text: string): number | undefined {
  const encode = (generator.tokenizer as { encode?: (...args: unknown[]) => unknown }).encode;
  if (typeof encode !== 'function') return undefined;
  const options = { add_special_tokens: false };
  try {
    // 2.x: encode(text, text_pair, options); 3.x+: encode(text, options).
    const ids = a.streaming === 'callback' ? encode.call(generator.tokenizer, text, null, options) : encode.call(generator.tokenizer, text, options);
    return Array.isArray(ids) ? ids.length : undefined;
  } catch {
    return undefined;
  }
}
