/**
 * The browser process is SIGKILLed in the middle of a step (no shutdown, nothing flushed) and
 * relaunched on the same profile: the run resumes from IndexedDB, the interrupted step is
 * redelivered as attempt 2 and the steps settled before the kill do not run again.
 */
import { describe, expect, it } from 'vitest';
import { waitForRun } from '../src/testing/page.ts';
import type {} from './fixtures/app.page.ts';
import { useE2eServer } from './support/harness.ts';
import { deliveries, delivery, openApp, reportLatency } from './support/runs.ts';

/** This file's port range: 27370–27379. */
const PORT = 27370;
const DB = 'browser-kill';

describe('a run survives a killed browser', () => {
  const { browsers, origin } = useE2eServer(PORT);

  it('resumes after the browser was SIGKILLed mid-step and relaunched on the same profile', async (ctx) => {
    const url = `${origin()}/e2e/fixtures/app.html?db=${DB}`;
    const first = await browsers.launch();
    const page = await openApp(first, url);
    await page.evaluate(() => window.app.submit({ workflow: 'slow', input: { steps: 3, stepMs: 1500 }, runId: 'killed' }));
    await waitForRun(page, 'killed', { state: 'running', stepNumber: 1 });

    const killedAt = Date.now();
    await first.kill();
    const relaunchedAt = Date.now();
    const second = await browsers.launch();
    const reopenedAt = Date.now();
    const again = await openApp(second, url);
    // Right after the relaunch the run is still at step 1 (running under a dead owner, or already recovered).
    expect(await waitForRun(again, 'killed', { state: ['running', 'pending'] })).toMatchObject({ stepNumber: 1 });

    const final = await waitForRun(again, 'killed');
    expect(final).toMatchObject({ state: 'succeeded', stepNumber: 2, result: [0, 1, 2] });
    expect(await deliveries(again, 'killed')).toEqual([
      [0, 1, 'continued'],
      [1, 1, 'interrupted'],
      [1, 2, 'continued'],
      [2, 1, 'succeeded'],
    ]);
    const redelivered = await delivery(again, 'killed', 1, 2);
    await reportLatency(ctx, 'SIGKILL → browser gone', relaunchedAt - killedAt);
    await reportLatency(ctx, 'relaunch → browser up', reopenedAt - relaunchedAt);
    await reportLatency(ctx, 'page opened → step 1 running again as attempt 2', redelivered.startedAt! - reopenedAt);
    await reportLatency(ctx, 'relaunch → step 1 running again as attempt 2', redelivered.startedAt! - relaunchedAt);
  });
});
