/**
 * `Runtime`: the public runtime class, `RuntimeCore` (runtime-core.ts: submit, run, cancel, read,
 * events) on the full `Queue` (inspection: `stats`, `getJob`, …), plus inspection and maintenance
 * calls for tests and devtools. A worker host needs only the core (issue #6).
 */
import { checkInt, checkMs } from '../core/check.ts';
import { Queue } from '../queue/queue.ts';
import { StepMemo, clearMemosForRun } from './memo.ts';
import type { RuntimeOptions } from './options.ts';
import type { MarkerRecord } from './records.ts';
import { RuntimeCore, openRuntime } from './runtime-core.ts';
import { sweepAll, sweepMarkers, type SweepOutcome } from './sweeper.ts';
import type { Memo } from './types.ts';
import { checkRunId } from './validate.ts';

export class Runtime extends RuntimeCore {
  /**
   * Opens (creating or upgrading) the database and validates the options. Nothing runs until `start`.
   * @throws WorkflowError `InvalidArgument` for bad options, `StoreError`/`StoreClosed` for storage trouble
   */
  static override async open(options: RuntimeOptions): Promise<Runtime> {
    return openRuntime(options, (store, o) => new Queue(store, o), (queue, resolved) => new Runtime(queue, resolved));
  }

  /** The underlying queue (inspection: `stats`, `getJob`, …). */
  override get queue(): Queue {
    return super.queue as Queue;
  }

  /** A memo view of (runId, stepNumber) outside any step. */
  memo(runId: string, stepNumber: number): Memo {
    checkRunId(runId);
    checkInt(stepNumber, 'stepNumber', 0);
    const { store, options } = this.context;
    return new StepMemo(store, runId, stepNumber, options.maxPayloadBytes);
  }

  /** Deletes every memo entry of a run. @returns how many */
  async clearMemos(runId: string): Promise<number> {
    checkRunId(runId);
    return clearMemosForRun(this.context.store, runId);
  }

  /** Terminal markers, oldest first. */
  terminalMarkers(): Promise<MarkerRecord[]> {
    return this.context.store.read((t) => t.getAll<MarkerRecord>('terminals', 'terminalAt'), ['terminals']);
  }

  /** One retention pass now: markers older than `memoRetentionMs` (or `retentionMs`), finished runs, old jobs. */
  async sweepNow(retentionMs?: number): Promise<SweepOutcome> {
    if (retentionMs !== undefined) {
      checkMs(retentionMs, 'retentionMs', 1);
      return { markers: await sweepMarkers(this.context, retentionMs), runs: 0, events: 0, jobs: 0 };
    }
    return sweepAll(this.context);
  }
}
