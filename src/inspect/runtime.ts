/**
 * Runtime maintenance for tests and devtools: a step's memo outside the step, memo clearing,
 * terminal markers, a retention pass or a recovery now, and the standalone queue API on a
 * runtime's own queue. Plain functions, so that a worker that never calls them never carries them.
 */
import { checkInt, checkMs } from '../core/check.ts';
import { queueOver, type Queue } from '../queue/queue.ts';
import { INDEX } from '../store/db.ts';
import { StepMemo, clearMemosForRun } from '../runtime/memo.ts';
import type { MarkerRecord } from '../runtime/records.ts';
import { runtimeInternals, type Runtime } from '../runtime/runtime.ts';
import { sweepAll, sweepMarkers, type SweepOutcome } from '../runtime/sweeper.ts';
import type { Memo } from '../runtime/types.ts';
import { checkRunId } from '../runtime/validate.ts';

const queues = new WeakMap<Runtime, Queue>();

/**
 * The runtime's own queue as a `Queue` (claim, nack, reap, …): the same store, claim owner,
 * events and recovery hooks, so a job it dead-letters ends its run as the runtime's own would.
 * Closing it closes the runtime's database.
 */
export function queueOf(runtime: Runtime): Queue {
  let q = queues.get(runtime);
  if (!q) queues.set(runtime, (q = queueOver(runtimeInternals(runtime).ctx.queue)));
  return q;
}

/** A memo view of (runId, stepNumber) outside any step. @throws `InvalidRunId`, `InvalidArgument` */
export function memo(runtime: Runtime, runId: string, stepNumber: number): Memo {
  const { store, options } = runtimeInternals(runtime).ctx;
  checkRunId(runId);
  checkInt(stepNumber, 'stepNumber', 0);
  return new StepMemo(store, runId, stepNumber, options.maxPayloadBytes);
}

/** Deletes every memo entry of a run. @returns how many @throws `InvalidRunId` */
export async function clearMemos(runtime: Runtime, runId: string): Promise<number> {
  const { store } = runtimeInternals(runtime).ctx;
  checkRunId(runId);
  return clearMemosForRun(store, runId);
}

/** Terminal markers (what memo retention counts from), oldest first. */
export async function terminalMarkers(runtime: Runtime): Promise<MarkerRecord[]> {
  const { store } = runtimeInternals(runtime).ctx;
  return store.read((t) => t.getAll<MarkerRecord>('terminals', INDEX.terminals.terminalAt), ['terminals']);
}

/**
 * One retention pass now: markers older than `memoRetentionMs`, finished runs, buffered events
 * and old jobs. With `retentionMs` (ms, at least 1): only the memos of runs whose marker is older.
 */
export async function sweepNow(runtime: Runtime, retentionMs?: number): Promise<SweepOutcome> {
  const { ctx } = runtimeInternals(runtime);
  if (retentionMs !== undefined) {
    checkMs(retentionMs, 'retentionMs', 1);
    return { markers: await sweepMarkers(ctx, retentionMs), runs: 0, events: 0, jobs: 0 };
  }
  return sweepAll(ctx);
}

/** Reaps expired leases and recovers dead owners' claims now, as `start` and the executor's loop do. */
export async function recoverNow(runtime: Runtime): Promise<void> {
  return runtimeInternals(runtime).recover();
}
