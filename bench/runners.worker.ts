/// <reference types="vite/client" />
/**
 * Runner overhead, inside a module SharedWorker: the same LLM call and the same tiny-model
 * generation, once bare and once as a whole workflow step (submit, claim, memo miss and write,
 * progress, settlement, wait), on one runtime at concurrency 1. The difference is what the
 * runtime costs per model step and per API step.
 */
import * as transformers from '@huggingface/transformers';
import ortMjs from 'onnxruntime-web/ort-wasm-simd-threaded.mjs?url';
import ortWasm from 'onnxruntime-web/ort-wasm-simd-threaded.wasm?url';
import { Outcome } from '../src/core/outcome.ts';
import { createLlm } from '../src/runners/llm.ts';
import { createTransformers } from '../src/runners/transformers.ts';
import { Runtime } from '../src/runtime/runtime.ts';
import type { Step } from '../src/runtime/types.ts';

export interface RunnerBenchCommand {
  apiBase: string;
  /** Calls per cell (after 3 untimed warm-up calls each). */
  n: number;
  maxNewTokens: number;
}

export interface RunnerBenchResult {
  bareApi: number[];
  stepApi: number[];
  bareModel: number[];
  stepModel: number[];
}

const MODEL = 'tiny-gpt2';
const PROMPTS = ['Hello', 'ping', 'one two'];
const tx = createTransformers({
  library: transformers,
  localModelPath: '/models/',
  wasmPaths: { mjs: new URL(ortMjs, self.location.href).href, wasm: new URL(ortWasm, self.location.href).href },
});

async function measure(n: number, call: (i: number) => Promise<unknown>): Promise<number[]> {
  for (let i = 0; i < 3; i++) await call(-1 - i);
  const out: number[] = [];
  for (let i = 0; i < n; i++) {
    const t = performance.now();
    await call(i);
    out.push(performance.now() - t);
  }
  return out;
}

async function run(cmd: RunnerBenchCommand): Promise<RunnerBenchResult> {
  const llm = createLlm({ baseURL: cmd.apiBase, apiKey: 'bench-key', model: 'gpt-4o-mini' });
  const rt = await Runtime.open({
    name: `bench-runners-${Date.now()}`,
    concurrency: 1,
    workflows: {
      api: async (step: Step) => Outcome.succeed((await llm.chat(step, { messages: [{ role: 'user', content: String(step.payload) }] })).content ?? ''),
      model: async (step: Step) => Outcome.succeed((await tx.generate(step, { model: MODEL, prompt: String(step.payload), maxNewTokens: cmd.maxNewTokens })).text),
    },
  });
  await rt.start();
  const bare = await transformers.pipeline('text-generation', MODEL);
  try {
    const bareApi = await measure(cmd.n, async (i) => {
      const res = await fetch(`${cmd.apiBase}/chat/completions`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', authorization: 'Bearer bench-key' },
        body: JSON.stringify({ model: 'gpt-4o-mini', messages: [{ role: 'user', content: `bare ${i}` }] }),
      });
      await res.json();
    });
    // Each step is a new run: its memo misses, so every step pays for its call.
    const step = (workflow: string, input: (i: number) => string) => async (i: number) => {
      const { runId } = await rt.submit({ workflow, input: input(i) });
      const o = await rt.wait(runId);
      if (o.status !== 'succeeded') throw new Error(`${workflow} step ended ${o.status}: ${o.error ?? ''}`);
    };
    const stepApi = await measure(cmd.n, step('api', (i) => `step ${i}`));
    const bareModel = await measure(cmd.n, async (i) => {
      await bare(PROMPTS[Math.abs(i) % PROMPTS.length]!, { do_sample: false, max_new_tokens: cmd.maxNewTokens });
    });
    const stepModel = await measure(cmd.n, step('model', (i) => PROMPTS[Math.abs(i) % PROMPTS.length]!));
    return { bareApi, stepApi, bareModel, stepModel };
  } finally {
    await rt.close();
  }
}

(self as unknown as { onconnect: (e: MessageEvent) => void }).onconnect = (e: MessageEvent) => {
  const port = e.ports[0]!;
  port.onmessage = async (ev: MessageEvent<RunnerBenchCommand>) => {
    try {
      port.postMessage({ ok: true, result: await run(ev.data) });
    } catch (err) {
      port.postMessage({ ok: false, error: err instanceof Error ? `${err.name}: ${err.message}` : String(err) });
    }
  };
};
