/** The lease keeper both runners (and `stepwise/ai`) use while a model works. */
import { describe, expect, it } from 'vitest';
import { MockClock } from '../../src/core/clock.ts';
import { WorkflowError } from '../../src/core/errors.ts';
import { LeaseKeeper } from '../../src/runners/lease-keeper.ts';
import type { LeaseHandle } from '../../src/runtime/types.ts';

/** A lease whose extensions are counted, and fail with `failWith` once it is set. */
function fakeLease(): LeaseHandle & { calls: number; failWith?: unknown } {
  const lease = {
    calls: 0,
    failWith: undefined as unknown,
    expiresAt: 0,
    async extend(): Promise<void> {
      lease.calls++;
      if (lease.failWith !== undefined) throw lease.failWith;
    },
  };
  return lease;
}

describe('LeaseKeeper', () => {
  it('extends at most once per quarter of the lease however often it is touched', async () => {
    const clock = new MockClock();
    const lease = fakeLease();
    const keeper = new LeaseKeeper(lease, 4000, clock);
    for (let i = 0; i < 10; i++) {
      keeper.touch();
      await keeper.settled();
    }
    expect(lease.calls).toBe(1);
    clock.advance(999);
    keeper.touch();
    expect(lease.calls).toBe(1);
    clock.advance(1);
    keeper.touch();
    expect(lease.calls).toBe(2);
  });

  it('stops extending once the delivery is lost, and reports the loss once', async () => {
    const clock = new MockClock();
    const lease = fakeLease();
    const lost: unknown[] = [];
    const keeper = new LeaseKeeper(lease, 4000, clock, (e) => lost.push(e));
    lease.failWith = new WorkflowError('ClaimLost', 'gone');
    keeper.touch();
    await keeper.settled();
    clock.advance(10_000);
    keeper.touch();
    await keeper.settled();
    expect(lease.calls).toBe(1);
    expect(lost).toHaveLength(1);
    expect(keeper.lost).toBe(lease.failWith);
  });

  it('keeps extending while work is in flight, and stops when it settles', async () => {
    const clock = new MockClock();
    const lease = fakeLease();
    const keeper = new LeaseKeeper(lease, 4000, clock);
    let finish!: (v: string) => void;
    const work = keeper.during(new Promise<string>((r) => (finish = r)));
    for (let i = 0; i < 3; i++) {
      await keeper.settled();
      await Promise.resolve();
      clock.advance(1000);
    }
    await keeper.settled();
    finish('done');
    expect(await work).toBe('done');
    const calls = lease.calls;
    expect(calls).toBeGreaterThanOrEqual(3);
    clock.advance(10_000);
    expect(lease.calls).toBe(calls);
    expect(clock.pendingTimers).toBe(0);
  });
});
