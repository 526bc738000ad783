/**
 * Reading a run's deliveries and the live worker instances from a page, and reporting measured
 * latencies, for the "in the browser" e2e files.
 */
import type { TestContext } from 'vitest';
import type { Page } from 'playwright-core';
import type { AttemptRecord } from '../../src/core/types.ts';
import type { ChromiumSession } from '../../src/testing/browser.ts';
import type {} from '../fixtures/app.page.ts';
import { openFixture } from './harness.ts';

/** Opens the app fixture and waits until its client is connected to a worker. */
export async function openApp(session: ChromiumSession, url: string): Promise<Page> {
  const page = await openFixture(session, url);
  await page.evaluate(() => window.app.mode);
  return page;
}

/**
 * The run's deliveries as `[stepNumber, attempt, outcome]`, in order: one record per settled
 * delivery, plus one `interrupted` record per delivery abandoned by a dying worker (written when
 * the next executor recovers its claim), so a redelivered step shows attempt 1 `interrupted`,
 * then attempt 2.
 */
export async function deliveries(page: Page, runId: string): Promise<[number, number, string][]> {
  const history = await page.evaluate((id) => window.app.history(id), runId);
  return history.map((h) => [h.stepNumber, h.attempt, h.outcome]);
}

/** The settled delivery of `stepNumber` at `attempt` (for its `startedAt`). */
export async function delivery(page: Page, runId: string, stepNumber: number, attempt: number): Promise<AttemptRecord> {
  const history = await page.evaluate((id) => window.app.history(id), runId);
  const d = history.find((h) => h.stepNumber === stepNumber && h.attempt === attempt);
  if (!d) throw new Error(`run ${runId} has no settled delivery of step ${stepNumber} at attempt ${attempt}: ${JSON.stringify(history)}`);
  return d;
}

/**
 * Ids of the worker instances of `db` alive now, from the alive locks each one holds for its
 * life (`stepwise:<db>:alive:<instanceId>`). Same list before and after a reload = same worker.
 */
export async function liveWorkers(page: Page, db: string): Promise<string[]> {
  return page.evaluate(async (prefix) => {
    const { held = [] } = await navigator.locks.query();
    return held.map((l) => l.name ?? '').filter((n) => n.startsWith(prefix)).map((n) => n.slice(prefix.length)).sort();
  }, `stepwise:${db}:alive:`);
}

/** Whether some context holds the executor lock of `db`. */
export async function executorHeld(page: Page, db: string): Promise<boolean> {
  return page.evaluate(async (name) => ((await navigator.locks.query()).held ?? []).some((l) => l.name === name), `stepwise:${db}:executor`);
}

/** Prints a measured latency and attaches it to the test's result (reporters show annotations). */
export async function reportLatency(ctx: TestContext, label: string, ms: number): Promise<void> {
  const line = `[latency] ${label}: ${Math.round(ms)} ms`;
  console.log(line);
  await ctx.annotate(line, 'latency');
}
