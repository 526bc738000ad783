/**
 * Driving the demo (demo/) from e2e/demo.e2e.ts and e2e/demo-agent.e2e.ts as a person would: its dev server, its page,
 * its buttons, and reads of what it stored (through the page's client, `window.app`).
 */
import { mkdir } from 'node:fs/promises';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Page } from 'playwright-core';
import { createServer, type ViteDevServer } from 'vite';
import { afterAll, afterEach, beforeAll, beforeEach, expect } from 'vitest';
import type { AttemptRecord, RunStatus } from '../../src/client.ts';
import type { ChromiumSession } from '../../src/testing/browser.ts';
import { Browsers } from './harness.ts';
import type {} from '../../demo/main.ts';

const repoRoot = fileURLToPath(new URL('../..', import.meta.url));
/** Where the screenshots of the main states go. */
export const SHOTS = join(repoRoot, 'test-results', 'demo');

/**
 * The demo's dev server on `port` for the whole file (IndexedDB is per origin, port included), a
 * fresh profile before each test and its browsers closed after it; screenshots go to `SHOTS`.
 */
export function useDemoServer(port: number): { browsers: Browsers; origin: string } {
  let server: ViteDevServer | undefined;
  const browsers = new Browsers();
  beforeAll(async () => {
    await mkdir(SHOTS, { recursive: true });
    server = await startDemoServer(port);
  });
  afterAll(() => server?.close());
  beforeEach(() => browsers.freshProfile().then(() => undefined));
  afterEach(() => browsers.closeAll());
  return { browsers, origin: `http://127.0.0.1:${port}` };
}

/** The demo's own Vite config, with nothing that could reload a page under a test. */
export async function startDemoServer(port: number): Promise<ViteDevServer> {
  const server = await createServer({
    configFile: join(repoRoot, 'vite.demo.config.ts'),
    cacheDir: join(repoRoot, 'node_modules', '.vite', `stepwise-demo-${port}`),
    logLevel: 'warn',
    clearScreen: false,
    server: { port, strictPort: true, hmr: false, ws: false, watch: null },
  });
  await server.listen();
  return server;
}

export async function openDemo(session: ChromiumSession, origin: string): Promise<Page> {
  const page = await session.newPage();
  await page.setViewportSize({ width: 1360, height: 940 });
  await page.goto(`${origin}/`);
  await waitReady(page);
  return page;
}

export async function waitReady(page: Page): Promise<void> {
  await page.waitForFunction(() => document.documentElement.dataset['ready'] === 'true', undefined, { timeout: 60_000 });
}

export async function shot(page: Page, name: string): Promise<void> {
  await page.screenshot({ path: join(SHOTS, `${name}.png`), fullPage: true });
}

export const card = (page: Page, runId: string) => page.locator(`article[data-run-id="${runId}"]`);

/** Types the question, presses "Start research", and resolves with the new run's id (from the new card). */
export async function startRun(page: Page, question: string, button = 'Start research'): Promise<string> {
  const before = await page.$$eval('article.run', (els) => els.map((e) => (e as HTMLElement).dataset['runId'] ?? ''));
  await page.getByLabel('Question about the bundled household notes').fill(question);
  await page.getByRole('button', { name: button }).click();
  const handle = await page.waitForFunction(
    (known) => Array.from(document.querySelectorAll<HTMLElement>('article.run')).map((e) => e.dataset['runId'] ?? '').find((id) => id && !known.includes(id)),
    before,
  );
  return (await handle.jsonValue()) as string;
}

/** Switches the form to the agent with tools, then starts a run like `startRun`. */
export async function startAgentRun(page: Page, question: string): Promise<string> {
  await page.getByRole('radio', { name: /Agent with tools/ }).check();
  return startRun(page, question, 'Start the agent');
}

export async function statusOf(page: Page, runId: string): Promise<RunStatus | undefined> {
  return page.evaluate((id) => window.app.status(id), runId);
}

export async function historyOf(page: Page, runId: string): Promise<AttemptRecord[]> {
  return page.evaluate((id) => window.app.history(id), runId);
}

/** Every record of every IndexedDB database of the origin, as one JSON string. */
export async function dumpIndexedDb(page: Page): Promise<string> {
  return page.evaluate(async () => {
    const out: Record<string, Record<string, unknown[]>> = {};
    for (const info of await indexedDB.databases()) {
      if (!info.name) continue;
      const db = await new Promise<IDBDatabase>((resolve, reject) => {
        const req = indexedDB.open(info.name!);
        req.onsuccess = () => resolve(req.result);
        req.onerror = () => reject(req.error);
      });
      const stores: Record<string, unknown[]> = {};
      for (const name of Array.from(db.objectStoreNames)) {
        stores[name] = await new Promise<unknown[]>((resolve, reject) => {
          const req = db.transaction(name, 'readonly').objectStore(name).getAll();
          req.onsuccess = () => resolve(req.result as unknown[]);
          req.onerror = () => reject(req.error);
        });
      }
      db.close();
      out[info.name] = stores;
    }
    return JSON.stringify(out);
  });
}

/** [step, attempt, outcome, memoHits] of each attempt. */
export const attempts = (h: AttemptRecord[]) => h.map((r) => [r.stepNumber, r.attempt, r.outcome, r.memoHits]);

/** The step completed once: exactly one attempt ended well, and it is the last one. */
export function expectEachStepCompletedOnce(h: AttemptRecord[], steps: number): void {
  for (let i = 0; i < steps; i++) {
    const mine = h.filter((r) => r.stepNumber === i);
    const good = mine.filter((r) => ['continued', 'waiting', 'succeeded'].includes(r.outcome));
    expect(good, `step ${i}: ${JSON.stringify(mine)}`).toHaveLength(1);
    expect(mine.at(-1)).toBe(good[0]);
  }
}
