/**
 * A claim planned at the start of a transaction (QueueOps.prefetchClaim, queue/plan.ts): the
 * runtime settles a step and claims the next one in one transaction with a single read round
 * trip, so the plan must claim exactly what a claim reading the index at that point would.
 */
import { describe, expect, it } from 'vitest';
import { Priority } from '../../src/queue/types.ts';
import { freshQueue } from '../support/queue.ts';
import { getJob, stats } from '../../src/inspect.ts';
import { engineOf } from '../support/internals.ts';

describe('QueueOps: a claim planned before the transaction writes', () => {
  it('claims the jobs the transaction inserted together with those already waiting, in priority then FIFO order', async () => {
    const { q } = await freshQueue();
    await q.enqueue('work', 'waiting-normal');
    await q.enqueue('work', 'waiting-low', { priority: Priority.LOW });
    const claims = await engineOf(q).transact(async (ops) => {
      ops.prefetchClaim('work', 3);
      await ops.insert('work', 'new-high', { priority: Priority.HIGH });
      await ops.insert('work', 'new-normal');
      return ops.claim('work', 3);
    });
    expect(claims.map((c) => c.job.payload)).toEqual(['new-high', 'waiting-normal', 'new-normal']);
    const stored = await Promise.all(claims.map((c) => getJob(q, c.job.id)));
    expect(stored.map((j) => [j?.state, j?.claimToken])).toEqual(claims.map((c) => ['claimed', c.token]));
    expect((await q.claim('work'))?.job.payload).toBe('waiting-low');
  });

  it('promotes scheduled jobs that came due, as a claim does', async () => {
    const { q, clock } = await freshQueue();
    await q.enqueue('work', 'later', { delayMs: 100 });
    clock.advance(100);
    const claims = await engineOf(q).transact(async (ops) => {
      ops.prefetchClaim('work', 1);
      return ops.claim('work', 1);
    });
    expect(claims.map((c) => c.job.payload)).toEqual(['later']);
    expect((await getJob(q, claims[0]!.job.id))?.state).toBe('claimed');
  });

  it('reads the index again when the transaction changed a job it had read, and never revives a removed job', async () => {
    const { q } = await freshQueue();
    const first = await q.enqueue('work', 'first');
    await q.enqueue('work', 'second');
    const claims = await engineOf(q).transact(async (ops) => {
      ops.prefetchClaim('work', 1); // reads "first"
      expect((await ops.cancel(first.id)).kind).toBe('removed');
      return ops.claim('work', 1);
    });
    expect(claims.map((c) => c.job.payload)).toEqual(['second']);
    expect(await getJob(q, first.id)).toBeUndefined();
  });

  it('claims nothing more than was prefetched for, and nothing when the queue is empty', async () => {
    const { q } = await freshQueue();
    expect(await engineOf(q).transact(async (ops) => (ops.prefetchClaim('work', 2), ops.claim('work', 2)))).toEqual([]);
    for (const p of [1, 2, 3]) await q.enqueue('work', p);
    // Asking for more than the plan read falls back to reading the index: still exact.
    const claims = await engineOf(q).transact(async (ops) => (ops.prefetchClaim('work', 1), ops.claim('work', 3)));
    expect(claims.map((c) => c.job.payload)).toEqual([1, 2, 3]);
  });

  it('counts every ack of one transaction in the done counter', async () => {
    const { q } = await freshQueue();
    for (const p of [1, 2, 3]) await q.enqueue('work', p);
    const claims = await q.claimBatch('work', 3);
    await engineOf(q).transact(async (ops) => {
      const jobs = await Promise.all(claims.map((c) => ops.fence(c)));
      expect(jobs).toHaveLength(3);
      for (const c of claims) await ops.ack(c);
    });
    expect((await stats(q, 'work')).done).toBe(3);
  });
});
