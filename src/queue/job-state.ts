/**
 * The job state machine: every change of a job's `state` is one of the functions below, and
 * nothing else in Stepwise writes `state` or a sparse index key of a job.
 *
 * Each state owns its index keys (the index design is in store/db.ts); a transition deletes the
 * keys of the state it leaves and sets those of the state it enters, so a job is in exactly the
 * indexes of its current state:
 *
 *   state      index keys                      claim fields
 *   pending    ready = [queue, priority, runAt] owner, claimToken null
 *   scheduled  due = [queue, runAt]             owner, claimToken null
 *   claimed    leaseUntil                      owner, claimToken set
 *   done       purgeAt (only when kept)        null
 *   dead       purgeAt                         null
 *
 * `dedup` = [queue, dedupKey] is set when a job with a dedup key is created and deleted the
 * first time the job leaves waiting (claimed or dead): a dedup key holds only while the job has
 * never been delivered. It is never set again (a retried or requeued job does not regain it).
 *
 * Transitions:
 *   (new)              -> pending | scheduled   `enterQueue`
 *   scheduled          -> pending               `toWaiting` (promotion, an early wake-up)
 *   pending            -> claimed               `toClaimed`
 *   claimed            -> pending | scheduled   `toWaiting` (a retry, a recovered claim);
 *                                               `returnUnspent` (a claim given back unstarted)
 *   claimed            -> done                  `toDone` (or the job is deleted: `deleteJob`)
 *   claimed | waiting  -> dead                  `toDead`
 *   dead               -> pending               `revive` (a requeue by hand)
 *
 * The functions change the record in memory only: the caller puts it (`t.put('jobs', job)`).
 */
import type { JobAttemptOutcome, JobAttemptRecord, JobRecord } from '../store/db.ts';
import type { Tx } from '../store/tx.ts';
import { randomToken } from '../core/ids.ts';

/** Files a new job: pending when due by `now`, else scheduled; takes its dedup key if it has one. */
export function enterQueue(job: JobRecord, runAt: number, now: number): void {
  if (job.dedupKey !== undefined) job.dedup = [job.queue, job.dedupKey];
  toWaiting(job, runAt, now);
}

/**
 * Moves a job to pending (due by `now`) or scheduled (due later, `runAt` may be `Infinity`:
 * until woken), releasing any claim it held. Keeps `dedup` as it is.
 */
export function toWaiting(job: JobRecord, runAt: number, now: number): void {
  releaseClaim(job);
  delete job.purgeAt;
  delete job.ready;
  delete job.due;
  job.runAt = runAt;
  if (runAt > now) {
    job.state = 'scheduled';
    job.due = [job.queue, runAt];
  } else {
    job.state = 'pending';
    job.ready = [job.queue, job.priority, runAt];
  }
}

/** Claims a pending job for `owner` until `now + leaseMs`: one more attempt. @returns the claim's fence token */
export function toClaimed(job: JobRecord, now: number, owner: string, leaseMs: number): string {
  const token = randomToken();
  delete job.ready;
  delete job.due;
  delete job.dedup; // a delivered job no longer absorbs enqueues of its dedup key
  job.state = 'claimed';
  job.attempts += 1;
  job.claimedAt = now;
  job.owner = owner;
  job.claimToken = token;
  job.leaseUntil = now + leaseMs;
  return token;
}

/**
 * Puts a claimed job back waiting as if the claim had not happened: the attempt it counted is
 * given back (no history line is written for it).
 */
export function returnUnspent(job: JobRecord, runAt: number, now: number): void {
  job.attempts = Math.max(0, job.attempts - 1);
  toWaiting(job, runAt, now);
}

/** Makes a claimed job's lease end at `until`, if that is later than now set. @returns whether it changed */
export function extendLease(job: JobRecord, until: number): boolean {
  if (until <= (job.leaseUntil ?? 0)) return false;
  job.leaseUntil = until;
  return true;
}

/** A claimed job acknowledged and kept until `now + keepMs` (with `keepMs` 0, delete it instead: `deleteJob`). */
export function toDone(job: JobRecord, now: number, keepMs: number): void {
  releaseClaim(job);
  job.state = 'done';
  job.completedAt = now;
  job.purgeAt = now + keepMs;
}

/** Moves a job to `dead` with `reason`, kept until `now + retentionMs`. Attempts are not incremented. */
export function toDead(job: JobRecord, reason: string, now: number, retentionMs: number): void {
  releaseClaim(job);
  delete job.ready;
  delete job.due;
  delete job.dedup;
  job.state = 'dead';
  job.lastError = reason;
  job.failedAt = now;
  job.purgeAt = now + retentionMs;
}

/** A dead job back to pending, due now, with a fresh attempt budget and no error. */
export function revive(job: JobRecord, now: number): void {
  job.attempts = 0;
  job.lastError = null;
  job.failedAt = null;
  job.claimedAt = null;
  toWaiting(job, now, now);
}

/** Appends one line to a job's attempt history (the job record is written by the caller). */
export function recordAttempt(t: Tx, job: JobRecord, outcome: JobAttemptOutcome, error: string | null, at: number, attempt = job.attempts): void {
  const entry: JobAttemptRecord = { jobId: job.id, n: job.historyCount, attempt, outcome, error, claimedAt: outcome === 'requeued' ? null : job.claimedAt, at };
  t.put('attempts', entry);
  job.historyCount++;
}

/** Deletes a job and its history (an acknowledged job not kept, a cancelled one, one past retention). */
export function deleteJob(t: Tx, job: JobRecord): void {
  t.delete('jobs', job.id);
  if (job.historyCount > 0) t.delete('attempts', t.keyRange.bound([job.id], [job.id, []]));
}

/** Clears the claim fields and the claimed state's index key. */
function releaseClaim(job: JobRecord): void {
  job.owner = null;
  job.claimToken = null;
  delete job.leaseUntil;
}
