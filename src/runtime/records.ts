/**
 * The runtime's stored records and how a `RunStatus` is derived from them.
 *
 * A run record holds what only the runtime knows (input hash, current step and its job id,
 * terminal outcome); whether the current step is pending, scheduled or running is read from
 * the step job itself. So a claim writes nothing extra, and `status()` is right after any
 * reload or crash.
 */
import type { Json } from '../core/json.ts';
import type { AttemptRecord, RunOutcome, RunState, RunStatus, TerminalStatus } from '../core/types.ts';
import type { JobRecord } from '../store/db.ts';

/** Reserved header keys on step and notification jobs. */
export const HEADER = Object.freeze({
  runId: 'workflow.run_id',
  step: 'workflow.step',
  workflow: 'workflow.workflow',
  /** Set on a step that follows a `waitForEvent`: the event key. */
  event: 'workflow.event',
  /** Set on notification jobs: the hook's name. */
  terminal: 'workflow.terminal',
});

export const RESERVED_HEADER_PREFIX = 'workflow.';
export const RESERVED_KV_PREFIX = 'workflow/';

export interface RunRecord {
  runId: string;
  /**
   * Identifies this run among the runs that used the same id one after another (the step-0
   * job's id, unique): what a run's end is deduplicated on. Absent on records of older builds.
   */
  instanceId?: string;
  workflow: string;
  inputHash: string;
  headers: Record<string, string>;
  priority: number;
  maxAttempts: number;
  /** Stored state: 'active' while the run goes on, else its terminal status. */
  state: 'active' | TerminalStatus;
  stepNumber: number;
  /** The job of the current step (absent once terminal). */
  jobId?: string;
  /** The key a waiting step waits on. */
  eventKey?: string;
  /** An external cancel was requested while the current step was running. */
  cancelRequested?: boolean;
  submittedAt: number;
  updatedAt: number;
  /** Latest checkpointed progress of the current step. */
  progress?: Json;
  historyCount: number;
  /**
   * The step and attempt of the latest delivery recorded in the history (`addHistory` keeps it):
   * a terminal status reports the final step's deliveries from it, once the step's job is gone.
   * Absent on records of older builds.
   */
  lastAttempt?: { stepNumber: number; attempt: number };
  // terminal fields
  result?: Json;
  error?: string;
  terminalAt?: number;
  /** When the terminal record is deleted (keepDoneRunsMs). */
  expiresAt?: number;
}

/** One event key: a registered waiter and/or a buffered payload. */
export interface EventRecord {
  key: string;
  waiter?: { runId: string; jobId: string };
  /**
   * `id` is unique per send (two sends in one millisecond differ); `at` is when it was sent, for
   * retention. Records of older builds have no `id`: `bufferId` falls back to `at` for them.
   */
  buffered?: { payload: Json; at: number; id?: string };
}

/** What identifies one buffered payload: its id (its send time on records of older builds). */
export function bufferId(buffered: NonNullable<EventRecord['buffered']>): string {
  return buffered.id ?? `at:${buffered.at}`;
}

export interface MemoRecord {
  runId: string;
  step: number;
  /** 'k:<user key>', 'c:<sha256 of content>', or 'r:<sha256 of the step payload>' (step-output replay). */
  key: string;
  value: Json;
}

export interface MarkerRecord {
  runId: string;
  terminalAt: number;
}

export interface HistoryRecord {
  runId: string;
  n: number;
  stepNumber: number;
  jobId: string;
  attempt: number;
  outcome: AttemptRecord['outcome'];
  error?: string;
  replayed?: boolean;
  memoHits: number;
  startedAt?: number;
  endedAt: number;
}

/**
 * Derives the public status from a run record and its current step job (if any), so that each
 * field means what `RunStatus` documents: `stepNumber` is the step that runs now or next (while
 * scheduled or waiting, the step the delay or the event leads to, which has not run yet:
 * `attempts` 0), or the final step once terminal; `attempts` counts that step's deliveries,
 * kept from the history once its job is gone; `eventKey` is set only while the run waits for it.
 */
export function toStatus(run: RunRecord, job: JobRecord | undefined): RunStatus {
  const state = deriveState(run, job);
  const final = run.state !== 'active' && run.lastAttempt?.stepNumber === run.stepNumber ? run.lastAttempt.attempt : 0;
  const status: RunStatus = {
    runId: run.runId,
    workflow: run.workflow,
    state,
    stepNumber: run.stepNumber,
    attempts: job?.attempts ?? final,
    submittedAt: run.submittedAt,
    updatedAt: run.updatedAt,
    headers: run.headers,
  };
  if (run.result !== undefined) status.result = run.result;
  if (run.error !== undefined) status.error = run.error;
  // The key stays on the record until the step that received the event settles; once the event
  // was delivered (the job is no longer parked on it) the run no longer waits for it.
  if (state === 'waiting' && run.eventKey !== undefined) status.eventKey = run.eventKey;
  if (job && job.state === 'scheduled' && run.state === 'active') status.wakeAt = job.runAt;
  if (run.progress !== undefined) status.progress = run.progress;
  return status;
}

function deriveState(run: RunRecord, job: JobRecord | undefined): RunState {
  if (run.state !== 'active') return run.state;
  if (run.cancelRequested) return 'cancelling';
  switch (job?.state) {
    case 'claimed':
      return job.cancelRequested ? 'cancelling' : 'running';
    case 'scheduled':
      return run.eventKey !== undefined ? 'waiting' : 'scheduled';
    default:
      return 'pending';
  }
}

export function toOutcome(run: RunRecord): RunOutcome | undefined {
  if (run.state === 'active') return undefined;
  const o: RunOutcome = {
    runId: run.runId,
    workflow: run.workflow,
    status: run.state,
    headers: run.headers,
    finalStep: run.stepNumber,
    submittedAt: run.submittedAt,
    terminalAt: run.terminalAt ?? run.updatedAt,
  };
  if (run.result !== undefined) o.result = run.result;
  if (run.error !== undefined) o.error = run.error;
  return o;
}

/** User headers: everything but the reserved `workflow.` keys. */
export function userHeaders(headers: Record<string, string>): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [k, v] of Object.entries(headers)) if (!k.startsWith(RESERVED_HEADER_PREFIX)) out[k] = v;
  return out;
}
