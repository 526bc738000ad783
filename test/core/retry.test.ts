import { describe, expect, it } from 'vitest';
import { DEFAULT_RETRY, backoffDelay, definedOnly, retryPolicy, type RetryPolicy } from '../../src/core/retry.ts';

const policy = (p: Partial<RetryPolicy>): RetryPolicy => retryPolicy({ jitter: 0, ...p });

describe('backoffDelay', () => {
  it('doubles from the base and caps at the maximum', () => {
    const p = policy({ baseDelayMs: 1000, maxDelayMs: 60_000 });
    expect([1, 2, 3, 4, 5, 6, 7, 20].map((n) => backoffDelay(p, n))).toEqual([1000, 2000, 4000, 8000, 16_000, 32_000, 60_000, 60_000]);
  });

  it('is 0 for every attempt with base 0', () => {
    const p = policy({ baseDelayMs: 0 });
    for (const n of [1, 2, 10, 100, 1023, 1024, 1025, 1100, 5000]) expect(backoffDelay(p, n)).toBe(0);
  });

  it('stays at the cap for very large attempt numbers', () => {
    const p = policy({ baseDelayMs: 1000, maxDelayMs: 60_000 });
    for (const n of [1100, 5000, Number.MAX_SAFE_INTEGER]) expect(backoffDelay(p, n)).toBe(60_000);
  });

  it('treats attempt 0 or less as the first attempt', () => {
    const p = policy({ baseDelayMs: 500 });
    expect(backoffDelay(p, 0)).toBe(500);
    expect(backoffDelay(p, -3)).toBe(500);
  });

  it('uses the upstream defaults: base 1 s, max 300 s, 3 attempts, 20% jitter', () => {
    expect(DEFAULT_RETRY).toEqual({ maxAttempts: 3, baseDelayMs: 1000, maxDelayMs: 300_000, jitter: 0.2 });
    expect(Object.isFrozen(DEFAULT_RETRY)).toBe(true);
    expect(backoffDelay(DEFAULT_RETRY, 10, undefined, 0)).toBe(300_000);
  });

  it('jitters the delay down by at most the jitter fraction, never up', () => {
    const p = policy({ baseDelayMs: 1000, jitter: 0.2 });
    expect(backoffDelay(p, 1, undefined, 0)).toBe(1000);
    expect(backoffDelay(p, 1, undefined, 0.5)).toBe(900);
    expect(backoffDelay(p, 1, undefined, 0.999_999)).toBe(800);
    for (let i = 0; i < 500; i++) {
      const d = backoffDelay(p, 3);
      expect(d).toBeGreaterThanOrEqual(3200);
      expect(d).toBeLessThanOrEqual(4000);
    }
  });

  it('lets retryAfterMs replace the schedule, unjittered and capped at the maximum', () => {
    const p = policy({ baseDelayMs: 1000, maxDelayMs: 10_000, jitter: 0.5 });
    expect(backoffDelay(p, 5, 1234, 0.9)).toBe(1234);
    expect(backoffDelay(p, 1, 0, 0.9)).toBe(0);
    expect(backoffDelay(p, 1, 60_000)).toBe(10_000);
  });

  it('ignores a negative or non-finite retryAfterMs', () => {
    const p = policy({ baseDelayMs: 1000 });
    expect(backoffDelay(p, 2, -5)).toBe(2000);
    expect(backoffDelay(p, 2, NaN)).toBe(2000);
    expect(backoffDelay(p, 2, Infinity)).toBe(2000);
  });
});

describe('retryPolicy', () => {
  it('fills missing and undefined fields from the base', () => {
    expect(retryPolicy(undefined)).toEqual(DEFAULT_RETRY);
    expect(retryPolicy({ maxAttempts: 5, baseDelayMs: undefined })).toEqual({ ...DEFAULT_RETRY, maxAttempts: 5 });
    const base = { maxAttempts: 9, baseDelayMs: 1, maxDelayMs: 2, jitter: 0 };
    expect(retryPolicy({ jitter: 1 }, base)).toEqual({ ...base, jitter: 1 });
  });

  it.each([
    ['maxAttempts 0', { maxAttempts: 0 }, 'retry.maxAttempts'],
    ['fractional maxAttempts', { maxAttempts: 1.5 }, 'retry.maxAttempts'],
    ['a negative base', { baseDelayMs: -1 }, 'retry.baseDelayMs'],
    ['a NaN base', { baseDelayMs: NaN }, 'retry.baseDelayMs'],
    ['an infinite maximum', { maxDelayMs: Infinity }, 'retry.maxDelayMs'],
    ['jitter above 1', { jitter: 1.5 }, 'retry.jitter'],
    ['negative jitter', { jitter: -0.1 }, 'retry.jitter'],
    ['a string', { maxAttempts: '3' as unknown as number }, 'retry.maxAttempts'],
  ])('rejects %s with InvalidArgument', (_, partial, what) => {
    expect(() => retryPolicy(partial)).toThrow(expect.objectContaining({ name: 'InvalidArgument', details: expect.objectContaining({ what }) }));
  });
});

describe('definedOnly', () => {
  it('drops undefined values and keeps falsy ones', () => {
    expect(definedOnly({ a: undefined, b: 0, c: null, d: '', e: false })).toEqual({ b: 0, c: null, d: '', e: false });
  });
});
