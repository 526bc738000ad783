/**
 * What the runtime does inside the queue's own recovery transactions (the reaper, a dead
 * owner's claims): one history record per attempt, including the attempts the queue took back,
 * and a step the queue dead-letters on its own ends its run in that same commit, so a run never
 * stays active on a job the queue gave up on.
 */
import { WorkflowError } from '../core/errors.ts';
import type { QueueOps } from '../queue/ops.ts';
import type { JobRecord } from '../store/db.ts';
import type { Tx } from '../store/tx.ts';
import type { RuntimeContext } from './context.ts';
import { HEADER, type RunRecord } from './records.ts';
import { addHistory, endRun } from './terminal.ts';

/**
 * The run whose current step is `job`, with the attempt the queue took back recorded in its
 * history; undefined for notification jobs, other queues and runs that moved on.
 */
async function recordRecovered(ctx: RuntimeContext, ops: QueueOps, job: Readonly<JobRecord>, reason: string): Promise<RunRecord | undefined> {
  if (job.queue !== ctx.options.queueName || job.headers[HEADER.terminal] !== undefined || job.runId === undefined) return undefined;
  const run = await ops.t.get<RunRecord>('runs', job.runId);
  if (!run || run.state !== 'active' || run.jobId !== job.id) return undefined;
  addHistory(ops.t, run, {
    stepNumber: run.stepNumber,
    jobId: job.id,
    attempt: job.attempts,
    outcome: reason === 'lease expired' ? 'leaseExpired' : 'interrupted',
    error: reason,
    memoHits: 0,
    endedAt: ops.now(),
  });
  return run;
}

/** The queue put a recovered step back to pending: its run records the interrupted attempt. */
export async function onStepRequeued(ctx: RuntimeContext, ops: QueueOps, job: Readonly<JobRecord>, reason: string): Promise<void> {
  const run = await recordRecovered(ctx, ops, job, reason);
  if (!run) return;
  run.updatedAt = ops.now();
  ops.t.put('runs', run);
}

/**
 * The queue dead-lettered a step on its own: its run ends (failed, or cancelled when a cancel
 * was requested) in the same commit. @returns the id of the run ended, if any
 */
export async function onStepDeadLettered(ctx: RuntimeContext, ops: QueueOps, job: Readonly<JobRecord>, reason: string): Promise<string | undefined> {
  const run = await recordRecovered(ctx, ops, job, reason);
  if (!run) return undefined;
  const cancelled = job.cancelRequested || run.cancelRequested === true;
  await endRun(ops, ctx, run, cancelled ? { status: 'cancelled', finalStep: run.stepNumber } : { status: 'failed', error: reason, finalStep: run.stepNumber });
  return run.runId;
}

/**
 * The check of `requeueDead`: a step job is dead-lettered only together with the end of its
 * run, and a run ends once, so requeueing a dead step job is refused (`RunTerminal`); a dead
 * notification job may be requeued.
 */
export function refuseEndedRunRequeue(ctx: RuntimeContext): (t: Tx, job: JobRecord) => Promise<void> {
  return async (t, job) => {
    if (job.queue !== ctx.options.queueName || job.headers[HEADER.terminal] !== undefined) return;
    const runId = job.runId ?? job.headers[HEADER.runId];
    const run = runId !== undefined ? await t.get<RunRecord>('runs', runId) : undefined;
    if (!run || run.state !== 'active' || run.jobId !== job.id) {
      throw new WorkflowError('RunTerminal', `the run of job ${job.id} has already ended`, { jobId: job.id, runId: runId ?? null });
    }
  };
}
