/**
 * The short chaos run for CI (the full one is `npm run chaos`, chaos/run.ts), in four phases:
 * - 16 runs × 10 steps with one SharedWorker, then 8 runs × 10 steps in fallback mode (no
 *   SharedWorker, a worker per tab), each under a short window of random faults: reloads,
 *   close-all/reopen, a crash of the worker's creator tab, SIGKILL + relaunch on the same
 *   profile, extra tabs, offline (the ledger stopped + a simulated navigator.onLine), and in
 *   fallback mode the executor's tab killed;
 * - a deploy: 10 runs × 10 steps on two builds of the worker side by side (the new one
 *   registers a workflow the old one lacks and removed one the old one has), the new build
 *   deployed beside the old one, then every tab of one build closed mid-run and reopened, tabs
 *   of either build opened, reloads: the executor role changes hands mid-run;
 * - slow hooks: 8 runs × 3 steps whose terminal hook works longer than the workers' 1 s lease,
 *   under reloads and crashes.
 * Every step's side effect goes to a ledger server on 127.0.0.1, guarded by a memo; every
 * call of the terminal hook reports its start, beats and end there.
 *
 * The verdict is about correctness only, never timing: every run terminal exactly once with
 * its whole chain, its terminal notification delivered, no step skipped or out of order, each
 * memoized effect once per key except those interrupted between the effect and the memo write
 * (counted apart), the queue empty, no two calls of the hook for one run at once; in the deploy
 * phase, each run's steps only in a build that registers its workflow and some run crossing a
 * handover between the builds; in the slow-hook phase, hook calls that outlasted the lease ran
 * to their end. The fault window goes on until every fault kind was injected once, so the
 * counts below are not left to chance.
 */
import { describe, expect, it } from 'vitest';
import { runChaos, type ChaosReport } from '../chaos/driver.ts';
import { renderReport } from '../chaos/report.ts';

/** This file's port range: 27600–27619 (dev server 27600, ledger 27601). */
const DEV_PORT = 27600;
const LEDGER_PORT = 27601;
const SEED = 20261122;

describe('chaos (short)', () => {
  it('keeps every run exactly-once-terminal, in order, effects once per memo key, hooks never twice at once, under random faults, a deploy and slow hooks', async () => {
    // The driver's log (one line per fault) is printed once, with the report.
    const lines: string[] = [];
    let report: ChaosReport;
    try {
      report = await runChaos({
        seed: SEED,
        devPort: DEV_PORT,
        ledgerPort: LEDGER_PORT,
        steps: 10,
        phases: [
          { mode: 'shared', runs: 16, seconds: 15 },
          { mode: 'fallback', runs: 8, seconds: 10 },
          // The kinds the first two phases cover already (SIGKILL, close-all) are left out here.
          { mode: 'deploy', runs: 10, seconds: 10, faults: ['deploy', 'closeBuild', 'secondTab', 'reload'] },
          { mode: 'slowHook', runs: 8, seconds: 6, steps: 3, faults: ['reload', 'crashCreator'] },
        ],
        log: (l) => lines.push(l),
      });
    } finally {
      console.log(lines.join('\n'));
    }
    console.log(renderReport(report));
    expect(report.violations).toEqual([]);
    const [shared, fallback, deploy, slowHook] = report.phases;
    for (const kind of ['reload', 'closeAllReopen', 'sigkillRelaunch', 'secondTab', 'offline'] as const) {
      expect(shared!.faults[kind], `shared: ${kind}`).toBeGreaterThanOrEqual(1);
      expect(fallback!.faults[kind], `fallback: ${kind}`).toBeGreaterThanOrEqual(1);
    }
    expect(shared!.faults.crashCreator + shared!.faults.crashTab).toBeGreaterThanOrEqual(1);
    expect(fallback!.faults.killExecutorTab).toBeGreaterThanOrEqual(1);
    // The workload really ran through the faults: every step's effect reached the ledger.
    expect(shared!.verification.figures['effect keys']).toBe(16 * 10);
    expect(fallback!.verification.figures['effect keys']).toBe(8 * 10);

    // The deploy happened, a build's worker died mid-run, and runs of every workflow crossed it.
    expect(deploy!.faults.deploy).toBe(1);
    expect(deploy!.faults.closeBuild).toBeGreaterThanOrEqual(1);
    expect(deploy!.verification.figures['effect keys']).toBe(10 * 10);
    expect(deploy!.verification.figures['runs of chainNew']).toBeGreaterThanOrEqual(1);
    expect(deploy!.verification.figures['runs whose steps ran in both builds']).toBeGreaterThanOrEqual(1);

    // Hooks outlasted the lease and still ran once at a time, while workers died under them.
    expect(slowHook!.faults.reload + slowHook!.faults.crashCreator + slowHook!.faults.crashTab).toBeGreaterThanOrEqual(2);
    expect(slowHook!.verification.figures['hook calls that outlasted the lease and ended']).toBeGreaterThanOrEqual(8);
  }, 600_000);
});
