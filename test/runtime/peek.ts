/**
 * Read-only inspection of a runtime's stored records for scenario tests: the run record,
 * the jobs of the steps queue by state, and a run's memo records. Works in Node and Chromium.
 */
import type { Runtime } from '../../src/runtime/runtime.ts';
import type { MemoRecord, RunRecord } from '../../src/runtime/records.ts';
import type { JobRecord, JobState } from '../../src/store/db.ts';
import { storeOf } from '../support/internals.ts';

export const STEPS = 'workflow-steps';

/** The stored run record (what survives any restart). */
export function runRecord(runtime: Runtime, runId: string): Promise<RunRecord | undefined> {
  return storeOf(runtime).read((t) => t.get<RunRecord>('runs', runId), ['runs']);
}

/** Every job of `queue` in `state`, in id (= enqueue) order. */
export function jobsIn(runtime: Runtime, state: JobState, queue = STEPS): Promise<JobRecord[]> {
  return storeOf(runtime).read((t) => t.getAll<JobRecord>('jobs', '[queue+state]', [queue, state]), ['jobs']);
}

/** Every job (any queue, any state) recorded for a run. A full scan: no runtime path looks jobs up by run, so no index serves it. */
export async function jobsOfRun(runtime: Runtime, runId: string): Promise<JobRecord[]> {
  const all = await storeOf(runtime).read((t) => t.getAll<JobRecord>('jobs', undefined), ['jobs']);
  return all.filter((j) => j.runId === runId);
}

/** Every memo record of a run (user memo `k:`, content memo `c:`, step-output replay `r:`). */
export function memoRecords(runtime: Runtime, runId: string): Promise<MemoRecord[]> {
  return storeOf(runtime).read((t) => t.getAll<MemoRecord>('memos', undefined, t.keyRange.bound([runId], [runId, []])), ['memos']);
}

/** Whether a job is a terminal notification (rather than a step). */
export function isNotification(job: JobRecord): boolean {
  return job.headers['workflow.terminal'] !== undefined;
}

/** A value created after the closures that use it (e.g. a runner that inspects its own runtime). */
export class Slot<T> {
  #value: T | undefined;

  set(value: T): T {
    this.#value = value;
    return value;
  }

  get value(): T {
    if (this.#value === undefined) throw new Error('slot read before it was set');
    return this.#value;
  }
}
