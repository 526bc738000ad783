/**
 * `generate`: one text generation inside a step, memoized, streamed, abortable between tokens.
 *
 * Order of work: memo (a redelivered step replays its recorded result, no model call), then the
 * worker's pipeline (loaded once, taken by one step at a time), then greedy-by-default
 * generation. Every token passes one hook (the library's streamer in 3.x+, `callback_function`
 * in 2.x) that checks `step.signal` and the lease, extends the lease, and sends the new text to
 * `step.progress`. Throwing from the hook is how generation stops: both libraries call it
 * synchronously inside their loop, so the throw unwinds `generate()` before the next forward
 * pass. The result is memoized before it is returned; an aborted generation memoizes nothing.
 *
 * Both libraries' loops only await the model between tokens, and ONNX Runtime's single-threaded
 * wasm answers without giving the event loop a turn, so a cancel message (or a lease verdict)
 * could not arrive until the whole generation ended. The pipeline's `forward` is therefore
 * wrapped once, at load, to yield one macrotask before each pass. (Measured in Chromium: without
 * it, a run cancelled on its first streamed token still generated all 100 tokens; with it,
 * generation stopped after a few dozen.)
 */
import { invalidArgument } from '../../core/errors.ts';
import { checkJson, type Json } from '../../core/json.ts';
import type { Step } from '../../runtime/types.ts';
import { LeaseKeeper } from '../lease-keeper.ts';
import type { TokenProgress } from '../token-progress.ts';
import { untilAborted } from './abort.ts';
import { loadPipeline, takePipeline, type TextGenerationPipeline } from './pipelines.ts';
import type { Adapter, GenerateRequest, GenerateResult } from './types.ts';

const DEFAULT_MAX_NEW_TOKENS = 128;
/** Options the adapter sets itself (and that could not be JSON anyway). */
const RESERVED = new Set(['streamer', 'callback_function', 'stopping_criteria', 'logits_processor']);

type Recorded = { text: string; generatedText: string; tokens: number };

export async function generate(a: Adapter, step: Step, request: GenerateRequest): Promise<GenerateResult> {
  const req = checkRequest(request);
  step.signal.throwIfAborted();
  const key: Json = { runner: 'stepwise/transformers', task: 'text-generation', model: req.model, prompt: req.prompt, maxNewTokens: req.maxNewTokens, options: req.options };
  if (req.memo) {
    const hit: unknown = await step.memo.contentGet(key);
    if (isRecorded(hit)) return { text: hit.text, generatedText: hit.generatedText, tokens: hit.tokens, replayed: true };
  }

  const lease = new LeaseKeeper(step.lease, a.leaseMs, a.clock);
  const generator = await untilAborted(lease.during(pipelineFor(a, req.model)), step.signal);
  const release = await takePipeline(generator, lease, step.signal);
  const stopIfOver = () => {
    step.signal.throwIfAborted();
    if (lease.lost !== undefined) throw lease.lost;
  };

  let ids: number[] = [];
  let text = '';
  const onTokens = (newIds: number[]) => {
    stopIfOver();
    lease.touch();
    ids = newIds;
    const next = generator.tokenizer.decode(ids, { skip_special_tokens: true });
    if (next === text) return;
    text = next;
    report(step, { kind: 'tokens', text, tokens: ids.length, model: req.model });
  };

  let output: unknown;
  try {
    stopIfOver();
    output = await generator(req.prompt, {
      do_sample: false,
      ...req.options,
      max_new_tokens: req.maxNewTokens,
      ...tokenHook(a.streaming, onTokens),
    });
  } catch (e) {
    stopIfOver(); // an abort (or a lost lease) is the reason, not what the hook's throw became
    throw e;
  } finally {
    release();
    await lease.settled();
  }
  stopIfOver();

  const recorded: Recorded = { text, generatedText: generatedText(output), tokens: ids.length };
  report(step, { kind: 'tokens', text, tokens: ids.length, model: req.model, done: true });
  if (req.memo) await step.memo.contentPut(key, recorded);
  return { ...recorded, replayed: false };
}

/** Loads (once per worker) the text-generation pipeline of `model`, with the per-pass yield. */
export function pipelineFor(a: Adapter, model: string): Promise<TextGenerationPipeline> {
  return loadPipeline(a.library, 'text-generation', model, a.pipelineOptions, yieldBeforeEachPass);
}

/** The per-token hook in the form the library takes; `onTokens` gets every new token id so far. */
export function tokenHook(api: Adapter['streaming'], onTokens: (ids: number[]) => void): Record<string, unknown> {
  if (api === 'streamer') {
    // 3.x+: `put` gets the prompt's ids first, then [[id]] per new token (batch of one).
    let prompt = true;
    const ids: number[] = [];
    return {
      streamer: {
        put(value: bigint[][]) {
          if (prompt) {
            prompt = false;
            return;
          }
          for (const row of value) ids.push(Number(row.at(-1)));
          onTokens([...ids]);
        },
        end() {},
      },
    };
  }
  // 2.x: called after each step with the beams, whose ids start with the prompt's.
  let promptLength = -1;
  return {
    callback_function(beams: { output_token_ids: (number | bigint)[] }[]) {
      const all = beams[0]?.output_token_ids ?? [];
      if (promptLength < 0) promptLength = all.length - 1;
      onTokens(all.slice(promptLength).map(Number));
    },
  };
}

function yieldBeforeEachPass(pipeline: TextGenerationPipeline): void {
  const model = pipeline.model;
  const forward = model?.forward;
  if (!model || typeof forward !== 'function') return;
  model.forward = async (...args: unknown[]) => {
    await nextMacrotask();
    return forward.apply(model, args);
  };
}

/** A real task boundary (not a microtask), unclamped: setImmediate in Node, a MessageChannel elsewhere. */
function nextMacrotask(): Promise<void> {
  if (typeof setImmediate === 'function') return new Promise((resolve) => setImmediate(resolve));
  return new Promise((resolve) => {
    const channel = new MessageChannel();
    channel.port1.onmessage = () => {
      channel.port1.close();
      resolve();
    };
    channel.port2.postMessage(null);
  });
}

function report(step: Step, update: TokenProgress): void {
  try {
    step.progress(update);
  } catch {
    // Too large for a progress update: reporting stops being useful, the generation goes on.
  }
}

/** A memo entry this runner wrote (anything else, e.g. no entry, is a miss). */
function isRecorded(v: unknown): v is Recorded {
  const r = v as Partial<Recorded> | null | undefined;
  return typeof r?.text === 'string' && typeof r.generatedText === 'string' && typeof r.tokens === 'number';
}

function generatedText(output: unknown): string {
  const first = Array.isArray(output) ? (output[0] as { generated_text?: unknown } | undefined) : undefined;
  const t = first?.generated_text;
  return typeof t === 'string' ? t : '';
}

interface CheckedRequest {
  model: string;
  prompt: string;
  maxNewTokens: number;
  options: { [option: string]: Json };
  memo: boolean;
}

/** @throws WorkflowError `InvalidArgument` (a bad field) or `InvalidPayload` (options that are not JSON) */
function checkRequest(r: GenerateRequest): CheckedRequest {
  if (typeof r !== 'object' || r === null) throw invalidArgument('request', 'must be an object', r);
  if (typeof r.model !== 'string' || r.model.length === 0) throw invalidArgument('model', 'must be a non-empty string', r.model);
  if (typeof r.prompt !== 'string') throw invalidArgument('prompt', 'must be a string', r.prompt);
  const maxNewTokens = r.maxNewTokens ?? DEFAULT_MAX_NEW_TOKENS;
  if (!(Number.isInteger(maxNewTokens) && maxNewTokens >= 1)) throw invalidArgument('maxNewTokens', 'must be an integer >= 1', maxNewTokens);
  const options = r.options ?? {};
  if (typeof options !== 'object' || options === null || Array.isArray(options)) throw invalidArgument('options', 'must be an object', options);
  checkJson(options, 'generation options');
  for (const k of Object.keys(options)) if (RESERVED.has(k)) throw invalidArgument(`options.${k}`, 'is set by the adapter');
  if (r.memo !== undefined && typeof r.memo !== 'boolean') throw invalidArgument('memo', 'must be a boolean', r.memo);
  return { model: r.model, prompt: r.prompt, maxNewTokens, options, memo: r.memo ?? true };
}
