/**
 * What every queue operation needs besides its transaction: time, ids, per-queue settings.
 * Operations are plain functions of `(t, ctx, …)` so that they can be group-committed
 * (store/committer.ts) and re-run after an abort.
 */
import type { Clock } from '../core/clock.ts';
import { checkMs } from '../core/check.ts';
import { WorkflowError, invalidArgument } from '../core/errors.ts';
import type { UlidGenerator } from '../core/ids.ts';
import { DEFAULT_RETRY, definedOnly, retryPolicy } from '../core/retry.ts';
import type { JobAttemptOutcome, JobAttemptRecord, JobRecord } from '../store/db.ts';
import type { Tx } from '../store/tx.ts';
import type { AutoDeadLetterHook, AutoRequeueHook, QueueConfig, QueueConfigInput } from './types.ts';

export interface QueueContext {
  readonly clock: Clock;
  readonly ids: UlidGenerator;
  config(queue: string): QueueConfig;
  /** Queues known to have a `queues` record: saves a read per enqueue. */
  readonly knownQueues: Set<string>;
  readonly onAutoDeadLetter: AutoDeadLetterHook | undefined;
  readonly onAutoRequeue: AutoRequeueHook | undefined;
}

export const DEFAULT_QUEUE_CONFIG: Readonly<QueueConfig> = Object.freeze({
  retry: DEFAULT_RETRY,
  leaseMs: 30_000,
  keepDoneMs: 0,
  deadRetentionMs: 7 * 24 * 3600 * 1000,
  maxPayloadBytes: 1024 * 1024,
});

/** Merges and validates configuration. @throws WorkflowError `InvalidArgument` */
export function queueConfig(input: QueueConfigInput | undefined, base: QueueConfig = DEFAULT_QUEUE_CONFIG): QueueConfig {
  if (input !== undefined && (typeof input !== 'object' || input === null)) throw invalidArgument('queue config', 'must be an object');
  const { retry, ...rest } = input ?? {};
  const c: QueueConfig = { ...base, ...definedOnly(rest), retry: retryPolicy(retry, base.retry) };
  for (const k of ['leaseMs', 'keepDoneMs', 'deadRetentionMs'] as const) checkMs(c[k], k);
  if (!(Number.isInteger(c.maxPayloadBytes) && c.maxPayloadBytes > 0)) throw invalidArgument('maxPayloadBytes', 'must be a positive integer', c.maxPayloadBytes);
  return c;
}

/** Queue names are 1–255 characters. @throws WorkflowError `InvalidQueueName` */
export function checkQueueName(queue: unknown): asserts queue is string {
  if (typeof queue !== 'string' || queue.length === 0 || queue.length > 255) {
    throw new WorkflowError('InvalidQueueName', 'a queue name must be a string of 1 to 255 characters', {
      length: typeof queue === 'string' ? queue.length : null,
    });
  }
}

/** Appends one line to a job's attempt history (the job record is written by the caller). */
export function recordAttempt(t: Tx, job: JobRecord, outcome: JobAttemptOutcome, error: string | null, at: number, attempt = job.attempts): void {
  const entry: JobAttemptRecord = { jobId: job.id, n: job.historyCount, attempt, outcome, error, claimedAt: outcome === 'requeued' ? null : job.claimedAt, at };
  t.put('attempts', entry);
  job.historyCount++;
}

/** Deletes a job and its history. */
export function deleteJob(t: Tx, job: JobRecord): void {
  t.delete('jobs', job.id);
  if (job.historyCount > 0) t.delete('attempts', t.keyRange.bound([job.id], [job.id, []]));
}

/** Clears the claim fields and index keys of a job leaving the claimed state. */
export function releaseClaim(job: JobRecord): void {
  job.owner = null;
  job.claimToken = null;
  delete job.leaseUntil;
}

/** Moves a job to `dead`, stamping retention. Attempts are not incremented. */
export function markDead(ctx: QueueContext, job: JobRecord, reason: string, now: number): void {
  releaseClaim(job);
  delete job.ready;
  delete job.due;
  delete job.dedup;
  job.state = 'dead';
  job.lastError = reason;
  job.failedAt = now;
  job.purgeAt = now + ctx.config(job.queue).deadRetentionMs;
}

/** Moves a job to pending (due now or earlier) or scheduled (due later). */
export function markWaiting(job: JobRecord, runAt: number, now: number): void {
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
