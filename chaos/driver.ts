/**
 * The chaos driver (Node): runs the workload in real headless Chromium on an on-disk profile
 * while injecting faults at random instants (chaos/faults.ts), then lets everything settle and
 * verifies the outcome (chaos/verify.ts and the phase's own checks). Used by `npm run chaos`
 * (chaos/run.ts) and by the short CI version (e2e/chaos-short.e2e.ts).
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
 * - `deploy`: two builds of the worker side by side, a workflow only the new one registers
 *   (chaos/deploy-phase.ts).
 * - `slowHook`: terminal hooks slower than the lease (chaos/slow-hook-phase.ts).
 * Runs are submitted through the pages at a steady pace over the first 70% of the window, so
 * faults also hit submissions (a retried submission first asks `status`, so it never starts an
 * ended run again). Faults are drawn from a shuffled deck whose first pass holds every kind once:
 * even a short window injects each kind. Every phase also checks that no two calls of the
 * terminal hook for one run ever ran at once.
 *
 * The seed fixes the fault sequence (kinds, pauses, targets); the browser's timing does not
 * replay exactly, so a seed reproduces the schedule, not the interleaving.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startDevServer, type DevServer } from '../src/testing/server.ts';
import { Checks } from './checks.ts';
import { checkDeploy, deployFaults, submitBuild } from './deploy-phase.ts';
import { Faults } from './faults.ts';
import { startLedger, type Ledger } from './ledger.ts';
import type { BriefStatus, SubmitAnswer, SubmitRequest } from './page.ts';
import { modeSpec, type ChaosOptions, type ChaosReport, type ModeSpec, type PhaseOptions, type PhaseReport } from './modes.ts';
import { checkHooks } from './slow-hook-phase.ts';
import { Tabs, type Build } from './tabs.ts';
import { Rng, message, sleep } from './util.ts';
import { verify, type ExpectedRun, type Verification } from './verify.ts';

export { FAULT_KINDS, FAULT_LABELS, type FaultKind, type PhaseMode } from './faults.ts';
export type { ChaosOptions, ChaosReport, PhaseOptions, PhaseReport } from './modes.ts';
export { Rng } from './util.ts';

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

class Phase {
  readonly #o: ChaosOptions;
  readonly #phase: PhaseOptions;
  readonly #db: string;
  readonly #ledger: Ledger;
  readonly #rng: Rng;
  readonly #log: (l: string) => void;
  readonly #spec: ModeSpec;
  readonly #url: string;
  readonly #errors: string[] = [];
  #profileDir = '';
  #tabs!: Tabs;
  #faults!: Faults;
  #t0 = 0;
  readonly #submit = { calls: 0, retries: 0, new: 0, existing: 0, known: 0 };
  readonly #newSubmissions = new Map<string, number>();

  constructor(o: ChaosOptions, phase: PhaseOptions, db: string, server: DevServer, ledger: Ledger, rng: Rng, log: (l: string) => void) {
    this.#o = o;
    this.#phase = phase;
    this.#db = db;
    this.#ledger = ledger;
    this.#rng = rng;
    this.#log = log;
    this.#spec = modeSpec(o, phase, rng);
    const q = new URLSearchParams({ db, ledger: ledger.origin, gapMax: String(o.gapMaxMs ?? 60), ...this.#spec.params });
    this.#url = `${server.origin}${o.appPath ?? ''}/chaos/index.html?${q}`;
  }

  #say(line: string): void {
    this.#log(`[${this.#phase.mode} +${((Date.now() - this.#t0) / 1000).toFixed(1)}s] ${line}`);
  }

  async run(): Promise<PhaseReport> {
    const { mode, runs, seconds } = this.#phase;
    const steps = this.#spec.steps;
    this.#t0 = Date.now();
    this.#profileDir = await mkdtemp(join(tmpdir(), `stepwise-chaos-${mode}-`));
    this.#tabs = new Tabs({ profileDir: this.#profileDir, url: this.#url, noSharedWorker: mode === 'fallback', trackCreator: mode !== 'mixed' && mode !== 'deploy', errors: this.#errors });
    this.#faults = new Faults(
      {
        mode,
        tabs: this.#tabs,
        ledger: this.#ledger,
        rng: this.#rng,
        gapMs: this.#o.faultGapMs ?? [800, 3000],
        offlineMs: this.#o.offlineMs ?? [800, 3000],
        maxTabs: this.#spec.maxTabs,
        newTab: this.#spec.newTab,
        ...(this.#phase.faults ? { only: this.#phase.faults } : {}),
        ...(mode === 'deploy' ? { first: 'deploy' as const, extra: (faults: Faults) => deployFaults(this.#tabs, faults, this.#rng) } : {}),
        say: (l) => this.#say(l),
      },
      this.#errors,
    );
    this.#say(`${runs} runs × ${steps} steps, ${seconds} s of faults, profile ${this.#profileDir}`);
    const expected: ExpectedRun[] = Array.from({ length: runs }, (_, i) => {
      const workflow = this.#spec.workflow(i);
      return { runId: `${mode[0]}${String(i).padStart(4, '0')}`, nonce: this.#rng.token(), steps, ...(workflow ? { workflow } : {}) };
    });
    let verification: Verification;
    let windowMs: number;
    let settleMs: number;
    try {
      await this.#tabs.launch(this.#spec.initialTabs);
      this.#say(`launched, ${this.#tabs.live().length} tab(s) open`);
      const windowEnd = Date.now() + seconds * 1000;
      // A submission that no tab could take within its bound is reported (and its runs are missing).
      const submitter = this.#submitAll(expected, Date.now(), seconds * 1000 * 0.7).catch((e: unknown) => {
        this.#errors.push(`submitting: ${message(e)}`);
      });
      const progress = setInterval(() => this.#say(`progress: ledger ${this.#ledger.effects.length} effects, ${new Set(this.#ledger.terminals.map((t) => t.runId)).size}/${runs} runs reported terminal; tabs ${this.#tabs.live().length}`), 10_000);
      try {
        await this.#faults.inject(windowEnd);
        windowMs = Date.now() - this.#t0;
        this.#say(`faults stopped: ${Object.entries(this.#faults.counts).filter(([, n]) => n > 0).map(([k, n]) => `${k} ${n}`).join(', ')}`);
        await submitter;
        const s0 = Date.now();
        await this.#settle(expected);
        settleMs = Date.now() - s0;
      } finally {
        clearInterval(progress);
      }
      const dump = await this.#tabs.onAny('dump', (p) => p.evaluate(() => window.chaos.dump()), { timeoutMs: 120_000 });
      verification = this.#verify(expected, dump);
    } finally {
      await this.#tabs.session?.close().catch(() => undefined);
    }
    const keep = this.#o.keepProfiles === true || verification.violations.length > 0;
    if (!keep) await rm(this.#profileDir, { recursive: true, force: true });
    this.#say(`done: ${verification.violations.length} violation(s)`);
    return {
      mode,
      db: this.#db,
      runs,
      steps,
      windowMs,
      settleMs,
      faults: { ...this.#faults.counts },
      faultErrors: [...this.#errors],
      submit: { ...this.#submit },
      workerInstances: this.#ledger.instances.filter((i) => i.db === this.#db).length,
      ledger: { requests: this.#ledger.counters.requests, cutConnections: this.#ledger.counters.cutConnections },
      verification,
      ...(keep ? { profileDir: this.#profileDir } : {}),
    };
  }

  #verify(expected: ExpectedRun[], dump: Record<string, unknown[]>): Verification {
    const ledger = this.#ledger;
    const checks = new Checks().add(
      verify({ expected, effects: ledger.effects, terminals: ledger.terminals, stepViolations: ledger.violations, dump, newSubmissions: this.#newSubmissions }),
    );
    const runIds = expected.map((r) => r.runId);
    checks.add(checkHooks(ledger.hooks, { runIds, ...(this.#spec.slowerThanMs !== undefined ? { slowerThanMs: this.#spec.slowerThanMs } : {}) }));
    if (this.#phase.mode === 'deploy') checks.add(checkDeploy(expected, ledger.effects));
    return checks.result();
  }

  // ---- workload ------------------------------------------------------------------------

  /**
   * Submits the runs at a steady pace over `windowMs`, each through a tab whose build registers
   * its workflow (deploy phase): one submitter per build, so that runs only the new build knows
   * wait for its first tab without holding up the others.
   */
  async #submitAll(runs: ExpectedRun[], start: number, windowMs: number): Promise<void> {
    const queue = runs.map((r, i) => ({ r, dueAt: start + (runs.length <= 1 ? 0 : (i / (runs.length - 1)) * windowMs) }));
    const byBuild = new Map<Build | undefined, typeof queue>();
    for (const x of queue) byBuild.set(submitBuild(x.r.workflow), [...(byBuild.get(submitBuild(x.r.workflow)) ?? []), x]);
    await Promise.all([...byBuild].map(([build, q]) => this.#submitSome(q, build)));
  }

  async #submitSome(queue: { r: ExpectedRun; dueAt: number }[], build: Build | undefined): Promise<void> {
    while (queue.length) {
      const now = Date.now();
      const due = queue.filter((x) => x.dueAt <= now).slice(0, 25);
      if (!due.length) {
        await sleep(Math.min(250, queue[0]!.dueAt - now));
        continue;
      }
      const requests: SubmitRequest[] = due.map(({ r }) => ({ runId: r.runId, ...(r.workflow ? { workflow: r.workflow } : {}), input: { nonce: r.nonce, steps: r.steps, chain: [] } }));
      this.#submit.calls++;
      const answers: SubmitAnswer[] = await this.#tabs.onAny('submit', (p) => p.evaluate((reqs) => window.chaos.submit(reqs), requests), {
        ...(build ? { build } : {}),
        onRetry: () => this.#submit.retries++,
      });
      for (const a of answers) {
        this.#submit[a.outcome]++;
        if (a.outcome === 'new') this.#newSubmissions.set(a.runId, (this.#newSubmissions.get(a.runId) ?? 0) + 1);
      }
      for (const d of due) queue.splice(queue.indexOf(d), 1);
    }
  }

  /** After the window: network back, the tabs the runs need open, then every run terminal and the queue drained. */
  async #settle(runs: ExpectedRun[]): Promise<void> {
    await this.#faults.restoreNetwork();
    for (const build of this.#spec.settleBuilds) await this.#tabs.ensure(() => ({ build }), build);
    const deadline = Date.now() + (this.#o.settleTimeoutMs ?? 180_000);
    let open = runs.map((r) => r.runId);
    let lastLog = 0;
    while (open.length && Date.now() < deadline) {
      const still: string[] = [];
      for (let i = 0; i < open.length; i += 100) {
        const chunk = open.slice(i, i + 100);
        const st: Record<string, BriefStatus | null> = await this.#tabs.onAny('statuses', (p) => p.evaluate((ids) => window.chaos.statuses(ids), chunk));
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
      const counts: Record<string, number> = await this.#tabs.onAny('counts', (p) => p.evaluate(() => window.chaos.counts()));
      const told = new Set(this.#ledger.terminals.map((t) => t.runId));
      const untold = runs.filter((r) => !told.has(r.runId)).length;
      if ((counts['jobs'] === 0 && untold === 0) || Date.now() > deadline) break;
      await sleep(500);
    }
    this.#say(`settled${open.length ? `, ${open.length} run(s) never became terminal` : ''}`);
  }
}
