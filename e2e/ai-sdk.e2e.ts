/**
 * `stepwise/ai` in real Chromium: a workflow in a SharedWorker asks a local OpenAI-compatible
 * server (test/support/openai-server.ts, started here) through the AI SDK's own
 * `streamText` and `@ai-sdk/openai-compatible` (`ai` 7) wrapped in `durableModel`.
 *
 * The tab connects without extendedLifetime, so a reload of its only tab kills the worker and
 * whatever it had in flight. The server counts chat-completion POSTs (`requests`), answers
 * delivered in full (`completed`, what a paid API bills) and requests the client walked away
 * from (`aborted`).
 */
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import type { Page } from 'playwright-core';
import { reloadPage, waitForRun } from '../src/testing/page.ts';
import { startOpenAiServer, tokensOf, type OpenAiServer } from '../test/support/openai-server.ts';
import type {} from './fixtures/ai.page.ts';
import { openFixture, pollUntil, useE2eServer } from './support/harness.ts';

/** This file's ports: the dev server 27760, the OpenAI-compatible server 27761. */
const PORT = 27760;
const API_PORT = 27761;
const KEY = 'sk-e2e-ai-sdk-FAKE-key-7d3e8f604f1c2a9b';
const PROMPT = 'why does a durable model call not pay twice when the tab reloads';
const ANSWER = `Echo: ${PROMPT}`;
/** The stream is held after this many events: the role chunk and the first 4 tokens. */
const HOLD_AFTER = 5;
const PARTIAL = tokensOf(ANSWER).slice(0, HOLD_AFTER - 1).join('');

describe('the AI SDK through durableModel in a SharedWorker', () => {
  // `ai` reaches a CommonJS module (through its gateway): pre-bundled, or the worker fails to load.
  const { browsers, origin } = useE2eServer(PORT, { optimizeDeps: ['ai', '@ai-sdk/openai-compatible'] });
  let api: OpenAiServer;
  beforeAll(async () => {
    api = await startOpenAiServer({ port: API_PORT, apiKey: KEY });
  });
  afterAll(() => api?.close());
  beforeEach(() => api.reset());

  const fixtureUrl = (db: string) => `${origin()}/e2e/fixtures/ai.html?db=${db}&api=${encodeURIComponent(api.baseURL)}&key=${KEY}`;

  async function progressText(page: Page, runId: string): Promise<string | undefined> {
    const s = await waitForRun(page, runId, { state: ['running', 'pending', 'scheduled', 'succeeded'] });
    return (s.progress as { text?: string } | undefined)?.text;
  }

  async function expectNoKeyStored(page: Page): Promise<void> {
    const dump = await page.evaluate(() => window.dumpIndexedDb());
    expect(dump).toContain('ai:model:'); // the dump does see the recorded call
    expect(dump).not.toContain(KEY);
    expect(api.log.every((r) => r.authorization === `Bearer ${KEY}`)).toBe(true); // the key did reach the API
  }

  it('a reload mid-stream shows the partial text at once, redelivers the step, and completes one request', async () => {
    const session = await browsers.launch();
    const page = await openFixture(session, fixtureUrl('ai-reload'));
    api.holdStreams(HOLD_AFTER);
    await page.evaluate((prompt) => window.app.submit({ workflow: 'ask', input: { prompt }, runId: 'ai-reload' }), PROMPT);
    await api.waitFor((s) => s.held === 1, 30_000);
    await pollUntil(() => progressText(page, 'ai-reload'), (t) => t === PARTIAL, 10_000);

    // The redelivery's stream is held before its first token: right after the reload, the page
    // can only show the first delivery's checkpoint.
    api.holdStreams(0);
    await reloadPage(page);
    expect(await waitForRun(page, 'ai-reload', { state: ['running', 'pending', 'scheduled'] })).toMatchObject({ progress: { kind: 'tokens', text: PARTIAL } });

    // The dying worker took its stream with it; the new worker asks again, once.
    await api.waitFor((s) => s.requests === 2 && s.held === 1, 30_000);
    api.release();
    const final = await waitForRun(page, 'ai-reload');
    expect(final).toMatchObject({ state: 'succeeded', result: { text: ANSWER } });
    expect(api.log.map((r) => r.outcome)).toEqual(['aborted', 'completed']);
    expect(api.completed).toBe(1);
    const history = await page.evaluate(() => window.app.history('ai-reload'));
    expect(history.map((h) => [h.attempt, h.outcome])).toEqual([
      [1, 'interrupted'],
      [2, 'succeeded'],
    ]);
    await expectNoKeyStored(page);
  });

  it('a crash after the answer but before the settlement makes no second request', async () => {
    const session = await browsers.launch();
    const page = await openFixture(session, fixtureUrl('ai-crash'));
    await page.evaluate((prompt) => window.app.submit({ workflow: 'ask', input: { prompt, hangAfterAnswer: true }, runId: 'ai-crash' }), PROMPT);
    await api.waitFor((s) => s.completed === 1, 30_000);
    // The answer is in; the step has not settled (it hangs). The reload kills the worker.
    await pollUntil(() => progressText(page, 'ai-crash'), (t) => t === ANSWER, 10_000);
    await reloadPage(page);
    const final = await waitForRun(page, 'ai-crash');
    expect(final).toMatchObject({ state: 'succeeded', result: { text: ANSWER } });
    expect([api.requests, api.completed]).toEqual([1, 1]);
    const history = await page.evaluate(() => window.app.history('ai-crash'));
    expect(history.map((h) => [h.attempt, h.outcome, h.memoHits])).toEqual([
      [1, 'interrupted', 0],
      [2, 'succeeded', 1],
    ]);
    await expectNoKeyStored(page);
  });
});
