import { describe, expect, it, vi } from 'vitest';
import { Priority } from '../../src/queue/types.ts';
import { dump } from '../support/dump.ts';
import { NO_BACKOFF, T0, freshQueue } from '../support/queue.ts';
import { getJob, stats } from '../../src/inspect.ts';
import { storeOf } from '../support/internals.ts';

describe('Queue.claim', () => {
  it('returns nothing on an empty queue, and finds a job enqueued after empty polls', async () => {
    const { q } = await freshQueue();
    expect(await q.claim('work')).toBeUndefined();
    expect(await q.claim('work')).toBeUndefined();
    const { id } = await q.enqueue('work', 'late');
    expect((await q.claim('work'))?.job.id).toBe(id);
  });

  it('finds a batch enqueued after the queue was drained and polled empty', async () => {
    const { q } = await freshQueue();
    await q.enqueue('work', 1);
    await q.ack((await q.claim('work'))!);
    expect(await q.claim('work')).toBeUndefined();
    await q.enqueueBatch('work', [{ payload: 2 }]);
    expect((await q.claim('work'))?.job.payload).toBe(2);
  });

  it('finds a job a nack returned after a claim left the queue empty', async () => {
    const { q } = await freshQueue({ defaults: NO_BACKOFF });
    const { id } = await q.enqueue('work', 1);
    const c = (await q.claim('work'))!;
    expect(await q.claim('work')).toBeUndefined();
    await q.nack(c, 'again');
    expect((await q.claim('work'))?.job).toMatchObject({ id, attempts: 2 });
  });

  it('returns jobs first in, first out', async () => {
    const { q } = await freshQueue();
    for (const p of ['A', 'B', 'C']) await q.enqueue('work', p);
    const got = [];
    for (let i = 0; i < 3; i++) got.push((await q.claim('work'))!.job.payload);
    expect(got).toEqual(['A', 'B', 'C']);
  });

  it('keeps queues isolated', async () => {
    const { q } = await freshQueue();
    const email = await q.enqueue('email', 'e');
    const resize = await q.enqueue('resize', 'r');
    expect((await q.claim('resize'))?.job.id).toBe(resize.id);
    expect((await q.claim('email'))?.job.id).toBe(email.id);
    expect(await q.claim('email')).toBeUndefined();
    expect(await q.claim('resize')).toBeUndefined();
  });

  it('claims higher priority first, FIFO within a priority, and records the priority', async () => {
    const { q } = await freshQueue();
    await q.enqueue('work', 'low', { priority: Priority.LOW });
    await q.enqueue('work', 'normal-1');
    await q.enqueue('work', 'high', { priority: Priority.HIGH });
    await q.enqueue('work', 'normal-2', { priority: Priority.NORMAL });
    const got = [];
    for (let i = 0; i < 4; i++) got.push((await q.claim('work'))!.job);
    expect(got.map((j) => j.payload)).toEqual(['high', 'normal-1', 'normal-2', 'low']);
    expect(got[0]?.priority).toBe(100);
  });

  it('does not hand a claimed job to a second claim', async () => {
    const { q } = await freshQueue();
    await q.enqueue('work', 1);
    expect(await q.claim('work')).toBeDefined();
    expect(await q.claim('work')).toBeUndefined();
  });

  it('records the owner and a fresh fencing token on every claim', async () => {
    const { q } = await freshQueue({ owner: 'runtime-a', defaults: NO_BACKOFF });
    const { id } = await q.enqueue('work', 1);
    const c1 = (await q.claim('work'))!;
    expect(c1.owner).toBe('runtime-a');
    expect(await getJob(q, id)).toMatchObject({ owner: 'runtime-a', claimToken: c1.token });
    await q.nack(c1, 'x');
    const c2 = (await q.claim('work'))!;
    expect(c2.token).not.toBe(c1.token);
    expect(c2.token).toMatch(/^[0-9a-f]{24}$/);
  });

  it('uses the lease given to the claim, else the queue’s', async () => {
    const { q } = await freshQueue({ queues: { fast: { leaseMs: 5000 } } });
    const a = await q.enqueue('work', 1);
    const b = await q.enqueue('work', 2);
    const f = await q.enqueue('fast', 3);
    await q.claim('work', { leaseMs: 1234 });
    await q.claim('work');
    await q.claim('fast');
    expect(await q.leaseExpiry(a.id)).toBe(T0 + 1234);
    expect(await q.leaseExpiry(b.id)).toBe(T0 + 30_000);
    // A queue's own lease applies to claims that name none.
    expect(await q.leaseExpiry(f.id)).toBe(T0 + 5000);
  });

  it('returns a snapshot that later changes to the job do not alter', async () => {
    const { q } = await freshQueue();
    await q.enqueue('work', 1);
    const c = (await q.claim('work'))!;
    await q.cancel(c.job.id);
    expect(c.job.cancelRequested).toBe(false);
    expect((await getJob(q, c.job.id))?.cancelRequested).toBe(true);
  });
});

describe('Queue.claimBatch', () => {
  it('claims in order up to max, each with attempts 1 and a lease', async () => {
    const { q } = await freshQueue();
    for (const p of ['a', 'b', 'c', 'd', 'e']) await q.enqueue('work', p);
    const first = await q.claimBatch('work', 3);
    expect(first.map((c) => c.job.payload)).toEqual(['a', 'b', 'c']);
    for (const c of first) {
      expect(c.job).toMatchObject({ state: 'claimed', attempts: 1, leaseUntil: T0 + 30_000 });
      expect(await q.leaseExpiry(c.job.id)).toBe(T0 + 30_000);
    }
    expect(new Set(first.map((c) => c.token)).size).toBe(3);
    expect((await q.claimBatch('work', 3)).map((c) => c.job.payload)).toEqual(['d', 'e']);
  });

  it('keeps FIFO across a batch of 20', async () => {
    const { q } = await freshQueue();
    await q.enqueueBatch('work', Array.from({ length: 20 }, (_, i) => ({ payload: i })));
    expect((await q.claimBatch('work', 20)).map((c) => c.job.payload)).toEqual(Array.from({ length: 20 }, (_, i) => i));
  });

  it('claims nothing and writes nothing with max 0', async () => {
    const { q } = await freshQueue();
    await q.enqueue('work', 1);
    const before = await dump(storeOf(q));
    expect(await q.claimBatch('work', 0)).toEqual([]);
    expect(await dump(storeOf(q))).toEqual(before);
    expect(await q.claim('work')).toBeDefined();
  });

  it('a partial batch leaves the queue empty until the next enqueue', async () => {
    const { q } = await freshQueue();
    await q.enqueue('work', 'only');
    expect(await q.claimBatch('work', 8)).toHaveLength(1);
    expect(await q.claimBatch('work', 8)).toEqual([]);
    await q.enqueue('work', 'next');
    expect((await q.claimBatch('work', 8)).map((c) => c.job.payload)).toEqual(['next']);
  });
});

describe('Queue.claimWait', () => {
  it('returns at once when a job is waiting', async () => {
    const { q, clock } = await freshQueue();
    await q.enqueue('work', 'ready');
    expect((await q.claimWait('work', 60_000))?.job.payload).toBe('ready');
    expect(clock.pendingTimers).toBe(0);
  });

  it('wakes on an enqueue without the clock moving', async () => {
    const { q, clock } = await freshQueue();
    const waiting = q.claimWait('work', 60_000);
    await vi.waitFor(() => expect(clock.pendingTimers).toBe(1));
    const { id } = await q.enqueue('work', 'wake');
    expect((await waiting)?.job.id).toBe(id);
    expect(clock.now()).toBe(T0);
    expect(clock.pendingTimers).toBe(0);
  });

  it('ignores enqueues on other queues', async () => {
    const { q, clock } = await freshQueue();
    const waiting = q.claimWait('work', 5000);
    await vi.waitFor(() => expect(clock.pendingTimers).toBe(1));
    await q.enqueue('other', 1);
    clock.advance(5000);
    expect(await waiting).toBeUndefined();
    expect((await stats(q, 'other')).pending).toBe(1);
  });

  it('waits the full timeout after an earlier successful wait, then returns nothing', async () => {
    const { q, clock } = await freshQueue();
    const first = q.claimWait('work', 5000);
    await vi.waitFor(() => expect(clock.pendingTimers).toBe(1));
    await q.enqueue('work', 1);
    expect(await first).toBeDefined();
    let done = false;
    const second = q.claimWait('work', 5000).then((c) => ((done = true), c));
    await vi.waitFor(() => expect(clock.pendingTimers).toBe(1));
    clock.advance(4999);
    await new Promise((r) => setTimeout(r, 10));
    expect(done).toBe(false);
    clock.advance(1);
    expect(await second).toBeUndefined();
  });

  it('wakes when a scheduled job falls due', async () => {
    const { q, clock } = await freshQueue();
    const { id } = await q.enqueue('work', 'later', { delayMs: 2000 });
    const waiting = q.claimWait('work', 60_000);
    await vi.waitFor(() => expect(clock.pendingTimers).toBe(1));
    clock.advance(2000);
    expect((await waiting)?.job.id).toBe(id);
  });

  it('wakes for a job that recovery returned to the queue', async () => {
    const { q, clock } = await freshQueue();
    const { id } = await q.enqueue('work', 1);
    await q.claim('work', { leaseMs: 0 });
    const waiting = q.claimWait('work', 60_000);
    await vi.waitFor(() => expect(clock.pendingTimers).toBe(1));
    await q.reap();
    expect((await waiting)?.job).toMatchObject({ id, attempts: 2 });
  });

  it('returns nothing when its signal aborts', async () => {
    const { q, clock } = await freshQueue();
    const ac = new AbortController();
    const waiting = q.claimWait('work', 60_000, { signal: ac.signal });
    await vi.waitFor(() => expect(clock.pendingTimers).toBe(1));
    ac.abort();
    expect(await waiting).toBeUndefined();
    expect(clock.pendingTimers).toBe(0);
  });

  it('returns nothing for a zero timeout on an empty queue', async () => {
    const { q } = await freshQueue();
    expect(await q.claimWait('work', 0)).toBeUndefined();
  });
});
