/**
 * What user code in the worker sees: the `Step` handed to a runner and its narrow
 * capabilities (memo, effects, lease, progress), and terminal hooks. Runners never see the
 * queue or the database.
 */
import type { Json } from '../core/json.ts';
import type { StepOutcome } from '../core/outcome.ts';
import type { RunOutcome } from '../core/types.ts';

export type StepRunner = (step: Step) => Promise<StepOutcome>;

/**
 * One delivery of one step. `Payload` and `Progress` type `payload` and `progress` (both JSON at
 * run time; the runtime does not check them against the types).
 */
export interface Step<Payload = Json, Progress = Json> {
  readonly runId: string;
  readonly workflow: string;
  readonly stepNumber: number;
  readonly payload: Payload;
  /** The run's user headers (reserved `workflow.` keys stripped). */
  readonly headers: Readonly<Record<string, string>>;
  /** Same on every delivery of this step: key idempotency on it or on (runId, stepNumber). */
  readonly jobId: string;
  /** 1 on the first delivery, then 2, 3, … (retries, lease expiries, crashes). */
  readonly attempts: number;
  /** Aborted when the run is cancelled from outside, or when this delivery lost its lease. */
  readonly signal: AbortSignal;
  /** After `Outcome.waitForEvent`: the event's payload, or null when it timed out. */
  readonly event?: { key: string; payload: Json | null };
  readonly memo: Memo;
  readonly effects: Effects;
  readonly lease: LeaseHandle;
  /** Live progress (e.g. partial tokens) to every open page; the latest is checkpointed. */
  progress(update: Progress): void;
}

/**
 * Durable per-step memo, scoped to (runId, stepNumber), surviving retries and restarts: write
 * the result of a paid side effect here before returning, and a redelivery reads it back.
 */
export interface Memo {
  /** The stored value, or `undefined` when none was put (a stored `null` reads back as `null`). */
  get(key: string): Promise<Json | undefined>;
  put(key: string, value: Json): Promise<void>;
  /** Keyed by the canonical JSON of `input` (e.g. an LLM request). */
  contentGet(input: Json): Promise<Json | undefined>;
  contentPut(input: Json, value: Json): Promise<void>;
}

/** App-KV writes staged by a step, committed with its settlement (or not at all). */
export interface Effects {
  put(key: string, value: Json): void;
  delete(key: string): void;
}

/** What a terminal hook may stage: KV writes and follow-up jobs, committed with its acknowledgement. */
export interface TerminalEffects extends Effects {
  enqueue(request: { queue: string; payload: Json; headers?: Record<string, string>; delayMs?: number; dedupKey?: string }): void;
}

export interface LeaseHandle {
  /**
   * Makes this delivery's lease last at least `ms` more (plus a settle margin); never shortens it.
   * @throws WorkflowError `ClaimLost` once the delivery lost its claim, `CancelRequested` once the run was cancelled
   */
  extend(ms: number): Promise<void>;
  /** The lease expiry on the runtime clock. */
  readonly expiresAt: number;
}

export interface TerminalHook {
  /** Unique among the runtime's hooks: it names the notification jobs. */
  name: string;
  /** Whether this outcome gets a notification at all. @default every outcome */
  observes?(outcome: RunOutcome): boolean;
  /**
   * Runs at least once per committed termination, as a durable job: a throw (or a transient
   * `StepError`) retries it with backoff, a permanent `StepError` dead-letters it. Its lease is
   * renewed while it runs, however long it takes: bound your own waits (as `webhookHook` does).
   * `signal` is aborted (`ClaimLost`) if this delivery loses its claim anyway (another instance
   * took the job over): stop then, the job is delivered again and nothing of this call is applied.
   */
  onTerminal(outcome: RunOutcome, effects: TerminalEffects, signal: AbortSignal): Promise<void>;
}
