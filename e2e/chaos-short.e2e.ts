/**
 * The short chaos run for CI (the full one is `npm run chaos`, chaos/run.ts): 20 runs × 10 steps
 * with one SharedWorker, then 10 runs × 10 steps in fallback mode (no SharedWorker, a worker per
 * tab), each under a short window of random faults: reloads, close-all/reopen, a crash of the
 * worker's creator tab, SIGKILL + relaunch on the same profile, extra tabs, offline (the ledger
 * stopped + a simulated navigator.onLine), and in fallback mode the executor's tab killed. Every
 * step's side effect goes to a ledger server on 127.0.0.1, guarded by a memo.
 *
 * The verdict is about correctness only, never timing: every run terminal exactly once with
 * its whole chain, its terminal notification delivered, no step skipped or out of order, each
 * memoized effect once per key except those interrupted between the effect and the memo write
 * (counted apart), the queue empty. The fault window goes on until every fault kind was
 * injected once, so the counts below are not left to chance.
 */
import { describe, expect, it } from 'vitest';
import { runChaos, type ChaosReport } from '../chaos/driver.ts';
import { renderReport } from '../chaos/report.ts';

/** This file's port range: 27600–27619 (dev server 27600, ledger 27601). */
const DEV_PORT = 27600;
const LEDGER_PORT = 27601;
const SEED = 20261122;

describe('chaos (short)', () => {
  it('keeps every run exactly-once-terminal, in order, effects once per memo key, under random faults', async () => {
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
          { mode: 'shared', runs: 20, seconds: 20 },
          { mode: 'fallback', runs: 10, seconds: 12 },
        ],
        log: (l) => lines.push(l),
      });
    } finally {
      console.log(lines.join('\n'));
    }
    console.log(renderReport(report));
    expect(report.violations).toEqual([]);
    const [shared, fallback] = report.phases;
    for (const kind of ['reload', 'closeAllReopen', 'sigkillRelaunch', 'secondTab', 'offline'] as const) {
      expect(shared!.faults[kind], `shared: ${kind}`).toBeGreaterThanOrEqual(1);
      expect(fallback!.faults[kind], `fallback: ${kind}`).toBeGreaterThanOrEqual(1);
    }
    expect(shared!.faults.crashCreator + shared!.faults.crashTab).toBeGreaterThanOrEqual(1);
    expect(fallback!.faults.killExecutorTab).toBeGreaterThanOrEqual(1);
    // The workload really ran through the faults: every step's effect reached the ledger.
    expect(shared!.verification.figures['effect keys']).toBe(20 * 10);
    expect(fallback!.verification.figures['effect keys']).toBe(10 * 10);
  }, 600_000);
});
