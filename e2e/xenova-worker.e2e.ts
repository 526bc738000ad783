/**
 * The transformers runner over `@xenova/transformers` 2.x in a real SharedWorker that Vite
 * serves, offline: the generated tiny models from the app's `/models/`, ONNX Runtime 1.14's
 * wasm from the app's origin (the package's `dist/*.wasm` through `?url`). Proof that nothing
 * left 127.0.0.1, as for the 3.x+ runner: a trap proxy that refuses every non-loopback request
 * of any browser context (SharedWorkers included, which Playwright cannot see), and the
 * worker's own Resource Timing.
 */
import type { Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Json } from '../src/core/json.ts';
import type { GenerateResult } from '../src/runners/transformers.ts';
import { waitForRun } from '../src/testing/page.ts';
import { expected, generation, maxAbsDiff } from '../test/runners/tiny-models.ts';
import type {} from './fixtures/events-page.ts';
import { openOfflineFixture, type OfflineFixture } from './support/offline-fixture.ts';
import type { TrapProxy } from './support/trap-proxy.ts';

/** This file's ports: the dev server 27821, the trap proxy 27822. */
const PORT = 27821;
const TRAP_PORT = 27822;

async function run(page: Page, workflow: string, input: Json): Promise<{ result: Json | undefined; progress: string[] }> {
  const { runId } = await page.evaluate(([w, i]) => window.app.submit({ workflow: w, input: JSON.parse(i) as Json }), [workflow, JSON.stringify(input)] as const);
  const status = await waitForRun(page, runId, { timeoutMs: 60_000 });
  expect(status.state).toBe('succeeded');
  const progress = await page.evaluate(
    (id) => window.events.flatMap((e) => (e.type === 'progress' && e.runId === id ? [(e.update as { text: string }).text] : [])),
    runId,
  );
  return { result: status.result, progress };
}

describe('transformers runner over @xenova/transformers in a SharedWorker (Chromium, offline)', () => {
  let env: OfflineFixture | undefined;
  let page: Page;
  let trap: TrapProxy;
  let origin: string;

  beforeAll(async () => {
    // 2.x's onnxruntime-web 1.14 is CommonJS: a Vite app pre-bundles it (the dev server's
    // dependency discovery does that on its own; this inert test server is told).
    env = await openOfflineFixture({ port: PORT, trapPort: TRAP_PORT, path: '/e2e/fixtures/xenova.html?db=xenova-e2e', optimizeDeps: ['@xenova/transformers'] });
    ({ page, trap, origin } = env);
  });
  afterAll(() => env?.close());

  it('generates and embeds the exact expected outputs in steps, streams tokens, and fetches only from 127.0.0.1', async () => {
    const g = generation('Hello');
    const r = await run(page, 'generate', { model: 'tiny-gpt2', prompt: 'Hello', maxNewTokens: 16 });
    expect(r.result).toEqual({ text: g.text, generatedText: g.fullText, tokens: g.newIds.length, replayed: false } satisfies GenerateResult);
    expect(r.progress).toEqual([...g.stream, g.text]);

    const texts = ['cat', 'It is snowing.'];
    const e = await run(page, 'embed', { model: 'tiny-bert', texts });
    const vectors = (e.result as { embeddings: number[][] }).embeddings;
    texts.forEach((t, i) => expect(maxAbsDiff(vectors[i]!, expected['tiny-bert'].embeddings[t]!)).toBeLessThan(1e-5));

    const urls = (await run(page, 'resources', null)).result as string[];
    expect(urls.filter((u) => !u.startsWith(`${origin}/`) && !u.startsWith('blob:') && !u.startsWith('data:'))).toEqual([]);
    // 2.x's file names: the merged decoder, fp32 models, and the single-threaded SIMD wasm.
    for (const file of ['/models/tiny-gpt2/onnx/decoder_model_merged.onnx', '/models/tiny-bert/onnx/model.onnx', '/ort-wasm-simd.wasm']) {
      expect(urls.filter((u) => u.endsWith(file)), `the worker fetched ${file}`).toHaveLength(1);
    }
    expect(trap.appHosts()).toEqual([]);
  });
});
