/**
 * The generated tiny models (scripts/gen-models.ts, run by `npm install`) and their expected
 * outputs, for the transformers runner tests, plus a hand-made `Step` for the tests that must
 * control the signal, the lease or the memo exactly.
 */
import { existsSync, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import type { Json } from '../../src/core/json.ts';
import type { LeaseHandle, Step } from '../../src/runtime/types.ts';
import type { TinyBertExpected } from '../../scripts/models/tiny-bert.ts';
import type { Generation, TinyGpt2Expected } from '../../scripts/models/tiny-gpt2.ts';

/** The model root as a directory path (`localModelPath` in Node). */
export const MODELS_DIR = fileURLToPath(new URL('../../models/', import.meta.url));

function readExpected(): { 'tiny-bert': TinyBertExpected; 'tiny-gpt2': TinyGpt2Expected } {
  const file = `${MODELS_DIR}expected.json`;
  if (!existsSync(file)) throw new Error(`${file} is missing: run \`npm run models\` (npm install runs it)`);
  return JSON.parse(readFileSync(file, 'utf8')) as { 'tiny-bert': TinyBertExpected; 'tiny-gpt2': TinyGpt2Expected };
}

export const expected = readExpected();

export function generation(prompt: string, maxNewTokens = 16): Generation {
  const g = expected['tiny-gpt2'].generations.find((x) => x.prompt === prompt && x.maxNewTokens === maxNewTokens);
  if (!g) throw new Error(`no expected generation for ${prompt}/${maxNewTokens}`);
  return g;
}

/** The largest element-wise difference (float32 inference against a float64 reference). */
export function maxAbsDiff(a: number[], b: number[]): number {
  if (a.length !== b.length) return Infinity;
  return Math.max(...a.map((x, i) => Math.abs(x - b[i]!)));
}

export interface ManualStep extends Step {
  controller: AbortController;
  updates: Json[];
  memoEntries: Map<string, Json>;
  extensions: number[];
}

/**
 * A Step outside any runtime: its own AbortController, an in-memory content memo, progress
 * recorded in `updates` (and passed to `onProgress`), and a lease that records extensions or
 * fails them with `leaseError`.
 */
export function manualStep(options: { onProgress?: (u: Json, step: ManualStep) => void; leaseError?: Error } = {}): ManualStep {
  const controller = new AbortController();
  const memoEntries = new Map<string, Json>();
  const updates: Json[] = [];
  const extensions: number[] = [];
  const lease: LeaseHandle = {
    expiresAt: 0,
    async extend(ms: number) {
      extensions.push(ms);
      if (options.leaseError) throw options.leaseError;
    },
  };
  const step: ManualStep = {
    runId: 'manual',
    workflow: 'manual',
    stepNumber: 0,
    payload: null,
    headers: {},
    jobId: 'manual-0',
    attempts: 1,
    signal: controller.signal,
    memo: {
      get: async (k) => memoEntries.get(`k:${k}`),
      put: async (k, v) => void memoEntries.set(`k:${k}`, v),
      contentGet: async (input) => memoEntries.get(`c:${JSON.stringify(input)}`),
      contentPut: async (input, v) => void memoEntries.set(`c:${JSON.stringify(input)}`, v),
    },
    effects: { put() {}, delete() {} },
    lease,
    progress(u) {
      updates.push(u);
      options.onProgress?.(u, step);
    },
    controller,
    updates,
    memoEntries,
    extensions,
  };
  return step;
}
