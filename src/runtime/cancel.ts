/**
 * External cancellation, resolved through stored state, so it works
 * right after a reload: a pending or scheduled step is removed and the run ends `cancelled`
 * in the same transaction; a running step's job and run record are flagged
 * and the run ends when that step settles, whatever it returns. The flag on
 * the job survives redeliveries.
 */
import type { RuntimeContext } from './context.ts';
import type { RunRecord } from './records.ts';
import { addHistory, endRun } from './terminal.ts';
import { checkRunId } from './validate.ts';

export type CancelResult = { cancelled: false } | { cancelled: true; jobId: string; running: boolean };

export async function cancelRun(ctx: RuntimeContext, runId: string): Promise<CancelResult> {
  checkRunId(runId);
  const out = await ctx.queue.transact(async (ops): Promise<CancelResult> => {
    const run = await ops.t.get<RunRecord>('runs', runId);
    if (!run || run.state !== 'active' || run.jobId === undefined || run.cancelRequested) return { cancelled: false };
    const jobId = run.jobId;
    const job = await ops.getJob(jobId);
    if (job?.state === 'claimed') {
      await ops.cancel(jobId);
      run.cancelRequested = true;
      run.updatedAt = ops.now();
      ops.t.put('runs', run);
      return { cancelled: true, jobId, running: true };
    }
    if (job) await ops.cancel(jobId);
    // A missing job cannot happen while the run is active (every path that removes one ends
    // or advances the run in the same transaction); if it does, ending the run is the repair.
    addHistory(ops.t, run, { stepNumber: run.stepNumber, jobId, attempt: job?.attempts ?? 0, outcome: 'cancelled', memoHits: 0, endedAt: ops.now() });
    await endRun(ops, ctx, run, { status: 'cancelled', finalStep: run.stepNumber, notificationMaxAttempts: run.maxAttempts });
    return { cancelled: true, jobId, running: false };
  }, { strict: true });
  if (out.cancelled) {
    if (out.running) ctx.queue.announceCancel(out.jobId);
    ctx.publish([runId]);
  }
  return out;
}
