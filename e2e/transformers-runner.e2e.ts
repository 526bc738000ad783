/**
 * The transformers runner in a SharedWorker in Chromium, fully offline: the generated tiny
 * models served by the app (`/models/`), ONNX Runtime's wasm served by the app, and proof that
 * no request left 127.0.0.1. Playwright cannot see a SharedWorker's requests (docs/platform.md),
 * so the proof has two independent parts:
 * - a trap proxy (`--proxy-server`): every non-loopback request from any browser context lands
 *   there and is refused; the app's share of them must be empty;
 * - Resource Timing read inside the SharedWorker: every URL it fetched is on the test origin.
 * A negative control (a SharedWorker left on the library's CDN default) shows the trap catching
 * `cdn.jsdelivr.net`, so an empty trap means something.
 */
import type { Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Json } from '../src/core/json.ts';
import type { GenerateResult } from '../src/runners/transformers.ts';
import { expected, generation, maxAbsDiff } from '../test/runners/tiny-models.ts';
import type {} from './fixtures/transformers.page.ts';
import { openOfflineFixture, type OfflineFixture } from './support/offline-fixture.ts';
import type { TrapProxy } from './support/trap-proxy.ts';

/** This file's port range: 27410–27419 (dev server, trap proxy). */
const PORT = 27410;
const TRAP_PORT = 27411;

async function run(page: Page, workflow: string, input: Json): Promise<{ runId: string; status: string; result?: Json; progress: Json[] }> {
  // The input crosses as a JSON string: Playwright's argument types recurse without end on `Json`.
  const out = await page.evaluate(
    async ([w, i]) => {
      const { runId } = await window.tx.submit({ workflow: w, input: JSON.parse(i) as Json });
      const outcome = await window.tx.wait(runId);
      const progress = window.txEvents.flatMap((e) => (e.type === 'progress' && e.runId === runId ? [e.update] : []));
      return JSON.stringify({ runId, status: outcome.status, result: outcome.result, progress });
    },
    [workflow, JSON.stringify(input)] as const,
  );
  return JSON.parse(out) as { runId: string; status: string; result?: Json; progress: Json[] };
}

describe('transformers runner in a SharedWorker (Chromium, offline)', () => {
  let env: OfflineFixture | undefined;
  let page: Page;
  let trap: TrapProxy;
  let origin: string;

  beforeAll(async () => {
    env = await openOfflineFixture({ port: PORT, trapPort: TRAP_PORT, path: '/e2e/fixtures/transformers.html?db=tx-e2e' });
    ({ page, trap, origin } = env);
  });
  afterAll(() => env?.close());

  it('generates and embeds the exact expected outputs, streams tokens, stops when cancelled, and fetches only from 127.0.0.1', async () => {
    for (const [prompt, max] of [['Hello', 16], ['the quick', 16], ['Hello', 3]] as const) {
      const g = generation(prompt, max);
      const r = await run(page, 'generate', { model: 'tiny-gpt2', prompt, maxNewTokens: max });
      expect(r.result).toEqual({ text: g.text, generatedText: g.fullText, tokens: g.newIds.length, replayed: false } satisfies GenerateResult);
      expect(r.progress.map((p) => (p as { text: string }).text)).toEqual([...g.stream, g.text]);
    }
    expect(generation('Hello').fullText).toBe('hello world from a tiny model.');

    const texts = ['cat', 'dog', 'pizza', 'It is snowing.'];
    const e = await run(page, 'embed', { model: 'tiny-bert', texts });
    const vectors = (e.result as { embeddings: number[][] }).embeddings;
    texts.forEach((t, i) => expect(maxAbsDiff(vectors[i]!, expected['tiny-bert'].embeddings[t]!)).toBeLessThan(1e-5));

    // Cancel on the first streamed token: generation stops between tokens, long before 100.
    const cancelled = await page.evaluate(async () => {
      const { runId } = await window.tx.submit({ workflow: 'generate', input: { model: 'tiny-gpt2', prompt: 'la', maxNewTokens: 100 } });
      let asked = false;
      const stop = window.tx.watch(runId, (_s, ev) => {
        if (ev.type === 'progress' && !asked) {
          asked = true;
          void window.tx.cancel(runId);
        }
      });
      const outcome = await window.tx.wait(runId);
      stop();
      const tokens = window.txEvents.flatMap((ev) => (ev.type === 'progress' && ev.runId === runId ? [(ev.update as { tokens: number }).tokens] : []));
      return { status: outcome.status, tokens: Math.max(0, ...tokens) };
    });
    expect(cancelled.status).toBe('cancelled');
    expect(cancelled.tokens).toBeGreaterThan(0);
    expect(cancelled.tokens).toBeLessThan(100);
    // The same pipeline still generates after an aborted generation.
    expect((await run(page, 'generate', { model: 'tiny-gpt2', prompt: 'ping' })).result).toMatchObject({ text: 'pong' });

    const urls = (await run(page, 'resources', null)).result as string[];
    const offOrigin = urls.filter((u) => !u.startsWith(`${origin}/`) && !u.startsWith('blob:') && !u.startsWith('data:'));
    expect(offOrigin).toEqual([]);
    // One pipeline per model per worker: each model loaded once over all the runs above.
    for (const file of ['/models/tiny-gpt2/onnx/model.onnx', '/models/tiny-bert/onnx/model.onnx', '/ort-wasm-simd-threaded.wasm']) {
      expect(urls.filter((u) => u.endsWith(file)), `the worker fetched ${file} once`).toHaveLength(1);
    }
    expect(trap.appHosts()).toEqual([]);
  });

  it('negative control: the trap sees a SharedWorker that reaches for the CDN (which the adapter refuses to do)', async () => {
    const report = await page.evaluate(() => window.runControl());
    expect(report.refused).toBe('InvalidArgument');
    expect(report.loaded).toBe(false);
    expect(trap.appHosts()).toContain('cdn.jsdelivr.net');
  });
});
