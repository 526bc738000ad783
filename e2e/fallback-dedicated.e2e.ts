/**
 * Fallback mode: where `SharedWorker` does not exist (removed here by an init script, as
 * on Chrome for Android), each tab runs its own dedicated worker on the shared database, and the
 * executor lock elects one of them. Closing the executor's tab mid-step frees the lock: the other
 * tab's worker takes it over, recovers the abandoned claim at once and finishes the run. A cancel
 * from the tab that does not execute reaches the step running in the other tab's worker.
 */
import { describe, expect, it } from 'vitest';
import type { ChromiumSession } from '../src/testing/browser.ts';
import { waitForRun } from '../src/testing/page.ts';
import type {} from './fixtures/app.page.ts';
import { pollUntil, useE2eServer } from './support/harness.ts';
import { deliveries, delivery, executorHeld, liveWorkers, openApp, reportLatency } from './support/runs.ts';

/** This file's port range: 27380–27389. */
const PORT = 27380;
const DB = 'fallback';

describe('per-tab dedicated workers when SharedWorker is missing', () => {
  const { browsers, origin } = useE2eServer(PORT);
  const url = () => `${origin()}/e2e/fixtures/app.html?db=${DB}`;

  /** A browser whose pages have no SharedWorker, and two tabs: the first one's worker executes. */
  async function twoTabs(): Promise<{ session: ChromiumSession; executor: Awaited<ReturnType<typeof openApp>>; other: Awaited<ReturnType<typeof openApp>> }> {
    const session = await browsers.launch();
    await session.context.addInitScript(() => {
      delete (window as { SharedWorker?: unknown }).SharedWorker;
    });
    const executor = await openApp(session, url());
    expect(await executor.evaluate(() => typeof SharedWorker)).toBe('undefined');
    expect(await executor.evaluate(() => window.app.mode)).toBe('dedicated');
    // Its worker takes the executor lock just after opening the database; only then open the other.
    await pollUntil(() => executorHeld(executor, DB), (held) => held, 10_000);
    const other = await openApp(session, url());
    expect(await other.evaluate(() => window.app.mode)).toBe('dedicated');
    // Two runtime instances, one per tab.
    expect(await liveWorkers(other, DB)).toHaveLength(2);
    return { session, executor, other };
  }

  it('hands the executor role to the other tab when the executing tab closes mid-step', async (ctx) => {
    const { executor, other } = await twoTabs();
    // Submitted in the tab that does not execute: the peers channel wakes the executor.
    await other.evaluate(() => window.app.submit({ workflow: 'slow', input: { steps: 3, stepMs: 1500 }, runId: 'handover' }));
    await waitForRun(other, 'handover', { state: 'running', stepNumber: 1 });

    const closedAt = Date.now();
    await executor.close();
    expect(await pollUntil(() => liveWorkers(other, DB), (ids) => ids.length === 1, 5_000)).toHaveLength(1);

    const final = await waitForRun(other, 'handover');
    expect(final).toMatchObject({ state: 'succeeded', stepNumber: 2, result: [0, 1, 2] });
    expect(await deliveries(other, 'handover')).toEqual([
      [0, 1, 'continued'],
      [1, 1, 'interrupted'],
      [1, 2, 'continued'],
      [2, 1, 'succeeded'],
    ]);
    // The surviving tab's own worker never died: its client did not reconnect.
    expect(await other.evaluate(() => window.app.reconnects)).toBe(0);
    const redelivered = await delivery(other, 'handover', 1, 2);
    await reportLatency(ctx, 'executor tab closed → step 1 running again in the other tab as attempt 2', redelivered.startedAt! - closedAt);
  });

  it('runs once a run id submitted through both tabs’ workers at the same instant', async () => {
    const { executor, other } = await twoTabs();
    // Two runtime instances race on one database: IndexedDB serialises the two submissions.
    const at = Date.now() + 300;
    const submitAt = (page: typeof other) =>
      page.evaluate(async (at) => {
        await new Promise((r) => setTimeout(r, Math.max(0, at - Date.now())));
        return window.app.submit({ workflow: 'slow', input: { steps: 2, stepMs: 200 }, runId: 'twice' });
      }, at);
    const [a, b] = await Promise.all([submitAt(executor), submitAt(other)]);
    expect([a.newlySubmitted, b.newlySubmitted].sort()).toEqual([false, true]);
    expect(await waitForRun(other, 'twice')).toMatchObject({ state: 'succeeded', result: [0, 1] });
    expect(await deliveries(other, 'twice')).toEqual([
      [0, 1, 'continued'],
      [1, 1, 'succeeded'],
    ]);
  });

  it('cancels, from the tab that does not execute, a step running in the other tab', async () => {
    const { executor, other } = await twoTabs();
    await executor.evaluate(() => window.app.submit({ workflow: 'slow', input: { steps: 2, stepMs: 60_000 }, runId: 'remote-cancel' }));
    await waitForRun(other, 'remote-cancel', { state: 'running', stepNumber: 0 });
    const t0 = Date.now();
    expect(await other.evaluate(() => window.app.cancel('remote-cancel'))).toBe(true);
    const final = await waitForRun(other, 'remote-cancel', { timeoutMs: 10_000 });
    expect(final).toMatchObject({ state: 'cancelled', stepNumber: 0 });
    expect(Date.now() - t0).toBeLessThan(10_000); // far below the 60 s step: its signal was aborted
    expect(await deliveries(other, 'remote-cancel')).toEqual([[0, 1, 'cancelled']]);
  });
});
