/**
 * A function workflow (`workflow()`: three steps, a durable sleep, a wait for an event) in a
 * SharedWorker, through a reload of its only tab in the middle of a step, and through a crash
 * of the tab that created the worker. Each step's `fn` writes a ledger entry when it starts and
 * one when it finishes, in an IndexedDB database of its own: every step finishes its `fn`
 * exactly once (the steps completed before the worker died are replayed from the journal, not
 * run again), and the run ends with the result the function builds from all of them.
 */
import { describe, expect, it } from 'vitest';
import type { Page } from 'playwright-core';
import { crashCreatorTab, reloadPage, waitForRun } from '../src/testing/page.ts';
import type {} from './fixtures/function.page.ts';
import type { LedgerEntry } from './fixtures/function-ledger.ts';
import type { TripInput } from './fixtures/function.worker.ts';
import { pollUntil, useE2eServer } from './support/harness.ts';
import { deliveries, liveWorkers, openApp } from './support/runs.ts';

/** This file's port range: 27770–27779. */
const PORT = 27770;
const INPUT: TripInput = { city: 'Lisbon', stepMs: 1500, sleepMs: 500 };
const RESULT = { flights: ['to Lisbon'], hotel: { name: 'Lisbon Inn', nights: 2 }, booking: 'booked by ana' };

/** How many times each step's `fn` started and finished, per step name. */
async function ledger(page: Page): Promise<Record<string, { started: number; done: number }>> {
  const entries: LedgerEntry[] = await page.evaluate(() => window.fnLedger());
  const out: Record<string, { started: number; done: number }> = {};
  for (const e of entries) {
    const c = (out[e.step] ??= { started: 0, done: 0 });
    if (e.phase === 'start') c.started++;
    else c.done++;
  }
  return out;
}

describe('a function workflow in a SharedWorker', () => {
  const { browsers, origin } = useE2eServer(PORT);

  it('survives a reload in the middle of a step: no completed step runs again, and the run ends with its result', async () => {
    const db = 'fn-reload';
    const session = await browsers.launch();
    const page = await openApp(session, `${origin()}/e2e/fixtures/function.html?db=${db}`);
    const [before] = await liveWorkers(page, db);
    await page.evaluate((input) => window.trips.submit({ workflow: 'trip', input, runId: 'trip-reload' }), INPUT);
    // Step 1 (`hotel`) is working: `flights` finished before the reload.
    await waitForRun(page, 'trip-reload', { state: 'running', stepNumber: 1 });

    await reloadPage(page);
    await pollUntil(() => liveWorkers(page, db), (ids) => ids.length === 1 && ids[0] !== before, 5_000);
    // The new worker redelivers `hotel`, sleeps, and waits for the approval.
    const waiting = await waitForRun(page, 'trip-reload', { state: 'waiting' });
    expect(waiting.eventKey).toBe('approve:trip-reload');
    await page.evaluate(() => window.app.sendEvent('approve:trip-reload', { by: 'ana' }));

    const final = await waitForRun(page, 'trip-reload');
    expect(final).toMatchObject({ state: 'succeeded', result: RESULT });
    // `wait` through the typed client resolves with the function's result.
    expect((await page.evaluate(() => window.trips.wait('trip-reload'))).result).toEqual(RESULT);
    expect(await ledger(page)).toEqual({
      flights: { started: 1, done: 1 },
      hotel: { started: 2, done: 1 }, // its first delivery died with the worker, mid-fn
      book: { started: 1, done: 1 },
    });
    const steps = await deliveries(page, 'trip-reload');
    expect(steps.slice(0, 3)).toEqual([
      [0, 1, 'continued'],
      [1, 1, 'interrupted'],
      [1, 2, 'continued'],
    ]);
    expect(steps.at(-1)).toEqual([final.stepNumber, 1, 'succeeded']);
  });

  it('survives a crash of the tab that created the worker: the other tab reconnects and the run ends with its result', async () => {
    const db = 'fn-crash';
    const url = `${origin()}/e2e/fixtures/function.html?db=${db}`;
    const session = await browsers.launch();
    const creator = await openApp(session, url); // its page load started the SharedWorker
    const other = await openApp(session, url);
    const [before] = await liveWorkers(other, db);
    await other.evaluate((input) => window.trips.submit({ workflow: 'trip', input, runId: 'trip-crash' }), INPUT);
    await waitForRun(other, 'trip-crash', { state: 'running', stepNumber: 1 });

    await crashCreatorTab(session, creator);
    await pollUntil(() => liveWorkers(other, db), (ids) => ids.length === 1 && ids[0] !== before, 10_000);
    // Sent while the run is still before its wait: buffered, and picked up by the wait.
    await pollUntil(
      () => other.evaluate(() => window.app.sendEvent('approve:trip-crash', { by: 'ana' }).then((r) => r, (e: Error) => e.name)),
      (r) => r === 'buffered' || r === 'delivered',
      10_000,
    );

    const final = await waitForRun(other, 'trip-crash');
    expect(final).toMatchObject({ state: 'succeeded', result: RESULT });
    expect(await other.evaluate(() => window.app.reconnects)).toBe(1);
    expect(await ledger(other)).toEqual({
      flights: { started: 1, done: 1 },
      hotel: { started: 2, done: 1 },
      book: { started: 1, done: 1 },
    });
    const steps = await deliveries(other, 'trip-crash');
    expect(steps.slice(0, 3)).toEqual([
      [0, 1, 'continued'],
      [1, 1, 'interrupted'],
      [1, 2, 'continued'],
    ]);
    expect(steps.at(-1)).toEqual([final.stepNumber, 1, 'succeeded']);
  });
});
