/**
 * What crosses between a browser that hands a run off and the server that goes on with it.
 *
 * Three parties: the browser (its worker sends the run's state and later lands the outcome),
 * an HTTP gateway the app controls (it authenticates every caller and maps the caller to an
 * owner), and the remote runs themselves (Restate services). The browser only ever talks to the
 * gateway; the gateway only ever talks to Restate's ingress, never to its admin API on behalf
 * of a browser. Every remote run is addressed by (owner, runId): an owner cannot name, and so
 * cannot read, cancel or receive the outcome of, another owner's run.
 *
 * All of it is plain JSON: it is sent over HTTP and stored by Restate.
 */
import type { Json } from '../core/json.ts';
import type { RunState } from '../core/types.ts';

/** One memo entry of the run, as the browser's `memos` table holds it. */
export interface HandoffMemoEntry {
  stepNumber: number;
  /** The stored key: `k:<key>` for `memo.put`, `c:<hash>` for `memo.contentPut`. */
  key: string;
  value: Json;
}

/**
 * Everything the server needs to go on with a run from the step that runs next. Built by the
 * browser in the transaction that marks the run handed off, so it is a consistent cut.
 */
export interface HandoffState {
  runId: string;
  workflow: string;
  /** The step that runs next (a `RunStatus.stepNumber` of a non-terminal run). */
  stepNumber: number;
  /** Deliveries of that step so far (retry policy and `step.attempts` continue from here). */
  attempts: number;
  /** Deliveries per step before the run fails (the run's own `maxAttempts`); the server's retry option when absent. */
  maxAttempts?: number;
  /** That step's payload. */
  payload: Json;
  /** The run's user headers (never an API key: those come from the server's configuration). */
  headers: Record<string, string>;
  /** When the run was first submitted (ms since the epoch). */
  submittedAt: number;
  /** The step does not start before this time (a delay or a retry backoff in progress). */
  dueAt?: number;
  /** The run waits for this event; the step runs with the event, or with `null` at `deadline`. */
  waiting?: { key: string; deadline?: number };
  /** Events sent for this run's key before its waiter, oldest first. */
  bufferedEvents?: { key: string; payload: Json }[];
  /** The memo entries of this step and later ones that exist at the hand-off. */
  memo: HandoffMemoEntry[];
}

/** One App-KV write a remote step staged; applied in the browser with the run's outcome. */
export type RemoteEffect = { op: 'put'; key: string; value: Json } | { op: 'delete'; key: string };

/** A remote run as the browser sees it (the shape of `RunStatus`, plus what only a remote run has). */
export interface RemoteStatus {
  runId: string;
  workflow: string;
  state: RunState;
  stepNumber: number;
  attempts: number;
  updatedAt: number;
  /** The event key the run waits for (state `waiting`). */
  eventKey?: string;
  /** When a delay, backoff or event timeout ends. */
  wakeAt?: number;
  result?: Json;
  reason?: string;
  /** The latest progress of the running step (e.g. partial tokens), when a step reported one. */
  progress?: { stepNumber: number; update: Json };
  /** Terminal only: the App-KV writes the run's remote steps staged, in order. */
  effects?: RemoteEffect[];
}

/**
 * The server side of hand-offs, keyed by (owner, runId). Implemented over Restate by
 * `restateRuns`; the gateway is written against this interface only.
 */
export interface RemoteRuns {
  /** The workflow names the service runs: a hand-off of any other workflow is refused. */
  workflows(): readonly string[];
  /**
   * Starts the remote run. Idempotent on (owner, runId): a retried hand-off answers
   * `{ started: false }` and never starts a second run.
   */
  start(owner: string, state: HandoffState): Promise<{ started: boolean }>;
  /** The run's status, or `undefined` when this owner handed off no run with this id. */
  status(owner: string, runId: string): Promise<RemoteStatus | undefined>;
  /**
   * Waits up to `waitMs` for the run to end: its terminal status, or the current non-terminal
   * status when it is still going (`undefined` when there is no such run).
   */
  outcome(owner: string, runId: string, waitMs: number): Promise<RemoteStatus | undefined>;
  /** Asks the run to cancel (its running step's `signal` aborts). False when there is no such run or it already ended. */
  cancel(owner: string, runId: string): Promise<boolean>;
  /** Delivers (or buffers) an event for the run. False when there is no such run or it already ended. */
  sendEvent(owner: string, runId: string, key: string, payload: Json): Promise<boolean>;
}
