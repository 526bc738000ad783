/**
 * A page that connects while the previous SharedWorker is still giving up the database and its
 * locks never sees a failed open: 100 rapid reloads of the only tab (each ends the worker and
 * starts another), then 100 close/reopen cycles of the client. Every call resolves, or rejects
 * only `Unavailable` that a retry fixes, and `status()` answers after each. A closed client
 * leaves no lock request queued behind it.
 */
import { describe, expect, it } from 'vitest';
import type { Page } from 'playwright-core';
import type {} from './fixtures/hardening.page.ts';
import { openFixture, useE2eServer } from './support/harness.ts';

/** This file's port range: 27750–27759. */
const PORT = 27750;

/** `status` through the page's client, retrying only `Unavailable`; any other rejection is returned. */
async function statusAnswers(page: Page): Promise<{ ok: boolean; unavailable: number; error?: string }> {
  return page.evaluate(async () => {
    let unavailable = 0;
    for (;;) {
      try {
        await window.app.status('probe');
        return { ok: true, unavailable };
      } catch (e) {
        const name = (e as Error).name;
        if (name !== 'Unavailable' || unavailable >= 20) return { ok: false, unavailable, error: `${name}: ${(e as Error).message}` };
        unavailable++;
      }
    }
  });
}

describe('connecting while the previous worker gives up', () => {
  const { browsers, origin } = useE2eServer(PORT);

  // Each reload fetches the page's modules from the dev server again: about 1 s a reload here.
  it('100 rapid reloads of the only tab: every status() answers, at worst after retrying Unavailable', { timeout: 240_000 }, async () => {
    const session = await browsers.launch();
    const page = await openFixture(session, `${origin()}/e2e/fixtures/app.html?db=storm`);
    await page.evaluate(() => window.app.submit({ workflow: 'slow', runId: 'storm', input: { steps: 1000, stepMs: 5 } }));
    let retried = 0;
    let slowest = 0;
    for (let i = 0; i < 100; i++) {
      const t0 = Date.now();
      await page.reload({ waitUntil: 'commit' });
      await page.waitForFunction(() => document.title === 'ready', undefined, { timeout: 30_000 });
      const r = await statusAnswers(page);
      expect(r, `reload ${i}`).toMatchObject({ ok: true });
      retried += r.unavailable;
      slowest = Math.max(slowest, Date.now() - t0);
    }
    const s = await page.evaluate(() => window.app.status('storm'));
    expect(s?.runId).toBe('storm');
    console.log(`[storm] 100 reloads: status answered after each (slowest reload to answer ${slowest} ms); Unavailable retried ${retried} times`);
  });

  it('100 close/reopen cycles of the client: every status() answers, and no lock request is left queued', async () => {
    const session = await browsers.launch();
    const page = await openFixture(session, `${origin()}/e2e/fixtures/app.html?db=cycles`);
    await page.evaluate(() => window.app.status('probe'));
    const before = await page.evaluate(async () => (await navigator.locks.query()).pending?.length ?? 0);
    for (let i = 0; i < 100; i++) {
      await page.evaluate(() => {
        window.app.close();
        window.app = window.appConnect();
      });
      const r = await statusAnswers(page);
      expect(r, `cycle ${i}`).toMatchObject({ ok: true });
    }
    // The clients closed above each queued on their worker's alive lock; a closed one withdraws it.
    const pending = await page.evaluate(async () => (await navigator.locks.query()).pending?.map((l) => l.name) ?? []);
    expect(pending.filter((n) => n?.includes(':alive:')).length).toBeLessThanOrEqual(1);
    expect(pending.length).toBeLessThanOrEqual(before + 1);
  });
});
