/**
 * `stepwise/langgraph` in real Chromium: LangGraph graphs in a SharedWorker run by
 * `graphWorkflow`, their checkpoints in an IndexedDBSaver on the worker's Stepwise database. The
 * agent asks a local OpenAI-compatible server (test/support/openai-server.ts) through
 * `@langchain/openai`; its tool waits at a gate of a local ledger (e2e/support/ledger.ts), which
 * also records every time the tool starts and ends.
 *
 * The tab connects without extendedLifetime, so a reload of its only tab kills the worker and
 * the node it had in flight.
 */
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { closeAllTabs, reloadPage, waitForRun } from '../src/testing/page.ts';
import { startOpenAiServer, type OpenAiServer, type RecordedRequest, type Reply } from '../test/support/openai-server.ts';
import type {} from './fixtures/langgraph.page.ts';
import { startLedger, type Ledger } from './support/ledger.ts';
import { openFixture, pollUntil, useE2eServer } from './support/harness.ts';

/** This file's ports: the dev server 27790, the OpenAI-compatible server 27791, the ledger 27792. */
const PORT = 27790;
const API_PORT = 27791;
const LEDGER_PORT = 27792;
const KEY = 'sk-e2e-langgraph-FAKE-key-5b1f0c9e2a7d4e36';
const ANSWER = 'It is sunny in Paris today.';

/** A tool call first; once the tool has answered, the final text. */
function agentReply(req: RecordedRequest): Reply {
  const messages = (req.body['messages'] ?? []) as { role?: string }[];
  if (messages.at(-1)?.role === 'tool') return { content: ANSWER };
  return { toolCalls: [{ name: 'lookup', arguments: '{"city":"Paris"}' }] };
}

describe('LangGraph agents through graphWorkflow in a SharedWorker', () => {
  // LangChain's packages reach CommonJS modules (p-queue, …): pre-bundled, or the page fails to load.
  const { browsers, origin } = useE2eServer(PORT, {
    optimizeDeps: ['@langchain/langgraph', '@langchain/langgraph/prebuilt', '@langchain/langgraph-checkpoint', '@langchain/openai', '@langchain/core/tools', 'zod'],
  });
  let api: OpenAiServer;
  let ledger: Ledger;
  beforeAll(async () => {
    api = await startOpenAiServer({ port: API_PORT, apiKey: KEY, reply: agentReply });
    ledger = await startLedger(LEDGER_PORT);
  });
  afterAll(async () => {
    await api?.close();
    await ledger?.close();
  });
  beforeEach(() => {
    api.reset();
    api.setReply(agentReply);
  });

  const fixtureUrl = (db: string) =>
    `${origin()}/e2e/fixtures/langgraph.html?db=${db}&api=${encodeURIComponent(api.baseURL)}&key=${KEY}&ledger=${encodeURIComponent(ledger.url)}`;
  const toolEvents = (runId: string) => ledger.records.filter((r) => r.runId === runId).map((r) => r.kind);

  it('resumes a tool-calling agent reloaded in the middle of its tool node: no completed node runs again, one request per model call', async () => {
    const session = await browsers.launch();
    const page = await openFixture(session, fixtureUrl('lg-reload'));
    await page.evaluate(() => window.app.submit({ workflow: 'agent', input: { messages: [{ role: 'user', content: 'Weather in Paris?' }] }, runId: 'lg-reload' }));
    await ledger.waitFor((_, gated) => gated.filter((k) => k === 'tool/lg-reload').length === 1, 60_000);
    expect([api.requests, api.completed]).toEqual([1, 1]);

    // The worker dies with its tool call in flight; the next one resumes from the checkpoint
    // after the model's answer: the tool runs again, the model call does not.
    await reloadPage(page);
    await ledger.waitFor((_, gated) => gated.filter((k) => k === 'tool/lg-reload').length === 2, 60_000);
    expect(api.requests).toBe(1);
    ledger.release('tool/lg-reload');

    const final = await waitForRun(page, 'lg-reload', { timeoutMs: 60_000 });
    expect(final.state).toBe('succeeded');
    const messages = (final.result as { messages: { kwargs?: { content?: unknown } }[] }).messages;
    expect(messages.at(-1)?.kwargs?.content).toBe(ANSWER);
    // One request per model call: the one before the tool and the one after it.
    expect([api.requests, api.completed]).toEqual([2, 2]);
    expect(toolEvents('lg-reload')).toEqual(['tool-start', 'tool-start', 'tool-end']);
    const dump = await page.evaluate(() => window.dumpIndexedDb());
    expect(dump).toContain('lg_checkpoints');
    expect(dump).not.toContain(KEY);
  });

  it('keeps an interrupt across closing every tab, and resumes with the answer sent', async () => {
    const session = await browsers.launch();
    const page = await openFixture(session, fixtureUrl('lg-approval'));
    await page.evaluate(() => window.app.submit({ workflow: 'approval', input: { messages: [] }, runId: 'lg-approval' }));
    const waiting = await waitForRun(page, 'lg-approval', { state: 'waiting', timeoutMs: 60_000 });
    expect(waiting.eventKey).toBe('langgraph:interrupt:lg-approval');

    await closeAllTabs(session);
    const again = await openFixture(session, fixtureUrl('lg-approval'));
    expect(await waitForRun(again, 'lg-approval', { state: 'waiting' })).toMatchObject({ eventKey: 'langgraph:interrupt:lg-approval' });
    expect(await pollUntil(() => again.evaluate(() => window.pendingInterrupts('lg-approval')), (p) => p.length === 1)).toEqual([
      { id: expect.any(String), value: { question: 'ship it?' } },
    ]);
    await again.evaluate(() => window.app.sendEvent('langgraph:interrupt:lg-approval', 'yes'));
    expect(await waitForRun(again, 'lg-approval', { timeoutMs: 60_000 })).toMatchObject({ state: 'succeeded', result: { answer: 'yes' } });
    expect(await again.evaluate(() => window.pendingInterrupts('lg-approval'))).toEqual([]);
  });
});
