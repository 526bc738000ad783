/**
 * Shared plumbing for the e2e files: a throwaway profile per test, fixture pages that are ready
 * before a test touches them, polling, and cleanup that never leaves a browser running.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Page } from 'playwright-core';
import { afterAll, afterEach, beforeAll, beforeEach } from 'vitest';
import { launchChromium, type ChromiumSession } from '../../src/testing/browser.ts';
import { startDevServer, type DevServer, type DevServerOptions } from '../../src/testing/server.ts';

/** Each session launched through here is closed by `closeAll` (kill-safe: closing a killed one is a no-op). */
export class Browsers {
  readonly #sessions: ChromiumSession[] = [];
  profileDir = '';

  /** A fresh, empty profile directory; call at the start of each test. */
  async freshProfile(): Promise<string> {
    this.profileDir = await mkdtemp(join(tmpdir(), 'stepwise-e2e-'));
    return this.profileDir;
  }

  /** Launches (or relaunches) Chromium on the current profile. */
  async launch(): Promise<ChromiumSession> {
    const s = await launchChromium({ profileDir: this.profileDir });
    this.#sessions.push(s);
    return s;
  }

  async closeAll(): Promise<void> {
    for (const s of this.#sessions.splice(0)) await s.close();
    if (this.profileDir) await rm(this.profileDir, { recursive: true, force: true });
    this.profileDir = '';
  }
}

/**
 * The setup every browser suite shares; call it inside `describe`: one dev server on the file's
 * fixed port for the whole file (IndexedDB is per origin, port included), a fresh profile before
 * each test, every browser of the test closed after it. `origin()` is valid once the suite runs.
 */
export function useE2eServer(port: number, options: Omit<DevServerOptions, 'port'> = {}): { browsers: Browsers; origin: () => string } {
  let server: DevServer | undefined;
  const browsers = new Browsers();
  beforeAll(async () => {
    server = await startDevServer({ ...options, port });
  });
  afterAll(() => server?.close());
  beforeEach(() => browsers.freshProfile());
  afterEach(() => browsers.closeAll());
  return {
    browsers,
    origin: () => {
      if (!server) throw new Error(`the dev server on port ${port} is not running (origin() called outside a test?)`);
      return server.origin;
    },
  };
}

/** Opens a fixture page and waits until its module has run (each fixture sets `document.title = 'ready'`). */
export async function openFixture(session: ChromiumSession, url: string): Promise<Page> {
  const page = await session.newPage();
  await page.goto(url);
  await page.waitForFunction(() => document.title === 'ready', undefined, { timeout: 30_000 });
  return page;
}

/** Polls `read` until `done` accepts its value. @throws after `timeoutMs`, with the last value */
export async function pollUntil<T>(read: () => Promise<T>, done: (v: T) => boolean, timeoutMs = 30_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const v = await read();
    if (done(v)) return v;
    if (Date.now() > deadline) throw new Error(`condition not met within ${timeoutMs} ms; last value ${JSON.stringify(v)}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}
