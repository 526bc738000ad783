/** Read-side inspection (stats, jobs, dead letters, history) and the dead-letter requeue. */
import { WorkflowError } from '../core/errors.ts';
import type { JobAttemptRecord, JobRecord, JobState, QueueRecord } from '../store/db.ts';
import type { Tx } from '../store/tx.ts';
import { markWaiting, recordAttempt, type QueueContext } from './context.ts';
import type { QueueStats } from './types.ts';

export async function stats(t: Tx, queue: string): Promise<QueueStats> {
  const count = (state: JobState) => t.count('jobs', '[queue+state]', [queue, state]);
  const [pending, scheduled, claimed, dead, counter] = await Promise.all([
    count('pending'),
    count('scheduled'),
    count('claimed'),
    count('dead'),
    t.get<QueueRecord>('queues', queue),
  ]);
  return { pending, scheduled, claimed, dead, done: counter?.done ?? 0 };
}

/** Dead jobs of `queue` in id order, `limit` at a time after the id `after`. */
export async function deadJobs(t: Tx, queue: string, after: string | undefined, limit: number): Promise<JobRecord[]> {
  if (limit <= 0) return [];
  const ids = (await t.getAllKeys('jobs', '[queue+state]', [queue, 'dead'])) as string[];
  const page = ids.filter((id) => after === undefined || id > after).slice(0, limit);
  const jobs = await Promise.all(page.map((id) => t.get<JobRecord>('jobs', id)));
  return jobs.filter((j): j is JobRecord => j !== undefined);
}

export function history(t: Tx, jobId: string): Promise<JobAttemptRecord[]> {
  return t.getAll<JobAttemptRecord>('attempts', undefined, t.keyRange.bound([jobId], [jobId, []]));
}

/**
 * Puts a dead job back to pending with a fresh attempt budget. `check` may refuse inside the
 * same transaction (the runtime refuses steps of runs already ended).
 * @returns the job's queue. @throws `JobNotFound`, `InvalidState` (the job is not dead)
 */
export async function requeueDead(t: Tx, ctx: QueueContext, jobId: string, check?: (t: Tx, job: JobRecord) => Promise<void> | void): Promise<string> {
  const job = await t.get<JobRecord>('jobs', jobId);
  if (!job) throw new WorkflowError('JobNotFound', `no job ${jobId}`, { jobId });
  if (job.state !== 'dead') throw new WorkflowError('InvalidState', `job ${jobId} is ${job.state}, not dead`, { jobId, state: job.state });
  if (check) await check(t, job);
  const now = ctx.clock.now();
  recordAttempt(t, job, 'requeued', null, now, 0);
  delete job.purgeAt;
  job.attempts = 0;
  job.lastError = null;
  job.failedAt = null;
  job.claimedAt = null;
  markWaiting(job, now, now);
  t.put('jobs', job);
  return job.queue;
}
