/**
 * Ending a run: the one function every terminal path goes through (a runner's verdict, a step
 * error, an external cancel, a dead letter by the queue itself), always inside the transaction
 * that settles the step, so a run ends exactly once and all-or-nothing:
 * run record -> terminal, event waiter released, terminal marker (with memo retention), one
 * notification job per observing hook (deduplicated per run instance and hook: a run id used
 * again is another instance, whose end is notified too).
 *
 * A run's end is promised durable: `endRun` refuses a transaction that is not `strict`
 * (`StrictRequired`, before writing anything), and the caller runs its transaction again,
 * strictly. So no path can end a run with relaxed durability, whatever it predicted.
 */
import type { Json } from '../core/json.ts';
import type { RunOutcome, TerminalStatus } from '../core/types.ts';
import type { QueueOps } from '../queue/ops.ts';
import { requireStrict } from '../queue/recovery.ts';
import type { Tx } from '../store/tx.ts';
import type { RuntimeContext } from './context.ts';
import { releaseRun } from './event-slots.ts';
import { HEADER, toOutcome, type HistoryRecord, type MarkerRecord, type RunRecord } from './records.ts';

export interface RunEnd {
  status: TerminalStatus;
  result?: Json;
  error?: string;
  finalStep: number;
  /** maxAttempts of the notification jobs: the step's for verdicts, the default for step errors. */
  notificationMaxAttempts?: number;
}

/**
 * Writes the run's end. `run` must be the record read in this transaction.
 * @throws `StrictRequired` in a transaction without strict durability (nothing written)
 */
export async function endRun(ops: QueueOps, ctx: RuntimeContext, run: RunRecord, end: RunEnd): Promise<RunOutcome> {
  const t = ops.t;
  requireStrict(t);
  const now = ops.now();
  await releaseRun(t, run);
  run.state = end.status;
  run.stepNumber = end.finalStep;
  delete run.jobId;
  delete run.cancelRequested;
  delete run.progress;
  delete run.result;
  delete run.error;
  if (end.status === 'succeeded' && end.result !== undefined) run.result = end.result;
  if (end.error !== undefined) run.error = end.error;
  run.terminalAt = now;
  run.updatedAt = now;
  run.expiresAt = now + ctx.options.keepDoneRunsMs;
  t.put('runs', run);
  if (ctx.options.memoRetentionMs !== undefined) t.put('terminals', { runId: run.runId, terminalAt: now } satisfies MarkerRecord);
  const outcome = toOutcome(run)!;
  for (const hook of ctx.options.hooks) {
    let observed: boolean;
    try {
      observed = hook.observes ? hook.observes(outcome) !== false : true;
    } catch {
      observed = true; // a broken filter must not lose a notification
    }
    if (!observed) continue;
    await ops.insert(ctx.options.queueName, outcome as unknown as Json, {
      headers: { ...run.headers, [HEADER.terminal]: hook.name, [HEADER.runId]: run.runId },
      dedupKey: `run:${run.runId}:${instanceOf(run)}:terminal:${hook.name}`,
      priority: run.priority,
      ...(end.notificationMaxAttempts !== undefined ? { maxAttempts: end.notificationMaxAttempts } : {}),
      runId: run.runId,
    });
  }
  return outcome;
}

/** The run instance: its own id, or for a record of an older build its submission time. */
function instanceOf(run: RunRecord): string {
  return run.instanceId ?? `at-${run.submittedAt}`;
}

/** Appends one attempt record to the run's history (the caller puts the run record). */
export function addHistory(t: Tx, run: RunRecord, entry: Omit<HistoryRecord, 'runId' | 'n'>): void {
  const rec: HistoryRecord = { runId: run.runId, n: run.historyCount, ...entry };
  t.put('history', rec);
  run.historyCount++;
  run.lastAttempt = { stepNumber: entry.stepNumber, attempt: entry.attempt };
}
