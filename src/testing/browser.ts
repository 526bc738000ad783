/**
 * A real Chromium on an on-disk profile, for tests that must outlive the browser: persistence,
 * crashes, kills, relaunches. Node only.
 *
 * Why not `chromium.launchPersistentContext`: Playwright owns that process, so a test cannot
 * SIGKILL it (only close it cleanly), and `browser.newContext()` keeps IndexedDB in memory.
 * Here we spawn the binary ourselves on `--user-data-dir`, read the DevTools endpoint it prints,
 * and attach with `connectOverCDP`. We hold the pid, so `kill()` is a real `SIGKILL` with no
 * shutdown, and a second `launchChromium({ profileDir })` opens the same IndexedDB again.
 *
 * The browser runs in its own process group (`detached`), so a kill takes its renderers and
 * utility processes with it and leaves no orphans on a CI box. Sessions still alive when Node
 * exits are killed too.
 *
 * IndexedDB is per origin, and an origin includes the port: serve fixtures on a FIXED port,
 * or a relaunched browser will look at a different (empty) database.
 *
 * Start-up and shutdown timeouts use Node's own timers, not an injected `Clock`: they bound how
 * long a Node test waits for a real browser process, whose time no test controls.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdir, mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { chromium, type Browser, type BrowserContext, type Page } from 'playwright-core';
import { CHROMIUM_FLAGS, chromiumPath } from './chromium-path.ts';

export interface LaunchChromiumOptions {
  /**
   * The user-data directory (created if missing, never deleted by the session). Pass the
   * `profileDir` of an earlier session to reopen its IndexedDB.
   * @default a fresh directory under `os.tmpdir()`, deleted by `close()` (not by `kill()`)
   */
  profileDir?: string;
  /** @default true */
  headless?: boolean;
  /** More command-line flags, after the defaults. */
  extraArgs?: string[];
}

export interface ChromiumSession {
  /** The browser's default context: the persistent one, whose IndexedDB is on disk. */
  readonly context: BrowserContext;
  readonly profileDir: string;
  /** The browser process (leader of its process group). */
  readonly pid: number;
  newPage(): Promise<Page>;
  /**
   * Crashes the page's renderer (CDP `Page.crash`), as an out-of-memory kill would. A SharedWorker
   * created by that page dies with it. Resolves once Playwright has seen the crash.
   */
  crashPage(page: Page): Promise<void>;
  /**
   * SIGKILLs the browser's whole process group (browser, renderers, the storage service: no
   * shutdown, nothing flushed) and waits for the browser to exit. The profile stays for a relaunch.
   */
  kill(): Promise<void>;
  /** Shuts the browser down cleanly (falls back to a kill after 10 s). */
  close(): Promise<void>;
}

/** How long Chromium may take to print its DevTools endpoint; cold starts on a busy 2-core VM take seconds. */
const STARTUP_TIMEOUT_MS = 30_000;
const CLOSE_TIMEOUT_MS = 10_000;

/**
 * Flags Playwright itself passes, which keep background pages and timers running at full speed
 * (a test may look at one page while another works). `about:blank` gives the default context a page.
 */
const SESSION_FLAGS = [
  '--remote-debugging-port=0',
  '--disable-background-timer-throttling',
  '--disable-backgrounding-occluded-windows',
  '--disable-renderer-backgrounding',
  '--disable-back-forward-cache',
  '--no-default-browser-check',
  '--password-store=basic',
  '--use-mock-keychain',
];

const live = new Set<ChildProcess>();
let exitHookInstalled = false;

/** Launches Chromium on a persistent profile and connects Playwright to it. @throws if it does not start within 30 s */
export async function launchChromium(options: LaunchChromiumOptions = {}): Promise<ChromiumSession> {
  const ownsProfile = options.profileDir === undefined;
  const profileDir = options.profileDir ?? (await mkdtemp(join(tmpdir(), 'stepwise-chromium-')));
  await mkdir(profileDir, { recursive: true });
  const args = [
    ...CHROMIUM_FLAGS,
    ...SESSION_FLAGS,
    `--user-data-dir=${profileDir}`,
    ...(options.headless === false ? [] : ['--headless=new']),
    ...(options.extraArgs ?? []),
    'about:blank',
  ];
  const child = spawn(chromiumPath(), args, {
    detached: true,
    stdio: ['ignore', 'ignore', 'pipe'],
    // Debian's Chromium writes crash dumps (one per crashPage) under $XDG_CONFIG_HOME, not the
    // profile: keep them in the profile so tests leave nothing in the user's home.
    env: { ...process.env, XDG_CONFIG_HOME: join(profileDir, '.config') },
  });
  track(child);
  // 'error' without 'exit' is how a missing binary shows up.
  const exited = new Promise<void>((resolve) => {
    child.once('exit', () => resolve());
    child.once('error', () => resolve());
  });
  let browser: Browser;
  let context: BrowserContext;
  try {
    browser = await chromium.connectOverCDP(await devToolsEndpoint(child));
    const first = browser.contexts()[0];
    if (!first) throw new Error('Chromium started without a default context');
    context = first;
  } catch (e) {
    killGroup(child);
    await exited;
    if (ownsProfile) await rm(profileDir, { recursive: true, force: true });
    throw e;
  }
  const pid = child.pid!;

  const kill = async (): Promise<void> => {
    killGroup(child);
    await exited;
    // The CDP socket is dead already; this only stops Playwright waiting on it.
    await browser.close().catch(() => undefined);
  };

  return {
    context,
    profileDir,
    pid,
    newPage: () => context.newPage(),
    crashPage: async (page) => {
      const cdp = await context.newCDPSession(page);
      const crashed = page.waitForEvent('crash', { timeout: 10_000 });
      // `Page.crash` never answers: the renderer that would reply is gone.
      cdp.send('Page.crash').catch(() => undefined);
      await crashed;
    },
    kill,
    close: async () => {
      if (child.exitCode === null && child.signalCode === null) {
        try {
          // `Browser.close` is Chromium's own orderly shutdown (profile and IndexedDB flushed);
          // Playwright's `browser.close()` on a CDP connection would only disconnect.
          const cdp = await browser.newBrowserCDPSession();
          await cdp.send('Browser.close').catch(() => undefined);
          await withTimeout(exited, CLOSE_TIMEOUT_MS);
        } catch {
          await kill();
        }
      }
      killGroup(child); // children that outlived the browser, if any
      await browser.close().catch(() => undefined);
      if (ownsProfile) await rm(profileDir, { recursive: true, force: true });
    },
  };
}

/** Reads stderr up to the "DevTools listening on ws://…" line, then keeps draining it (a full pipe would block Chromium). */
function devToolsEndpoint(child: ChildProcess): Promise<string> {
  return new Promise((resolve, reject) => {
    let buffered = '';
    const done = (err?: Error, url?: string) => {
      clearTimeout(timer);
      child.off('exit', onExit);
      if (err) reject(err);
      else resolve(url!);
    };
    const onData = (chunk: Buffer) => {
      buffered += chunk.toString('utf8');
      const m = /DevTools listening on (ws:\/\/\S+)/.exec(buffered);
      if (m) {
        buffered = '';
        child.stderr!.off('data', onData);
        child.stderr!.resume();
        done(undefined, m[1]!);
      }
    };
    const onExit = (code: number | null, signal: string | null) =>
      done(new Error(`Chromium exited before it was ready (code ${code}, signal ${signal}):\n${buffered.slice(-4000)}`));
    const timer = setTimeout(
      () => done(new Error(`Chromium printed no DevTools endpoint within ${STARTUP_TIMEOUT_MS} ms:\n${buffered.slice(-4000)}`)),
      STARTUP_TIMEOUT_MS,
    );
    child.stderr!.on('data', onData);
    child.once('exit', onExit);
    child.once('error', (e) => done(new Error(`cannot start Chromium at ${chromiumPath()}: ${e.message}`)));
  });
}

function killGroup(child: ChildProcess): void {
  if (child.pid === undefined) return;
  try {
    process.kill(-child.pid, 'SIGKILL');
  } catch {
    // ESRCH: the whole group is gone already.
  }
}

function track(child: ChildProcess): void {
  live.add(child);
  child.once('exit', () => live.delete(child));
  child.once('error', () => live.delete(child));
  if (!exitHookInstalled) {
    exitHookInstalled = true;
    // A test runner that exits (or crashes) must not leave browsers behind holding profiles.
    process.once('exit', () => live.forEach(killGroup));
  }
}

function withTimeout<T>(p: Promise<T>, ms: number): Promise<T> {
  return new Promise((resolve, reject) => {
    const t = setTimeout(() => reject(new Error(`timed out after ${ms} ms`)), ms);
    p.then(
      (v) => (clearTimeout(t), resolve(v)),
      (e) => (clearTimeout(t), reject(e)),
    );
  });
}
