/**
 * `stepwise/runners/transformers`: in-browser model calls inside a step, through transformers.js
 * (`@huggingface/transformers`, or its predecessor `@xenova/transformers`: the app passes the
 * module it uses).
 *
 *   import * as transformers from '@huggingface/transformers';
 *   import ortMjs from 'onnxruntime-web/ort-wasm-simd-threaded.mjs?url';
 *   import ortWasm from 'onnxruntime-web/ort-wasm-simd-threaded.wasm?url';
 *   const tx = createTransformers({
 *     library: transformers,
 *     localModelPath: '/models/',
 *     wasmPaths: { mjs: new URL(ortMjs, self.location.href).href, wasm: new URL(ortWasm, self.location.href).href },
 *   });
 *   async function answer(step: Step) {
 *     const { text } = await tx.generate(step, { model: 'my-model', prompt: 'Hello', maxNewTokens: 64 });
 *     return Outcome.succeed(text);
 *   }
 *
 * - One pipeline per model per worker: loaded on first use, shared by every step and run.
 * - Memoized per step and request: a redelivered step replays its result without a model call.
 * - Tokens stream to `step.progress` (`{ kind: 'tokens', text, tokens, model }`, then `done: true`).
 * - `step.signal` is checked between tokens: a cancelled run stops generating at the next token.
 * - The lease is extended while the model loads and while tokens arrive.
 * - Fully offline: models come from the app's `localModelPath`, ONNX Runtime's wasm from the
 *   app's `wasmPaths`; nothing is fetched from the Hub or a CDN.
 */
export { createTransformers } from './transformers/adapter.ts';
export type { TransformersLibrary, WasmPaths } from './transformers/library.ts';
export type {
  EmbedRequest,
  EmbedResult,
  GenerateRequest,
  GenerateResult,
  Transformers,
  TransformersOptions,
} from './transformers/types.ts';
export type { TokenProgress } from './token-progress.ts';
