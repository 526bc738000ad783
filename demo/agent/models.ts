/// <reference types="vite/client" />
/**
 * The models the steps call, configured once per worker:
 * - the built-in tiny models through transformers.js, fully offline: model files from this
 *   app's `/models/`, ONNX Runtime's glue and wasm from this app's origin (Vite `?url`);
 * - an OpenAI-compatible endpoint, when a run was started with one. Its key comes from a page
 *   over the control channel and stays in this worker's memory.
 *
 * Demo pacing: the tiny generator answers in about a millisecond per token, too fast to watch
 * or to interrupt. Its forward pass is delayed by TOKEN_PACE_MS here so that tokens stream at a
 * human pace; embeddings are paced in the retrieve step. Nothing else is slowed down.
 */
import * as transformers from '@huggingface/transformers';
import ortMjs from 'onnxruntime-web/ort-wasm-simd-threaded.mjs?url';
import ortWasm from 'onnxruntime-web/ort-wasm-simd-threaded.wasm?url';
import { createLlm, type Llm } from '../../src/runners/llm.ts';
import { createTransformers, type TransformersLibrary } from '../../src/runners/transformers.ts';
import type { Step } from '../../src/worker.ts';
import type { Backend, LedgerEntry, StepName } from '../shared.ts';
import { controlledFetch, keyFor, network, waitForKey } from './control.ts';

export const GENERATOR = 'tiny-gpt2';
export const EMBEDDER = 'tiny-bert';
export const TOKEN_PACE_MS = 180;
export const EMBED_PACE_MS = 260;

/** The library with a paced text generator (see above); everything else is the library's own. */
function pacedLibrary(lib: typeof transformers, msPerToken: number): TransformersLibrary {
  const pipeline = async (...args: unknown[]) => {
    const p = (await (lib.pipeline as unknown as (...a: unknown[]) => Promise<unknown>)(...args)) as {
      model?: { forward?: (...a: unknown[]) => Promise<unknown> };
    };
    const model = p.model;
    const forward = model?.forward;
    if (args[0] === 'text-generation' && model && typeof forward === 'function') {
      model.forward = async (...a: unknown[]) => {
        await sleep(msPerToken);
        return forward.apply(model, a);
      };
    }
    return p;
  };
  return { env: lib.env, pipeline: pipeline as unknown as TransformersLibrary['pipeline'] };
}

export const tx = createTransformers({
  library: pacedLibrary(transformers, TOKEN_PACE_MS),
  localModelPath: '/models/',
  wasmPaths: { mjs: new URL(ortMjs, self.location.href).href, wasm: new URL(ortWasm, self.location.href).href },
  pipelineOptions: { dtype: 'fp32', device: 'wasm' },
});

const clients = new Map<string, Llm>();

/**
 * The LLM client of an API backend, once its key is here (a step waits for it: after a reload
 * the person enters it again; the run waits, it does not fail).
 */
export async function llmFor(backend: Extract<Backend, { kind: 'api' }>, step: Step): Promise<Llm> {
  if (backend.needsKey) await waitForKey(backend.baseURL, step.signal);
  const id = `${backend.baseURL}\n${backend.model}`;
  let llm = clients.get(id);
  if (!llm) {
    llm = createLlm({
      baseURL: backend.baseURL,
      model: backend.model,
      // Asked before each request: the key a page sent last, from memory.
      apiKey: () => keyFor(backend.baseURL) ?? '',
      network,
      fetch: controlledFetch,
      progressIntervalMs: 60,
    });
    clients.set(id, llm);
  }
  return llm;
}

/** Counts one step attempt's model calls for the run's ledger. */
export class CallCounter {
  paid = 0;
  replayed = 0;

  count(r: { replayed: boolean }): void {
    if (r.replayed) this.replayed++;
    else this.paid++;
  }

  entry(step: StepName, attempt: number): LedgerEntry {
    return { step, attempt, paid: this.paid, replayed: this.replayed };
  }
}

export function sleep(ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve, reject) => {
    if (signal?.aborted) return reject(signal.reason);
    const t = setTimeout(() => {
      signal?.removeEventListener('abort', onAbort);
      resolve();
    }, ms);
    const onAbort = () => {
      clearTimeout(t);
      reject(signal?.reason);
    };
    signal?.addEventListener('abort', onAbort, { once: true });
  });
}
