/**
 * The demo (demo/, served by vite.demo.config.ts as `npm run demo` serves it), driven as a
 * person would drive it: typing questions, pressing its buttons, editing the draft. Runs are
 * checked through the page's client (`window.app`) and the screen; screenshots of the main
 * states go to test-results/demo/.
 *
 * What "no step paid twice" means here, and how it is checked:
 * - Built-in models: every model call is memoized by its runner. A step cut off by a reload is
 *   delivered again (attempt 2), and that attempt's memo hits must cover every call the first
 *   attempt finished (its progress said how many); the run's ledger (calls computed vs replayed
 *   in each step's final attempt) must add up to the step's calls, with nothing computed twice.
 * - API endpoint: the local OpenAI-compatible server counts completed answers: one per LLM call.
 *
 * "Offline" is simulated where it must be, and the test says so: Playwright's offline mode does
 * not reach a SharedWorker (its fetches keep flowing), so the demo's own "Go offline"
 * switch tells the worker it is offline (its network seam and its fetches), and the network
 * failure itself is real: the API server is stopped, cutting the answer that was streaming.
 */
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import type { RunStatus } from '../src/client.ts';
import { closeAllTabs, waitForRun } from '../src/testing/page.ts';
import { startOpenAiServer, type OpenAiServer, type RecordedRequest, type Reply } from '../test/support/openai-server.ts';
import { parseProgress, Report } from '../demo/schemas.ts';
import {
  SHOTS,
  attempts,
  card,
  dumpIndexedDb,
  expectEachStepCompletedOnce,
  historyOf,
  openDemo,
  shot,
  startRun,
  statusOf,
  useDemoServer,
  waitReady,
} from './support/demo-driver.ts';
import { pollUntil } from './support/harness.ts';

/** This file's port range: 27500–27509 (the demo's dev server 27500, the OpenAI-compatible server 27501). */
const PORT = 27500;
const API_PORT = 27501;
const KEY = 'sk-demo-e2e-NOT-A-REAL-KEY-7c1d9e';

const DOG = 'How do I keep my dog calm in a storm?';
const SOUP = 'What soup should I cook when it snows?';
const PLAN_REPLY = 'dog storm calming\nthunder den for a dog';
const DRAFT_REPLY =
  'Give your dog a den away from windows before the storm arrives [1], stay calm and close by, and mask the thunder with background noise [1]. Walk it before the weather turns [1], and tie down what the wind could throw [2].';

function demoReply(req: RecordedRequest): Reply {
  const messages = (req.body['messages'] as { role: string; content: string }[] | undefined) ?? [];
  const system = messages.find((m) => m.role === 'system')?.content ?? '';
  return { content: system.includes('plan research') ? PLAN_REPLY : DRAFT_REPLY };
}

describe('the demo, driven as a user', () => {
  const { browsers, origin } = useDemoServer(PORT);

  it('two runs on the built-in models: a reload mid-run, a second tab, an edited approval and a cancel', async () => {
    const session = await browsers.launch();
    const page = await openDemo(session, origin);
    await shot(page, '01-start');

    const dog = await startRun(page, DOG);
    const soup = await startRun(page, SOUP);

    // Mid-retrieve: some texts embedded (each one memoized as it finishes), several to go.
    const embedding = (s: RunStatus | undefined) => {
      const p = s?.state === 'running' && s.stepNumber === 1 ? parseProgress(s.progress) : undefined;
      return p?.kind === 'embedding' ? p : undefined;
    };
    const mid = embedding(await pollUntil(() => statusOf(page, dog), (s) => (embedding(s)?.done ?? 0) >= 3, 60_000));
    const embeddedBefore = mid?.done ?? 0;
    const totalTexts = mid?.total ?? 0;
    expect(embeddedBefore).toBeLessThan(totalTexts - 2);
    await shot(page, '02-two-runs-mid-retrieve');

    // "Reload now": the only tab reloads, taking the worker (and the step in flight) with it.
    await Promise.all([page.waitForEvent('load'), page.getByRole('button', { name: 'Reload now' }).click()]);
    await waitReady(page);
    // The reloaded page shows the run where it was, then the redelivery: attempt 2 of retrieve.
    await expect.poll(() => card(page, dog).locator('.chip', { hasText: 'interrupted' }).count(), { timeout: 60_000 }).toBeGreaterThan(0);

    // A second tab sees the same runs, live: the dog run's draft tokens stream into both.
    const tab2 = await openDemo(session, origin);
    await expect
      .poll(async () => ((await card(page, dog).locator('.stream').textContent()) ?? '').includes('tiny model:') || (await statusOf(page, dog))?.state === 'waiting', { timeout: 60_000 })
      .toBe(true);
    await shot(page, '03-after-reload-drafting');

    // Approve in the second tab, with an edit.
    const myNote = 'My note: practise crate time on calm days, too.';
    const approveForm = card(tab2, dog).locator('form.approve');
    await approveForm.waitFor({ state: 'visible', timeout: 60_000 });
    const draftBox = approveForm.getByLabel('Draft: edit it if you like, then approve');
    await expect.poll(() => draftBox.inputValue(), { timeout: 10_000 }).toContain('[1] ');
    const drafted = await draftBox.inputValue();
    // The README's picture: the top of the page at this moment (usually one run still drafting).
    await tab2.setViewportSize({ width: 1280, height: 1100 });
    await tab2.evaluate(() => window.scrollTo(0, 0));
    await tab2.screenshot({ path: join(SHOTS, 'readme.png') });
    await tab2.setViewportSize({ width: 1360, height: 940 });
    await draftBox.fill(`${drafted}\n${myNote}`);
    await shot(tab2, '04-approval-second-tab');
    await approveForm.getByRole('button', { name: 'Approve' }).click();

    // Cancel the soup run in the first tab, wherever it is by now.
    await card(page, soup).getByRole('button', { name: 'Cancel run' }).click();

    const done = await waitForRun(page, dog, { timeoutMs: 60_000 });
    expect(done.state).toBe('succeeded');
    expect((await waitForRun(page, soup, { timeoutMs: 30_000 })).state).toBe('cancelled');
    for (const p of [page, tab2]) {
      // Token and embedding updates reached both tabs as they happened.
      expect(Number(await card(p, dog).getAttribute('data-live-updates'))).toBeGreaterThan(0);
      await expect.poll(() => card(p, dog).locator('.badge').textContent(), { timeout: 10_000 }).toBe('succeeded');
      await expect.poll(() => card(p, soup).locator('.badge').textContent(), { timeout: 10_000 }).toBe('cancelled');
      await expect.poll(() => card(p, dog).locator('.report').textContent(), { timeout: 10_000 }).toContain(myNote);
    }

    // The report: the edited answer, the library's storm and dog notes on top.
    const report = Report.parse(done.result);
    expect(report.answer).toBe(`${drafted}\n${myNote}`);
    expect(report.edited).toBe(true);
    expect(report.sources.map((s) => s.id)).toContain('dog-storm');

    // No step paid twice. The retrieve step was cut off and delivered again; its second attempt
    // replayed (memo hits) at least every embedding the first one had finished.
    const history = await historyOf(page, dog);
    expectEachStepCompletedOnce(history, 5);
    const retrieve = history.filter((r) => r.stepNumber === 1);
    expect(retrieve.map((r) => [r.attempt, r.outcome])).toEqual([
      [1, 'interrupted'],
      [2, 'continued'],
    ]);
    expect(retrieve[1]!.memoHits).toBeGreaterThanOrEqual(embeddedBefore);
    const ledger = Object.fromEntries(report.ledger.map((e) => [e.step, e]));
    expect(ledger['retrieve']).toMatchObject({ attempt: 2, replayed: retrieve[1]!.memoHits });
    expect(ledger['retrieve']!.paid + ledger['retrieve']!.replayed).toBe(totalTexts);
    for (const step of ['plan', 'draft'] as const) {
      // Delivered once (the reload hit retrieve), so nothing to replay and one call per model use.
      const first = history.filter((r) => r.stepNumber === (step === 'plan' ? 0 : 2));
      expect(first.map((r) => r.attempt)).toEqual([1]);
      expect(ledger[step]).toMatchObject({ attempt: 1, replayed: 0 });
    }
    expect(ledger['plan']!.paid).toBe(1);
    expect(ledger['draft']!.paid).toBe(report.sources.length);

    // The archive hook ran for both terminal runs (the inspector shows its KV entries).
    await page.getByText('Stored tables (IndexedDB, read-only)').click();
    await page.locator('#inspector-body button[data-table="kv"]').click();
    await expect.poll(() => page.locator('#inspector-body table.records').textContent(), { timeout: 10_000 }).toContain(`archive/${dog}`);
    await expect.poll(() => page.locator('#inspector-body table.records').textContent(), { timeout: 10_000 }).toContain(`archive/${soup}`);
    await page.locator('#inspector').scrollIntoViewIfNeeded();
    await shot(page, '05-final-with-inspector');
  });

  it('an API endpoint: the key is asked again after a reload, the run goes offline mid-stream and continues where it was', async () => {
    let api: OpenAiServer = await startOpenAiServer({ port: API_PORT, apiKey: KEY, reply: demoReply });
    const first = api;
    try {
      const session = await browsers.launch();
      const page = await openDemo(session, origin);

      await page.getByText('Model endpoint (optional)').click();
      await page.getByLabel('Base URL').fill(api.baseURL);
      await page.getByLabel('Model', { exact: true }).fill('gpt-4o-mini');
      await page.getByLabel('API key').fill(KEY);
      await page.getByRole('button', { name: 'Use endpoint' }).click();
      await expect.poll(() => page.locator('#endpoint-status').textContent()).toContain('key held in memory');
      expect(await page.getByLabel('API key').inputValue()).toBe(''); // not left in the form either
      expect(await page.locator('#backend-api').isChecked()).toBe(true);

      // The plan's answer is slow to come: reload meanwhile. The worker dies with the only tab,
      // and its key with it (memory only): the redelivered plan step waits for the key.
      api.inject({ kind: 'slow', chunkDelayMs: 5_000 });
      const runId = await startRun(page, DOG);
      await api.waitFor((s) => s.requests === 1, 30_000);
      await Promise.all([page.waitForEvent('load'), page.getByRole('button', { name: 'Reload now' }).click()]);
      await waitReady(page);
      await expect.poll(() => card(page, runId).locator('.notice').textContent(), { timeout: 30_000 }).toContain('Waiting for the API key');
      expect(await statusOf(page, runId)).toMatchObject({ state: 'running', stepNumber: 0, attempts: 2 });
      expect(await page.getByLabel('Base URL').inputValue()).toBe(api.baseURL); // the page asks for it, pre-filled
      await shot(page, '06-key-asked-after-reload');
      // The draft's answer will stream, then the server holds it after a few tokens.
      api.holdStreams(5);
      await page.getByLabel('API key').fill(KEY);
      await page.getByRole('button', { name: 'Use endpoint' }).click();
      await api.waitFor((s) => s.held === 1, 60_000);
      await expect.poll(() => card(page, runId).locator('.stream').textContent(), { timeout: 20_000 }).toContain('Give your dog');

      // Go offline: the demo's switch (the worker's navigator.onLine seam and fetch), then the
      // real failure: the server goes away and the half-streamed answer is cut.
      await page.getByRole('button', { name: 'Go offline' }).click();
      await expect.poll(() => page.locator('#net-pill').textContent()).toContain('offline');
      await api.close();
      await expect.poll(() => card(page, runId).locator('.notice').textContent(), { timeout: 10_000 }).toContain('Offline');
      await new Promise((r) => setTimeout(r, 1500)); // a refused fetch fails within ms: by now the step is parked
      expect(await statusOf(page, runId)).toMatchObject({ state: 'running', stepNumber: 2, attempts: 1 });
      await shot(page, '07-offline-waiting');

      // Back online: the step asks again (it never got a complete answer) and goes on.
      api = await startOpenAiServer({ port: API_PORT, apiKey: KEY, reply: demoReply });
      await page.getByRole('button', { name: 'Back online' }).click();
      const approveForm = card(page, runId).locator('form.approve');
      await approveForm.waitFor({ state: 'visible', timeout: 60_000 });
      await expect.poll(() => approveForm.getByRole('textbox').inputValue(), { timeout: 10_000 }).toBe(DRAFT_REPLY);
      await approveForm.getByRole('button', { name: 'Approve' }).click();
      const done = await waitForRun(page, runId, { timeoutMs: 30_000 });
      expect(done.state).toBe('succeeded');
      const report = Report.parse(done.result);
      expect(report).toMatchObject({ answer: DRAFT_REPLY, edited: false, plan: { planner: 'LLM', subQueries: PLAN_REPLY.split('\n') } });
      expect(report.sources[0]!.id).toBe('dog-storm');

      // Not one attempt spent on the outage, and one completed answer per LLM call: the plan's
      // first request died with the reloaded worker before its answer came, the draft's first
      // stream was cut by the outage; neither was complete, so neither was recorded or paid.
      expect(attempts(await historyOf(page, runId)).map(([s, a, o]) => [s, a, o])).toEqual([
        [0, 1, 'interrupted'],
        [0, 2, 'continued'],
        [1, 1, 'continued'],
        [2, 1, 'continued'],
        [3, 1, 'waiting'],
        [4, 1, 'succeeded'],
      ]);
      expect(first.log.map((r) => r.outcome)).toEqual(['aborted', 'completed', 'aborted']);
      expect(api.log.map((r) => r.outcome)).toEqual(['completed']);
      expect([...first.log, ...api.log].every((r) => r.authorization === `Bearer ${KEY}`)).toBe(true);

      // The key reached the API and nothing else: not IndexedDB, which does hold the answers.
      const dump = await dumpIndexedDb(page);
      expect(dump).toContain('Give your dog a den');
      expect(dump).not.toContain(KEY);
      await card(page, runId).scrollIntoViewIfNeeded();
      await shot(page, '08-api-run-done');
    } finally {
      await api.close();
    }
  });

  it('refuses a question the workflow input schema rejects at submit, and stores no run', async () => {
    const session = await browsers.launch();
    const page = await openDemo(session, origin);
    await page.getByLabel('Question about the bundled household notes').fill('Why? '.repeat(401));
    await page.getByRole('button', { name: 'Start research' }).click();
    await expect.poll(() => page.locator('#ask-status').textContent(), { timeout: 10_000 }).toContain('InvalidInput');
    expect(await page.locator('#ask-status').textContent()).toContain('question: the question is longer than 2000 characters');
    expect(await page.evaluate(() => window.app.list({})).then((l) => l.runs)).toEqual([]);
    expect(await page.locator('article.run').count()).toBe(0);
  });

  it('a fault on every attempt: retried with memo hits, dead-lettered, requeued, run again, and the tab closed mid-run', async () => {
    const session = await browsers.launch();
    const page = await openDemo(session, origin);
    await page.getByLabel('Step attempts').selectOption('always');
    await expect.poll(() => page.locator('#fault').inputValue()).toBe('always');
    const runId = await startRun(page, SOUP);

    const failed = await waitForRun(page, runId, { timeoutMs: 60_000 });
    expect(failed.state).toBe('failed');
    // The plan step paid for its model call once; the retries found it in the memo.
    expect(attempts(await historyOf(page, runId))).toEqual([
      [0, 1, 'retried', 0],
      [0, 2, 'retried', 1],
      [0, 3, 'deadLettered', 1],
    ]);
    // The step's job, then the archive hook's notification (failing too), land in the dead letters.
    const rows = page.locator('#dead-list tbody tr');
    await expect.poll(() => rows.count(), { timeout: 30_000 }).toBe(2);
    await page.locator('#dead-list').scrollIntoViewIfNeeded();
    await shot(page, '09-dead-letters');

    await page.getByLabel('Step attempts').selectOption('off');
    await expect.poll(() => page.locator('#fault').inputValue()).toBe('off');
    await page.getByRole('button', { name: /^Requeue the archive notification/ }).click();
    await expect.poll(() => rows.count(), { timeout: 30_000 }).toBe(1);
    await expect.poll(() => dumpIndexedDb(page), { timeout: 10_000 }).toContain(`archive/${runId}`);

    const before = await page.$$eval('article.run', (els) => els.length);
    await page.getByRole('button', { name: `Run “${SOUP}” again as a new run` }).click();
    await expect.poll(() => page.locator('article.run').count()).toBe(before + 1);
    const again = await page.$$eval('article.run', (els) => (els[0] as HTMLElement).dataset['runId'] ?? '');
    expect(again).not.toBe(runId);

    // "Close the tab" mid-run (the worker dies with its last tab), then open the demo again.
    await waitForRun(page, again, { state: 'running', stepNumber: 1, timeoutMs: 60_000 });
    await closeAllTabs(session);
    const reopened = await openDemo(session, origin);
    expect(await waitForRun(reopened, again, { state: 'waiting', timeoutMs: 60_000 })).toMatchObject({ headers: { question: SOUP } });
    expectEachStepCompletedOnce(await historyOf(reopened, again), 4);
    await card(reopened, again).getByRole('button', { name: 'Cancel run' }).click();
    expect((await waitForRun(reopened, again, { timeoutMs: 30_000 })).state).toBe('cancelled');
  });
});
