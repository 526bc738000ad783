/**
 * `wait()` is cheap and abandonable (src/runtime/waits.ts): waits share one poll, and an
 * abandoned wait (its signal aborted: the host does so when the calling page is gone) reads nothing.
 */
import { describe, expect, it } from 'vitest';
import { isWorkflowError } from '../../src/core/errors.ts';
import type { Runtime } from '../../src/runtime/runtime.ts';
import { settle } from './harness.ts';
import { fresh } from './lifecycle.ts';
import { storeOf } from '../support/internals.ts';

/** Counts the read transactions of a runtime's store. */
function countReads(rt: Runtime): { n: number } {
  const store = storeOf(rt);
  const read = store.read.bind(store);
  const counter = { n: 0 };
  store.read = ((...a: Parameters<typeof read>) => {
    counter.n++;
    return read(...a);
  }) as typeof store.read;
  return counter;
}

async function tenSeconds(clock: { advance(ms: number): void }): Promise<void> {
  for (let i = 0; i < 20; i++) {
    clock.advance(500);
    await settle(2);
  }
}

describe('wait', () => {
  it('reads nothing more for fifty abandoned waits', async () => {
    const { runtime, clock } = await fresh({ start: false });
    await runtime.submit({ workflow: 'wf', runId: 'r', input: 'x' });
    const gone = new AbortController();
    const waits = Array.from({ length: 50 }, () => runtime.wait('r', { signal: gone.signal }).catch((e: unknown) => e));
    await settle(10);
    gone.abort();
    const errors = await Promise.all(waits);
    expect(errors.every((e) => isWorkflowError(e, 'Unavailable'))).toBe(true);
    const reads = countReads(runtime);
    await tenSeconds(clock);
    expect(reads.n).toBe(0);
  });

  it('reads once per poll interval for fifty waits of one instance, and resolves them all when another instance ends the run', async () => {
    const { runtime: waiter, clock, reopen } = await fresh({ start: false });
    await waiter.submit({ workflow: 'wf', runId: 'r', input: 'x' });
    const outcomes = Array.from({ length: 50 }, () => waiter.wait('r'));
    await settle(10);
    const reads = countReads(waiter);
    await tenSeconds(clock); // pollIntervalMs is 1 s
    expect(reads.n).toBeLessThanOrEqual(11);

    const executor = await reopen();
    await executor.start(); // ends the run; the waiter's instance hears of it at its next poll
    await executor.wait('r');
    clock.advance(1000);
    const all = await Promise.all(outcomes);
    expect(all.every((o) => o.status === 'succeeded')).toBe(true);
  });

  it('resolves from this instance\u2019s own status event without waiting for a poll', async () => {
    const { runtime, clock } = await fresh({ start: false });
    await runtime.submit({ workflow: 'wf', runId: 'r', input: 'x' });
    const outcome = runtime.wait('r');
    await settle(5);
    const t = clock.now();
    await runtime.start();
    await expect(outcome).resolves.toMatchObject({ status: 'succeeded' });
    expect(clock.now()).toBe(t);
  });

  it('still times out on the runtime clock, and a run that does not exist is RunNotFound', async () => {
    const { runtime, clock } = await fresh({ start: false });
    await runtime.submit({ workflow: 'wf', runId: 'r', input: 'x' });
    const timedOut = runtime.wait('r', { timeoutMs: 2500 }).catch((e: unknown) => e);
    await settle(5);
    clock.advance(2500);
    expect(isWorkflowError(await timedOut, 'Timeout')).toBe(true);
    await expect(runtime.wait('nope')).rejects.toMatchObject({ name: 'RunNotFound' });
  });
});
