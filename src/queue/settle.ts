/**
 * Settlement: ack, nack, dead-letter, cancel, each one transaction with its effects.
 *
 * Every settlement passes through `fence` first: the job must still be claimed under the
 * token this delivery got. Otherwise it was reaped, recovered, re-claimed or already settled,
 * and the settlement fails `ClaimLost` having applied nothing (the throw aborts the transaction).
 */
import { WorkflowError } from '../core/errors.ts';
import { checkJson } from '../core/json.ts';
import { backoffDelay } from '../core/retry.ts';
import type { JobRecord } from '../store/db.ts';
import type { Tx } from '../store/tx.ts';
import type { QueueContext } from './context.ts';
import { DoneCounters } from './counters.ts';
import { insertJob } from './enqueue.ts';
import { deleteJob, extendLease, recordAttempt, toDead, toDone, toWaiting } from './job-state.ts';
import type { CancelOutcome, Claim, EnqueueOutcome, NackOutcome, SettleEffects, WakeOutcome } from './types.ts';

/** The current record of a claimed job, or `ClaimLost`. */
export async function fence(t: Tx, claim: Claim): Promise<JobRecord> {
  const job = await t.get<JobRecord>('jobs', claim.job.id);
  if (!job || job.state !== 'claimed' || job.claimToken !== claim.token) {
    throw new WorkflowError('ClaimLost', `the claim on job ${claim.job.id} is no longer held (reclaimed, expired or settled)`, {
      jobId: claim.job.id,
      state: job?.state ?? null,
    });
  }
  return job;
}

/** Applies settlement effects (already validated) inside the settlement's transaction. */
export async function applyEffects(t: Tx, ctx: QueueContext, effects: SettleEffects | undefined): Promise<EnqueueOutcome[]> {
  if (!effects) return [];
  const out: EnqueueOutcome[] = [];
  for (const f of effects.enqueue ?? []) out.push(await insertJob(t, ctx, f.queue, f.payload, f));
  for (const [key, value] of Object.entries(effects.kvPut ?? {})) t.put('kv', { key, value });
  for (const key of effects.kvDelete ?? []) t.delete('kv', key);
  if (effects.apply) await effects.apply(t, out);
  return out;
}

/**
 * Acknowledges a claim: the job is done (kept or deleted per `keepDoneMs`) and its effects are
 * applied. `fenced` is the job's record when the caller has fenced it in this transaction
 * already; `counters` the transaction's done counters when it has more than one ack.
 */
export async function ack(t: Tx, ctx: QueueContext, claim: Claim, effects?: SettleEffects, fenced?: JobRecord, counters = new DoneCounters(t)): Promise<EnqueueOutcome[]> {
  // The done counter is read beside the fence (one round trip, not two); unused if the fence fails.
  counters.prefetch(claim.job.queue);
  const job = fenced ?? (await fence(t, claim));
  const now = ctx.clock.now();
  const keep = ctx.config(job.queue).keepDoneMs;
  if (keep > 0) {
    toDone(job, now, keep);
    recordAttempt(t, job, 'completed', null, now);
    t.put('jobs', job);
  } else {
    deleteJob(t, job);
  }
  await counters.bump(job.queue);
  return applyEffects(t, ctx, effects);
}

/**
 * A failed attempt: retried after backoff while attempts remain (effects dropped), otherwise
 * dead-lettered with its effects applied.
 */
export async function nack(t: Tx, ctx: QueueContext, claim: Claim, error: string, retryAfterMs: number | undefined, effects?: SettleEffects, fenced?: JobRecord): Promise<NackOutcome> {
  const job = fenced ?? (await fence(t, claim));
  const now = ctx.clock.now();
  if (job.attempts >= job.maxAttempts) {
    return { kind: 'deadLettered', followUps: await deadLetterJob(t, ctx, job, error, now, effects) };
  }
  recordAttempt(t, job, 'retried', error, now);
  job.lastError = error;
  const delay = backoffDelay(ctx.config(job.queue).retry, job.attempts, retryAfterMs);
  toWaiting(job, now + delay, now);
  t.put('jobs', job);
  return { kind: 'retried', runAt: job.runAt };
}

export async function deadLetter(t: Tx, ctx: QueueContext, claim: Claim, reason: string, effects?: SettleEffects, fenced?: JobRecord): Promise<EnqueueOutcome[]> {
  const job = fenced ?? (await fence(t, claim));
  return deadLetterJob(t, ctx, job, reason, ctx.clock.now(), effects);
}

async function deadLetterJob(t: Tx, ctx: QueueContext, job: JobRecord, reason: string, now: number, effects?: SettleEffects): Promise<EnqueueOutcome[]> {
  recordAttempt(t, job, 'deadLettered', reason, now);
  toDead(job, reason, now, ctx.config(job.queue).deadRetentionMs);
  t.put('jobs', job);
  return applyEffects(t, ctx, effects);
}

/**
 * Cancels a job: a waiting one is removed (with its effects); a claimed one gets a persisted
 * cancel request (effects dropped) that every later delivery sees; anything else is not found.
 */
export async function cancel(t: Tx, ctx: QueueContext, jobId: string, effects?: SettleEffects): Promise<CancelOutcome> {
  const job = await t.get<JobRecord>('jobs', jobId);
  if (!job || job.state === 'done' || job.state === 'dead') return { kind: 'notFound' };
  if (job.state === 'claimed') {
    if (!job.cancelRequested) {
      job.cancelRequested = true;
      t.put('jobs', job);
    }
    return { kind: 'requested' };
  }
  deleteJob(t, job);
  return { kind: 'removed', followUps: await applyEffects(t, ctx, effects) };
}

/** Makes a scheduled job due now, optionally handing it a payload (an event delivery). */
export async function wakeScheduled(t: Tx, ctx: QueueContext, jobId: string, payload: JobRecord['wakePayload'] | undefined): Promise<WakeOutcome> {
  const job = await t.get<JobRecord>('jobs', jobId);
  if (!job) return 'notFound';
  // Sized here, where the job's queue (and so its limit) is known; the throw writes nothing.
  if (payload !== undefined) checkJson(payload, 'wake payload', ctx.config(job.queue).maxPayloadBytes);
  if (job.state !== 'scheduled') return job.state === 'done' || job.state === 'dead' ? 'notFound' : 'notScheduled';
  const now = ctx.clock.now();
  job.wakePayload = payload ?? null;
  job.wokenAt = now;
  toWaiting(job, now, now);
  t.put('jobs', job);
  return 'woken';
}

/** Margin added by `ensureLease` so a settlement has time to commit before the lease ends. */
export const LEASE_SETTLE_MARGIN_MS = 5000;

/**
 * Makes the lease last at least `ms` (+ the settle margin) from now; never shortens it.
 * @returns the lease expiry after the call. @throws `ClaimLost`
 */
export async function ensureLease(t: Tx, ctx: QueueContext, claim: Claim, ms: number): Promise<number> {
  const job = await fence(t, claim);
  const target = ctx.clock.now() + ms + LEASE_SETTLE_MARGIN_MS;
  if (extendLease(job, target)) t.put('jobs', job);
  return job.leaseUntil ?? target;
}
