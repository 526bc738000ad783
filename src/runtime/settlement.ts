/**
 * One delivery's settlement: what the runner's verdict (or its absence) does to the run, inside
 * the transaction that settles the batch (settle-batch.ts), fenced on the delivery's claim.
 * Whatever the runner returned, a cancel requested meanwhile wins (read inside the transaction,
 * so a cancel that commits between the runner's return and this settlement is not missed),
 * except that a runner-issued cancel keeps its own reason.
 */
import type { QueueOps } from '../queue/ops.ts';
import type { SettleEffects } from '../queue/types.ts';
import type { JobRecord } from '../store/db.ts';
import { advance } from './advance.ts';
import type { RuntimeContext } from './context.ts';
import { releaseStep } from './event-slots.ts';
import type { RunRecord } from './records.ts';
import { addHistory, endRun } from './terminal.ts';
import type { Delivery, SettleResult, Verdict } from './verdict.ts';

/** Settles one delivery from its fenced job and its run record as read at the start of the transaction. */
export async function settleDelivery(ops: QueueOps, ctx: RuntimeContext, d: Delivery, v: Verdict, job: JobRecord, run: RunRecord | undefined): Promise<SettleResult> {
  const t = ops.t;
  if (!run || run.state !== 'active' || run.jobId !== job.id) {
    // A step of a run that ended or moved on (e.g. a dead job requeued by hand): drop it.
    await ops.ack(d.claim);
    return 'orphan';
  }
  const now = ops.now();
  const entry = { stepNumber: d.stepNumber, jobId: job.id, attempt: job.attempts, memoHits: d.memoHits, startedAt: d.startedAt, endedAt: now };
  const verdictMax = job.maxAttempts;
  const externallyCancelled = job.cancelRequested || run.cancelRequested === true;

  if (v.kind === 'cancelled' || (externallyCancelled && !(v.kind === 'outcome' && v.outcome.kind === 'cancel'))) {
    await ops.ack(d.claim, {
      apply: async () => {
        addHistory(t, run, { ...entry, outcome: 'cancelled' });
        await endRun(ops, ctx, run, { status: 'cancelled', finalStep: d.stepNumber, notificationMaxAttempts: verdictMax });
      },
    });
    return 'settled';
  }

  if (v.kind === 'error') {
    const message = v.error.message;
    const fail: SettleEffects = {
      apply: async () => {
        addHistory(t, run, { ...entry, outcome: 'deadLettered', error: message });
        await endRun(ops, ctx, run, { status: 'failed', error: message, finalStep: d.stepNumber });
      },
    };
    if (v.error.kind === 'permanent') {
      await ops.deadLetter(d.claim, message, fail);
      return 'settled';
    }
    const r = await ops.nack(d.claim, message, v.error.retryAfterMs, fail);
    if (r.kind === 'retried') {
      addHistory(t, run, { ...entry, outcome: 'retried', error: message });
      delete run.progress; // the failed attempt's partial output is not the retry's
      run.updatedAt = now;
      t.put('runs', run);
    }
    return 'settled';
  }

  const { outcome, effects } = v;
  const kv: SettleEffects = { kvPut: effects.put, kvDelete: effects.delete };
  // The step-output replay record was committed before this settlement (executor: recordOutcome).
  if (d.eventKey !== undefined) await releaseStep(t, d.eventKey, d.runId, d.consumedBufferId);
  delete run.eventKey;
  delete run.progress;

  switch (outcome.kind) {
    case 'next':
    case 'waitForEvent':
      return advance(ops, ctx, d, run, job.priority, verdictMax, outcome, kv, entry, v.replayed);
    default: {
      const status = outcome.kind === 'succeed' ? 'succeeded' : outcome.kind === 'fail' ? 'failed' : 'cancelled';
      await ops.ack(d.claim, {
        ...kv,
        apply: async () => {
          addHistory(t, run, { ...entry, outcome: status, ...(v.replayed ? { replayed: true } : {}) });
          await endRun(ops, ctx, run, {
            status,
            finalStep: d.stepNumber,
            notificationMaxAttempts: verdictMax,
            ...(outcome.kind === 'succeed' ? { result: outcome.result } : { error: outcome.reason }),
          });
        },
      });
      return 'settled';
    }
  }
}
