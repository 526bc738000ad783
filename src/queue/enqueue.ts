/** Enqueueing: the insert every other path (batch, follow-ups of a settlement) goes through. */
import { WorkflowError } from '../core/errors.ts';
import type { Json } from '../core/json.ts';
import { INDEX, type JobRecord, type QueueRecord } from '../store/db.ts';
import type { Tx } from '../store/tx.ts';
import type { QueueContext } from './context.ts';
import { enterQueue } from './job-state.ts';
import { Priority, type EnqueueOptions, type EnqueueOutcome } from './types.ts';

/**
 * Inserts one (already validated) job. A dedup hit returns the waiting job and writes nothing
 * (not even `kvPut`); a taken id override throws `DuplicateJobId`.
 */
export async function insertJob(t: Tx, ctx: QueueContext, queue: string, payload: Json, o: EnqueueOptions = {}): Promise<EnqueueOutcome> {
  if (o.dedupKey !== undefined) {
    const waiting = await t.getBy<JobRecord>('jobs', INDEX.jobs.dedup, [queue, o.dedupKey]);
    if (waiting) return { kind: 'alreadyEnqueued', id: waiting.id };
  }
  let id: string;
  if (o.id !== undefined) {
    if (await t.get('jobs', o.id)) throw new WorkflowError('DuplicateJobId', `a job with id ${o.id} already exists`, { id: o.id });
    id = o.id;
  } else {
    id = ctx.ids.next();
  }
  const now = ctx.clock.now();
  const job: JobRecord = {
    id,
    queue,
    state: 'pending',
    payload,
    headers: o.headers ?? {},
    priority: o.priority ?? Priority.NORMAL,
    runAt: now,
    enqueuedAt: now,
    attempts: 0,
    maxAttempts: o.maxAttempts ?? ctx.config(queue).retry.maxAttempts,
    cancelRequested: false,
    lastError: null,
    claimedAt: null,
    owner: null,
    claimToken: null,
    completedAt: null,
    failedAt: null,
    wakePayload: null,
    wokenAt: null,
    historyCount: 0,
  };
  if (o.runId !== undefined) job.runId = o.runId;
  if (o.dedupKey !== undefined) job.dedupKey = o.dedupKey;
  enterQueue(job, o.runAt ?? now + (o.delayMs ?? 0), now);
  t.put('jobs', job);
  if (o.kvPut) for (const [key, value] of Object.entries(o.kvPut)) t.put('kv', { key, value });
  if (!ctx.knownQueues.has(queue)) {
    // The facade marks the queue known once this transaction has committed (queue.ts).
    if (!(await t.get('queues', queue))) t.put('queues', { name: queue, done: 0 } satisfies QueueRecord);
  }
  return { kind: 'new', id };
}
