/**
 * Version skew and upgrades during a deploy, in real
 * Chromium, on one database:
 *
 * - Two builds side by side: an old tab runs build 1 of the worker, a new tab build 2 (two
 *   script URLs, hence two SharedWorker instances). 20 runs are submitted from both tabs, then
 *   the old tab closes mid-work (its worker dies, the new build takes the executor role over).
 *   Every run finishes, every step has exactly one settled delivery, and no two executions
 *   overlapped: each step reports enter/beat/exit, stamped with the worker's clock, to a ledger
 *   server outside the browser (memo-independent evidence), and the intervals of any two
 *   deliveries of different worker instances are disjoint.
 *
 * - A schema upgrade with runs in flight. The "newer release" is a real build:
 *   e2e/support/release.ts copies src/ with db.ts at one more schema version (a table and an
 *   index added, e2e/fixtures/schema-v2.ts). Either a page opens the database with that schema
 *   (src/store/open.ts), or a worker of the new release opens it, while the old worker is
 *   running steps. The old store gives way on `versionchange` (src/store/open.ts), its worker
 *   stops and ends itself (src/host/serve.ts), and the worker its tab reconnects to refuses the
 *   newer database: calls reject `Outdated` (reload), and write nothing. The runs in flight are
 *   kept, and the new release's worker recovers the abandoned claims and finishes them, each
 *   step settled once, while the old tab stays open.
 */
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import type { TestContext } from 'vitest';
import type { Page } from 'playwright-core';
import type { ChromiumSession } from '../src/testing/browser.ts';
import { startDevServer, type DevServer } from '../src/testing/server.ts';
import { waitForRun } from '../src/testing/page.ts';
import { DB_VERSION, TABLES } from '../src/store/db.ts';
import { nativeVersion } from '../src/store/open.ts';
import type {} from './fixtures/hardening.page.ts';
import { Browsers, openFixture, pollUntil } from './support/harness.ts';
import { startLedger, type Ledger, type LedgerRecord } from './support/ledger.ts';
import { makeRelease2, type Release } from './support/release.ts';

/** This file's port range: 27720–27729 (dev server 27720, ledger 27721). */
const PORT = 27720;
const LEDGER_PORT = 27721;

interface Interval {
  runId: string;
  step: number;
  attempt: number;
  instance: string;
  build: string;
  from: number;
  to: number;
  exited: boolean;
}

/** One interval per delivery: from its `enter` to its last `beat` or its `exit`. */
function intervals(records: readonly LedgerRecord[]): Interval[] {
  const byDelivery = new Map<string, Interval>();
  for (const r of records) {
    if (r.kind !== 'enter' && r.kind !== 'beat' && r.kind !== 'exit') continue;
    const key = `${r.instance}|${r.runId}|${r.step}|${r.attempt}`;
    const i = byDelivery.get(key) ?? { runId: r.runId, step: r.step!, attempt: r.attempt!, instance: r.instance, build: r.build, from: r.t, to: r.t, exited: false };
    i.from = Math.min(i.from, r.t);
    i.to = Math.max(i.to, r.t);
    if (r.kind === 'exit') i.exited = true;
    byDelivery.set(key, i);
  }
  return [...byDelivery.values()];
}

/** Pairs of intervals that overlap in time, given a filter on which pairs matter. */
function overlaps(all: Interval[], matters: (a: Interval, b: Interval) => boolean): [Interval, Interval][] {
  const out: [Interval, Interval][] = [];
  for (let i = 0; i < all.length; i++) {
    for (let j = i + 1; j < all.length; j++) {
      const a = all[i]!;
      const b = all[j]!;
      if (matters(a, b) && a.from <= b.to && b.from <= a.to) out.push([a, b]);
    }
  }
  return out;
}

/** The worker instance behind a page's client, asked on a raw port (hello). */
async function hello(page: Page): Promise<{ instanceId: string; executing: boolean }> {
  const replies = await page.evaluate(() => window.rawExchange([{ id: 'hello', type: 'APPLY', path: ['hello'], argumentList: [] }], 15_000));
  const value = (replies[0]?.data as { value?: { instanceId: string; executing: boolean } } | undefined)?.value;
  if (!value) throw new Error(`no hello from the worker: ${JSON.stringify(replies)}`);
  return value;
}

/** Settled deliveries of a run: what its history says each step ended with, interruptions left out. */
async function settledSteps(page: Page, runId: string): Promise<[number, string][]> {
  const h = await page.evaluate((id) => window.app.history(id), runId);
  return h.filter((r) => r.outcome !== 'interrupted' && r.outcome !== 'leaseExpired').map((r) => [r.stepNumber, r.outcome]);
}

/**
 * Checks the ledger against the stored history, run by run and step by step: one settled
 * delivery per step (history), every execution the ledger saw is a distinct attempt (no attempt
 * was delivered twice), the settled attempt is the last one and ran to its end, and every
 * earlier attempt is recorded as given up (interrupted by a dying worker, or lease expired).
 * @returns the settled executions, and those that were not: cut off midway, or finished but unsettled
 */
async function checkDeliveries(page: Page, runIds: readonly string[], spans: readonly Interval[], steps = 3): Promise<{ cut: Interval[]; unsettled: Interval[]; settled: Interval[] }> {
  const cut: Interval[] = [];
  const unsettled: Interval[] = [];
  const settledSpans: Interval[] = [];
  for (const runId of runIds) {
    const history = await page.evaluate((id) => window.app.history(id), runId);
    for (let step = 0; step < steps; step++) {
      const where = `${runId}/${step}`;
      const records = history.filter((h) => h.stepNumber === step);
      const settled = records.filter((h) => h.outcome !== 'interrupted' && h.outcome !== 'leaseExpired');
      expect(settled, where).toHaveLength(1);
      const runs = spans.filter((s) => s.runId === runId && s.step === step).sort((a, b) => a.attempt - b.attempt);
      expect(new Set(runs.map((s) => s.attempt)).size, `${where}: an attempt delivered twice ${JSON.stringify(runs)}`).toBe(runs.length);
      const last = runs[runs.length - 1];
      expect(last, where).toMatchObject({ attempt: settled[0]!.attempt, exited: true });
      settledSpans.push(last!);
      for (const earlier of runs.slice(0, -1)) {
        expect(records.find((h) => h.attempt === earlier.attempt)?.outcome, `${where} attempt ${earlier.attempt}`).toMatch(/^(interrupted|leaseExpired)$/);
        (earlier.exited ? unsettled : cut).push(earlier);
      }
    }
  }
  return { cut, unsettled, settled: settledSpans };
}

async function note(ctx: TestContext, line: string): Promise<void> {
  console.log(line);
  await ctx.annotate(line, 'result');
}

describe('version skew and schema upgrades during a deploy', () => {
  let server: DevServer;
  let ledger: Ledger;
  let release: Release;
  const browsers = new Browsers();
  beforeAll(async () => {
    release = await makeRelease2(process.cwd());
    server = await startDevServer({ port: PORT });
    ledger = await startLedger(LEDGER_PORT);
  });
  afterAll(async () => {
    await ledger?.close();
    await server?.close();
    await release?.remove();
  });
  beforeEach(async () => {
    ledger.records.length = 0;
    ledger.gated.length = 0;
    await browsers.freshProfile();
  });
  afterEach(() => browsers.closeAll());

  const url = (db: string, build: number) => `${server.origin}/e2e/fixtures/hardening.html?db=${db}&build=${build}&ledger=${encodeURIComponent(ledger.url)}`;

  async function openBuild(session: ChromiumSession, db: string, build: number): Promise<Page> {
    const page = await openFixture(session, url(db, build));
    await page.evaluate(() => window.app.mode);
    return page;
  }

  it('an old and a new build on one database: 20 runs finish, each step settled once, executions never overlap', async (ctx) => {
    const session = await browsers.launch();
    const db = 'skew';
    const oldTab = await openBuild(session, db, 1);
    // The old build is the executor before the new one arrives (as in a deploy).
    await pollUntil(() => hello(oldTab), (h) => h.executing, 15_000);
    const newTab = await openBuild(session, db, 2);
    const [v1, v2] = [await hello(oldTab), await hello(newTab)];
    expect(v1.instanceId).not.toBe(v2.instanceId); // two builds, two workers
    expect(v2.executing).toBe(false);

    const input = { steps: 3, stepMs: 300 };
    const ids = Array.from({ length: 20 }, (_, i) => `skew-${String(i).padStart(2, '0')}`);
    const submitted = await Promise.all([
      oldTab.evaluate(({ ids, input }) => Promise.all(ids.map((runId) => window.app.submit({ workflow: 'work', runId, input }))), { ids: ids.slice(0, 10), input }),
      newTab.evaluate(({ ids, input }) => Promise.all(ids.map((runId) => window.app.submit({ workflow: 'work', runId, input }))), { ids: ids.slice(10), input }),
      // Submission idempotency across builds: the same run id and input from both tabs.
      oldTab.evaluate((input) => window.app.submit({ workflow: 'work', runId: 'skew-both', input }), input),
      newTab.evaluate((input) => window.app.submit({ workflow: 'work', runId: 'skew-both', input }), input),
    ]);
    expect([...submitted[0], ...submitted[1]].every((s) => s.newlySubmitted)).toBe(true);
    expect([submitted[2].newlySubmitted, submitted[3].newlySubmitted].sort()).toEqual([false, true]);
    const all = [...ids, 'skew-both'];

    // Mid-work, once the old build has settled steps of at least 10 runs, the old tab goes away
    // (the deploy): its worker dies with steps in flight.
    await pollUntil(() => newTab.evaluate(async () => (await window.app.list({ limit: 100 })).runs.filter((r) => r.stepNumber >= 1).length), (n) => n >= 10, 60_000);
    await oldTab.close();
    await pollUntil(() => hello(newTab), (h) => h.executing, 30_000);

    for (const runId of all) expect(await waitForRun(newTab, runId, { timeoutMs: 90_000 }), runId).toMatchObject({ state: 'succeeded', result: [0, 1, 2] });
    for (const runId of all) expect(await settledSteps(newTab, runId), runId).toEqual([[0, 'continued'], [1, 'continued'], [2, 'succeeded']]);

    const spans = intervals(ledger.records);
    const { cut, unsettled, settled } = await checkDeliveries(newTab, all, spans);
    expect(new Set(settled.map((s) => s.build))).toEqual(new Set(['1', '2'])); // both builds settled steps
    // No two deliveries of one step ever ran at once, and no two instances ran anything at once
    // (one executor at a time, whatever the build).
    expect(overlaps(spans, (a, b) => a.runId === b.runId && a.step === b.step)).toEqual([]);
    expect(overlaps(spans, (a, b) => a.instance !== b.instance)).toEqual([]);
    expect(new Set(spans.map((s) => s.build))).toEqual(new Set(['1', '2'])); // both builds executed steps
    // What the old worker's death cut off was redelivered by the new build, attempt + 1.
    for (const c of [...cut, ...unsettled]) {
      expect(c.build, JSON.stringify(c)).toBe('1');
      expect(spans.find((f) => f.exited && f.runId === c.runId && f.step === c.step && f.attempt === c.attempt + 1), JSON.stringify(c)).toMatchObject({ build: '2' });
    }
    // Every run's terminal hook ran (at least once: hooks are at-least-once).
    const hooks = ledger.records.filter((r) => r.kind === 'hook');
    expect(new Set(hooks.map((h) => h.runId))).toEqual(new Set(all));
    const kv = (await newTab.evaluate(() => window.dumpDb()))!['kv'] as { key: string }[];
    expect(kv.map((k) => k.key).sort()).toEqual(all.flatMap((r) => [0, 1, 2].map((s) => `app/${r}/${s}`)).sort());
    await note(
      ctx,
      `[skew] deliveries: build 1 ${spans.filter((s) => s.build === '1').length} (${settled.filter((s) => s.build === '1').length} settled), build 2 ${spans.filter((s) => s.build === '2').length}; ` +
        `cut off by the old worker's death and redelivered: ${cut.length} (finished but unsettled: ${unsettled.length}); hook calls ${hooks.length} for ${all.length} runs`,
    );
  });

  it('each build with a workflow the other lacks, both tabs open: the executor role changes hands and every run succeeds once', async (ctx) => {
    const session = await browsers.launch();
    const db = 'skew-lacks';
    const oldTab = await openBuild(session, db, 1);
    await pollUntil(() => hello(oldTab), (h) => h.executing, 15_000);
    const newTab = await openBuild(session, db, 2);
    expect((await hello(newTab)).executing).toBe(false);

    // A run lasts longer than an executor's shortest turn (2 s), so the old-only runs cannot all end
    // in the old build's first turn: their later steps need the role to come back to it.
    const input = { steps: 3, stepMs: 1000 };
    const kinds = { work: 'shared', onlyOld: 'old', onlyNew: 'new' } as const;
    const runs = (['work', 'onlyOld', 'onlyNew'] as const).flatMap((workflow) => Array.from({ length: 6 }, (_, i) => ({ workflow, runId: `${kinds[workflow]}-${i}` })));
    // Each run is submitted from the tab whose build knows its workflow; the shared ones from both.
    const fromOld = runs.filter((r) => r.workflow === 'onlyOld' || (r.workflow === 'work' && Number(r.runId.slice(-1)) % 2 === 0));
    const fromNew = runs.filter((r) => !fromOld.includes(r));
    const submitted = await Promise.all([
      oldTab.evaluate(({ runs, input }) => Promise.all(runs.map((r) => window.app.submit({ ...r, input }))), { runs: fromOld, input }),
      newTab.evaluate(({ runs, input }) => Promise.all(runs.map((r) => window.app.submit({ ...r, input }))), { runs: fromNew, input }),
    ]);
    expect(submitted.flat().every((s) => s.newlySubmitted)).toBe(true);
    const all = runs.map((r) => r.runId);

    for (const runId of all) expect(await waitForRun(newTab, runId, { timeoutMs: 90_000 }), runId).toMatchObject({ state: 'succeeded', result: [0, 1, 2] });
    for (const runId of all) expect(await settledSteps(newTab, runId), runId).toEqual([[0, 'continued'], [1, 'continued'], [2, 'succeeded']]);
    expect(await newTab.evaluate(() => window.app.deadJobs())).toEqual([]);

    const spans = intervals(ledger.records);
    const { cut, unsettled } = await checkDeliveries(newTab, all, spans);
    // A handover waits for the steps in flight: nothing was cut off or redelivered.
    expect([...cut, ...unsettled]).toEqual([]);
    expect(overlaps(spans, (a, b) => a.runId === b.runId && a.step === b.step)).toEqual([]);
    expect(overlaps(spans, (a, b) => a.instance !== b.instance)).toEqual([]);
    // Each build ran exactly what it knows, the shared workflow by either.
    for (const s of spans) {
      if (s.runId.startsWith('old-')) expect(s.build, JSON.stringify(s)).toBe('1');
      if (s.runId.startsWith('new-')) expect(s.build, JSON.stringify(s)).toBe('2');
    }
    // The role changed hands: old, then new, then old again at least (the old-only runs' later steps).
    const order = [...spans].sort((a, b) => a.from - b.from).map((s) => s.build);
    const turns = order.filter((b, i) => i === 0 || b !== order[i - 1]);
    expect(turns.length).toBeGreaterThanOrEqual(3);
    expect(turns[0]).toBe('1');
    const hooks = ledger.records.filter((r) => r.kind === 'hook');
    expect(new Set(hooks.map((h) => h.runId))).toEqual(new Set(all));
    await note(ctx, `[skew] ${all.length} runs of three workflows, executor turns ${turns.join('→')} (${turns.length}); hook calls ${hooks.length}`);
  });

  /** Polls a page's client until a call rejects with `name` (the old release learning it is outdated). */
  async function rejectsWith(page: Page, name: string): Promise<{ name: string; message: string }> {
    return pollUntil(
      () => page.evaluate(() => window.app.status('probe').then(() => ({ name: 'resolved', message: '' }), (e: Error) => ({ name: e.name, message: e.message }))),
      (r) => r.name === name,
      30_000,
    );
  }

  it('a schema upgrade from a page with runs in flight: the old worker gives way, the runs are kept and finish under the newer release', async (ctx) => {
    const session = await browsers.launch();
    const db = 'upgrade';
    const oldTab = await openBuild(session, db, 1);
    await pollUntil(() => hello(oldTab), (h) => h.executing, 15_000);
    const ids = Array.from({ length: 6 }, (_, i) => `up-${i}`);
    await oldTab.evaluate((ids) => Promise.all(ids.map((runId) => window.app.submit({ workflow: 'work', runId, input: { steps: 3, stepMs: 400 } }))), ids);
    await ledger.waitFor((records) => records.filter((r) => r.kind === 'exit').length >= 3, 60_000);
    const before = (await oldTab.evaluate(() => window.dumpDb()))!;

    // The upgrade: the page opens the database with the next version's schema while the old
    // worker is connected and running steps. It must not be blocked by the old connection.
    const t0 = Date.now();
    const upgraded = await oldTab.evaluate(() => window.upgradeSchema());
    const upgradeMs = Date.now() - t0;
    expect(upgraded).toEqual({ version: DB_VERSION + 1, tables: [...TABLES, 'audit'].sort() });
    expect(upgradeMs).toBeLessThan(30_000);
    await note(ctx, `[upgrade] the page upgraded the database to version ${DB_VERSION + 1} in ${upgradeMs} ms with the old worker connected`);

    // The old release gives way: its worker stops and ends itself, and the worker its page
    // reconnects to refuses the newer database: calls reject Outdated (named; reload).
    const outdated = await rejectsWith(oldTab, 'Outdated');
    const exitsThen = ledger.records.filter((r) => r.kind === 'exit').length;
    await note(ctx, `[upgrade] the old release's page now gets ${outdated.name}: ${outdated.message}`);
    const submitOld = await oldTab.evaluate(() => window.app.submit({ workflow: 'work', runId: 'from-old', input: { steps: 1, stepMs: 1 } }).then(() => 'resolved', (e: Error) => e.name));
    expect(submitOld).toBe('Outdated');

    // Nothing was lost, nothing of the old release's last deliveries is half-applied, and the new
    // table is there. No release-2 worker runs yet, so nothing moves.
    await new Promise((r) => setTimeout(r, 1_000));
    expect(ledger.records.filter((r) => r.kind === 'exit').length).toBe(exitsThen);
    const kept = (await oldTab.evaluate(() => window.dumpDb()))!;
    expect((kept['runs'] as { runId: string }[]).map((r) => r.runId).sort()).toEqual((before['runs'] as { runId: string }[]).map((r) => r.runId).sort());
    expect(kept['audit']).toEqual([]);

    // A tab of the newer release (its worker lists one more schema version) takes over while the old
    // tab stays open: it recovers the abandoned claims and finishes every run.
    const newTab = await openFixture(session, `${url(db, 2)}&worker=${encodeURIComponent(release.workerPath)}`);
    await pollUntil(() => hello(newTab), (h) => h.executing, 30_000);
    for (const runId of ids) expect(await waitForRun(newTab, runId, { timeoutMs: 90_000 }), runId).toMatchObject({ state: 'succeeded', result: [0, 1, 2] });
    for (const runId of ids) expect(await settledSteps(newTab, runId), runId).toEqual([[0, 'continued'], [1, 'continued'], [2, 'succeeded']]);
    const spans = intervals(ledger.records);
    expect(overlaps(spans, (a, b) => a.runId === b.runId && a.step === b.step)).toEqual([]);
    expect(overlaps(spans, (a, b) => a.instance !== b.instance)).toEqual([]);
    // A step the old worker was running when it gave way either was cut off, or ran to its end
    // and then failed to settle (its connection was closed: nothing applied). Either way the
    // newer release redelivered it, attempt + 1, and only that delivery settled.
    const { cut, unsettled } = await checkDeliveries(newTab, ids, spans);
    for (const c of [...cut, ...unsettled]) {
      expect(c.build, JSON.stringify(c)).toBe('1');
      expect(spans.find((f) => f.exited && f.runId === c.runId && f.step === c.step && f.attempt === c.attempt + 1), JSON.stringify(c)).toMatchObject({ build: '2' });
    }
    expect(await newTab.evaluate(() => window.app.status('from-old'))).toBeUndefined();
    expect(await newTab.evaluate(async (name) => (await indexedDB.databases()).find((d) => d.name === name)?.version, db)).toBe(nativeVersion(DB_VERSION + 1));
    expect((await rejectsWith(oldTab, 'Outdated')).name).toBe('Outdated'); // the old tab is still told to reload
    await note(ctx, `[upgrade] the release-2 worker finished all ${ids.length} runs; old-release deliveries redelivered: ${cut.length} cut off, ${unsettled.length} finished but their settlement refused`);
  });

  it('a newer release opening the database upgrades it under a running old worker, which gives way: the runs finish while the old tab stays open', async (ctx) => {
    const session = await browsers.launch();
    const db = 'upgrade-by-worker';
    const oldTab = await openBuild(session, db, 1);
    await pollUntil(() => hello(oldTab), (h) => h.executing, 15_000);
    const ids = Array.from({ length: 4 }, (_, i) => `uw-${i}`);
    // Steps long enough that the newer release, however slowly its tab opens, takes over runs still in flight.
    await oldTab.evaluate((ids) => Promise.all(ids.map((runId) => window.app.submit({ workflow: 'work', runId, input: { steps: 3, stepMs: 2500 } }))), ids);
    await ledger.waitFor((records) => records.some((r) => r.kind === 'exit'), 60_000);

    const t0 = Date.now();
    const newTab = await openFixture(session, `${url(db, 2)}&worker=${encodeURIComponent(release.workerPath)}`);
    await pollUntil(() => hello(newTab), (h) => h.executing, 30_000);
    await note(ctx, `[upgrade] the release-2 worker opened (upgrading) the database and became the executor ${Date.now() - t0} ms after its tab opened`);
    for (const runId of ids) expect(await waitForRun(newTab, runId, { timeoutMs: 90_000 }), runId).toMatchObject({ state: 'succeeded', result: [0, 1, 2] });
    for (const runId of ids) expect(await settledSteps(newTab, runId), runId).toEqual([[0, 'continued'], [1, 'continued'], [2, 'succeeded']]);
    const spans = intervals(ledger.records);
    expect(overlaps(spans, (a, b) => a.runId === b.runId && a.step === b.step)).toEqual([]);
    expect(overlaps(spans, (a, b) => a.instance !== b.instance)).toEqual([]);
    const { cut, unsettled } = await checkDeliveries(newTab, ids, spans);
    expect(spans.filter((s) => s.build === '2' && s.exited).length).toBeGreaterThan(0);
    // The old tab stayed open all along: it is told to reload.
    expect((await rejectsWith(oldTab, 'Outdated')).name).toBe('Outdated');
    await note(ctx, `[upgrade] old-release deliveries redelivered by release 2: ${cut.length} cut off, ${unsettled.length} finished but their settlement refused`);
  });
});
