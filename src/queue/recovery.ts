/**
 * Getting claims back: the reaper (time leases), owner-liveness recovery (a dead runtime's
 * claims, Web Locks in the browser, "everyone else" at open in Node), and the retention sweep.
 *
 * A recovered claim goes back to pending with its attempts unchanged, so its next delivery
 * counts one more; one already at its limit is dead-lettered instead, and the layer above
 * hears of it in the same transaction (`onAutoDeadLetter`), so a run never stays half-ended.
 * A record that cannot be processed (corrupt, foreign) is skipped, never blocking the rest.
 *
 * A dead-letter that ends a run promises what a terminal settlement does: it commits with
 * `strict` durability. Recovery runs relaxed (it mostly requeues); the layer above refuses to
 * end a run in a relaxed transaction (`requireStrict`), and `writeRecovery` then runs the whole
 * recovery again, strictly, so the rare dead-letter costs one aborted transaction.
 */
import { INDEX, type JobRecord } from '../store/db.ts';
import type { Store } from '../store/store.ts';
import type { Tx, TxBody } from '../store/tx.ts';
import type { QueueContext } from './context.ts';
import { deleteJob, recordAttempt, toDead, toWaiting } from './job-state.ts';
import { QueueOps } from './ops.ts';
import type { AutoDeadLetterReason } from './types.ts';

/**
 * Called inside the transaction that dead-lettered `job` on the queue's own initiative, so the
 * layer above can end what the job belonged to in the same commit: a run never stays active
 * on a job the queue gave up on.
 */
export type AutoDeadLetterHook = (ops: QueueOps, job: Readonly<JobRecord>, reason: AutoDeadLetterReason) => Promise<void> | void;

/** Called inside the transaction that returned a recovered claim to pending (for attempt histories). */
export type AutoRequeueHook = (ops: QueueOps, job: Readonly<JobRecord>, reason: AutoDeadLetterReason) => Promise<void> | void;

/** The queue's context with the hooks of the layer above, which only recovery calls. */
export interface RecoveryContext extends QueueContext {
  readonly onAutoDeadLetter: AutoDeadLetterHook | undefined;
  readonly onAutoRequeue: AutoRequeueHook | undefined;
}

export interface RecoveryOutcome {
  requeued: string[];
  deadLettered: string[];
  /** Records that could not be processed and were left in place. */
  skipped: number;
}

/** Recovers every claim whose lease has expired (`leaseUntil <= now`), except those whose token is in `held`. */
export async function reapExpired(t: Tx, ctx: RecoveryContext, limit = 512, held: ReadonlySet<string> = new Set()): Promise<RecoveryOutcome> {
  const now = ctx.clock.now();
  // Read past the held claims, so that they never crowd the others out of one reap.
  const expired = await t.getAll<JobRecord>('jobs', INDEX.jobs.leaseUntil, t.keyRange.upperBound(now), limit + held.size);
  return recover(t, ctx, expired.filter((j) => j.claimToken === null || !held.has(j.claimToken)).slice(0, limit), 'lease expired', now);
}

/**
 * Recovers every claim whose owner `isDead` says is gone, whatever its lease says; only on
 * `queue` when given (another runtime's queue is not ours to recover).
 */
export async function recoverOwners(t: Tx, ctx: RecoveryContext, isDead: (owner: string | null) => boolean, queue?: string): Promise<RecoveryOutcome> {
  const claimed = await t.getAll<JobRecord>('jobs', INDEX.jobs.leaseUntil);
  return recover(
    t,
    ctx,
    claimed.filter((j) => (queue === undefined || j.queue === queue) && isDead(j.owner)),
    'interrupted',
    ctx.clock.now(),
  );
}

/** The owners of all current claims (for a liveness check made outside any transaction). */
export async function claimOwners(t: Tx): Promise<Set<string | null>> {
  const claimed = await t.getAll<JobRecord>('jobs', INDEX.jobs.leaseUntil);
  return new Set(claimed.map((j) => j.owner));
}

async function recover(t: Tx, ctx: RecoveryContext, jobs: JobRecord[], reason: AutoDeadLetterReason, now: number): Promise<RecoveryOutcome> {
  const out: RecoveryOutcome = { requeued: [], deadLettered: [], skipped: 0 };
  for (const job of jobs) {
    if (!isClaimedJob(job)) {
      out.skipped++;
      continue;
    }
    if (job.attempts >= job.maxAttempts) {
      recordAttempt(t, job, 'deadLettered', reason, now);
      toDead(job, reason, now, ctx.config(job.queue).deadRetentionMs);
      t.put('jobs', job);
      if (ctx.onAutoDeadLetter) await ctx.onAutoDeadLetter(new QueueOps(t, ctx, ''), job, reason);
      out.deadLettered.push(job.id);
    } else {
      recordAttempt(t, job, reason === 'lease expired' ? 'leaseExpired' : 'interrupted', null, now);
      toWaiting(job, now, now);
      t.put('jobs', job);
      if (ctx.onAutoRequeue) await ctx.onAutoRequeue(new QueueOps(t, ctx, ''), job, reason);
      out.requeued.push(job.id);
    }
  }
  return out;
}

/** A claimed record with the fields recovery relies on; anything else is left alone. */
function isClaimedJob(j: unknown): j is JobRecord {
  if (typeof j !== 'object' || j === null) return false;
  const r = j as Partial<JobRecord>;
  return (
    typeof r.id === 'string' &&
    typeof r.queue === 'string' &&
    r.state === 'claimed' &&
    typeof r.attempts === 'number' &&
    typeof r.maxAttempts === 'number' &&
    typeof r.priority === 'number' &&
    typeof r.historyCount === 'number'
  );
}

/** Deletes kept done jobs and dead jobs whose retention has run out. */
export async function sweepRetention(t: Tx, ctx: QueueContext, limit = 512): Promise<number> {
  const expired = await t.getAll<JobRecord>('jobs', INDEX.jobs.purgeAt, t.keyRange.upperBound(ctx.clock.now()), limit);
  for (const job of expired) deleteJob(t, job);
  return expired.length;
}

/**
 * Thrown inside a transaction that is not `strict` by a body whose writes must be (it ends a
 * run). It never reaches a caller: whoever opened the transaction runs the body again, strictly.
 */
export class StrictRequired extends Error {
  constructor() {
    super('this write must commit with strict durability');
    this.name = 'StrictRequired';
  }
}

/**
 * @throws `StrictRequired` unless `t` commits with strict durability (an engine that does not
 * report durability, and so ignores the hint, is taken at its word)
 */
export function requireStrict(t: Tx): void {
  const durability: string | undefined = t.raw.durability;
  if (durability !== undefined && durability !== 'strict') throw new StrictRequired();
}

/**
 * Runs `body` in a relaxed read-write transaction, or again in a strict one when it turns out to
 * need one (`requireStrict`): for writes that only sometimes end a run.
 */
export async function writeRecovery<T>(store: Store, body: TxBody<T>): Promise<T> {
  try {
    return await store.write(body);
  } catch (e) {
    if (!(e instanceof StrictRequired)) throw e;
    return store.write(body, { strict: true });
  }
}
