/**
 * A run of several slow steps survives a reload of its only tab in the middle of a step.
 * Without `extendedLifetime` the reload kills the SharedWorker (see docs/platform.md): the next worker
 * holds the executor lock, recovers the dead owner's claim at once and redelivers that step as
 * attempt 2; the steps before it do not run again. With `extendedLifetime` the same worker
 * survives the reload and the step finishes as attempt 1.
 */
import { describe, expect, it } from 'vitest';
import { reloadPage, waitForRun } from '../src/testing/page.ts';
import type {} from './fixtures/app.page.ts';
import { pollUntil, useE2eServer } from './support/harness.ts';
import { deliveries, delivery, liveWorkers, openApp, reportLatency } from './support/runs.ts';

/** This file's port range: 27350–27359. */
const PORT = 27350;
const DB = 'reload';
const INPUT = { steps: 3, stepMs: 1500 };

describe('a run survives a reload mid-step', () => {
  const { browsers, origin } = useE2eServer(PORT);

  it('without extendedLifetime: the worker restarts and redelivers the interrupted step once, as attempt 2', async (ctx) => {
    const session = await browsers.launch();
    const page = await openApp(session, `${origin()}/e2e/fixtures/app.html?db=${DB}`);
    const [before] = await liveWorkers(page, DB);
    expect(before).toBeDefined();
    await page.evaluate((input) => window.app.submit({ workflow: 'slow', input, runId: 'reload-plain' }), INPUT);
    await waitForRun(page, 'reload-plain', { state: 'running', stepNumber: 1 });

    const t0 = Date.now();
    const reconnectMs = await reloadPage(page);
    // A new worker instance: the old one (and its alive lock) went with the reload.
    const after = await pollUntil(() => liveWorkers(page, DB), (ids) => ids.length === 1 && ids[0] !== before, 5_000);
    expect(after).not.toContain(before);

    const final = await waitForRun(page, 'reload-plain');
    expect(final).toMatchObject({ state: 'succeeded', stepNumber: 2, result: [0, 1, 2] });
    // Step 0 settled once, before the reload; step 1's first delivery was abandoned by the dying
    // worker (recorded `interrupted` when the next worker recovered it) and settled on its
    // redelivery; step 2 ran once.
    expect(await deliveries(page, 'reload-plain')).toEqual([
      [0, 1, 'continued'],
      [1, 1, 'interrupted'],
      [1, 2, 'continued'],
      [2, 1, 'succeeded'],
    ]);
    const redelivered = await delivery(page, 'reload-plain', 1, 2);
    await reportLatency(ctx, 'reload → reconnected client (new worker)', reconnectMs);
    await reportLatency(ctx, 'reload → step 1 running again as attempt 2', redelivered.startedAt! - t0);
  });

  it('with extendedLifetime: the same worker survives the reload and nothing is redelivered', async (ctx) => {
    const session = await browsers.launch();
    const page = await openApp(session, `${origin()}/e2e/fixtures/app.html?db=${DB}&extended=1`);
    const before = await liveWorkers(page, DB);
    expect(before).toHaveLength(1);
    await page.evaluate((input) => window.app.submit({ workflow: 'slow', input, runId: 'reload-extended' }), INPUT);
    await waitForRun(page, 'reload-extended', { state: 'running', stepNumber: 1 });

    const reconnectMs = await reloadPage(page);
    expect(await liveWorkers(page, DB)).toEqual(before);
    // The reloaded page sees the step still running in the worker, as the same delivery.
    expect(await waitForRun(page, 'reload-extended', { state: ['running', 'pending'] })).toMatchObject({ stepNumber: 1, attempts: 1 });

    const final = await waitForRun(page, 'reload-extended');
    expect(final).toMatchObject({ state: 'succeeded', stepNumber: 2, result: [0, 1, 2] });
    expect(await deliveries(page, 'reload-extended')).toEqual([
      [0, 1, 'continued'],
      [1, 1, 'continued'],
      [2, 1, 'succeeded'],
    ]);
    expect(await liveWorkers(page, DB)).toEqual(before);
    await reportLatency(ctx, 'reload → reconnected client (same extendedLifetime worker)', reconnectMs);
  });
});
