/**
 * A run moving on: the settlement of a step that returned `next` or `waitForEvent` acknowledges
 * its job and enqueues the next step's job in the same transaction: due now, after a delay, or
 * parked on an event key (event-slots.ts) until an event or its timeout wakes it.
 */
import type { StepOutcome } from '../core/outcome.ts';
import type { QueueOps } from '../queue/ops.ts';
import type { SettleEffects } from '../queue/types.ts';
import type { RuntimeContext } from './context.ts';
import { register, slotToWait, waiterExistsMessage } from './event-slots.ts';
import { HEADER, type EventRecord, type HistoryRecord, type RunRecord } from './records.ts';
import { addHistory, endRun } from './terminal.ts';
import type { Delivery, SettleResult } from './verdict.ts';

/** The history fields of the step being settled (its outcome is added by the settlement). */
export type StepEntry = Pick<HistoryRecord, 'stepNumber' | 'jobId' | 'attempt' | 'memoHits' | 'startedAt' | 'endedAt'>;

/** Continue: the next step's job, now, after a delay, or parked on an event. */
export async function advance(
  ops: QueueOps,
  ctx: RuntimeContext,
  d: Delivery,
  run: RunRecord,
  priority: number,
  maxAttempts: number,
  outcome: Extract<StepOutcome, { kind: 'next' | 'waitForEvent' }>,
  kv: SettleEffects,
  entry: StepEntry,
  replayed: boolean,
): Promise<SettleResult> {
  const t = ops.t;
  const now = ops.now();
  const next = d.stepNumber + 1;
  const headers: Record<string, string> = {
    ...run.headers,
    [HEADER.runId]: run.runId,
    [HEADER.step]: String(next),
    [HEADER.workflow]: run.workflow,
  };
  let runAt = now;
  let slot: EventRecord | undefined;
  if (outcome.kind === 'next') {
    runAt = now + (outcome.delayMs ?? 0);
  } else {
    const found = await slotToWait(ops, outcome.key, run.runId);
    if (found === 'taken') {
      // One waiter per key: this run fails, the other keeps waiting.
      const message = waiterExistsMessage(outcome.key);
      await ops.deadLetter(d.claim, message, {
        apply: async () => {
          addHistory(t, run, { ...entry, outcome: 'deadLettered', error: message });
          await endRun(ops, ctx, run, { status: 'failed', error: message, finalStep: d.stepNumber });
        },
      });
      return 'settled';
    }
    slot = found;
    headers[HEADER.event] = outcome.key;
    // No timeout: due "never" (Infinity sorts after every time), until an event wakes it.
    runAt = outcome.timeoutMs === undefined ? Infinity : now + outcome.timeoutMs;
  }
  await ops.ack(d.claim, {
    ...kv,
    enqueue: [
      {
        queue: ctx.options.queueName,
        payload: outcome.payload,
        headers,
        // No dedup key: the fence already makes this settlement the only one of its delivery.
        priority,
        maxAttempts,
        runId: run.runId,
        runAt,
      },
    ],
    apply: async (_t, [created]) => {
      const jobId = created!.id;
      const waiting = slot !== undefined && (await register(ops, slot, run.runId, jobId));
      if (waiting) run.eventKey = slot!.key;
      addHistory(t, run, {
        ...entry,
        outcome: waiting ? 'waiting' : runAt > now ? 'scheduled' : 'continued',
        ...(replayed ? { replayed: true } : {}),
      });
      run.stepNumber = next;
      run.jobId = jobId;
      run.updatedAt = now;
      t.put('runs', run);
    },
  });
  return 'settled';
}
