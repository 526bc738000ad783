/**
 * The one error class of Stepwise and its closed set of names.
 *
 * Identity is the `name` string, never the class: `instanceof` does not survive the
 * page/worker boundary (comlink keeps only name/message/stack), so callers test
 * `isWorkflowError(e, 'ClaimLost')`. Persisted failures are plain `{ name, message }`
 * records, never Error objects.
 */

/** The names of the public contract first (tests outside the repository match them), then the queue's own. */
export type WorkflowErrorName =
  | 'InvalidRunId'
  | 'InputMismatch'
  | 'ReservedHeader'
  | 'ReservedKvKey'
  | 'InvalidPayload'
  | 'PayloadTooLarge'
  | 'UnknownWorkflow'
  | 'RunTerminal'
  | 'EventWaiterExists'
  | 'ConflictingKvEffect'
  | 'EffectsSealed'
  | 'ClaimLost'
  | 'QuotaExceeded'
  | 'StoreClosed'
  // Added by the queue where none of the above fits:
  | 'InvalidArgument' // a wrong type or out-of-range option (negative delay, bad priority, ...)
  | 'InvalidInput' // a workflow's input schema rejected the input at submit (details.issues)
  | 'RunNotFound' // wait() on a run id that has no record
  | 'CancelRequested' // lease extension after the run was cancelled
  | 'Unavailable' // the worker behind a client died mid-call: safe to retry
  | 'Timeout' // wait() gave up before the run ended
  | 'Outdated' // this code is older than the database schema (a newer release upgraded it): reload
  | 'InvalidQueueName'
  | 'InvalidJobId'
  | 'DuplicateJobId'
  | 'JobNotFound'
  | 'InvalidState' // e.g. requeueing a job that is not dead
  | 'HandoffRefused' // the gateway refused a hand-off (a workflow the server does not run, not signed in)
  | 'StoreError'; // any other storage failure: transient

/** Storage trouble is worth retrying; everything else is a property of the input or state. */
const TRANSIENT: ReadonlySet<WorkflowErrorName> = new Set<WorkflowErrorName>(['QuotaExceeded', 'StoreClosed', 'StoreError', 'Unavailable', 'Timeout']);

export class WorkflowError extends Error {
  override readonly name: WorkflowErrorName;
  /** Structured context (the offending run id, key, size, ...); plain JSON-safe data. */
  readonly details: Readonly<Record<string, unknown>>;

  constructor(name: WorkflowErrorName, message: string, details: Record<string, unknown> = {}) {
    super(message);
    this.name = name;
    this.details = details;
  }

  /** True when retrying the same call cannot succeed. */
  isPermanent(): boolean {
    return isPermanentName(this.name);
  }
}

/** Permanence by name alone (for errors rebuilt on the other side of a port). */
export function isPermanentName(name: string): boolean {
  return !TRANSIENT.has(name as WorkflowErrorName);
}

/** Tests an unknown thrown value by name, so it also works for errors that crossed a port. */
export function isWorkflowError(e: unknown, name?: WorkflowErrorName): e is WorkflowError {
  if (typeof e !== 'object' || e === null) return false;
  const n = (e as { name?: unknown }).name;
  if (typeof n !== 'string') return false;
  return name === undefined ? isWorkflowErrorName(n) : n === name;
}

const NAMES: ReadonlySet<string> = new Set<WorkflowErrorName>([
  'InvalidRunId', 'InputMismatch', 'ReservedHeader', 'ReservedKvKey', 'InvalidPayload', 'PayloadTooLarge',
  'UnknownWorkflow', 'RunTerminal', 'EventWaiterExists', 'ConflictingKvEffect', 'EffectsSealed', 'ClaimLost',
  'QuotaExceeded', 'StoreClosed', 'InvalidArgument', 'InvalidInput', 'InvalidQueueName', 'InvalidJobId', 'DuplicateJobId',
  'JobNotFound', 'InvalidState', 'StoreError', 'RunNotFound', 'CancelRequested', 'Unavailable', 'Timeout', 'Outdated', 'HandoffRefused',
]);

export function isWorkflowErrorName(n: string): n is WorkflowErrorName {
  return NAMES.has(n);
}

/** Shorthand for the common "bad option" case. */
export function invalidArgument(what: string, why: string, value?: unknown): WorkflowError {
  return new WorkflowError('InvalidArgument', `${what} ${why}`, value === undefined ? { what } : { what, value: describe(value) });
}

/** A short, safe description of a value for error details (never the value itself: it may be huge). */
export function describe(value: unknown): string {
  if (value === null) return 'null';
  if (Array.isArray(value)) return `array(${value.length})`;
  const t = typeof value;
  if (t === 'string') return (value as string).length > 40 ? `string(${(value as string).length})` : JSON.stringify(value);
  if (t === 'number' || t === 'boolean' || t === 'bigint') return String(value);
  if (t === 'object') return (value as object).constructor?.name ?? 'object';
  return t;
}

/** The message of any thrown value, for persisting as `lastError` (a runner may throw a string). */
export function messageOf(e: unknown): string {
  if (e instanceof Error) return e.message || e.name;
  if (typeof e === 'string') return e;
  if (typeof e === 'object' && e !== null && typeof (e as { message?: unknown }).message === 'string') {
    return (e as { message: string }).message;
  }
  try {
    return String(e);
  } catch {
    return 'unknown error';
  }
}
