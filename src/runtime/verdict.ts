/**
 * What a delivery produced (its verdict), the delivery it came from, and the checks on both
 * made before any transaction: a runner's return value, and whether a verdict ends the run.
 */
import { isWorkflowError } from '../core/errors.ts';
import { checkJson, type Json } from '../core/json.ts';
import { StepError, type StepOutcome } from '../core/outcome.ts';
import type { Claim } from '../queue/types.ts';

/** What a delivery produced. */
export type Verdict =
  | { kind: 'outcome'; outcome: StepOutcome; effects: RecordedEffects; replayed: boolean }
  | { kind: 'error'; error: StepError }
  /** The run was cancelled from outside before the runner produced anything worth keeping. */
  | { kind: 'cancelled' };

export interface RecordedEffects {
  put: Record<string, Json>;
  delete: string[];
}

/** The delivery being settled and what the step observed. */
export interface Delivery {
  claim: Claim;
  runId: string;
  stepNumber: number;
  /** Hash of the step payload: keys the step-output replay record. */
  payloadHash?: string;
  /** The event key this step followed (a `waitForEvent` before it), and the buffered payload it observed (`bufferId`). */
  eventKey?: string;
  consumedBufferId?: string;
  memoHits: number;
  startedAt: number;
}

/** `orphan`: the step's run had ended or moved on, so the delivery was only acknowledged. */
export type SettleResult = 'settled' | 'orphan';

/**
 * Checks a runner's return value. A runner that returns garbage gets a permanent step error
 * naming the problem rather than a half-applied settlement.
 */
export function checkOutcome(o: unknown, maxBytes: number): StepOutcome {
  const bad = (why: string) => StepError.permanent(`the runner returned an invalid outcome: ${why}`);
  if (typeof o !== 'object' || o === null) throw bad(`expected an Outcome, got ${o === null ? 'null' : typeof o}`);
  const x = o as Record<string, unknown>;
  const json = (v: unknown, what: string) => {
    try {
      checkJson(v, what, maxBytes);
    } catch (e) {
      throw isWorkflowError(e) ? StepError.permanent(`${e.name}: ${e.message}`) : e;
    }
  };
  const ms = (v: unknown, what: string) => {
    if (v !== undefined && !(typeof v === 'number' && Number.isFinite(v) && v >= 0)) throw bad(`${what} must be a finite number >= 0`);
  };
  switch (x['kind']) {
    case 'next':
      json(x['payload'], 'next payload');
      ms(x['delayMs'], 'delayMs');
      break;
    case 'waitForEvent':
      if (typeof x['key'] !== 'string' || x['key'].length === 0 || x['key'].length > 512) throw bad('an event key must be 1 to 512 characters');
      json(x['payload'], 'next payload');
      ms(x['timeoutMs'], 'timeoutMs');
      break;
    case 'succeed':
      json(x['result'], 'result');
      break;
    case 'fail':
    case 'cancel':
      if (typeof x['reason'] !== 'string') throw bad('a reason must be a string');
      break;
    default:
      throw bad(`${x['kind'] === undefined ? 'a plain object' : `unknown kind ${JSON.stringify(x['kind'])}`}: return Outcome.succeed(result), Outcome.next(payload), Outcome.waitForEvent(key, payload), Outcome.fail(reason) or Outcome.cancel(reason) (from 'stepwise/worker')`);
  }
  return o as StepOutcome;
}

/**
 * Whether this verdict ends the run as far as the delivery can tell: such settlements are
 * written with strict durability from the start. What only the transaction finds out (a cancel
 * requested while the step ran, a second waiter on the event key) is caught by `endRun`, which
 * refuses a relaxed transaction; the batch then runs again, strictly.
 */
export function endsRun(d: Delivery, v: Verdict): boolean {
  if (v.kind === 'cancelled') return true;
  if (v.kind === 'error') return v.error.kind === 'permanent' || d.claim.job.attempts >= d.claim.job.maxAttempts;
  return v.outcome.kind === 'succeed' || v.outcome.kind === 'fail' || v.outcome.kind === 'cancel';
}
