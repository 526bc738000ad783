/**
 * The browser and tabs of one chaos phase (Node): Chromium on an on-disk profile, the open tabs
 * of chaos/index.html, and calls into a page that retry on another tab while tabs come and go.
 *
 * A tab may be of a given build (`build`: the deploy phase serves two builds of the worker
 * side by side, each its own script URL, so each build gets its own SharedWorker) and may
 * connect with Chromium's `extendedLifetime` (the mixed phase).
 */
import type { Page } from 'playwright-core';
import { launchChromium, type ChromiumSession } from '../src/testing/browser.ts';
import { message, sleep, withTimeout } from './util.ts';

/** A build of the chaos worker (deploy phase): '1' the old one, '2' the new one. */
export type Build = '1' | '2';

export interface TabSpec {
  build?: Build;
  extended?: boolean;
}

export interface Tab {
  page: Page;
  n: number;
  extended: boolean;
  build: Build | undefined;
  /** The page's `window.chaos.tab` (changes on reload). */
  token: string;
}

export interface TabsOptions {
  profileDir: string;
  /** The page URL, without the per-tab `build` and `extended` parameters. */
  url: string;
  /** Deletes `window.SharedWorker` in every page (a dedicated worker per tab). */
  noSharedWorker: boolean;
  /** Whether the first tab opened into an empty browser is taken as its SharedWorker's creator. */
  trackCreator: boolean;
  /** Where fault-action failures go (printed, not verdicts). */
  errors: string[];
}

export class Tabs {
  readonly #o: TabsOptions;
  session!: ChromiumSession;
  #tabs: Tab[] = [];
  #seq = 0;
  /** The tab whose page load started the current SharedWorker, when known. */
  creator: Tab | undefined;

  constructor(o: TabsOptions) {
    this.#o = o;
  }

  /** Starts the browser on the profile and opens one tab per spec (at least one). */
  async launch(specs: TabSpec[] = [{}]): Promise<void> {
    this.session = await launchChromium({ profileDir: this.#o.profileDir });
    if (this.#o.noSharedWorker) {
      await this.session.context.addInitScript(() => {
        delete (window as { SharedWorker?: unknown }).SharedWorker;
      });
    }
    const blank = this.session.context.pages();
    this.#tabs = [];
    this.creator = undefined;
    for (const spec of specs.length ? specs : [{}]) await this.open(spec);
    for (const p of blank) await p.close().catch(() => undefined);
  }

  /** The open tabs, optionally only those of one build. */
  live(build?: Build): Tab[] {
    return this.#tabs.filter((t) => !t.page.isClosed() && (build === undefined || t.build === build));
  }

  /** The builds of the open tabs, each once. */
  builds(): Build[] {
    return [...new Set(this.live().flatMap((t) => (t.build ? [t.build] : [])))];
  }

  async open(spec: TabSpec = {}): Promise<Tab> {
    const first = this.live().length === 0 && this.#o.trackCreator;
    const page = await this.session.newPage();
    const tab: Tab = { page, n: ++this.#seq, extended: spec.extended === true, build: spec.build, token: '' };
    this.#tabs.push(tab);
    let url = this.#o.url;
    if (spec.build) url += `&build=${spec.build}`;
    if (spec.extended) url += '&extended=1';
    await page.goto(url, { waitUntil: 'load', timeout: 60_000 });
    tab.token = await this.ready(page);
    if (first) this.creator = tab;
    return tab;
  }

  /** Waits until the page's client is connected; returns the page's tab token. */
  async ready(page: Page): Promise<string> {
    await page.waitForFunction(() => document.title === 'ready', undefined, { timeout: 60_000 });
    return withTimeout(
      page.evaluate(async () => {
        await window.chaos.app.mode;
        return window.chaos.tab;
      }),
      60_000,
      'the client did not connect',
    );
  }

  /** Forgets every tab (the browser is gone, or every page is being closed). */
  forgetAll(): void {
    this.#tabs = [];
    this.creator = undefined;
  }

  #forget(tab: Tab): void {
    this.#tabs = this.#tabs.filter((t) => t !== tab);
    if (this.creator === tab) this.creator = undefined;
  }

  async close(tab: Tab): Promise<void> {
    this.#forget(tab);
    await withTimeout(tab.page.close(), 30_000, 'page.close').catch(() => undefined);
  }

  async crash(tab: Tab): Promise<void> {
    this.#forget(tab);
    await this.session.crashPage(tab.page);
    await withTimeout(tab.page.close(), 30_000, 'page.close').catch(() => undefined);
  }

  /** After a failed fault action: a tab whose page no longer answers is closed (and replaced by `ensure`). */
  async closeBroken(say: (line: string) => void): Promise<void> {
    for (const tab of this.live()) {
      const fine = await withTimeout(tab.page.evaluate(() => typeof window.chaos === 'object'), 10_000, 'probe').catch(() => false);
      if (!fine) {
        say(`closing tab ${tab.n}: its page does not answer`);
        await this.close(tab);
      }
    }
  }

  /** Opens a tab of `make()` while no tab (of `build`, when given) is open; a browser that seems gone is relaunched. */
  async ensure(make: () => TabSpec, build?: Build): Promise<void> {
    for (let i = 0; this.live(build).length === 0; i++) {
      const spec = make();
      try {
        await this.open(spec);
      } catch (e) {
        this.#o.errors.push(`reopening a tab: ${message(e)}`);
        if (i >= 2) {
          await this.session.kill().catch(() => undefined);
          await this.launch([spec]);
        }
      }
    }
  }

  /**
   * Runs `fn` on some open tab (of `build` when given), retrying on another (or the same,
   * later) while tabs come and go under it: a closed or crashed page, a page between documents,
   * a client call rejected `Unavailable` because its worker just died. Each try is bounded.
   * `onRetry` is told of each failed try.
   */
  async onAny<T>(what: string, fn: (page: Page) => Promise<T>, options: { timeoutMs?: number; build?: Build; onRetry?: () => void } = {}): Promise<T> {
    const timeoutMs = options.timeoutMs ?? 180_000;
    const deadline = Date.now() + timeoutMs;
    let last: unknown;
    for (let i = 0; ; i++) {
      const tabs = this.live(options.build);
      const tab = tabs[Math.floor(Math.random() * tabs.length)];
      if (tab) {
        try {
          return await withTimeout(fn(tab.page), 30_000, what);
        } catch (e) {
          last = e;
          options.onRetry?.();
        }
      }
      if (Date.now() > deadline) throw new Error(`${what}: no tab answered within ${timeoutMs} ms; last error: ${message(last)}`);
      await sleep(Math.min(1000, 100 * (i + 1)));
    }
  }
}
