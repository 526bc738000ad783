/**
 * `transformersModel` in real Chromium: the generated tiny model runs inside the app's
 * SharedWorker, reached through the AI SDK's own `streamText` (`ai` 7) wrapped in
 * `durableModel` in a Stepwise step, offline (models and ONNX Runtime's wasm from the dev
 * server). The tab connects without extendedLifetime, so reloading its only tab kills the
 * worker and whatever it was doing.
 */
import type { Page } from 'playwright-core';
import { describe, expect, it } from 'vitest';
import type { Json } from '../src/core/json.ts';
import { reloadPage, waitForRun } from '../src/testing/page.ts';
import { generation } from '../test/runners/tiny-models.ts';
import type {} from './fixtures/events-page.ts';
import { openFixture, useE2eServer } from './support/harness.ts';

/** This file's port: the dev server. */
const PORT = 27820;
const MODEL_FILE = '/models/tiny-gpt2/onnx/model.onnx';

async function progressTexts(page: Page, runId: string): Promise<string[]> {
  return page.evaluate(
    (id) => window.events.flatMap((e) => (e.type === 'progress' && e.runId === id ? [(e.update as { text: string }).text] : [])),
    runId,
  );
}

async function fetched(page: Page): Promise<string[]> {
  const { runId } = await page.evaluate(() => window.app.submit({ workflow: 'resources', input: null }));
  return (await waitForRun(page, runId)).result as string[];
}

describe('transformersModel through the AI SDK in a SharedWorker', () => {
  // `ai` reaches a CommonJS module (through its gateway): pre-bundled, or the worker fails to load.
  const { browsers, origin } = useE2eServer(PORT, { optimizeDeps: ['ai'] });

  it('streams the tiny model’s tokens to the page as progress and finishes with its exact answer', async () => {
    const session = await browsers.launch();
    const page = await openFixture(session, `${origin()}/e2e/fixtures/ai-transformers.html?db=ai-tx-stream`);
    const g = generation('the quick');
    await page.evaluate(() => window.app.submit({ workflow: 'ask', input: { prompt: 'the quick' } as Json, runId: 'ai-tx-stream' }));
    expect(await waitForRun(page, 'ai-tx-stream')).toMatchObject({ state: 'succeeded', result: { text: g.text, finishReason: 'stop' } });
    // Every token reached the page as it was generated, then the whole answer once more, done.
    expect(await progressTexts(page, 'ai-tx-stream')).toEqual([...g.stream, g.text]);
  });

  it('a step redelivered after its worker died with the answer replays it from memo without loading the model', async () => {
    const session = await browsers.launch();
    const page = await openFixture(session, `${origin()}/e2e/fixtures/ai-transformers.html?db=ai-tx-replay`);
    const g = generation('Hello');
    await page.evaluate(() => window.app.submit({ workflow: 'ask', input: { prompt: 'Hello', hangAfterAnswer: true } as Json, runId: 'ai-tx-replay' }));
    // The answer is in (the last progress update is the done one); the step hangs before settling.
    await expect.poll(async () => (await progressTexts(page, 'ai-tx-replay')).at(-1), { timeout: 30_000 }).toBe(g.text);
    expect((await fetched(page)).filter((u) => u.endsWith(MODEL_FILE))).toHaveLength(1);

    await reloadPage(page);
    expect(await waitForRun(page, 'ai-tx-replay')).toMatchObject({ state: 'succeeded', result: { text: g.text, finishReason: 'stop' } });
    const history = await page.evaluate(() => window.app.history('ai-tx-replay'));
    expect(history.map((h) => [h.attempt, h.outcome, h.memoHits])).toEqual([
      [1, 'interrupted', 0],
      [2, 'succeeded', 1],
    ]);
    // The new worker answered from the memo: it never fetched the model.
    expect((await fetched(page)).filter((u) => u.includes('/models/'))).toEqual([]);
  });
});
