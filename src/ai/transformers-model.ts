/**
 * `transformersModel(options)`: an in-browser (or Node) transformers.js text-generation model as
 * an AI SDK language model, so `generateText`, `streamText` and `durableModel` work with it as
 * with any provider's model:
 *
 *   import * as transformers from '@huggingface/transformers';
 *   const local = transformersModel({ library: transformers, model: 'tiny-gpt2', localModelPath: '/models/', wasmPaths });
 *   const { text } = await generateText({ model: durableModel(step, local), prompt: 'Hello', maxRetries: 0 });
 *
 * It runs on the transformers runner's machinery (`stepwise/runners/transformers`): the same
 * offline configuration of the library (checked the same way, and refused when it conflicts with
 * an earlier one in this worker), the same pipeline per model per worker (a `createTransformers`
 * adapter with the same library and `pipelineOptions` shares it), one call at a time per
 * pipeline, tokens streamed as they are generated, and the call's `abortSignal` honoured between
 * tokens. It is stateless: wrap it in `durableModel(step, …)` for memo, progress, lease and
 * `StepError`s.
 */
import type { LanguageModelV3, LanguageModelV4 } from '@ai-sdk/provider';
import { invalidArgument } from '../core/errors.ts';
import { systemClock } from '../core/clock.ts';
import { configureLibrary, inspectLibrary } from '../runners/transformers/library.ts';
import type { Adapter, TransformersOptions } from '../runners/transformers/types.ts';
import { readCall, type CallOptions, type CallSettings } from './transformers-model-prompt.ts';
import { runGeneration, type RunResult } from './transformers-model-run.ts';

const DEFAULT_MAX_OUTPUT_TOKENS = 128;
const TEXT_ID = 'text-0';

export interface TransformersModelOptions extends Pick<TransformersOptions, 'library' | 'localModelPath' | 'wasmPaths' | 'pipelineOptions' | 'useBrowserCache'> {
  /** Model folder name under `localModelPath` (a text-generation model); the AI SDK's `modelId`. */
  model: string;
  /**
   * How the conversation becomes the prompt text: a Jinja chat template, `false` for the text of
   * the messages joined by blank lines (a base model), or by default the tokenizer's own
   * template when it has one, else the joined text.
   */
  chatTemplate?: string | false;
  /** New tokens when the call gives no `maxOutputTokens`. @default 128 */
  maxOutputTokens?: number;
  /** `'v3'` for `ai` 6 (whose calls and results have the same shape). @default 'v4' */
  specificationVersion?: 'v3' | 'v4';
}

/**
 * Greedy decoding unless the call sets a `temperature` above 0 (then `topP` / `topK` apply);
 * `stopSequences` end the generation at the next token and are cut from the text. Tools,
 * JSON response formats, seeds and penalties are not supported: the call goes on without
 * them, with a warning each. The finish reason is `length` when `maxOutputTokens` ran out
 * before the end-of-sequence token, else `stop`.
 *
 * The call rejects with its `abortSignal`'s reason once that aborts (checked between tokens;
 * a model load or the wait for the pipeline stop waiting at once); a stream errors the same
 * way, and cancelling its reader aborts the generation.
 * @throws WorkflowError `InvalidArgument` (at once) for a bad option, as `createTransformers`
 *   does for the library options; a call rejects `InvalidArgument` for call options it cannot
 *   take (e.g. an image part), and with the library's error when the model cannot be loaded
 */
export function transformersModel(options: TransformersModelOptions & { specificationVersion: 'v3' }): LanguageModelV3;
export function transformersModel(options: TransformersModelOptions & { specificationVersion?: 'v4' }): LanguageModelV4;
export function transformersModel(options: TransformersModelOptions): LanguageModelV3 | LanguageModelV4 {
  if (typeof options !== 'object' || options === null) throw invalidArgument('options', 'must be an object', options);
  const { model, chatTemplate, specificationVersion = 'v4' } = options;
  if (typeof model !== 'string' || model.length === 0) throw invalidArgument('model', 'must be a non-empty string (a model folder under localModelPath)', model);
  if (chatTemplate !== undefined && chatTemplate !== false && (typeof chatTemplate !== 'string' || chatTemplate.length === 0)) {
    throw invalidArgument('chatTemplate', 'must be a non-empty template string or false', chatTemplate);
  }
  const maxOutputTokens = options.maxOutputTokens ?? DEFAULT_MAX_OUTPUT_TOKENS;
  if (!(Number.isInteger(maxOutputTokens) && maxOutputTokens >= 1)) throw invalidArgument('maxOutputTokens', 'must be an integer >= 1', maxOutputTokens);
  if (specificationVersion !== 'v3' && specificationVersion !== 'v4') throw invalidArgument('specificationVersion', "must be 'v3' or 'v4'", specificationVersion);
  const pipelineOptions = options.pipelineOptions ?? {};
  if (typeof pipelineOptions !== 'object' || pipelineOptions === null) throw invalidArgument('pipelineOptions', 'must be an object', pipelineOptions);
  const info = inspectLibrary(options.library);
  configureLibrary(options.library, {
    localModelPath: options.localModelPath,
    ...(options.wasmPaths !== undefined ? { wasmPaths: options.wasmPaths } : {}),
    ...(options.useBrowserCache !== undefined ? { useBrowserCache: options.useBrowserCache } : {}),
  });
  // The adapter shape the runner's pipeline cache keys on; its lease fields are unused here
  // (the lease is durableModel's business).
  const a: Adapter = { library: options.library, streaming: info.streaming, pipelineOptions: { ...pipelineOptions }, clock: systemClock, leaseMs: 0 };
  const settle = (call: CallOptions) => readCall(call, maxOutputTokens);
  const run = (call: CallOptions, settings: CallSettings, signal: AbortSignal, onDelta: (d: string) => void) =>
    runGeneration(a, model, call, settings, chatTemplate, signal, onDelta);

  return {
    specificationVersion,
    provider: 'transformers.js',
    modelId: model,
    supportedUrls: {},
    async doGenerate(call: CallOptions) {
      const settings = settle(call);
      const r = await run(call, settings, call.abortSignal ?? new AbortController().signal, () => undefined);
      return {
        content: r.text.length > 0 ? [{ type: 'text', text: r.text }] : [],
        finishReason: finishReason(r),
        usage: usage(r),
        request: { body: requestBody(r, settings) },
        warnings: settings.warnings,
      };
    },
    async doStream(call: CallOptions) {
      const settings = settle(call);
      // The call's signal and the reader's cancel both end the generation.
      const abort = new AbortController();
      const outer = call.abortSignal;
      const onOuterAbort = () => abort.abort(outer?.reason);
      if (outer?.aborted) onOuterAbort();
      else outer?.addEventListener('abort', onOuterAbort, { once: true });
      let controller!: ReadableStreamDefaultController<Part>;
      const stream = new ReadableStream<Part>({
        start: (c) => void (controller = c),
        cancel: (reason) => abort.abort(reason),
      });
      controller.enqueue({ type: 'stream-start', warnings: settings.warnings });
      let started = false;
      const onDelta = (delta: string) => {
        if (abort.signal.aborted) return; // a cancelled stream takes no more parts; the next token stops
        if (!started) {
          started = true;
          controller.enqueue({ type: 'text-start', id: TEXT_ID });
        }
        controller.enqueue({ type: 'text-delta', id: TEXT_ID, delta });
      };
      void run(call, settings, abort.signal, onDelta)
        .then(
          (r) => {
            if (started) controller.enqueue({ type: 'text-end', id: TEXT_ID });
            controller.enqueue({ type: 'finish', finishReason: finishReason(r), usage: usage(r) });
            controller.close();
          },
          (e: unknown) => {
            // A cancelled reader has nothing to be told.
            if (!abort.signal.aborted || outer?.aborted) controller.error(e);
          },
        )
        .finally(() => outer?.removeEventListener('abort', onOuterAbort));
      return { stream };
    },
  } satisfies Record<string, unknown> as unknown as LanguageModelV4;
}

type Part = { type: string; [field: string]: unknown };

function finishReason(r: RunResult) {
  return { unified: r.finishReason, raw: r.finishReason };
}

function usage(r: RunResult) {
  return {
    inputTokens: { total: r.inputTokens, noCache: r.inputTokens, cacheRead: undefined, cacheWrite: undefined },
    outputTokens: { total: r.outputTokens, text: r.outputTokens, reasoning: undefined },
  };
}

function requestBody(r: RunResult, settings: CallSettings) {
  return { prompt: r.prompt.text, max_new_tokens: settings.maxNewTokens, ...settings.options };
}
