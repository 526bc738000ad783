/// <reference types="vite/client" />
/**
 * The models the steps call, configured once per worker:
 * - the built-in tiny models through transformers.js, fully offline: model files from this
 *   app's `/models/`, ONNX Runtime's glue and wasm from this app's origin (Vite `?url`), slowed
 *   to a human pace (slow-models.ts);
 * - an OpenAI-compatible endpoint, when a run was started with one. Its key comes from a page
 *   over the control channel and stays in this worker's memory.
 * Both runners are wrapped for fault injection (faults.ts): the steps only see a runner.
 */
import * as transformers from '@huggingface/transformers';
import ortMjs from 'onnxruntime-web/ort-wasm-simd-threaded.mjs?url';
import ortWasm from 'onnxruntime-web/ort-wasm-simd-threaded.wasm?url';
import { createLlm, type Llm } from 'stepwise/runners/llm';
import { createTransformers } from 'stepwise/runners/transformers';
import type { Step } from 'stepwise/worker';
import type { ApiBackend, LedgerEntry, StepName } from '../schemas.ts';
import { controlledFetch, keyFor, network, waitForKey } from './control.ts';
import { llmWithFaults, withFaults } from './faults.ts';
import { slowModels } from './slow-models.ts';

export const GENERATOR = 'tiny-gpt2';
export const EMBEDDER = 'tiny-bert';

export const tx = withFaults(
  createTransformers({
    library: slowModels(transformers, { msPerToken: 180, msPerEmbedding: 260 }),
    localModelPath: '/models/',
    wasmPaths: { mjs: new URL(ortMjs, self.location.href).href, wasm: new URL(ortWasm, self.location.href).href },
    pipelineOptions: { dtype: 'fp32', device: 'wasm' },
  }),
);

const clients = new Map<string, Llm>();

/**
 * The LLM client of an API backend, once its key is here (a step waits for it: after a reload
 * the person enters it again; the run waits, it does not fail).
 */
export async function llmFor(backend: ApiBackend, step: Step): Promise<Llm> {
  if (backend.needsKey) await waitForKey(backend.baseURL, step.signal);
  const id = `${backend.baseURL}\n${backend.model}`;
  let llm = clients.get(id);
  if (!llm) {
    llm = llmWithFaults(
      createLlm({
        baseURL: backend.baseURL,
        model: backend.model,
        // Asked before each request: the key a page sent last, from memory.
        apiKey: () => keyFor(backend.baseURL) ?? '',
        network,
        fetch: controlledFetch,
        progressIntervalMs: 60,
      }),
    );
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
