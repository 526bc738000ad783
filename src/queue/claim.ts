/** Claiming: promote due scheduled jobs, then take the first ready ones, in one transaction. */
import { INDEX, type JobRecord } from '../store/db.ts';
import type { Tx } from '../store/tx.ts';
import type { QueueContext } from './context.ts';
import { toClaimed, toWaiting } from './job-state.ts';
import type { Claim } from './types.ts';

/** Most scheduled jobs promoted by one claim: bounds a claim's cost after a long sleep. */
export const PROMOTE_LIMIT = 256;

/**
 * Moves scheduled jobs of `queue` whose due time has come to pending. Runs inside every claim,
 * so a job is claimable as soon as the clock reaches its `runAt`, with no scheduler tick.
 */
export async function promoteDue(t: Tx, queue: string, now: number, limit = PROMOTE_LIMIT): Promise<number> {
  const due = await t.getAll<JobRecord>('jobs', INDEX.jobs.due, t.keyRange.bound([queue], [queue, now]), limit);
  for (const job of due) {
    toWaiting(job, job.runAt, now);
    t.put('jobs', job);
  }
  return due.length;
}

/** Claims up to `max` jobs of `queue`: priority first, then due time, then enqueue order. */
export async function claimJobs(t: Tx, ctx: QueueContext, queue: string, max: number, owner: string, leaseMs: number | undefined): Promise<Claim[]> {
  if (max <= 0) return [];
  const now = ctx.clock.now();
  // Both reads are issued at once (IndexedDB answers them in order, with no JS round trip
  // between them); only when something was promoted is `ready` read again to see it.
  const readyRange = t.keyRange.bound([queue], [queue, []]);
  const [promoted, first] = await Promise.all([promoteDue(t, queue, now), t.getAll<JobRecord>('jobs', INDEX.jobs.ready, readyRange, max)]);
  const jobs = promoted > 0 ? await t.getAll<JobRecord>('jobs', INDEX.jobs.ready, readyRange, max) : first;
  const lease = leaseMs ?? ctx.config(queue).leaseMs;
  return jobs.map((job) => takeClaim(t, job, now, owner, lease));
}

/** Marks a pending job claimed by `owner` (writing it) and returns the claim. */
export function takeClaim(t: Tx, job: JobRecord, now: number, owner: string, leaseMs: number): Claim {
  const token = toClaimed(job, now, owner, leaseMs);
  t.put('jobs', job);
  return { job: { ...job }, token, owner };
}

/** The order of the `ready` index: priority, then due time, then id (enqueue order). */
export function readyOrder(a: JobRecord, b: JobRecord): number {
  return a.priority - b.priority || a.runAt - b.runAt || (a.id < b.id ? -1 : a.id > b.id ? 1 : 0);
}

/** The earliest due time of a scheduled job in `queue`, if any: when to look again. */
export async function nextDueAt(t: Tx, queue: string): Promise<number | undefined> {
  const job = await t.first<JobRecord>('jobs', INDEX.jobs.due, t.keyRange.bound([queue], [queue, []]));
  return job?.runAt;
}
