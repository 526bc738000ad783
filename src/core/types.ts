/**
 * The public data types of Stepwise: what crosses the page/worker boundary and what callers
 * read. Plain, structured-cloneable data only (no classes, no functions), so the same types
 * serve the runtime, the RPC protocol and the client.
 */
import type { Json } from './json.ts';

export type { Json } from './json.ts';

export type RunState = 'pending' | 'scheduled' | 'running' | 'waiting' | 'cancelling' | 'succeeded' | 'failed' | 'cancelled';
export type TerminalStatus = 'succeeded' | 'failed' | 'cancelled';

export function isTerminal(state: RunState): state is TerminalStatus {
  return state === 'succeeded' || state === 'failed' || state === 'cancelled';
}

/** A request to start a run. */
export interface RunSpec {
  workflow: string;
  input: Json;
  /** 1–128 of [A-Za-z0-9_-]; generated (a ULID) when absent. Submission is idempotent on (runId, input). */
  runId?: string;
  /** User headers, passed to every step and to hooks. Keys starting `workflow.` are reserved. */
  headers?: Record<string, string>;
  /** Lower is claimed first. @default 1000 */
  priority?: number;
  /** Deliveries per step before it is dead-lettered. @default the runtime's retry.maxAttempts */
  maxAttempts?: number;
  /** App-KV writes committed with the submission (only when it is new). Keys starting `workflow/` are reserved. */
  kvWrites?: Record<string, Json>;
}

export interface SubmitOutcome {
  runId: string;
  /** False when a run with this id and the same input already existed (nothing was written). */
  newlySubmitted: boolean;
}

/**
 * A run as stored: answered from IndexedDB, so it is right after a reload.
 *
 * What the step fields report, by state:
 * - `pending`, `running`, `cancelling`: the step that is queued or runs now, and its deliveries so
 *   far (a retry after a failed attempt is the same step with `attempts` one higher once claimed).
 * - `scheduled`: the step that runs at `wakeAt`: after `Outcome.next(p, { delayMs })` of step n it
 *   is step n + 1 with `attempts` 0; during a retry backoff it is the same step with the
 *   deliveries it had.
 * - `waiting`: the step that runs with the event. When step n returns `Outcome.waitForEvent(key,
 *   …)`, the run reports `stepNumber` n + 1, `attempts` 0 (that step has not run yet: it is the
 *   one that receives `step.event`), `eventKey` the key, and `wakeAt` the timeout if one was given.
 * - `succeeded`, `failed`, `cancelled`: the final step and its deliveries (1 when it ended on
 *   its first attempt; 0 when the run was cancelled before that step ran).
 */
export interface RunStatus {
  runId: string;
  workflow: string;
  state: RunState;
  /** The step that runs now or next (see above), or the final one once terminal. */
  stepNumber: number;
  /** Deliveries of that step so far: 0 before its first claim, 1 during or after its first attempt. */
  attempts: number;
  /** When the run was first submitted (ms since the epoch, runtime clock). */
  submittedAt: number;
  /** When the run record last changed (ms since the epoch, runtime clock). */
  updatedAt: number;
  headers: Record<string, string>;
  /** The result of a succeeded run. */
  result?: Json;
  /** The reason of a failed or cancelled run (the last step error for a failed step). */
  error?: string;
  /** While `scheduled` or `waiting`: when the step is due, or when the wait times out (ms since the epoch). */
  wakeAt?: number;
  /** Only while `waiting`: the event key the run waits for. Cleared once the event is delivered. */
  eventKey?: string;
  /** The latest `step.progress` update checkpointed for the current step, if any. */
  progress?: Json;
  /**
   * Only while the run is handed off to a server (`handoff`): the gateway it went to and when
   * (ms since the epoch, runtime clock). The step fields and `progress` are then the server's,
   * as last seen by the browser. Absent again once the run's outcome has landed.
   */
  remote?: { url: string; since: number };
}

/** Where `handoff` sends a run. */
export interface HandoffTarget {
  /**
   * The app's gateway (`createGateway` from `stepwise/restate`): an absolute URL, or one
   * relative to the worker's origin. Requests carry the page's cookies (`credentials:
   * 'include'`); nothing but this URL is stored.
   */
  url: string;
  /** How long to wait for a step that runs now to settle before handing off, in ms. @default 60000 */
  timeoutMs?: number;
}

/** What `handoff` answers. */
export interface HandoffOutcome {
  runId: string;
  /** The gateway's URL, absolute. */
  url: string;
  /** When the run was handed off (ms since the epoch, runtime clock). */
  since: number;
  /** False when the gateway has not acknowledged the hand-off yet: the worker sends it again until it does. */
  acknowledged: boolean;
}

/** How a run ended: the payload of terminal notifications and of `wait()`. */
export interface RunOutcome {
  runId: string;
  workflow: string;
  status: TerminalStatus;
  result?: Json;
  /** The fail/cancel reason or the last step error; absent for an external cancel. */
  error?: string;
  headers: Record<string, string>;
  finalStep: number;
  submittedAt: number;
  terminalAt: number;
}

export interface ListQuery {
  /** Only runs in these states (derived states included). */
  state?: RunState | RunState[];
  workflow?: string;
  /** @default 50, at most 1000 */
  limit?: number;
  /** From a previous page. */
  cursor?: string;
}

export interface ListOutcome {
  runs: RunStatus[];
  cursor?: string;
}

/** One delivery of one step, as recorded by the runtime (for inspectors). */
export interface AttemptRecord {
  runId: string;
  stepNumber: number;
  jobId: string;
  attempt: number;
  outcome: 'continued' | 'scheduled' | 'waiting' | 'succeeded' | 'failed' | 'cancelled' | 'retried' | 'deadLettered' | 'interrupted' | 'leaseExpired';
  error?: string;
  /** True when the outcome came from step-output replay (the runner was not called). */
  replayed?: boolean;
  /** Memo reads that found a value during this attempt. */
  memoHits: number;
  startedAt?: number;
  endedAt: number;
}

/** A dead-lettered job, as listed by `deadJobs`. */
export interface DeadJob {
  jobId: string;
  kind: 'step' | 'notification';
  runId?: string;
  stepNumber?: number;
  hook?: string;
  attempts: number;
  lastError: string | null;
  failedAt: number | null;
}

export interface DeadJobsQuery {
  after?: string;
  /** @default 100 */
  limit?: number;
}

/** What `subscribe`/`watch` listeners receive. */
export type RunEvent =
  | { type: 'status'; status: RunStatus }
  | { type: 'progress'; runId: string; stepNumber: number; update: Json };
