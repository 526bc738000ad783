import { describe, expect, it } from 'vitest';
import { MockClock } from '../../src/core/clock.ts';
import { LEASE_SETTLE_MARGIN_MS } from '../../src/queue/settle.ts';
import { dump } from '../support/dump.ts';
import { T0, freshQueue } from '../support/queue.ts';
import { stats } from '../../src/inspect.ts';
import { storeOf } from '../support/internals.ts';

describe('Queue.ensureLease', () => {
  it('extends the lease only when it is shorter than asked plus the settle margin', async () => {
    const { q } = await freshQueue({ clock: new MockClock(1_000_000) });
    const { id } = await q.enqueue('work', 1);
    const c = (await q.claim('work', { leaseMs: 30_000 }))!;
    expect(LEASE_SETTLE_MARGIN_MS).toBe(5000);
    const before = await dump(storeOf(q));
    expect(await q.ensureLease(c, 10_000)).toBe(1_030_000);
    expect(await dump(storeOf(q))).toEqual(before);
    expect(await q.ensureLease(c, 60_000)).toBe(1_065_000);
    expect(await q.leaseExpiry(id)).toBe(1_065_000);
    // Never shortened.
    expect(await q.ensureLease(c, 0)).toBe(1_065_000);
    expect(await q.leaseExpiry(id)).toBe(1_065_000);
  });

  it('fails ClaimLost once the claim was settled', async () => {
    const { q } = await freshQueue();
    await q.enqueue('work', 1);
    const c = (await q.claim('work'))!;
    await q.ack(c);
    await expect(q.ensureLease(c, 60_000)).rejects.toMatchObject({ name: 'ClaimLost' });
  });

  it('fails ClaimLost once the claim was reaped or re-claimed', async () => {
    const { q, clock } = await freshQueue();
    await q.enqueue('work', 1);
    const c = (await q.claim('work', { leaseMs: 10 }))!;
    clock.advance(10);
    await q.reap();
    await expect(q.ensureLease(c, 60_000)).rejects.toMatchObject({ name: 'ClaimLost', details: { state: 'pending' } });
    const fresh = (await q.claim('work'))!;
    await expect(q.ensureLease(c, 60_000)).rejects.toMatchObject({ name: 'ClaimLost', details: { state: 'claimed' } });
    expect(await q.ensureLease(fresh, 60_000)).toBe(T0 + 10 + 65_000);
  });

  it('a worker that extends its own lease is not reaped and still acknowledges', async () => {
    const { q, clock } = await freshQueue({ defaults: { leaseMs: 1000 } });
    await q.enqueue('work', 1);
    const c = (await q.claim('work'))!;
    expect(await q.ensureLease(c, 60_000)).toBeGreaterThanOrEqual(T0 + 60_000);
    clock.advance(2000);
    expect(await q.reap()).toEqual({ requeued: [], deadLettered: [], skipped: 0 });
    await q.ack(c);
    expect(await stats(q, 'work')).toMatchObject({ done: 1, pending: 0, claimed: 0 });
  });
});

describe('Queue.leaseExpiry', () => {
  it('is set for every claimed job and reports the extended value', async () => {
    const { q } = await freshQueue();
    await q.enqueueBatch('work', [{ payload: 1 }, { payload: 2 }]);
    const claims = await q.claimBatch('work', 2);
    for (const c of claims) expect(await q.leaseExpiry(c.job.id)).toBe(T0 + 30_000);
    await q.ensureLease(claims[0]!, 90_000);
    expect(await q.leaseExpiry(claims[0]!.job.id)).toBe(T0 + 90_000 + LEASE_SETTLE_MARGIN_MS);
  });

  it('is undefined for waiting jobs and unknown ids', async () => {
    const { q } = await freshQueue();
    const { id } = await q.enqueue('work', 1);
    expect(await q.leaseExpiry(id)).toBeUndefined();
    expect(await q.leaseExpiry('unknown')).toBeUndefined();
  });
});
