/** Read-side inspection (stats, jobs, dead letters, history) and the dead-letter requeue. */
import { WorkflowError, invalidArgument } from '../core/errors.ts';
import { INDEX, type JobAttemptRecord, type JobRecord, type JobState, type QueueRecord } from '../store/db.ts';
import type { Tx } from '../store/tx.ts';
import type { QueueContext } from './context.ts';
import { recordAttempt, revive } from './job-state.ts';
import type { QueueStats } from './types.ts';

export async function stats(t: Tx, queue: string): Promise<QueueStats> {
  const count = (state: JobState) => t.count('jobs', INDEX.jobs.queueState, [queue, state]);
  const [pending, scheduled, claimed, dead, counter] = await Promise.all([
    count('pending'),
    count('scheduled'),
    count('claimed'),
    count('dead'),
    t.get<QueueRecord>('queues', queue),
  ]);
  return { pending, scheduled, claimed, dead, done: counter?.done ?? 0 };
}

/** The largest page `deadJobs` returns: a page is held in memory whole. */
export const MAX_DEAD_JOBS_PAGE = 1000;

/** @throws `InvalidArgument` unless `limit` is an integer from 0 to `MAX_DEAD_JOBS_PAGE` */
export function checkDeadJobsLimit(limit: unknown): asserts limit is number {
  if (!(Number.isSafeInteger(limit) && (limit as number) >= 0 && (limit as number) <= MAX_DEAD_JOBS_PAGE)) {
    throw invalidArgument('limit', `must be an integer from 0 to ${MAX_DEAD_JOBS_PAGE}; page on with \`after\` (the last job id of a page)`, limit);
  }
}

/**
 * Dead jobs of `queue` in id order, `limit` (at most `MAX_DEAD_JOBS_PAGE`) at a time after the
 * id `after`. Reads only the page: a key cursor on the queue's dead jobs starts right after
 * `after`, however many dead jobs there are.
 * @throws `InvalidArgument` for a limit out of range
 */
export async function deadJobs(t: Tx, queue: string, after: string | undefined, limit: number): Promise<JobRecord[]> {
  checkDeadJobsLimit(limit);
  if (limit === 0) return [];
  const ids = await deadIds(t, queue, after, limit);
  const jobs = await Promise.all(ids.map((id) => t.get<JobRecord>('jobs', id)));
  return jobs.filter((j): j is JobRecord => j !== undefined);
}

/** Up to `limit` ids of `queue`'s dead jobs greater than `after`, in order. */
function deadIds(t: Tx, queue: string, after: string | undefined, limit: number): Promise<string[]> {
  const key = [queue, 'dead'];
  return new Promise((resolve, reject) => {
    const ids: string[] = [];
    const r = t.raw.objectStore('jobs').index(INDEX.jobs.queueState).openKeyCursor(t.keyRange.only(key));
    let jumped = false;
    r.onsuccess = () => {
      const cursor = r.result;
      if (!cursor) return resolve(ids);
      const id = cursor.primaryKey as string;
      if (after !== undefined && id <= after) {
        if (jumped) return cursor.continue(); // on `after` itself
        jumped = true;
        // Entries of one index key are in id order: jump to `after` instead of walking to it.
        return cursor.continuePrimaryKey(key, after);
      }
      ids.push(id);
      if (ids.length >= limit) return resolve(ids);
      cursor.continue();
    };
    r.onerror = () => reject(r.error);
  });
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
  revive(job, now);
  t.put('jobs', job);
  return job.queue;
}
