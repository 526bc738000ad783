/**
 * The LLM runner in real Chromium: an agent workflow in a SharedWorker calls a local
 * OpenAI-compatible server (test/support/openai-server.ts, started by this file), streams its
 * answer, and survives a reload of its only tab in the middle of the stream.
 *
 * What is counted. The server counts chat-completion POSTs (`requests`), answers delivered in
 * full (`completed`: a JSON body written to the end, or a stream through `data: [DONE]`), and
 * requests the client walked away from midway (`aborted`). A paid request is a `completed` one:
 * a stream cut off by the reload delivered a partial answer that the runner discards and never
 * records, so it is not a paid completion (a real API may still bill its partial tokens: the
 * runner cannot resume an interrupted generation, and says so in its docs).
 * - Without extendedLifetime the reload kills the worker, and with it the stream: the new worker
 *   redelivers the step, which asks again once. requests = 3 (plan, the cut stream, its retry),
 *   completed = 2 (one per step), aborted = 1.
 * - With extendedLifetime the worker and its stream survive the reload: requests = completed = 2.
 * - A step that fails after its paid call is retried from the memo: requests = completed = 2.
 *
 * After each run, every IndexedDB database of the origin is dumped from the page and the API
 * key must appear nowhere in it (DESIGN principle 6).
 */
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import type { Page } from 'playwright-core';
import { reloadPage, waitForRun } from '../src/testing/page.ts';
import { startOpenAiServer, tokensOf, type OpenAiServer } from '../test/support/openai-server.ts';
import type {} from './fixtures/llm.page.ts';
import { openFixture, pollUntil, useE2eServer } from './support/harness.ts';

/** This file's port range: 27400–27409 (dev server 27400, the OpenAI-compatible server 27401). */
const PORT = 27400;
const API_PORT = 27401;
const KEY = 'sk-e2e-FAKE-key-4f1c2a9b7d3e8f60';
const QUESTION = 'why does the durable step not pay twice when the tab reloads';
const ANSWER = `Echo: ${QUESTION}`;
const PLAN = `Echo: plan: ${QUESTION}`;
/** The stream is held after this many events: the role chunk and the first 4 tokens. */
const HOLD_AFTER = 5;
const PARTIAL = tokensOf(ANSWER).slice(0, HOLD_AFTER - 1).join('');

describe('LLM runner in a SharedWorker', () => {
  const { browsers, origin } = useE2eServer(PORT);
  let api: OpenAiServer;
  beforeAll(async () => {
    api = await startOpenAiServer({ port: API_PORT, apiKey: KEY });
  });
  afterAll(() => api?.close());
  beforeEach(() => api.reset());

  const fixtureUrl = (db: string, extended: boolean) =>
    `${origin()}/e2e/fixtures/llm.html?db=${db}&api=${encodeURIComponent(api.baseURL)}&key=${KEY}${extended ? '&extended=1' : ''}`;

  async function progressText(page: Page, runId: string): Promise<string | undefined> {
    const s = await waitForRun(page, runId, { state: ['running', 'pending', 'scheduled', 'succeeded'] });
    return (s.progress as { text?: string } | undefined)?.text;
  }

  /** Submits the agent and waits until its streamed step is held mid-answer with the partial text checkpointed. */
  async function startHeldRun(page: Page, runId: string, input: Record<string, unknown> = {}): Promise<void> {
    api.holdStreams(HOLD_AFTER);
    await page.evaluate(({ runId, input }) => window.app.submit({ workflow: 'agent', input, runId }), { runId, input: { question: QUESTION, ...input } });
    await api.waitFor((s) => s.held === 1, 30_000);
    await pollUntil(() => progressText(page, runId), (t) => t === PARTIAL, 10_000);
  }

  async function expectNoKeyStored(page: Page): Promise<void> {
    const dump = await page.evaluate(() => window.dumpIndexedDb());
    expect(dump).toContain(PLAN); // the dump does see the stored answers
    expect(dump).not.toContain(KEY);
    // And the key did reach the API.
    expect(api.log.every((r) => r.authorization === `Bearer ${KEY}`)).toBe(true);
  }

  it('without extendedLifetime: a reload mid-stream shows the partial tokens at once and pays once per step', async () => {
    const session = await browsers.launch();
    const page = await openFixture(session, fixtureUrl('llm-plain', false));
    await startHeldRun(page, 'llm-plain');
    expect([api.requests, api.completed]).toEqual([2, 1]); // the plan, and the stream held midway

    // The next stream (the redelivery) is held before its first token, so the page can only
    // see the first delivery's checkpoint.
    api.holdStreams(0);
    await reloadPage(page);
    const afterReload = await waitForRun(page, 'llm-plain', { state: ['running', 'pending', 'scheduled'] });
    expect(afterReload).toMatchObject({ stepNumber: 1, progress: { kind: 'tokens', text: PARTIAL } });

    // The dying worker took the first stream with it; the new worker asks once more.
    await api.waitFor((s) => s.requests === 3 && s.held === 1, 30_000);
    expect(api.log.map((r) => r.outcome)).toEqual(['completed', 'aborted', 'pending']);
    await page.evaluate(() => window.appWatch('llm-plain'));
    await page.waitForFunction(() => window.appUpdates.length > 0); // the watcher knows the run: progress events reach it
    api.release();
    const final = await waitForRun(page, 'llm-plain');
    expect(final).toMatchObject({ state: 'succeeded', result: { plan: PLAN, answer: ANSWER, replayed: false } });
    expect([api.requests, api.completed, api.aborted]).toEqual([3, 2, 1]);
    const updates = await page.evaluate(() => window.appUpdates);
    expect(updates.some((u) => (u.progress as { text?: string } | undefined)?.text === ANSWER)).toBe(true);
    const history = await page.evaluate(() => window.app.history('llm-plain'));
    expect(history.filter((h) => h.outcome === 'succeeded' || h.outcome === 'continued').map((h) => [h.stepNumber, h.attempt, h.outcome])).toEqual([
      [0, 1, 'continued'],
      [1, 2, 'succeeded'],
    ]);
    await expectNoKeyStored(page);
  });

  it('with extendedLifetime: the worker and its stream survive the reload, one request per step', async () => {
    const session = await browsers.launch();
    const page = await openFixture(session, fixtureUrl('llm-extended', true));
    await startHeldRun(page, 'llm-extended');
    await reloadPage(page);
    expect(await waitForRun(page, 'llm-extended', { state: ['running'] })).toMatchObject({ stepNumber: 1, attempts: 1, progress: { kind: 'tokens', text: PARTIAL } });
    expect([api.requests, api.held, api.aborted]).toEqual([2, 1, 0]);
    api.release();
    const final = await waitForRun(page, 'llm-extended');
    expect(final).toMatchObject({ state: 'succeeded', result: { plan: PLAN, answer: ANSWER, replayed: false, completionTokens: tokensOf(ANSWER).length } });
    expect([api.requests, api.completed, api.aborted]).toEqual([2, 2, 0]);
    await expectNoKeyStored(page);
  });

  it('a step retried after its paid call answers from the memo without a request', async () => {
    const session = await browsers.launch();
    const page = await openFixture(session, fixtureUrl('llm-retry', false));
    await page.evaluate((question) => window.app.submit({ workflow: 'agent', input: { question, failAfterCallOnce: true }, runId: 'llm-retry' }), QUESTION);
    const final = await waitForRun(page, 'llm-retry');
    expect(final).toMatchObject({ state: 'succeeded', result: { answer: ANSWER, replayed: true } });
    expect([api.requests, api.completed]).toEqual([2, 2]);
    const history = await page.evaluate(() => window.app.history('llm-retry'));
    expect(history.map((h) => [h.stepNumber, h.attempt, h.outcome, h.memoHits])).toEqual([
      [0, 1, 'continued', 0],
      [1, 1, 'retried', 0],
      [1, 2, 'succeeded', 1],
    ]);
    await expectNoKeyStored(page);
  });

  it('offline: the step waits for the online event without spending an attempt', async () => {
    const session = await browsers.launch();
    const page = await openFixture(session, fixtureUrl('llm-offline', false));
    // Simulated: the worker's navigator.onLine reads false (through its network seam); the
    // network failure is real: nothing listens on the API port while "offline".
    await page.evaluate(() => window.setSimulatedOnline(false));
    await api.close();
    // maxAttempts 1: a failed attempt would fail the run at once.
    await page.evaluate((question) => window.app.submit({ workflow: 'agent', input: { question }, runId: 'llm-offline', maxAttempts: 1 }), QUESTION);
    await waitForRun(page, 'llm-offline', { state: 'running', stepNumber: 0 });
    await new Promise((r) => setTimeout(r, 1000)); // a refused fetch fails within ms: by now the step is parked
    expect(await waitForRun(page, 'llm-offline', { state: 'running' })).toMatchObject({ stepNumber: 0, attempts: 1 });
    api = await startOpenAiServer({ port: API_PORT, apiKey: KEY });
    await page.evaluate(() => window.setSimulatedOnline(true));
    const final = await waitForRun(page, 'llm-offline');
    expect(final).toMatchObject({ state: 'succeeded', result: { plan: PLAN, answer: ANSWER } });
    const history = await page.evaluate(() => window.app.history('llm-offline'));
    expect(history.map((h) => [h.stepNumber, h.attempt, h.outcome])).toEqual([
      [0, 1, 'continued'],
      [1, 1, 'succeeded'],
    ]);
    expect([api.requests, api.completed]).toEqual([2, 2]);
  });
});
