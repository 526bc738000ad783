/**
 * The transformers.js module the app hands in, and the one place that configures it for
 * offline use. Either library fits: `@huggingface/transformers` (3.x/4.x, the maintained one)
 * or `@xenova/transformers` (2.x). The adapter never imports either, so an app bundles only the
 * one it chose, and the library's version is the app's to pin.
 *
 * Offline means: no model from the Hub (`allowRemoteModels = false`), model files from the
 * app's own `localModelPath`, and ONNX Runtime's wasm from the app's `wasmPaths` (both libraries
 * default it to cdn.jsdelivr.net). The library's `env` is global to its module, so one worker
 * configures it once: a second configuration with other settings is refused rather than
 * silently redirecting the pipelines already loaded.
 */
import { invalidArgument } from '../../core/errors.ts';

/**
 * A transformers.js module namespace: `import * as transformers from '@huggingface/transformers'`
 * (or from `'@xenova/transformers'`). Only `env` and `pipeline` are used.
 */
export interface TransformersLibrary {
  readonly env: object;
  readonly pipeline: (...args: never[]) => Promise<unknown>;
}

/** How ONNX Runtime finds its wasm: a URL prefix, or a map of file names (v2) / `{ mjs, wasm }` (v3+) to URLs. */
export type WasmPaths = string | Readonly<Record<string, string>>;

/** The library's `env`, as far as the adapter writes it. */
interface LibraryEnv {
  version?: unknown;
  allowRemoteModels: boolean;
  allowLocalModels: boolean;
  localModelPath: string;
  useBrowserCache?: boolean;
  backends?: { onnx?: { wasm?: { wasmPaths?: unknown } } };
}

/**
 * How tokens come out of `generate()`: 3.x+ takes a `streamer` ({ put, end }), 2.x calls
 * `callback_function(beams)` after each step.
 */
export type StreamingApi = 'streamer' | 'callback';

export interface LibraryInfo {
  version: string;
  streaming: StreamingApi;
}

export interface EnvSettings {
  localModelPath: string;
  wasmPaths?: WasmPaths;
  useBrowserCache?: boolean;
}

const configured = new WeakMap<object, string>();

/** @throws WorkflowError `InvalidArgument` when `library` is not a transformers.js module */
export function inspectLibrary(library: TransformersLibrary): LibraryInfo {
  const env = (library as { env?: unknown } | null | undefined)?.env as LibraryEnv | undefined;
  if (typeof library?.pipeline !== 'function' || typeof env !== 'object' || env === null) {
    throw invalidArgument('library', 'must be the @huggingface/transformers or @xenova/transformers module (with env and pipeline)');
  }
  const version = typeof env.version === 'string' ? env.version : '';
  const major = Number.parseInt(version, 10);
  if (!(major >= 2)) throw invalidArgument('library', `is not a supported transformers.js version (env.version ${JSON.stringify(env.version)}; 2.x or later)`);
  return { version, streaming: major >= 3 ? 'streamer' : 'callback' };
}

/**
 * Sets the library's `env` for offline use (idempotent for the same settings).
 * @throws WorkflowError `InvalidArgument` for a bad path, for missing `wasmPaths` outside Node,
 *   or when this library was configured with other settings before
 */
export function configureLibrary(library: TransformersLibrary, settings: EnvSettings): void {
  const env = library.env as LibraryEnv;
  const localModelPath = modelPath(settings.localModelPath);
  if (settings.wasmPaths === undefined && !isNode()) {
    throw invalidArgument('wasmPaths', 'is required outside Node: without it ONNX Runtime fetches its wasm from cdn.jsdelivr.net');
  }
  if (settings.wasmPaths !== undefined && !isWasmPaths(settings.wasmPaths)) {
    throw invalidArgument('wasmPaths', 'must be a URL prefix or an object of URLs', settings.wasmPaths);
  }
  const signature = JSON.stringify([localModelPath, settings.wasmPaths ?? null, settings.useBrowserCache ?? null]);
  const before = configured.get(env);
  if (before !== undefined && before !== signature) {
    throw invalidArgument('library', 'is already configured with other settings in this worker (its env is global): create one adapter per library and reuse it');
  }
  env.allowRemoteModels = false;
  // Defaults to false in browsers and workers in 3.x+.
  env.allowLocalModels = true;
  env.localModelPath = localModelPath;
  if (settings.useBrowserCache !== undefined) env.useBrowserCache = settings.useBrowserCache;
  if (settings.wasmPaths !== undefined) {
    const wasm = env.backends?.onnx?.wasm;
    if (!wasm) throw invalidArgument('library', 'has no env.backends.onnx.wasm to set wasmPaths on');
    wasm.wasmPaths = typeof settings.wasmPaths === 'string' ? settings.wasmPaths : { ...settings.wasmPaths };
  }
  configured.set(env, signature);
}

/**
 * The model root as the library wants it: a directory path ending in `/`. In a browser, a
 * same-origin absolute URL becomes its path: 3.x+ skips its local-file probe for `http(s)://`
 * roots and then loads a pipeline without a tokenizer (`this.tokenizer is not a function`).
 */
function modelPath(path: unknown): string {
  if (typeof path !== 'string' || path.length === 0) throw invalidArgument('localModelPath', 'must be a non-empty path', path);
  let p = path;
  if (/^https?:\/\//i.test(p)) {
    const here = (globalThis as { location?: { origin?: string } }).location?.origin;
    const url = new URL(p);
    if (here === undefined || url.origin !== here) {
      throw invalidArgument('localModelPath', 'must be a path on this origin (e.g. "/models/"), not another origin: model files are served by the app', path);
    }
    p = url.pathname;
  }
  return p.endsWith('/') ? p : `${p}/`;
}

function isWasmPaths(v: unknown): v is WasmPaths {
  if (typeof v === 'string') return v.length > 0;
  return typeof v === 'object' && v !== null && !Array.isArray(v) && Object.values(v).every((u) => typeof u === 'string');
}

function isNode(): boolean {
  const p = (globalThis as { process?: { versions?: { node?: unknown } } }).process;
  return typeof p?.versions?.node === 'string';
}
