/**
 * The demo's "agent with tools" mode (demo/agent/notes-agent.ts), driven as a person would: an
 * AI SDK tool loop in the demo's SharedWorker whose `saveSummary` tool parks the run until a
 * person approves or rejects it, from any tab.
 *
 * On the built-in models the tool choices are scripted (demo/agent/scripted-model.ts), and the
 * page must say so; the tools, their recorded results and the approval are real. With a model
 * endpoint, the AI SDK's own OpenAI-compatible provider talks to the local test server, whose
 * replies choose the tools.
 */
import type { Page } from 'playwright-core';
import { describe, expect, it } from 'vitest';
import { waitForRun } from '../src/testing/page.ts';
import { startOpenAiServer, type RecordedRequest, type Reply } from '../test/support/openai-server.ts';
import { AgentResult } from '../demo/schemas.ts';
import { card, dumpIndexedDb, expectEachStepCompletedOnce, historyOf, openDemo, shot, startAgentRun, useDemoServer } from './support/demo-driver.ts';

/** This file's ports: the demo's dev server 27810, the OpenAI-compatible server 27811. */
const PORT = 27810;
const API_PORT = 27811;
const KEY = 'sk-demo-agent-NOT-A-REAL-KEY-51b2c0';
const DOG = 'How do I keep my dog calm in a storm?';
const SUMMARY_TITLE = 'Summary: Helping a dog through a thunderstorm';
/** The scripted run's durable steps: three turns, the approval, the final turn. */
const STEPS = ['turn 1', 'turn 2', 'turn 3', 'approve saveSummary', 'turn 4'];

const tool = (page: Page, runId: string, name: string) => card(page, runId).locator(`.transcript li[data-tool="${name}"]`);

describe('the demo: the agent with tools', () => {
  const { browsers, origin } = useDemoServer(PORT);

  it('calls the note tools with the scripted model, parks on the approval, and a second tab approves the saved summary', async () => {
    const session = await browsers.launch();
    const page = await openDemo(session, origin);
    const runId = await startAgentRun(page, DOG);
    // Honest about what is scripted: next to the form and on the run.
    await expect.poll(() => page.locator('#agent-scripted').isVisible()).toBe(true);
    expect(await card(page, runId).locator('.scripted').textContent()).toContain('scripted AI SDK model calls searchNotes, readNote, then saveSummary in a fixed order');

    // The model's text streams into the card as it comes.
    await expect.poll(() => card(page, runId).locator('.stream').textContent(), { timeout: 30_000 }).toMatch(/Let me search|Found \d+ note|answers it/);

    const waiting = await waitForRun(page, runId, { state: 'waiting', timeoutMs: 60_000 });
    expect(waiting.eventKey).toBe(`approval:${runId}:call-saveSummary`);
    await expect.poll(() => tool(page, runId, 'searchNotes').textContent(), { timeout: 10_000 }).toContain('done');
    expect(await tool(page, runId, 'searchNotes').textContent()).toContain('dog-storm');
    expect(await tool(page, runId, 'readNote').textContent()).toContain('Many dogs fear thunder');
    expect(await tool(page, runId, 'saveSummary').textContent()).toContain('waiting for approval');
    expect(Number(await card(page, runId).getAttribute('data-live-updates'))).toBeGreaterThan(0);

    // A second tab sees the parked call and approves it.
    const tab2 = await openDemo(session, origin);
    const approval = card(tab2, runId).locator('.tool-approval');
    await approval.waitFor({ state: 'visible', timeout: 30_000 });
    expect(await approval.textContent()).toContain(`saveSummary({"title":"${SUMMARY_TITLE}"`);
    await shot(tab2, '10-agent-approval-second-tab');
    await approval.getByRole('button', { name: 'Approve the tool call' }).click();

    const done = await waitForRun(page, runId, { timeoutMs: 60_000 });
    expect(done.state).toBe('succeeded');
    const result = AgentResult.parse(done.result);
    expect(result).toMatchObject({ scripted: true, turns: 4, summary: { title: SUMMARY_TITLE }, answer: `Saved the summary. It is stored as “${SUMMARY_TITLE}”.` });
    expect(result.summary?.text).toMatch(/^Many dogs fear thunder\./);
    expect(result.view.steps).toEqual(STEPS);
    for (const p of [page, tab2]) {
      await expect.poll(() => card(p, runId).locator('.report').textContent(), { timeout: 10_000 }).toContain(SUMMARY_TITLE);
      expect(await tool(p, runId, 'saveSummary').textContent()).toContain('done');
    }
    // Each durable step completed once, and the summary is in the app KV.
    expectEachStepCompletedOnce(await historyOf(page, runId), STEPS.length);
    expect(await dumpIndexedDb(page)).toContain(`summaries/${runId}`);
    await card(page, runId).scrollIntoViewIfNeeded();
    await shot(page, '11-agent-approved');
  });

  it('a rejection goes back to the model, which answers that nothing was saved', async () => {
    const session = await browsers.launch();
    const page = await openDemo(session, origin);
    const runId = await startAgentRun(page, DOG);
    const approval = card(page, runId).locator('.tool-approval');
    await approval.waitFor({ state: 'visible', timeout: 60_000 });
    await approval.getByLabel('Reason for a rejection').fill('not this one');
    await approval.getByRole('button', { name: 'Reject the tool call' }).click();

    const done = await waitForRun(page, runId, { timeoutMs: 60_000 });
    expect(done.state).toBe('succeeded');
    const result = AgentResult.parse(done.result);
    expect(result.summary).toBeNull();
    expect(result.answer).toBe('You rejected saving the summary (“not this one”), so I saved nothing. The note is still there to read.');
    await expect.poll(() => tool(page, runId, 'saveSummary').textContent(), { timeout: 10_000 }).toContain('rejected');
    expect(await card(page, runId).locator('.report').textContent()).toContain('Nothing saved');
    expect(await dumpIndexedDb(page)).not.toContain(`summaries/${runId}`);
  });

  it('with a model endpoint, the AI SDK provider lets the model choose the tools; the key stays out of storage', async () => {
    // The "model": reads the conversation it is sent and picks the next tool itself.
    const reply = (req: RecordedRequest): Reply => {
      const messages = req.body['messages'] as { role: string; content?: unknown; tool_calls?: { function: { name: string } }[] }[];
      const called = messages.flatMap((m) => m.tool_calls ?? []).map((c) => c.function.name);
      const last = messages.at(-1);
      if (called.includes('saveSummary') && last?.role === 'tool') return { content: `Done: ${String(last.content)}` };
      if (called.includes('searchNotes')) return { toolCalls: [{ name: 'saveSummary', arguments: JSON.stringify({ title: 'Storm den', text: 'Give the dog a den.' }) }] };
      return { content: 'Searching.', toolCalls: [{ name: 'searchNotes', arguments: JSON.stringify({ query: 'dog thunder storm' }) }] };
    };
    const api = await startOpenAiServer({ port: API_PORT, apiKey: KEY, reply });
    try {
      const session = await browsers.launch();
      const page = await openDemo(session, origin);
      await page.getByText('Model endpoint (optional)').click();
      await page.getByLabel('Base URL').fill(api.baseURL);
      await page.getByLabel('Model', { exact: true }).fill('gpt-4o-mini');
      await page.getByLabel('API key').fill(KEY);
      await page.getByRole('button', { name: 'Use endpoint' }).click();
      await expect.poll(() => page.locator('#endpoint-status').textContent()).toContain('key held in memory');
      const runId = await startAgentRun(page, DOG);
      expect(await page.locator('#agent-scripted').isVisible()).toBe(false);
      expect(await card(page, runId).locator('.scripted').isVisible()).toBe(false);

      const approval = card(page, runId).locator('.tool-approval');
      await approval.waitFor({ state: 'visible', timeout: 60_000 });
      expect(await approval.textContent()).toContain('saveSummary({"title":"Storm den"');
      await approval.getByRole('button', { name: 'Approve the tool call' }).click();
      const done = await waitForRun(page, runId, { timeoutMs: 60_000 });
      expect(done.state).toBe('succeeded');
      const result = AgentResult.parse(done.result);
      expect(result).toMatchObject({ scripted: false, turns: 3, summary: { title: 'Storm den', text: 'Give the dog a den.' } });
      expect(result.answer).toContain('Done: ');
      expect(result.view.steps).toEqual(['turn 1', 'turn 2', 'approve saveSummary', 'turn 3']);
      // One completed request per model turn; the searchNotes result reached the model.
      expect(api.log.map((r) => r.outcome)).toEqual(['completed', 'completed', 'completed']);
      expect(JSON.stringify(api.log[1]!.body['messages'])).toContain('dog-storm');
      expect(api.log.every((r) => r.authorization === `Bearer ${KEY}`)).toBe(true);
      const dump = await dumpIndexedDb(page);
      expect(dump).toContain('Storm den');
      expect(dump).not.toContain(KEY);
    } finally {
      await api.close();
    }
  });
});
