/**
 * The public shapes of `stepwise/runners/transformers`: options, requests, results and the
 * progress updates a generation sends.
 */
import type { Clock } from '../../core/clock.ts';
import type { Json } from '../../core/json.ts';
import type { Step } from '../../runtime/types.ts';
import type { StreamingApi, TransformersLibrary, WasmPaths } from './library.ts';

export interface TransformersOptions {
  /** The library module: `import * as transformers from '@huggingface/transformers'` (or `'@xenova/transformers'`). */
  library: TransformersLibrary;
  /**
   * Where the app serves its model folders (`<localModelPath><model>/config.json`, `…/onnx/…`):
   * a path on the app's origin such as `'/models/'` in a browser, a directory in Node. Models
   * are never fetched from the Hugging Face Hub.
   */
  localModelPath: string;
  /**
   * ONNX Runtime's wasm files, served by the app. Required outside Node (the libraries' default
   * is a CDN). For `@huggingface/transformers` 3.x+ pass `{ mjs, wasm }` URLs of onnxruntime-web's
   * `ort-wasm-simd-threaded.mjs` / `.wasm` (the version the library pins); for 2.x a URL prefix
   * or `{ 'ort-wasm-simd.wasm': url, … }`.
   */
  wasmPaths?: WasmPaths;
  /**
   * Options for every `pipeline()` call, e.g. `{ dtype: 'fp32', device: 'wasm' }` (3.x+) or
   * `{ quantized: false }` (2.x, which otherwise loads `model_quantized.onnx`).
   * @default {}
   */
  pipelineOptions?: Record<string, unknown>;
  /**
   * Whether the library keeps model files in the Cache API (`env.useBrowserCache`). Cached
   * files are never revalidated: turn it off, or version model folder names, when files at one
   * path can change. @default the library's default (true)
   */
  useBrowserCache?: boolean;
  /** Paces the lease heartbeat. Pass the runtime's MockClock in tests. @default the system clock */
  clock?: Clock;
  /** Each lease extension asks for this much more time; 0 disables extensions. @default 60000 */
  leaseMs?: number;
}

export interface Transformers {
  /** The library's `env.version`. */
  readonly version: string;
  /**
   * Generates text for this step, or returns what an earlier delivery of the step generated for
   * the same request (`replayed: true`, no model call). New text goes to `step.progress` as
   * `TokenProgress` after every token that changes it, then once more with `done: true`.
   * @throws the reason of `step.signal` when it aborts (checked between tokens; the model's
   *   work stops at the next token); WorkflowError `InvalidArgument` for a bad request; the
   *   library's error when the model cannot be loaded or run (a retry loads it again)
   */
  generate(step: Step, request: GenerateRequest): Promise<GenerateResult>;
  /**
   * Embeds texts for this step (pooled, by default normalised), or returns the memoized vectors.
   * @throws as `generate`
   */
  embed(step: Step, request: EmbedRequest): Promise<EmbedResult>;
  /** Loads a pipeline ahead of its first step (e.g. at worker start). Steps share it afterwards. */
  preload(task: 'text-generation' | 'feature-extraction', model: string): Promise<void>;
}

export interface GenerateRequest {
  /** Model folder name under `localModelPath`. */
  model: string;
  prompt: string;
  /** @default 128 */
  maxNewTokens?: number;
  /**
   * More generation options, as the library names them (`do_sample`, `temperature`, `top_k`,
   * `repetition_penalty`, `return_full_text`, …). JSON only; part of the memo key. Greedy unless
   * `do_sample` is set.
   */
  options?: { [option: string]: Json };
  /** Record the result in the step's memo and replay it on redelivery. @default true */
  memo?: boolean;
}

export interface GenerateResult {
  /** The new text alone (special tokens skipped). */
  text: string;
  /** The pipeline's `generated_text`: prompt and new text, unless `options.return_full_text` is false. */
  generatedText: string;
  /** How many tokens were generated (an end-of-sequence token included). */
  tokens: number;
  /** True when the result came from this step's memo (no model call this time). */
  replayed: boolean;
}

export interface EmbedRequest {
  /** Model folder name under `localModelPath`. */
  model: string;
  /** One text or a batch. */
  texts: string | string[];
  /** @default 'mean' */
  pooling?: 'mean' | 'cls';
  /** L2-normalise each vector. @default true */
  normalize?: boolean;
  /** @default true */
  memo?: boolean;
}

export interface EmbedResult {
  /** One vector per text, in order. */
  embeddings: number[][];
  /** Vector length. */
  dimensions: number;
  replayed: boolean;
}

/** The resolved configuration the helpers share (internal: made by `createTransformers`). */
export interface Adapter {
  library: TransformersLibrary;
  streaming: StreamingApi;
  pipelineOptions: Record<string, unknown>;
  clock: Clock;
  /** Length of each lease extension, ms. */
  leaseMs: number;
}
