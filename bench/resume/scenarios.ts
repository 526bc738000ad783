/**
 * The resume benchmark's interruptions, one rep each, driven from Node through the bench page
 * (bench/resume/page.ts). Every rep starts from no open tab, submits a run whose step 0 holds
 * (runner entered as attempt 1, then waits), interrupts its executor, and times the runner's
 * entry as attempt 2 in the next executor; then it cancels the run so the next rep recovers a
 * single claim. Each scenario has its own database (hence its own locks and worker).
 *
 * - reload:   the only tab reloads (no extendedLifetime: the worker dies with it); t0 = the call
 * - reopen:   every tab closes, a pause, one tab opens; t0 = the new document's navigation start
 * - crash:    two tabs, the worker's creator tab crashes (CDP Page.crash); t0 = the crash call
 * - fallback: no SharedWorker, two tabs with a dedicated worker each, the executor's tab
 *             closes; t0 = the close call
 */
import type { Page } from 'playwright-core';
import type { ChromiumSession } from '../../src/testing/browser.ts';
import { now, type MarksSnapshot, type WorkerMarks } from './marks.ts';
import { samplePhases, type SampleDetail, type Scenario } from './phases.ts';
import type {} from './page.ts';

export interface RepContext {
  session: ChromiumSession;
  /** Origin + page path. */
  pageUrl: string;
  timeoutMs: number;
  /** Pause between closing every tab and reopening one (reopen). */
  reopenDelayMs: number;
  /** Pause after the step entered, before the interruption (the executor goes idle). */
  settleMs: number;
}

export interface Sample extends SampleDetail {
  ms: number;
  /** Other spans of the same rep (e.g. reload → client connected). */
  extra: Record<string, number>;
  /** The rest of the machine's CPU share just before the rep (bench/resume/quiet.ts). */
  busyBefore?: number;
}

const HOLD_MS = 600_000;
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
let seq = 0;

async function closeAll(ctx: RepContext): Promise<void> {
  for (const page of ctx.session.context.pages()) await page.close();
}

/** No tab open, and time for the last rep's workers to end (a worker ends 20–40 ms after its last tab, once ~200 ms). */
async function fresh(ctx: RepContext): Promise<void> {
  await closeAll(ctx);
  await sleep(300);
}

async function newTab(ctx: RepContext): Promise<Page> {
  const page = await ctx.session.newPage();
  page.on('pageerror', (e) => process.stderr.write(`\n[page error] ${e.message}\n`));
  return page;
}

async function openPage(ctx: RepContext, db: string, fallback = false): Promise<Page> {
  const page = await newTab(ctx);
  await page.goto(`${ctx.pageUrl}?db=${db}${fallback ? '&fallback=1' : ''}`, { waitUntil: 'load', timeout: ctx.timeoutMs });
  await page.evaluate(() => window.resumeBench.client.mode);
  return page;
}

/** Submits a holding run through `page` and waits for its runner's first entry. */
async function startRun(ctx: RepContext, page: Page): Promise<string> {
  const runId = `hold-${Date.now().toString(36)}-${seq++}`;
  await page.evaluate(
    async ({ runId, holdMs, timeoutMs }) => {
      await window.resumeBench.client.submit({ workflow: 'hold', input: { holdMs }, runId });
      await window.resumeBench.waitRunner(runId, 1, timeoutMs);
    },
    { runId, holdMs: HOLD_MS, timeoutMs: ctx.timeoutMs },
  );
  await sleep(ctx.settleMs);
  return runId;
}

/** Waits, in `page`, for the redelivery (attempt 2); returns its worker's marks and the page's snapshot. */
async function redelivered(ctx: RepContext, page: Page, runId: string): Promise<{ w: WorkerMarks; snap: MarksSnapshot; runnerAt: number }> {
  const { w, snap } = await page.evaluate(
    async ({ runId, timeoutMs }) => {
      const w = await window.resumeBench.waitRunner(runId, 2, timeoutMs);
      await window.resumeBench.client.mode;
      return { w, snap: window.resumeBench.snapshot() };
    },
    { runId, timeoutMs: ctx.timeoutMs },
  );
  const runnerAt = w.runners.find((r) => r.runId === runId && r.attempt === 2)!.at;
  return { w, snap, runnerAt };
}

async function endRun(page: Page, runId: string): Promise<void> {
  await page.evaluate(async (id) => {
    await window.resumeBench.client.cancel(id);
    await window.resumeBench.client.wait(id, { timeoutMs: 10_000 });
  }, runId);
}

function sample(scenario: Scenario, t0: number, r: { w: WorkerMarks; snap: MarksSnapshot; runnerAt: number }, extra: Record<string, number> = {}): Sample {
  return { ms: r.runnerAt - t0, extra, ...samplePhases(scenario, t0, r.snap, r.w, r.runnerAt) };
}

export async function reloadRep(ctx: RepContext): Promise<Sample> {
  await fresh(ctx);
  const page = await openPage(ctx, 'resume-reload');
  const runId = await startRun(ctx, page);
  const t0 = now();
  await page.reload({ waitUntil: 'load', timeout: ctx.timeoutMs });
  const r = await redelivered(ctx, page, runId);
  await endRun(page, runId);
  return sample('reload', t0, r, { connected: r.snap.page.connected! - t0 });
}

export async function reopenRep(ctx: RepContext, delayMs = ctx.reopenDelayMs): Promise<Sample> {
  await fresh(ctx);
  const first = await openPage(ctx, 'resume-reopen');
  const runId = await startRun(ctx, first);
  const closedAt = now();
  await closeAll(ctx);
  await sleep(delayMs);
  const page = await newTab(ctx);
  const opened = now();
  await page.goto(`${ctx.pageUrl}?db=resume-reopen`, { waitUntil: 'load', timeout: ctx.timeoutMs });
  const r = await redelivered(ctx, page, runId);
  await endRun(page, runId);
  const t0 = r.snap.page.timeOrigin;
  return sample('reopen', t0, r, { fromGoto: r.runnerAt - opened, fromClose: r.runnerAt - closedAt, connected: r.snap.page.connected! - t0 });
}

export async function crashRep(ctx: RepContext): Promise<Sample> {
  await fresh(ctx);
  const creator = await openPage(ctx, 'resume-crash'); // its page load starts the SharedWorker
  const other = await openPage(ctx, 'resume-crash');
  const runId = await startRun(ctx, other);
  const cdp = await ctx.session.context.newCDPSession(creator);
  const crashed = creator.waitForEvent('crash', { timeout: ctx.timeoutMs });
  const t0 = now();
  cdp.send('Page.crash').catch(() => undefined); // never answers: the renderer is gone
  const r = await redelivered(ctx, other, runId);
  await crashed;
  await endRun(other, runId);
  return sample('crash', t0, r);
}

export async function fallbackRep(ctx: RepContext): Promise<Sample> {
  await fresh(ctx);
  const executor = await openPage(ctx, 'resume-fallback', true);
  await executor.evaluate((timeoutMs) => window.resumeBench.waitExecuting(timeoutMs), ctx.timeoutMs);
  const other = await openPage(ctx, 'resume-fallback', true);
  const runId = await startRun(ctx, other);
  const t0 = now();
  await executor.close();
  const r = await redelivered(ctx, other, runId);
  await endRun(other, runId);
  return sample('fallback', t0, r);
}
