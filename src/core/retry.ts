/**
 * Retry policy: exponential backoff with jitter.
 *
 * The delay after failed attempt n (1-based) is `min(maxDelayMs, baseDelayMs * 2^(n-1))`, then
 * jittered down by up to `jitter` of itself; a server's `retryAfterMs` replaces it, capped at
 * `maxDelayMs`. Base 0 means "retry at once".
 */
import { checkMs } from './check.ts';
import { invalidArgument } from './errors.ts';

export interface RetryPolicy {
  /** Deliveries per step before it is dead-lettered. @default 3 */
  maxAttempts: number;
  /** @default 1000 */
  baseDelayMs: number;
  /** @default 300000 */
  maxDelayMs: number;
  /** A fraction in [0, 1]: the delay is reduced by a random share up to this. @default 0.2 */
  jitter: number;
}

export const DEFAULT_RETRY: Readonly<RetryPolicy> = Object.freeze({
  maxAttempts: 3,
  baseDelayMs: 1000,
  maxDelayMs: 300_000,
  jitter: 0.2,
});

/** Merges and validates a partial policy. @throws WorkflowError `InvalidArgument` */
export function retryPolicy(partial: Partial<RetryPolicy> | undefined, base: RetryPolicy = DEFAULT_RETRY): RetryPolicy {
  const p = { ...base, ...definedOnly(partial ?? {}) };
  if (!Number.isInteger(p.maxAttempts) || p.maxAttempts < 1) throw invalidArgument('retry.maxAttempts', 'must be an integer >= 1', p.maxAttempts);
  checkMs(p.baseDelayMs, 'retry.baseDelayMs');
  checkMs(p.maxDelayMs, 'retry.maxDelayMs');
  if (!(Number.isFinite(p.jitter) && p.jitter >= 0 && p.jitter <= 1)) throw invalidArgument('retry.jitter', 'must be in [0, 1]', p.jitter);
  return p;
}

/** Drops keys whose value is undefined so they do not override defaults. */
export function definedOnly<T extends object>(o: T): Partial<T> {
  const out: Partial<T> = {};
  for (const [k, v] of Object.entries(o)) if (v !== undefined) (out as Record<string, unknown>)[k] = v;
  return out;
}

/**
 * The delay before the retry that follows failed attempt `attempt`.
 * @param random a number in [0, 1) (injectable for tests)
 */
export function backoffDelay(policy: RetryPolicy, attempt: number, retryAfterMs?: number, random: number = Math.random()): number {
  if (retryAfterMs !== undefined && Number.isFinite(retryAfterMs) && retryAfterMs >= 0) {
    return Math.min(policy.maxDelayMs, retryAfterMs);
  }
  // Base 0 is tested first: 0 * 2^n is NaN once 2^n overflows to Infinity (attempt > 1024).
  const exp = policy.baseDelayMs === 0 ? 0 : Math.min(policy.maxDelayMs, policy.baseDelayMs * 2 ** Math.max(0, attempt - 1));
  return Math.round(exp * (1 - policy.jitter * random));
}
