/**
 * What a step runner returns (`Outcome`) or throws (`StepError`): the two channels of a step's
 * result. A returned `fail` is a verdict (the run fails, nothing is dead-lettered); a thrown
 * `StepError` is an infrastructure failure (retried while transient, dead-lettered when
 * permanent or out of attempts). Any other thrown value counts as transient.
 */
import type { Json } from './json.ts';

export type StepOutcome =
  | { kind: 'next'; payload: Json; delayMs?: number }
  | { kind: 'waitForEvent'; key: string; payload: Json; timeoutMs?: number }
  | { kind: 'succeed'; result: Json }
  | { kind: 'fail'; reason: string }
  | { kind: 'cancel'; reason: string };

/** Constructors for `StepOutcome`s. */
export const Outcome = Object.freeze({
  /** Continue with step n+1 and this payload, now or after `delayMs` on the runtime clock. */
  next(payload: Json, options: { delayMs?: number } = {}): StepOutcome {
    return options.delayMs === undefined ? { kind: 'next', payload } : { kind: 'next', payload, delayMs: options.delayMs };
  },
  /**
   * Park the run until `sendEvent(key, …)` or `timeoutMs` (no timeout: wait forever); step n+1
   * then runs with `payload` and `step.event = { key, payload: <event payload> | null }`.
   */
  waitForEvent(key: string, payload: Json, options: { timeoutMs?: number } = {}): StepOutcome {
    return options.timeoutMs === undefined ? { kind: 'waitForEvent', key, payload } : { kind: 'waitForEvent', key, payload, timeoutMs: options.timeoutMs };
  },
  succeed(result: Json): StepOutcome {
    return { kind: 'succeed', result };
  },
  fail(reason: string): StepOutcome {
    return { kind: 'fail', reason };
  },
  cancel(reason: string): StepOutcome {
    return { kind: 'cancel', reason };
  },
});

export type StepErrorKind = 'transient' | 'permanent';

/** Thrown by a runner (or a hook) to ask for a retry (`transient`) or a dead letter (`permanent`). */
export class StepError extends Error {
  override readonly name = 'StepError';
  readonly kind: StepErrorKind;
  /** A server-advised delay before the retry (capped at the retry policy's max). */
  readonly retryAfterMs: number | undefined;

  constructor(kind: StepErrorKind, message: string, options: { retryAfterMs?: number } = {}) {
    super(message);
    this.kind = kind;
    this.retryAfterMs = options.retryAfterMs;
  }

  static transient(message: string, options: { retryAfterMs?: number } = {}): StepError {
    return new StepError('transient', message, options);
  }

  static permanent(message: string): StepError {
    return new StepError('permanent', message);
  }

  /** Maps any error to a step error: a WorkflowError keeps its permanence, anything unknown is transient. */
  static from(e: unknown): StepError {
    if (isStepError(e)) return e;
    const msg = e instanceof Error ? e.message || e.name : typeof e === 'string' ? e : String(e);
    const permanent = typeof e === 'object' && e !== null && typeof (e as { isPermanent?: unknown }).isPermanent === 'function' && (e as { isPermanent(): boolean }).isPermanent();
    return new StepError(permanent ? 'permanent' : 'transient', msg);
  }
}

/** Recognises a StepError also when it comes from another realm (by shape, not instanceof). */
export function isStepError(e: unknown): e is StepError {
  return (
    typeof e === 'object' &&
    e !== null &&
    (e as { name?: unknown }).name === 'StepError' &&
    ((e as { kind?: unknown }).kind === 'transient' || (e as { kind?: unknown }).kind === 'permanent')
  );
}
