/**
 * Control and inspection from a page, against durable state:
 * - `cancel` aborts a running step's `step.signal` in the worker: the run ends
 *   `cancelled` long before the step's own time is up;
 * - `status` right after a reload (a new worker) is right for a running, a scheduled and a
 *   waiting run, and `cancel`/`sendEvent` work on them at once;
 * - a delayed step still runs at its due time on the runtime clock after a reload, driven
 *   through the page with `advanceClock` (a MockClock worker).
 */
import { describe, expect, it } from 'vitest';
import type { RunStatus } from '../src/core/types.ts';
import { advanceClock, reloadPage, waitForRun } from '../src/testing/page.ts';
import type {} from './fixtures/app.page.ts';
import { useE2eServer } from './support/harness.ts';
import { deliveries, delivery, openApp, reportLatency } from './support/runs.ts';

/** This file's port range: 27390–27399. */
const PORT = 27390;
const DB = 'control';
const HOUR = 3_600_000;

/** What a status must keep across a reload: state and position, and what it is waiting for. */
const shape = (s: RunStatus) => ({ state: s.state, stepNumber: s.stepNumber, wakeAt: s.wakeAt, eventKey: s.eventKey });

describe('run control from a page', () => {
  const { browsers, origin } = useE2eServer(PORT);

  it('cancel aborts the running step through its signal and the run ends cancelled promptly', async (ctx) => {
    const session = await browsers.launch();
    const page = await openApp(session, `${origin()}/e2e/fixtures/app.html?db=${DB}`);
    const stepMs = 60_000;
    await page.evaluate((stepMs) => window.app.submit({ workflow: 'slow', input: { steps: 2, stepMs }, runId: 'cancel-me' }), stepMs);
    await waitForRun(page, 'cancel-me', { state: 'running', stepNumber: 0 });

    const t0 = Date.now();
    expect(await page.evaluate(() => window.app.cancel('cancel-me'))).toBe(true);
    const outcome = await page.evaluate(() => window.app.wait('cancel-me'));
    const elapsed = Date.now() - t0;
    expect(outcome).toMatchObject({ status: 'cancelled', finalStep: 0 });
    expect(outcome.error).toBeUndefined(); // an external cancel, not the runner's own
    expect(elapsed).toBeLessThan(5_000); // the 60 s step was cut short
    expect(await waitForRun(page, 'cancel-me')).toMatchObject({ state: 'cancelled', stepNumber: 0 });
    expect(await deliveries(page, 'cancel-me')).toEqual([[0, 1, 'cancelled']]);
    expect(await page.evaluate(() => window.app.cancel('cancel-me'))).toBe(false); // already ended
    await reportLatency(ctx, 'cancel → run cancelled (step aborted)', elapsed);
  });

  it('reports running, scheduled and waiting runs right after a reload, and acts on them', async () => {
    const session = await browsers.launch();
    const page = await openApp(session, `${origin()}/e2e/fixtures/app.html?db=${DB}`);
    await page.evaluate(async (hour) => {
      await window.app.submit({ workflow: 'slow', input: { steps: 1, stepMs: 4000 }, runId: 'is-running' });
      await window.app.submit({ workflow: 'delay', input: { delayMs: hour }, runId: 'is-scheduled' });
      await window.app.submit({ workflow: 'wait', input: { key: 'approval' }, runId: 'is-waiting' });
    }, HOUR);
    const before = {
      running: await waitForRun(page, 'is-running', { state: 'running', stepNumber: 0 }),
      scheduled: await waitForRun(page, 'is-scheduled', { state: 'scheduled', stepNumber: 1 }),
      waiting: await waitForRun(page, 'is-waiting', { state: 'waiting', stepNumber: 1 }),
    };
    expect(before.scheduled.wakeAt).toBeGreaterThan(Date.now() + HOUR - 60_000);
    expect(before.waiting.eventKey).toBe('approval');

    await reloadPage(page); // the only tab: a new worker, which knows the runs only from IndexedDB
    const [running, scheduled, waiting] = await page.evaluate(() => Promise.all(['is-running', 'is-scheduled', 'is-waiting'].map((id) => window.app.status(id))));
    // The running step's worker died with the reload: right after it, the step is still running
    // under its dead owner, or already recovered (pending), or redelivered (running, attempt 2).
    expect(['running', 'pending']).toContain(running!.state);
    expect(running).toMatchObject({ stepNumber: 0 });
    expect(shape(scheduled!)).toEqual(shape(before.scheduled));
    expect(shape(waiting!)).toEqual(shape(before.waiting));

    // They can be acted on at once, from durable state.
    expect(await page.evaluate(() => window.app.cancel('is-scheduled'))).toBe(true);
    expect(await waitForRun(page, 'is-scheduled')).toMatchObject({ state: 'cancelled', stepNumber: 1 });
    expect(await page.evaluate(() => window.app.sendEvent('approval', { ok: true }))).toBe('delivered');
    expect(await waitForRun(page, 'is-waiting')).toMatchObject({ state: 'succeeded', result: { ok: true } });
    expect(await waitForRun(page, 'is-running')).toMatchObject({ state: 'succeeded', result: [0] });
    expect(await deliveries(page, 'is-running')).toEqual([
      [0, 1, 'interrupted'],
      [0, 2, 'succeeded'],
    ]);
    expect(await deliveries(page, 'is-scheduled')).toEqual([
      [0, 1, 'scheduled'],
      [1, 0, 'cancelled'],
    ]);
    expect(await deliveries(page, 'is-waiting')).toEqual([
      [0, 1, 'waiting'],
      [1, 1, 'succeeded'],
    ]);
  });

  it('runs a delayed step at its due time on the runtime clock after a reload (advanceClock through the page)', async () => {
    const session = await browsers.launch();
    const page = await openApp(session, `${origin()}/e2e/fixtures/app.html?db=${DB}&clock=mock`);
    const t0 = await advanceClock(page, 0);
    await page.evaluate(() => window.app.submit({ workflow: 'delay', input: { delayMs: 60_000 }, runId: 'later' }));
    expect(await waitForRun(page, 'later', { state: 'scheduled', stepNumber: 1 })).toMatchObject({ wakeAt: t0 + 60_000 });

    await reloadPage(page); // a new worker, whose MockClock starts at t0 again
    expect(await advanceClock(page, 0)).toBe(t0);
    expect(await page.evaluate(() => window.app.status('later'))).toMatchObject({ state: 'scheduled', stepNumber: 1, wakeAt: t0 + 60_000 });
    await advanceClock(page, 59_000);
    await new Promise((r) => setTimeout(r, 300)); // give the executor a chance to (wrongly) run it early
    expect(await page.evaluate(() => window.app.status('later'))).toMatchObject({ state: 'scheduled', stepNumber: 1 });
    await advanceClock(page, 1_000);
    expect(await waitForRun(page, 'later', { timeoutMs: 10_000 })).toMatchObject({ state: 'succeeded', result: 'delayed', stepNumber: 1 });
    expect(await deliveries(page, 'later')).toEqual([
      [0, 1, 'scheduled'],
      [1, 1, 'succeeded'],
    ]);
    const step1 = await delivery(page, 'later', 1, 1);
    expect(step1.startedAt).toBeGreaterThanOrEqual(t0 + 60_000);
  });

  it('rejects calls Unavailable while the worker cannot start, without starving a page that retries at once', async () => {
    const session = await browsers.launch();
    const page = await openApp(session, `${origin()}/e2e/fixtures/app.html?db=${DB}`);
    // A worker script that does not load: every connection attempt fails, the client keeps trying.
    const seen = await page.evaluate(async () => {
      const client = window.appConnect({ url: new URL('/e2e/fixtures/missing.worker.ts', location.href), name: 'nowhere' });
      const t0 = Date.now();
      const names = new Set<string>();
      let calls = 0;
      // Retry at once, as a careless caller would: each call must still take a macrotask turn.
      while (Date.now() - t0 < 1_500) {
        calls++;
        await client.status('r').then(
          () => names.add('answered'),
          (e: Error) => names.add(e.name),
        );
      }
      client.close();
      return { calls, names: [...names] };
    });
    expect(seen.names).toEqual(['Unavailable']);
    expect(seen.calls).toBeGreaterThan(1);
    expect(seen.calls).toBeLessThan(100); // each call waited for the next connection attempt
  });
});
