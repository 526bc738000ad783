/** Options of `durableModel` / `durableMiddleware`, resolved once per wrapped model. */
import { systemClock, type Clock } from '../core/clock.ts';
import { StepError } from '../core/outcome.ts';
import { Redactor } from '../runners/llm/redactor.ts';

export interface DurableModelOptions {
  /**
   * Tells apart two calls with the same parameters in one step (e.g. two samples at a high
   * temperature): each is memoized separately. @default ''
   */
  memoKey?: string;
  /**
   * Strings redacted from every stored error message, in whole and in part (e.g. the API key
   * the provider was created with, in case a server echoes it). Request header values are
   * always redacted. They live in worker memory only.
   */
  secrets?: readonly string[];
  /**
   * How far ahead (ms) each lease extension reaches while a call is in flight: every
   * `leaseMs / 4` while waiting for an answer, and as stream parts arrive. 0 disables it.
   * @default 60000
   */
  leaseMs?: number;
  /** At most one `step.progress` update per this many ms while a stream arrives. @default 100 */
  progressIntervalMs?: number;
  /** The runtime's clock (leases, progress batching, Retry-After dates). @default the system clock */
  clock?: Clock;
}

export interface ResolvedOptions {
  memoKey: string;
  redactor: Redactor;
  leaseMs: number;
  progressIntervalMs: number;
  clock: Clock;
}

/** @throws StepError (permanent) naming the bad option */
export function resolveOptions(o: DurableModelOptions = {}): ResolvedOptions {
  const number = (v: number | undefined, name: string, dflt: number) => {
    if (v === undefined) return dflt;
    if (typeof v !== 'number' || !Number.isFinite(v) || v < 0) throw StepError.permanent(`durableModel: ${name} must be a number >= 0 (ms), got ${String(v)}`);
    return v;
  };
  if (o.memoKey !== undefined && typeof o.memoKey !== 'string') throw StepError.permanent('durableModel: memoKey must be a string');
  return {
    memoKey: o.memoKey ?? '',
    redactor: new Redactor(o.secrets ?? []),
    leaseMs: number(o.leaseMs, 'leaseMs', 60_000),
    progressIntervalMs: number(o.progressIntervalMs, 'progressIntervalMs', 100),
    clock: o.clock ?? systemClock,
  };
}
