/**
 * Storage full, for real: the origin's quota is set to
 * 16 MiB through CDP (`Storage.overrideQuotaForOrigin`) and a filler database takes what is left,
 * until IndexedDB refuses even a 1 KiB write with `QuotaExceededError`. Then:
 * - a submission rejects `QuotaExceeded` (transient), and wrote nothing: a dump of every store,
 *   read with the raw IndexedDB API, is unchanged, so no run, no job, no KV write;
 * - a run whose step was running when the disk filled up is not corrupted: its settlement
 *   (which carries a 32 KiB payload for the next step) cannot commit, so the run stays at that
 *   step with nothing of the settlement applied, and the executor retries the settlement with
 *   backoff (src/runtime/executor.ts), or gives the step up to redelivery after its lease;
 * - once space is freed (the filler deleted), the run finishes with every step settled once and
 *   its effects applied once, and the same submission that was refused now succeeds.
 *
 * And `navigator.storage.persist()`: false in headless Chromium, true once `durableStorage` is
 * granted to the origin through CDP `Browser.grantPermissions` (see docs/platform.md). Both
 * results are printed.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { TestContext } from 'vitest';
import type { CDPSession, Page } from 'playwright-core';
import type { ChromiumSession } from '../src/testing/browser.ts';
import { waitForRun } from '../src/testing/page.ts';
import type {} from './fixtures/hardening.page.ts';
import { openFixture, pollUntil, useE2eServer } from './support/harness.ts';
import { startLedger, type Ledger } from './support/ledger.ts';

/** This file's port range: 27710–27719 (dev server 27710, ledger 27711). */
const PORT = 27710;
const LEDGER_PORT = 27711;

async function note(ctx: TestContext, line: string): Promise<void> {
  console.log(line);
  await ctx.annotate(line, 'result');
}

/**
 * Opens `url` with the origin's quota overridden to `quotaSize` from the start. The override
 * must come before the origin first touches IndexedDB: an IndexedDB bucket already in use keeps
 * a cached "space remaining" (from the real, multi-GB quota) and spends it before asking the
 * quota manager again. Overriding to 4 MiB after the worker had opened its database let a
 * filler write 1.5 GB before the first QuotaExceededError (observed, Chromium 156).
 */
async function withQuota(session: ChromiumSession, quotaSize: number, url: string): Promise<{ page: Page; cdp: CDPSession }> {
  const page = await session.newPage();
  const cdp = await session.context.newCDPSession(page);
  await cdp.send('Storage.overrideQuotaForOrigin', { origin: new URL(url).origin, quotaSize });
  await page.goto(url);
  await page.waitForFunction(() => document.title === 'ready', undefined, { timeout: 30_000 });
  await page.evaluate(() => window.app.mode);
  return { page, cdp };
}

describe('storage full (a real QuotaExceededError)', () => {
  const { browsers, origin } = useE2eServer(PORT);
  let ledger: Ledger;
  beforeAll(async () => {
    ledger = await startLedger(LEDGER_PORT);
  });
  afterAll(() => ledger?.close());

  it('refuses submissions QuotaExceeded writing nothing, keeps a run in flight intact, and resumes once space is freed', async (ctx) => {
    const session = await browsers.launch();
    const db = 'quota';
    // A 20 s lease: long enough for the gated step to wait while the disk is filled.
    const { page, cdp } = await withQuota(session, 16 * 1024 * 1024, `${origin()}/e2e/fixtures/hardening.html?db=${db}&leaseMs=20000&ledger=${encodeURIComponent(ledger.url)}`);

    // A run in flight: step 0 is parked on the ledger's gate until the disk is full.
    const input = { steps: 3, stepMs: 20, padBytes: 32 * 1024, gate: true };
    await page.evaluate((input) => window.app.submit({ workflow: 'work', runId: 'inflight', input }), input);
    await ledger.waitFor((_, gated) => gated.includes('inflight/0'));

    // Fill the disk: a filler database takes what is left of the 16 MiB.
    const { usage } = await page.evaluate(async () => ({ usage: (await navigator.storage.estimate()).usage ?? 0 }));
    const fill = await page.evaluate(() => window.fillStorage());
    expect(fill.stoppedBy).toBe('QuotaExceededError');
    expect(fill.bytes).toBeLessThan(16 * 1024 * 1024); // the override was in force
    await note(ctx, `[quota] quota 16 MiB, usage before ${usage} B; the filler wrote ${fill.bytes} B in ${fill.records} records before QuotaExceededError`);

    // A submission while the disk is full is refused, transient, and writes nothing.
    const before = await page.evaluate(() => window.dumpDb());
    const refused = { workflow: 'work', runId: 'refused', input: { steps: 1, stepMs: 1, note: 'y'.repeat(8 * 1024) }, kvWrites: { 'app/a': '1' } };
    const err = await page.evaluate(
      (spec) =>
        window.app.submit(spec).then(
          () => null,
          (e: Error & { isPermanent?: () => boolean }) => ({ name: e.name, message: e.message, permanent: e.isPermanent?.() }),
        ),
      refused,
    );
    expect(err).toMatchObject({ name: 'QuotaExceeded', permanent: false });
    expect(await page.evaluate(() => window.dumpDb())).toEqual(before);
    expect(await page.evaluate(() => window.app.status('refused'))).toBeUndefined();
    const storesWhileFull = (await page.evaluate(() => window.dumpDb()))!;
    expect((storesWhileFull['kv'] as { key: string }[]).map((k) => k.key)).not.toContain('app/a');

    // A settlement while the disk is full: let step 0 return. It cannot commit: the run stays at step 0, claimed,
    // with no history, no step 1 and no effect, however long the disk stays full.
    ledger.release('inflight/0');
    await ledger.waitFor((records) => records.some((r) => r.kind === 'exit' && r.runId === 'inflight' && r.step === 0));
    await new Promise((r) => setTimeout(r, 1500)); // the first settlement retries (50, 250, 1000 ms) fail meanwhile
    expect(await page.evaluate(() => window.app.status('inflight'))).toMatchObject({ state: 'running', stepNumber: 0, attempts: 1 });
    const full = (await page.evaluate(() => window.dumpDb()))!;
    expect(full['history']).toEqual([]);
    expect((full['jobs'] as { runId?: string }[]).filter((j) => j.runId === 'inflight')).toHaveLength(1);
    expect((full['kv'] as { key: string }[]).filter((k) => k.key.startsWith('app/inflight/'))).toEqual([]);

    // Free the space: the run finishes, every step settled once, each effect applied once.
    await page.evaluate(() => window.freeStorage());
    for (const step of [1, 2]) ledger.release(`inflight/${step}`);
    const done = await waitForRun(page, 'inflight', { timeoutMs: 60_000 });
    expect(done).toMatchObject({ state: 'succeeded', result: [0, 1, 2] });
    const history = (await page.evaluate(() => window.app.history('inflight'))).map((h) => [h.stepNumber, h.attempt, h.outcome]);
    const settled = history.filter(([, , o]) => o === 'continued' || o === 'succeeded');
    expect(settled.map(([s, , o]) => [s, o])).toEqual([
      [0, 'continued'],
      [1, 'continued'],
      [2, 'succeeded'],
    ]);
    // Step 0 either settled on a retry of its settlement (the runner ran once), or its claim was
    // given up and redelivered after the lease (attempt 1 shows why, attempt 2 settled).
    const step0 = history.filter(([s]) => s === 0);
    const enters0 = ledger.records.filter((r) => r.kind === 'enter' && r.runId === 'inflight' && r.step === 0).length;
    if (step0.length === 1) {
      expect(step0).toEqual([[0, 1, 'continued']]);
      expect(enters0).toBe(1);
    } else {
      expect(step0).toEqual([
        [0, 1, expect.stringMatching(/^(leaseExpired|interrupted)$/) as unknown as string],
        [0, 2, 'continued'],
      ]);
      expect(enters0).toBe(2);
    }
    await note(ctx, `[quota] step 0 of the run in flight: ${JSON.stringify(step0)}; runner entered ${enters0} time(s)`);
    const kv = await page.evaluate(() => window.dumpDb()).then((d) => (d!['kv'] as { key: string; value: unknown }[]).filter((k) => k.key.startsWith('app/inflight/')));
    expect(kv.map((k) => k.key)).toEqual(['app/inflight/0', 'app/inflight/1', 'app/inflight/2']);

    // The submission refused earlier now goes through, and so does a new one.
    expect(await page.evaluate((spec) => window.app.submit(spec), refused)).toEqual({ runId: 'refused', newlySubmitted: true });
    expect(await waitForRun(page, 'refused')).toMatchObject({ state: 'succeeded' });
    expect(await page.evaluate(() => window.app.submit({ workflow: 'work', runId: 'fresh', input: { steps: 2, stepMs: 5 } }))).toEqual({ runId: 'fresh', newlySubmitted: true });
    expect(await waitForRun(page, 'fresh')).toMatchObject({ state: 'succeeded', result: [0, 1] });
    const after = (await page.evaluate(() => window.dumpDb()))!;
    expect((after['kv'] as { key: string; value: unknown }[]).find((k) => k.key === 'app/a')).toEqual({ key: 'app/a', value: '1' });
    await cdp.send('Storage.overrideQuotaForOrigin', { origin: origin() }); // back to the real quota
  });

  it('a disk that stays full past the lease: the settlement is given up, nothing applied; after space is freed the step is redelivered once', async (ctx) => {
    const session = await browsers.launch();
    const leaseMs = 10_000;
    const { page } = await withQuota(session, 16 * 1024 * 1024, `${origin()}/e2e/fixtures/hardening.html?db=quota-long&leaseMs=${leaseMs}&reapMs=500&ledger=${encodeURIComponent(ledger.url)}`);
    await page.evaluate(() => window.app.submit({ workflow: 'work', runId: 'stuck', input: { steps: 2, stepMs: 20, padBytes: 32 * 1024, gate: true } }));
    await ledger.waitFor((_, gated) => gated.includes('stuck/0'));
    expect((await page.evaluate(() => window.fillStorage())).stoppedBy).toBe('QuotaExceededError');
    ledger.release('stuck/0');
    await ledger.waitFor((records) => records.some((r) => r.kind === 'exit' && r.runId === 'stuck' && r.step === 0));
    const enter = ledger.records.find((r) => r.kind === 'enter' && r.runId === 'stuck')!;
    const exit = ledger.records.find((r) => r.kind === 'exit' && r.runId === 'stuck')!;
    // Stay full until the lease has run out and the settlement's retries (50 ms … 4 s, 5.3 s in
    // all) are spent: worker and test read the same system clock.
    const until = Math.max(enter.t + leaseMs + 2_000, exit.t + 7_000);
    await new Promise((r) => setTimeout(r, Math.max(0, until - Date.now())));
    expect(await page.evaluate(() => window.app.status('stuck'))).toMatchObject({ state: 'running', stepNumber: 0, attempts: 1 });
    const full = (await page.evaluate(() => window.dumpDb()))!;
    expect(full['history']).toEqual([]);
    expect((full['jobs'] as { runId?: string }[]).filter((j) => j.runId === 'stuck')).toHaveLength(1);
    expect(full['kv']).toEqual([]);

    await page.evaluate(() => window.freeStorage());
    ledger.release('stuck/1');
    expect(await waitForRun(page, 'stuck', { timeoutMs: 60_000 })).toMatchObject({ state: 'succeeded', result: [0, 1] });
    const history = (await page.evaluate(() => window.app.history('stuck'))).map((h) => [h.stepNumber, h.attempt, h.outcome]);
    expect(history).toEqual([
      [0, 1, 'leaseExpired'],
      [0, 2, 'continued'],
      [1, 1, 'succeeded'],
    ]);
    const enters = ledger.records.filter((r) => r.kind === 'enter' && r.runId === 'stuck').map((r) => [r.step, r.attempt]);
    expect(enters).toEqual([
      [0, 1],
      [0, 2],
      [1, 1],
    ]);
    const kv = (await page.evaluate(() => window.dumpDb()))!['kv'];
    expect(kv).toEqual([
      { key: 'app/stuck/0', value: 2 },
      { key: 'app/stuck/1', value: 1 },
    ]);
    await note(ctx, `[quota] full for ${Math.round((Date.now() - exit.t) / 1000)} s after the step returned: history ${JSON.stringify(history)}`);
  });

  it('a submission that alone exceeds what is left fails QuotaExceeded; smaller work still runs', async () => {
    const session = await browsers.launch();
    const { page } = await withQuota(session, 2 * 1024 * 1024, `${origin()}/e2e/fixtures/hardening.html?db=quota-big&maxBytes=${8 * 1024 * 1024}`);
    const before = await page.evaluate(() => window.dumpDb());
    // 4 MB of incompressible input, within maxPayloadBytes but not within the quota.
    const name = await page.evaluate(async () => {
      return window.app.submit({ workflow: 'work', runId: 'too-big', input: { steps: 1, stepMs: 1, blob: window.noise(4 * 1024 * 1024) } }).then(
        () => 'resolved',
        (e: Error) => e.name,
      );
    });
    expect(name).toBe('QuotaExceeded');
    expect(await page.evaluate(() => window.dumpDb())).toEqual(before);
    await page.evaluate(() => window.app.submit({ workflow: 'work', runId: 'small', input: { steps: 2, stepMs: 5 } }));
    expect(await waitForRun(page, 'small')).toMatchObject({ state: 'succeeded', result: [0, 1] });
    await pollUntil(() => page.evaluate(() => window.app.status('too-big')), (s) => s === undefined, 1000);
  });

  it('navigator.storage.persist(): false in headless Chromium, true once durableStorage is granted through CDP', async (ctx) => {
    const session = await browsers.launch();
    const page = await openFixture(session, `${origin()}/e2e/fixtures/hardening.html?db=persist`);
    const plain = await page.evaluate(() => window.persist());
    await note(ctx, `[persist] headless, nothing granted: persist() = ${plain.persist}, persisted() = ${plain.persisted}`);
    expect(plain).toEqual({ persist: false, persisted: false });
    const browser = session.context.browser();
    if (!browser) throw new Error('the session has no Browser');
    const cdp = await browser.newBrowserCDPSession();
    await cdp.send('Browser.grantPermissions', { origin: origin(), permissions: ['durableStorage'] });
    const granted = await page.evaluate(() => window.persist());
    await note(ctx, `[persist] after CDP Browser.grantPermissions(durableStorage): persist() = ${granted.persist}, persisted() = ${granted.persisted}`);
    expect(granted).toEqual({ persist: true, persisted: true });
    await cdp.detach();
  });
});
