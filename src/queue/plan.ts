/**
 * A claim planned from reads issued at the START of a transaction, so that a settlement which
 * also claims the next job pays no read round trip after its writes. Each sequential read in a
 * transaction costs about as much as a whole single-put commit (docs/platform.md; bench profile:
 * ~0.5 ms a wave), so a settlement-and-claim is one read wave + its writes + the commit.
 *
 * Invariant that makes the plan exact: the first `m` ready jobs of the queue at claim time
 * (m <= max) are the first `m`, in `ready` order, of
 *   (a) the first `max` ready jobs read at the start, none of which this transaction wrote since,
 *   (b) every job this transaction wrote as pending in this queue (new, retried, woken, promoted).
 * A job of (a) that the transaction did write breaks it (a job after the first `max` could now
 * belong in front): the plan is then stale and the claim reads the index again (`claimJobs`).
 * Transactions are serialised, so nothing outside this one changes the queue meanwhile.
 */
import { INDEX, type JobRecord } from '../store/db.ts';
import type { Tx } from '../store/tx.ts';
import { PROMOTE_LIMIT, readyOrder, takeClaim } from './claim.ts';
import type { QueueContext } from './context.ts';
import { toWaiting } from './job-state.ts';
import type { Claim } from './types.ts';

export class ClaimPlan {
  readonly queue: string;
  readonly max: number;
  readonly #now: number;
  /** The first `max` ready jobs as read at the start of the transaction. */
  readonly ready: Promise<JobRecord[]>;
  readonly #due: Promise<JobRecord[]>;

  /** Issues the reads at once; the caller must not have written to this queue's jobs yet in this transaction. */
  constructor(t: Tx, queue: string, max: number, now: number) {
    this.queue = queue;
    this.max = max;
    this.#now = now;
    this.ready = t.getAll<JobRecord>('jobs', INDEX.jobs.ready, t.keyRange.bound([queue], [queue, []]), max);
    this.#due = t.getAll<JobRecord>('jobs', INDEX.jobs.due, t.keyRange.bound([queue], [queue, now]), PROMOTE_LIMIT);
    // Awaited by `claim`; a plan left unused must not report an unhandled rejection.
    this.ready.catch(() => undefined);
    this.#due.catch(() => undefined);
  }

  /**
   * Claims up to `max` jobs from the plan's reads and `written` (this transaction's job writes,
   * id → record as written, null when deleted). @returns undefined when the plan is stale
   */
  async claim(t: Tx, ctx: QueueContext, written: ReadonlyMap<string, JobRecord | null>, max: number, owner: string, leaseMs: number | undefined): Promise<Claim[] | undefined> {
    const [ready, due] = await Promise.all([this.ready, this.#due]);
    if (max > this.max || ready.some((j) => written.has(j.id))) return undefined;
    // Promote as claimJobs does, with the time of the reads; a job written since keeps its new state.
    for (const job of due) {
      if (written.has(job.id)) continue;
      toWaiting(job, job.runAt, this.#now);
      t.put('jobs', job); // now in `written`, as pending
    }
    const candidates = [...ready];
    for (const job of written.values()) if (job && job.state === 'pending' && job.queue === this.queue) candidates.push(job);
    candidates.sort(readyOrder);
    const now = ctx.clock.now();
    const lease = leaseMs ?? ctx.config(this.queue).leaseMs;
    return candidates.slice(0, max).map((job) => takeClaim(t, job, now, owner, lease));
  }
}
