/**
 * The chaos driver (Node): runs the workload in real headless Chromium on an on-disk profile
 * while injecting faults at random instants, then lets everything settle and verifies the
 * outcome (chaos/verify.ts). Used by `npm run chaos` (chaos/run.ts) and by the short CI
 * version (e2e/chaos-short.e2e.ts).
 *
 * One run of the driver is one or more phases, each on a fresh profile and database:
 * - `shared`: tabs share one SharedWorker. Faults: reload a tab, close every tab and reopen
 *   one, crash the worker's creator tab (the worker dies with it), SIGKILL the browser and
 *   relaunch it on the same profile, open a second (third) tab, go offline for a while.
 * - `fallback`: SharedWorker is deleted by an init script, so each tab runs its own dedicated
 *   worker and the executor lock elects one. Faults: kill (close or crash) the executor's tab,
 *   reload, open a tab, close all and reopen, SIGKILL and relaunch, offline.
 * - `mixed` (optional, not in the defaults): each tab connects with or without Chromium's
 *   `extendedLifetime` at random, so two SharedWorkers (one of each name) serve one database and
 *   the executor lock picks one; an extended worker outlives its tabs (300 s) and reloads. Same
 *   faults as `shared`; a crash targets a random tab and counts by whether a worker died.
 * Runs are submitted through the pages at a steady pace over the first 70% of the window, so
 * faults also hit submissions (a retried submission first asks `status`, so it never starts an
 * ended run again). Faults are drawn from a shuffled deck whose first pass holds every kind once:
 * even a short window injects each kind.
 *
 * The seed fixes the fault sequence (kinds, pauses, targets); the browser's timing does not
 * replay exactly, so a seed reproduces the schedule, not the interleaving.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Page } from 'playwright-core';
import { launchChromium, type ChromiumSession } from '../src/testing/browser.ts';
import { startDevServer, type DevServer } from '../src/testing/server.ts';
import { startLedger, type Ledger } from './ledger.ts';
import type { BriefStatus, SubmitAnswer, SubmitRequest } from './page.ts';
import { verify, type ExpectedRun, type Verification } from './verify.ts';

export const FAULT_KINDS = [
  'reload',
  'closeAllReopen',
  'crashCreator',
  'crashTab',
  'sigkillRelaunch',
  'secondTab',
  'closeTab',
  'offline',
  'killExecutorTab',
] as const;
export type FaultKind = (typeof FAULT_KINDS)[number];

/** What each kind does, for the printed table. */
export const FAULT_LABELS: Record<FaultKind, string> = {
  reload: 'reload a tab',
  closeAllReopen: 'close all tabs, reopen one',
  crashCreator: "crash the worker's creator tab (worker died)",
  crashTab: 'crash a tab that was not the creator (worker survived)',
  sigkillRelaunch: 'SIGKILL the browser, relaunch on the same profile',
  secondTab: 'open another tab',
  closeTab: 'close a tab (to open another, at most 3)',
  offline: 'offline: ledger stopped + simulated navigator.onLine false',
  killExecutorTab: "kill the executor's tab (fallback: close or crash)",
};

/** The deck of each mode: a kind appears as often as its weight. `crashTab`/`closeTab` are by-products. */
const DECKS: Record<PhaseMode, Partial<Record<FaultKind, number>>> = {
  shared: { reload: 3, closeAllReopen: 2, crashCreator: 2, sigkillRelaunch: 1, secondTab: 2, offline: 2 },
  fallback: { killExecutorTab: 3, reload: 2, secondTab: 2, offline: 1, sigkillRelaunch: 1, closeAllReopen: 1 },
  mixed: { reload: 3, closeAllReopen: 2, crashCreator: 2, sigkillRelaunch: 1, secondTab: 2, offline: 1 },
};

export type PhaseMode = 'shared' | 'fallback' | 'mixed';

export interface PhaseOptions {
  mode: PhaseMode;
  runs: number;
  /** The fault window, in seconds (faults stop after it, once every kind was injected). */
  seconds: number;
}

export interface ChaosOptions {
  seed: number;
  /** The dev server's port (fixed: IndexedDB is per origin, and a relaunch must find its data). */
  devPort: number;
  ledgerPort: number;
  phases: PhaseOptions[];
  /** @default 10 */
  steps?: number;
  /** Simulated work before each effect, ms. @default [100, 500] */
  stepMs?: [number, number];
  /** At most this many ms between an effect's answer and its memo write. @default 60 */
  gapMaxMs?: number;
  /** The delivery lease of the workers, ms (shorter than an offline period: parked steps lose it). @default the runtime's 30000 */
  leaseMs?: number;
  /** Pause between two faults, ms. @default [800, 3000] */
  faultGapMs?: [number, number];
  /** How long an offline period lasts, ms. @default [800, 3000] */
  offlineMs?: [number, number];
  /** Once the window is over: how long the runs may take to finish. @default 180000 */
  settleTimeoutMs?: number;
  /** Keep the browser profiles (they are kept anyway when a phase finds a violation). */
  keepProfiles?: boolean;
  log?: (line: string) => void;
}

export interface PhaseReport {
  mode: PhaseMode;
  db: string;
  runs: number;
  steps: number;
  windowMs: number;
  settleMs: number;
  faults: Record<FaultKind, number>;
  /** Fault actions that failed (a Playwright timeout on a loaded machine, …): not verdicts, but printed. */
  faultErrors: string[];
  submit: { calls: number; retries: number; new: number; existing: number; known: number };
  workerInstances: number;
  ledger: { requests: number; cutConnections: number };
  verification: Verification;
  profileDir?: string;
}

export interface ChaosReport {
  seed: number;
  phases: PhaseReport[];
  violations: string[];
  durationMs: number;
}

const MAX_TABS = 3;
const TERMINAL = new Set(['succeeded', 'failed', 'cancelled']);

export async function runChaos(options: ChaosOptions): Promise<ChaosReport> {
  const t0 = Date.now();
  const log = options.log ?? ((l: string) => console.log(l));
  const server = await startDevServer({ port: options.devPort });
  let ledger: Ledger | undefined;
  const phases: PhaseReport[] = [];
  try {
    ledger = await startLedger({ port: options.ledgerPort, allowOrigin: server.origin });
    const rng = new Rng(options.seed);
    for (const [i, phase] of options.phases.entries()) {
      ledger.reset();
      const runner = new Phase(options, phase, `chaos-${phase.mode}-${i}`, server, ledger, rng.fork(), log);
      phases.push(await runner.run());
    }
  } finally {
    await ledger?.close();
    await server.close();
  }
  return {
    seed: options.seed,
    phases,
    violations: phases.flatMap((p) => p.verification.violations.map((v) => `[${p.mode}] ${v}`)),
    durationMs: Date.now() - t0,
  };
}

interface Tab {
  page: Page;
  n: number;
  /** Connected with `extendedLifetime` (mixed mode). */
  extended: boolean;
  /** The page's `window.chaos.tab` (changes on reload). */
  token: string;
}

class Phase {
  readonly #o: ChaosOptions;
  readonly #phase: PhaseOptions;
  readonly #db: string;
  readonly #ledger: Ledger;
  readonly #rng: Rng;
  readonly #log: (l: string) => void;
  readonly #url: string;
  readonly #steps: number;
  #profileDir = '';
  #session!: ChromiumSession;
  #tabs: Tab[] = [];
  #tabSeq = 0;
  /** The tab whose page load started the current SharedWorker, when known. */
  #creator: Tab | undefined;
  /** What the simulated network should say (re-asserted after a relaunch: localStorage may have lost it). */
  #simOnline = true;
  #offline: Promise<void> | undefined;
  #t0 = 0;
  readonly #faults = Object.fromEntries(FAULT_KINDS.map((k) => [k, 0])) as Record<FaultKind, number>;
  readonly #faultErrors: string[] = [];
  readonly #submit = { calls: 0, retries: 0, new: 0, existing: 0, known: 0 };
  readonly #newSubmissions = new Map<string, number>();

  constructor(o: ChaosOptions, phase: PhaseOptions, db: string, server: DevServer, ledger: Ledger, rng: Rng, log: (l: string) => void) {
    this.#o = o;
    this.#phase = phase;
    this.#db = db;
    this.#ledger = ledger;
    this.#rng = rng;
    this.#log = log;
    this.#steps = o.steps ?? 10;
    const [stepMin, stepMax] = o.stepMs ?? [100, 500];
    const q = new URLSearchParams({ db, ledger: ledger.origin, stepMin: String(stepMin), stepMax: String(stepMax), gapMax: String(o.gapMaxMs ?? 60) });
    if (o.leaseMs !== undefined) q.set('leaseMs', String(o.leaseMs));
    this.#url = `${server.origin}/chaos/index.html?${q}`;
  }

  #say(line: string): void {
    this.#log(`[${this.#phase.mode} +${((Date.now() - this.#t0) / 1000).toFixed(1)}s] ${line}`);
  }

  async run(): Promise<PhaseReport> {
    const { mode, runs, seconds } = this.#phase;
    this.#t0 = Date.now();
    this.#profileDir = await mkdtemp(join(tmpdir(), `stepwise-chaos-${mode}-`));
    this.#say(`${runs} runs × ${this.#steps} steps, ${seconds} s of faults, profile ${this.#profileDir}`);
    const expected: ExpectedRun[] = Array.from({ length: runs }, (_, i) => ({
      runId: `${mode[0]}${String(i).padStart(4, '0')}`,
      nonce: this.#rng.token(),
      steps: this.#steps,
    }));
    let verification: Verification;
    let windowMs: number;
    let settleMs: number;
    try {
      await this.#launch();
      const windowEnd = Date.now() + seconds * 1000;
      // A submission that no tab could take within its bound is reported (and its runs are missing).
      const submitter = this.#submitAll(expected, Date.now(), seconds * 1000 * 0.7).catch((e: unknown) => {
        this.#faultErrors.push(`submitting: ${message(e)}`);
      });
      const progress = setInterval(() => this.#say(`progress: ledger ${this.#ledger.effects.length} effects, ${new Set(this.#ledger.terminals.map((t) => t.runId)).size}/${runs} runs reported terminal; tabs ${this.#liveTabs().length}`), 10_000);
      try {
        await this.#injectFaults(windowEnd);
        windowMs = Date.now() - this.#t0;
        this.#say(`faults stopped: ${Object.entries(this.#faults).filter(([, n]) => n > 0).map(([k, n]) => `${k} ${n}`).join(', ')}`);
        await submitter;
        const s0 = Date.now();
        await this.#settle(expected);
        settleMs = Date.now() - s0;
      } finally {
        clearInterval(progress);
      }
      const dump = await this.#onAnyTab('dump', (p) => p.evaluate(() => window.chaos.dump()), 120_000);
      verification = verify({
        expected,
        effects: this.#ledger.effects,
        terminals: this.#ledger.terminals,
        stepViolations: this.#ledger.violations,
        dump,
        newSubmissions: this.#newSubmissions,
      });
    } finally {
      await this.#session?.close().catch(() => undefined);
    }
    const keep = this.#o.keepProfiles === true || verification.violations.length > 0;
    if (!keep) await rm(this.#profileDir, { recursive: true, force: true });
    this.#say(`done: ${verification.violations.length} violation(s)`);
    return {
      mode,
      db: this.#db,
      runs,
      steps: this.#steps,
      windowMs,
      settleMs,
      faults: { ...this.#faults },
      faultErrors: [...this.#faultErrors],
      submit: { ...this.#submit },
      workerInstances: this.#ledger.instances.filter((i) => i.db === this.#db).length,
      ledger: { requests: this.#ledger.counters.requests, cutConnections: this.#ledger.counters.cutConnections },
      verification,
      ...(keep ? { profileDir: this.#profileDir } : {}),
    };
  }

  // ---- browser and tabs ----------------------------------------------------------------

  async #launch(): Promise<void> {
    this.#session = await launchChromium({ profileDir: this.#profileDir });
    if (this.#phase.mode === 'fallback') {
      await this.#session.context.addInitScript(() => {
        delete (window as { SharedWorker?: unknown }).SharedWorker;
      });
    }
    const blank = this.#session.context.pages();
    this.#tabs = [];
    this.#creator = undefined;
    await this.#openTab();
    for (const p of blank) await p.close().catch(() => undefined);
  }

  #liveTabs(): Tab[] {
    return this.#tabs.filter((t) => !t.page.isClosed());
  }

  async #openTab(): Promise<Tab> {
    const mixed = this.#phase.mode === 'mixed';
    const first = this.#liveTabs().length === 0 && !mixed;
    const extended = mixed && this.#rng.next() < 0.5;
    const page = await this.#session.newPage();
    const tab: Tab = { page, n: ++this.#tabSeq, extended, token: '' };
    this.#tabs.push(tab);
    await page.goto(extended ? `${this.#url}&extended=1` : this.#url, { waitUntil: 'load', timeout: 60_000 });
    tab.token = await this.#ready(page);
    if (first) this.#creator = tab;
    return tab;
  }

  /** Waits until the page's client is connected; returns the page's tab token. */
  async #ready(page: Page): Promise<string> {
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

  #forget(tab: Tab): void {
    this.#tabs = this.#tabs.filter((t) => t !== tab);
    if (this.#creator === tab) this.#creator = undefined;
  }

  async #closeTab(tab: Tab): Promise<void> {
    this.#forget(tab);
    await withTimeout(tab.page.close(), 30_000, 'page.close').catch(() => undefined);
  }

  async #crashTab(tab: Tab): Promise<void> {
    this.#forget(tab);
    await this.#session.crashPage(tab.page);
    await withTimeout(tab.page.close(), 30_000, 'page.close').catch(() => undefined);
  }

  /** After a failed fault action: a tab whose page no longer answers is closed (and replaced by `#ensureTab`). */
  async #closeBrokenTabs(): Promise<void> {
    for (const tab of this.#liveTabs()) {
      const fine = await withTimeout(tab.page.evaluate(() => typeof window.chaos === 'object'), 10_000, 'probe').catch(() => false);
      if (!fine) {
        this.#say(`closing tab ${tab.n}: its page does not answer`);
        await this.#closeTab(tab);
      }
    }
  }

  async #ensureTab(): Promise<void> {
    for (let i = 0; this.#liveTabs().length === 0; i++) {
      try {
        await this.#openTab();
      } catch (e) {
        this.#faultErrors.push(`reopening a tab: ${message(e)}`);
        if (i >= 2) {
          // The browser itself seems gone: start it again on the same profile.
          await this.#session.kill().catch(() => undefined);
          await this.#launch();
        }
      }
    }
  }

  /**
   * Runs `fn` on some open tab, retrying on another (or the same, later) while tabs come and
   * go under it: a closed or crashed page, a page between documents, a client call rejected
   * `Unavailable` because its worker just died. Each try is bounded.
   */
  async #onAnyTab<T>(what: string, fn: (page: Page) => Promise<T>, timeoutMs = 180_000): Promise<T> {
    const deadline = Date.now() + timeoutMs;
    let last: unknown;
    for (let i = 0; ; i++) {
      const tabs = this.#liveTabs();
      const tab = tabs[Math.floor(Math.random() * tabs.length)];
      if (tab) {
        try {
          return await withTimeout(fn(tab.page), 30_000, what);
        } catch (e) {
          last = e;
          if (what === 'submit') this.#submit.retries++;
        }
      }
      if (Date.now() > deadline) throw new Error(`${what}: no tab answered within ${timeoutMs} ms; last error: ${message(last)}`);
      await sleep(Math.min(1000, 100 * (i + 1)));
    }
  }

  async #setNetwork(online: boolean): Promise<void> {
    this.#simOnline = online;
    await this.#onAnyTab('setOnline', (p) => p.evaluate((o) => window.chaos.setOnline(o), online));
  }

  // ---- workload ------------------------------------------------------------------------

  async #submitAll(runs: ExpectedRun[], start: number, windowMs: number): Promise<void> {
    const queue = runs.map((r, i) => ({ r, dueAt: start + (runs.length <= 1 ? 0 : (i / (runs.length - 1)) * windowMs) }));
    while (queue.length) {
      const now = Date.now();
      const due = queue.filter((x) => x.dueAt <= now).slice(0, 25);
      if (!due.length) {
        await sleep(Math.min(250, queue[0]!.dueAt - now));
        continue;
      }
      const requests: SubmitRequest[] = due.map(({ r }) => ({ runId: r.runId, input: { nonce: r.nonce, steps: r.steps, chain: [] } }));
      this.#submit.calls++;
      const answers: SubmitAnswer[] = await this.#onAnyTab('submit', (p) => p.evaluate((reqs) => window.chaos.submit(reqs), requests));
      for (const a of answers) {
        this.#submit[a.outcome]++;
        if (a.outcome === 'new') this.#newSubmissions.set(a.runId, (this.#newSubmissions.get(a.runId) ?? 0) + 1);
      }
      for (const d of due) queue.splice(queue.indexOf(d), 1);
    }
  }

  /** After the window: network back, a tab open, then every run terminal and the queue drained. */
  async #settle(runs: ExpectedRun[]): Promise<void> {
    await this.#offline;
    await this.#ensureTab();
    await this.#ledger.goOnline();
    await this.#setNetwork(true);
    const deadline = Date.now() + (this.#o.settleTimeoutMs ?? 180_000);
    let open = runs.map((r) => r.runId);
    let lastLog = 0;
    while (open.length && Date.now() < deadline) {
      const still: string[] = [];
      for (let i = 0; i < open.length; i += 100) {
        const chunk = open.slice(i, i + 100);
        const st: Record<string, BriefStatus | null> = await this.#onAnyTab('statuses', (p) => p.evaluate((ids) => window.chaos.statuses(ids), chunk));
        for (const id of chunk) if (!TERMINAL.has(st[id]?.state ?? '')) still.push(id);
      }
      open = still;
      if (open.length && Date.now() - lastLog > 10_000) {
        lastLog = Date.now();
        this.#say(`settling: ${open.length} run(s) not terminal yet (${open.slice(0, 5).join(', ')}${open.length > 5 ? ', …' : ''})`);
      }
      if (open.length) await sleep(500);
    }
    // Terminal notifications are jobs too: wait for the queue to drain and the ledger to hear of every run.
    for (;;) {
      const counts: Record<string, number> = await this.#onAnyTab('counts', (p) => p.evaluate(() => window.chaos.counts()));
      const told = new Set(this.#ledger.terminals.map((t) => t.runId));
      const untold = runs.filter((r) => !told.has(r.runId)).length;
      if ((counts['jobs'] === 0 && untold === 0) || Date.now() > deadline) break;
      await sleep(500);
    }
    this.#say(`settled${open.length ? `, ${open.length} run(s) never became terminal` : ''}`);
  }

  // ---- faults --------------------------------------------------------------------------

  async #injectFaults(windowEnd: number): Promise<void> {
    const deck = new Deck(this.#rng, DECKS[this.#phase.mode]);
    const [gapMin, gapMax] = this.#o.faultGapMs ?? [800, 3000];
    // Past the window only to finish the first pass, and not for ever.
    const hardEnd = windowEnd + 120_000;
    while ((Date.now() < windowEnd || !deck.firstPassDone) && Date.now() < hardEnd) {
      await sleep(this.#rng.int(gapMin, gapMax));
      const kind = deck.next();
      if (kind === 'offline' && this.#offline) {
        deck.settled(kind, false); // one offline period at a time: deal it again later
        continue;
      }
      try {
        const done = await this.#inject(kind);
        deck.settled(kind, true);
        this.#say(`fault ${done}`);
      } catch (e) {
        deck.settled(kind, false);
        this.#faultErrors.push(`${kind}: ${message(e)}`);
        this.#say(`fault ${kind} failed: ${message(e)}`);
        await this.#closeBrokenTabs();
      }
      await this.#ensureTab();
    }
  }

  /** Injects one fault; resolves with what was done (for the log). */
  async #inject(kind: FaultKind): Promise<string> {
    const rng = this.#rng;
    switch (kind) {
      case 'reload': {
        const live = this.#liveTabs();
        const tab = rng.pick(live);
        const only = live.length === 1;
        this.#faults.reload++;
        await tab.page.reload({ waitUntil: 'load', timeout: 60_000 });
        tab.token = await this.#ready(tab.page);
        if (only && this.#phase.mode === 'shared') this.#creator = tab; // the only tab's reload restarts the worker from it
        return `reload tab ${tab.n}${only ? ' (the only one)' : ''}`;
      }
      case 'closeAllReopen': {
        const pages = this.#session.context.pages();
        this.#faults.closeAllReopen++;
        this.#tabs = [];
        this.#creator = undefined;
        for (const p of pages) await withTimeout(p.close(), 30_000, 'page.close').catch(() => undefined);
        const pause = rng.int(0, 1500);
        await sleep(pause);
        const tab = await this.#openTab();
        return `closed ${pages.length} tab(s), reopened tab ${tab.n} after ${pause} ms`;
      }
      case 'crashCreator':
      case 'crashTab': {
        // With another tab open: its client must notice the silent death and reconnect by itself.
        let opened = '';
        if (this.#liveTabs().length < 2) opened = `opened tab ${(await this.#openTab()).n}, then `;
        const live = this.#liveTabs();
        const target = this.#creator && live.includes(this.#creator) ? this.#creator : rng.pick(live);
        const guessed = this.#creator !== target;
        const before = await withTimeout(target.page.evaluate(() => window.chaos.liveWorkers()), 10_000, 'liveWorkers');
        await this.#crashTab(target);
        const rest = this.#liveTabs();
        let died = true;
        if (rest.length === 0) {
          await this.#openTab();
        } else {
          died = await pollUntil(async () => {
            const now = await withTimeout(rest[0]!.page.evaluate(() => window.chaos.liveWorkers()), 10_000, 'liveWorkers');
            return before.some((id) => !now.includes(id));
          }, 5_000);
          if (died && this.#phase.mode === 'shared') this.#creator = rest.length === 1 ? rest[0] : undefined;
        }
        this.#faults[died ? 'crashCreator' : 'crashTab']++;
        return `${opened}crashed tab ${target.n}${target.extended ? ' (extendedLifetime)' : ''}${guessed ? ' (creator unknown: a guess)' : ''}: worker ${died ? 'died' : 'survived'}, ${rest.length} tab(s) left`;
      }
      case 'sigkillRelaunch': {
        this.#faults.sigkillRelaunch++;
        const t = Date.now();
        await this.#session.kill();
        this.#tabs = [];
        this.#creator = undefined;
        await this.#launch();
        // localStorage writes may not survive a SIGKILL: say again what the network is.
        await this.#setNetwork(this.#simOnline);
        return `SIGKILLed the browser, relaunched in ${Date.now() - t} ms`;
      }
      case 'secondTab':
      case 'closeTab': {
        let closed = '';
        const live = this.#liveTabs();
        if (live.length >= MAX_TABS) {
          const victim = rng.pick(live.filter((t) => t !== this.#creator));
          this.#faults.closeTab++;
          await this.#closeTab(victim);
          closed = `closed tab ${victim.n}, `;
        }
        this.#faults.secondTab++;
        const tab = await this.#openTab();
        return `${closed}opened tab ${tab.n}${tab.extended ? ' (extendedLifetime)' : ''} (${this.#liveTabs().length} open)`;
      }
      case 'offline': {
        const ms = rng.int(...(this.#o.offlineMs ?? [800, 3000]));
        this.#faults.offline++;
        // Either the browser learns it is offline before requests fail (steps park without
        // spending an attempt), or the network drops first and the requests in between fail
        // while "online" (transient step errors, retried with backoff). Back online in the
        // reverse order. The two alternate, so both happen whatever the seed.
        const noticedFirst = this.#faults.offline % 2 === 1;
        const [lagDown, lagUp] = [rng.int(100, 600), rng.int(100, 600)]; // drawn now: the seed fixes the schedule
        if (noticedFirst) await this.#setNetwork(false);
        await this.#ledger.goOffline();
        if (!noticedFirst) {
          await sleep(lagDown);
          await this.#setNetwork(false);
        }
        this.#offline = (async () => {
          await sleep(ms);
          await this.#ledger.goOnline();
          if (!noticedFirst) await sleep(lagUp);
          await this.#setNetwork(true);
        })()
          .catch((e: unknown) => {
            this.#faultErrors.push(`offline restore: ${message(e)}`);
          })
          .finally(() => {
            this.#offline = undefined;
          });
        return `offline for ${ms} ms (${noticedFirst ? 'navigator.onLine false first' : 'network dropped first, noticed later'})`;
      }
      case 'killExecutorTab': {
        if (this.#liveTabs().length < 2) await this.#openTab(); // someone must take the role over
        const token = await pollValue(() => this.#onAnyTab('executorTab', (p) => p.evaluate(() => window.chaos.executorTab())), 10_000);
        const target = this.#liveTabs().find((t) => t.token === token);
        if (!target) throw new Error(`no open tab has the executing worker (lock names tab ${token ?? 'none'})`);
        const crash = rng.next() < 0.5;
        this.#faults.killExecutorTab++;
        if (crash) await this.#crashTab(target);
        else await this.#closeTab(target);
        return `${crash ? 'crashed' : 'closed'} the executor's tab ${target.n}, ${this.#liveTabs().length} tab(s) left`;
      }
    }
  }
}

// ---- small utilities ------------------------------------------------------------------

/** A seeded PRNG (mulberry32). */
export class Rng {
  #s: number;
  constructor(seed: number) {
    this.#s = seed >>> 0;
  }
  next(): number {
    let t = (this.#s = (this.#s + 0x6d2b79f5) >>> 0);
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  }
  int(min: number, max: number): number {
    return min + Math.floor(this.next() * (max - min + 1));
  }
  pick<T>(items: readonly T[]): T {
    if (items.length === 0) throw new Error('nothing to pick from');
    return items[Math.floor(this.next() * items.length)]!;
  }
  token(): string {
    return Math.floor(this.next() * 2 ** 32).toString(36) + Math.floor(this.next() * 2 ** 32).toString(36);
  }
  /** An independent stream (one per phase). */
  fork(): Rng {
    return new Rng(Math.floor(this.next() * 2 ** 32));
  }
  shuffle<T>(items: T[]): T[] {
    for (let i = items.length - 1; i > 0; i--) {
      const j = Math.floor(this.next() * (i + 1));
      [items[i], items[j]] = [items[j]!, items[i]!];
    }
    return items;
  }
}

/**
 * Fault kinds dealt from shuffled decks: a first pass of every kind once (a kind whose
 * injection failed goes back into it), then decks holding each kind as often as its weight.
 */
class Deck {
  readonly #rng: Rng;
  readonly #weights: Partial<Record<FaultKind, number>>;
  /** First-pass kinds not injected successfully yet. */
  readonly #owed: Set<FaultKind>;
  #first: FaultKind[];
  #cards: FaultKind[] = [];

  constructor(rng: Rng, weights: Partial<Record<FaultKind, number>>) {
    this.#rng = rng;
    this.#weights = weights;
    this.#first = rng.shuffle(Object.keys(weights) as FaultKind[]);
    this.#owed = new Set(this.#first);
  }

  /** Every kind was injected successfully at least once. */
  get firstPassDone(): boolean {
    return this.#owed.size === 0;
  }

  next(): FaultKind {
    const owed = this.#first.pop();
    if (owed) return owed;
    if (this.#cards.length === 0) this.#cards = this.#rng.shuffle(Object.entries(this.#weights).flatMap(([k, n]) => Array<FaultKind>(n ?? 0).fill(k as FaultKind)));
    return this.#cards.pop()!;
  }

  /** Reports how an injection went: a first-pass kind that failed is dealt again. */
  settled(kind: FaultKind, ok: boolean): void {
    if (ok) this.#owed.delete(kind);
    else if (this.#owed.has(kind)) this.#first.unshift(kind);
  }
}

function sleep(ms: number): Promise<void> {
  return new Promise((r) => setTimeout(r, Math.max(0, ms)));
}

function message(e: unknown): string {
  return (e instanceof Error ? e.message : String(e)).split('\n')[0]!.slice(0, 300);
}

function withTimeout<T>(p: Promise<T>, ms: number, what: string): Promise<T> {
  return new Promise((resolve, reject) => {
    const t = setTimeout(() => reject(new Error(`${what}: no answer within ${ms} ms`)), ms);
    p.then(
      (v) => (clearTimeout(t), resolve(v)),
      (e: unknown) => (clearTimeout(t), reject(e instanceof Error ? e : new Error(String(e)))),
    );
  });
}

/** Polls `cond` until true (→ true) or `ms` passed (→ false). */
async function pollUntil(cond: () => Promise<boolean>, ms: number): Promise<boolean> {
  const deadline = Date.now() + ms;
  for (;;) {
    if (await cond().catch(() => false)) return true;
    if (Date.now() > deadline) return false;
    await sleep(50);
  }
}

/** Polls `read` until it gives a non-null value, or `ms` passed (→ the last value). */
async function pollValue<T>(read: () => Promise<T | null>, ms: number): Promise<T | null> {
  const deadline = Date.now() + ms;
  for (;;) {
    const v = await read();
    if (v !== null || Date.now() > deadline) return v;
    await sleep(100);
  }
}
