import { describe, expect, it } from 'vitest';
import type { QueueEvent } from '../../src/queue/queue.ts';
import { Priority } from '../../src/queue/types.ts';
import { dump } from '../support/dump.ts';
import { NO_BACKOFF, T0, freshQueue } from '../support/queue.ts';
import { getJob, jobHistory, stats } from '../../src/inspect.ts';
import { storeOf } from '../support/internals.ts';

const EMPTY = { pending: 0, scheduled: 0, claimed: 0, done: 0, dead: 0 };

describe('Queue.ack', () => {
  it('deletes the job by default and counts it done', async () => {
    const { q } = await freshQueue();
    const { id } = await q.enqueue('work', 1);
    const out = await q.ack((await q.claim('work'))!);
    expect(out).toEqual([]);
    expect(await q.claim('work')).toBeUndefined();
    expect(await getJob(q, id)).toBeUndefined();
    expect(await jobHistory(q, id)).toEqual([]);
    expect(await stats(q, 'work')).toEqual({ ...EMPTY, done: 1 });
  });

  it('with done retention, getJob reports pending, claimed, then done', async () => {
    const { q, clock } = await freshQueue({ defaults: { keepDoneMs: 60_000 } });
    const { id } = await q.enqueue('work', 1);
    expect((await getJob(q, id))?.state).toBe('pending');
    const c = (await q.claim('work'))!;
    expect((await getJob(q, id))?.state).toBe('claimed');
    clock.advance(7);
    await q.ack(c);
    const job = await getJob(q, id);
    expect(job).toMatchObject({ state: 'done', completedAt: T0 + 7, owner: null, claimToken: null });
    expect(job?.leaseUntil).toBeUndefined();
    expect(await q.leaseExpiry(id)).toBeUndefined();
  });

  it('getJob of an unknown id is undefined', async () => {
    const { q } = await freshQueue();
    expect(await getJob(q, 'nonexistent')).toBeUndefined();
  });

  it('stats track the job lifecycle', async () => {
    const { q } = await freshQueue();
    await q.enqueue('work', 1);
    await q.enqueue('work', 2);
    expect(await stats(q, 'work')).toEqual({ ...EMPTY, pending: 2 });
    const c = (await q.claim('work'))!;
    expect(await stats(q, 'work')).toEqual({ ...EMPTY, pending: 1, claimed: 1 });
    await q.ack(c);
    expect(await stats(q, 'work')).toEqual({ ...EMPTY, pending: 1, done: 1 });
    expect(await stats(q, 'unknown')).toEqual(EMPTY);
  });

  it('applies follow-up enqueues and KV effects atomically with the ack', async () => {
    const { q } = await freshQueue();
    await q.enqueue('work', 'first', { kvPut: { 'runs/1': 'active' } });
    const c = (await q.claim('work'))!;
    const out = await q.ack(c, { enqueue: [{ queue: 'next', payload: 'second' }], kvPut: { 'runs/2': 'done' }, kvDelete: ['runs/1'] });
    expect(out).toHaveLength(1);
    expect(out[0]?.kind).toBe('new');
    expect((await q.claim('next'))?.job).toMatchObject({ id: out[0]!.id, payload: 'second' });
    expect(await q.kv.get('runs/1')).toBeUndefined();
    expect(await q.kv.get('runs/2')).toBe('done');
    expect((await stats(q, 'work')).done).toBe(1);
  });

  it('downgrades a deduplicated follow-up instead of failing', async () => {
    const { q } = await freshQueue();
    const existing = await q.enqueue('next', 'waiting', { dedupKey: 'dk' });
    await q.enqueue('work', 1);
    const out = await q.ack((await q.claim('work'))!, {
      enqueue: [
        { queue: 'next', payload: 'dup', dedupKey: 'dk' },
        { queue: 'next', payload: 'fresh' },
      ],
    });
    expect(out[0]).toEqual({ kind: 'alreadyEnqueued', id: existing.id });
    expect(out[1]?.kind).toBe('new');
    expect((await stats(q, 'next')).pending).toBe(2);
    expect((await stats(q, 'work')).done).toBe(1);
  });

  it('schedules a follow-up in the future', async () => {
    const { q } = await freshQueue();
    await q.enqueue('work', 1);
    await q.ack((await q.claim('work'))!, { enqueue: [{ queue: 'next', payload: 'x', runAt: T0 + 300_000 }] });
    expect(await stats(q, 'next')).toMatchObject({ scheduled: 1, pending: 0 });
    expect(await q.claim('next')).toBeUndefined();
  });

  it('a success effect chains a follow-up job on the same queue', async () => {
    const { q } = await freshQueue();
    await q.enqueue('work', 'first');
    let processed = 0;
    for (let c = await q.claim('work'); c; c = await q.claim('work')) {
      processed++;
      await q.ack(c, c.job.payload === 'first' ? { enqueue: [{ queue: 'work', payload: 'second' }] } : undefined);
    }
    expect(processed).toBe(2);
    expect(await stats(q, 'work')).toEqual({ ...EMPTY, done: 2 });
  });

  it('runs effects.apply inside the settlement’s transaction', async () => {
    const { q } = await freshQueue();
    await q.enqueue('work', 1);
    const c = (await q.claim('work'))!;
    await q.ack(c, {
      apply: async (t) => {
        // The job is already gone inside the same transaction.
        expect(await t.get('jobs', c.job.id)).toBeUndefined();
        t.put('runs', { runId: 'r1', state: 'done', updatedAt: T0 });
      },
    });
    expect((await dump(storeOf(q))).runs).toEqual([{ runId: 'r1', state: 'done', updatedAt: T0 }]);
  });

  it('applies nothing when the effects fail, and the job stays claimed until recovered and settled again', async () => {
    const { q, clock } = await freshQueue();
    await q.enqueue('work', 'payload');
    const c = (await q.claim('work'))!;
    const before = await dump(storeOf(q));
    const failing = {
      enqueue: [{ queue: 'next', payload: 'follow-up' }],
      kvPut: { 'runs/1': 'done' },
      apply: () => {
        throw new Error('storage stalled');
      },
    };
    await expect(q.ack(c, failing)).rejects.toThrow('storage stalled');
    expect(await dump(storeOf(q))).toEqual(before);
    expect(await q.kv.get('runs/1')).toBeUndefined();
    expect((await stats(q, 'next')).pending).toBe(0);
    clock.advance(60_000);
    await q.reap();
    const again = (await q.claim('work'))!;
    expect(again.job).toMatchObject({ payload: 'payload', attempts: 2 });
    const out = await q.ack(again, { enqueue: failing.enqueue, kvPut: failing.kvPut });
    expect(out.map((o) => o.kind)).toEqual(['new']);
    expect(await q.kv.get('runs/1')).toBe('done');
    expect((await stats(q, 'next')).pending).toBe(1);
  });

  it('emits settled, then enqueued for each follow-up queue', async () => {
    const { q } = await freshQueue();
    await q.enqueue('work', 1);
    const c = (await q.claim('work'))!;
    const events: QueueEvent[] = [];
    q.on((e) => events.push(e));
    await q.ack(c, { enqueue: [{ queue: 'a', payload: 1 }, { queue: 'a', payload: 2 }, { queue: 'b', payload: 3 }] });
    expect(events).toEqual([
      { type: 'settled', jobId: c.job.id },
      { type: 'enqueued', queue: 'a', runAt: T0 },
      { type: 'enqueued', queue: 'b', runAt: T0 },
    ]);
  });
});

describe('settlement fencing', () => {
  it('an ack on an expired lease succeeds while no recovery has run', async () => {
    const { q, clock } = await freshQueue();
    await q.enqueue('work', 1);
    const c = (await q.claim('work', { leaseMs: 1 }))!;
    clock.advance(5000);
    await q.ack(c);
    expect(await stats(q, 'work')).toEqual({ ...EMPTY, done: 1 });
  });

  it('a stale claim cannot settle a job re-claimed by a fresh delivery', async () => {
    const { q, clock } = await freshQueue();
    await q.enqueue('work', 1);
    const stale = (await q.claim('work', { leaseMs: 1 }))!;
    clock.advance(5000);
    await q.reap();
    const fresh = (await q.claim('work'))!;
    const before = await dump(storeOf(q));
    await expect(q.ack(stale)).rejects.toMatchObject({ name: 'ClaimLost', details: { jobId: stale.job.id, state: 'claimed' } });
    await expect(q.nack(stale, 'x')).rejects.toMatchObject({ name: 'ClaimLost' });
    await expect(q.deadLetter(stale, 'x')).rejects.toMatchObject({ name: 'ClaimLost' });
    await expect(q.ensureLease(stale, 1000)).rejects.toMatchObject({ name: 'ClaimLost' });
    expect(await dump(storeOf(q))).toEqual(before);
    expect(await stats(q, 'work')).toEqual({ ...EMPTY, claimed: 1 });
    await q.ack(fresh);
    expect(await stats(q, 'work')).toEqual({ ...EMPTY, done: 1 });
  });

  it('a stale claim cannot settle a job the reaper dead-lettered', async () => {
    const { q, clock } = await freshQueue();
    await q.enqueue('work', 1, { maxAttempts: 1 });
    const stale = (await q.claim('work', { leaseMs: 1 }))!;
    clock.advance(5000);
    await q.reap();
    await expect(q.ack(stale)).rejects.toMatchObject({ name: 'ClaimLost', details: { state: 'dead' } });
    await expect(q.nack(stale, 'x')).rejects.toMatchObject({ name: 'ClaimLost' });
    await expect(q.deadLetter(stale, 'x')).rejects.toMatchObject({ name: 'ClaimLost' });
    await expect(q.ensureLease(stale, 1000)).rejects.toMatchObject({ name: 'ClaimLost' });
    expect(await stats(q, 'work')).toEqual({ ...EMPTY, dead: 1 });
    expect(await q.claim('work')).toBeUndefined();
  });

  it('a second settlement of an acknowledged claim fails and changes no counter', async () => {
    const { q } = await freshQueue();
    await q.enqueue('work', 1);
    const c = (await q.claim('work'))!;
    await q.ack(c);
    await expect(q.nack(c, 'x')).rejects.toMatchObject({ name: 'ClaimLost', details: { state: null } });
    await expect(q.ack(c)).rejects.toMatchObject({ name: 'ClaimLost' });
    expect(await stats(q, 'work')).toEqual({ ...EMPTY, done: 1 });
  });

  it('rejects a claim with a forged token and applies none of its effects', async () => {
    const { q } = await freshQueue();
    await q.enqueue('work', 1);
    const c = (await q.claim('work'))!;
    const before = await dump(storeOf(q));
    await expect(q.ack({ ...c, token: 'forged' }, { kvPut: { k: 1 }, enqueue: [{ queue: 'next', payload: 1 }] })).rejects.toMatchObject({
      name: 'ClaimLost',
    });
    expect(await dump(storeOf(q))).toEqual(before);
  });
});

describe('Queue.nack', () => {
  it('returns the job for another attempt and records the error', async () => {
    const { q } = await freshQueue({ defaults: NO_BACKOFF });
    const { id } = await q.enqueue('work', 1);
    expect(await q.nack((await q.claim('work'))!, 'transient error')).toEqual({ kind: 'retried', runAt: T0 });
    expect((await q.claim('work'))?.job).toMatchObject({ id, attempts: 2, lastError: 'transient error', state: 'claimed' });
  });

  it('parks a failed attempt until its backoff has passed', async () => {
    const { q, clock } = await freshQueue({ defaults: { retry: { baseDelayMs: 10, maxDelayMs: 10 } } });
    const { id } = await q.enqueue('work', 1);
    const out = await q.nack((await q.claim('work'))!, 'boom');
    expect(out.kind).toBe('retried');
    expect(await stats(q, 'work')).toMatchObject({ pending: 0, claimed: 0, scheduled: 1 });
    expect(await q.claim('work')).toBeUndefined();
    clock.advance(20);
    expect((await q.claim('work'))?.job).toMatchObject({ id, attempts: 2, lastError: 'boom' });
  });

  it('backs off exponentially on the queue clock', async () => {
    const { q, clock } = await freshQueue({ defaults: { retry: { baseDelayMs: 1000, maxDelayMs: 60_000, jitter: 0, maxAttempts: 10 } } });
    await q.enqueue('work', 1);
    const dueTimes: number[] = [];
    for (let i = 0; i < 4; i++) {
      const c = (await q.claim('work'))!;
      const out = await q.nack(c, 'x');
      if (out.kind !== 'retried') throw new Error('expected a retry');
      dueTimes.push(out.runAt - clock.now());
      clock.set(out.runAt);
    }
    expect(dueTimes).toEqual([1000, 2000, 4000, 8000]);
  });

  it('lets retryAfterMs replace the backoff, capped at the maximum delay', async () => {
    const { q } = await freshQueue({ defaults: { retry: { baseDelayMs: 1000, maxDelayMs: 10_000, jitter: 0 } } });
    const { id } = await q.enqueue('work', 1);
    expect(await q.nack((await q.claim('work'))!, 'x', { retryAfterMs: 2500 })).toEqual({ kind: 'retried', runAt: T0 + 2500 });
    expect(await q.wakeScheduled(id)).toBe('woken');
    expect(await q.nack((await q.claim('work'))!, 'x', { retryAfterMs: 999_999 })).toEqual({ kind: 'retried', runAt: T0 + 10_000 });
  });

  it('a retried job keeps its priority', async () => {
    const { q } = await freshQueue({ defaults: NO_BACKOFF });
    await q.enqueue('work', 'high', { priority: Priority.HIGH });
    await q.enqueue('work', 'normal');
    await q.nack((await q.claim('work'))!, 'x');
    expect((await q.claim('work'))?.job).toMatchObject({ payload: 'high', priority: 100 });
  });

  it('dead-letters once maxAttempts deliveries have failed', async () => {
    const { q } = await freshQueue({ defaults: NO_BACKOFF });
    const { id } = await q.enqueue('work', 1, { maxAttempts: 2 });
    expect((await q.nack((await q.claim('work'))!, 'one')).kind).toBe('retried');
    expect(await q.nack((await q.claim('work'))!, 'two')).toEqual({ kind: 'deadLettered', followUps: [] });
    expect(await q.claim('work')).toBeUndefined();
    expect(await getJob(q, id)).toMatchObject({ state: 'dead', attempts: 2, lastError: 'two', failedAt: T0 });
  });

  it('a job with maxAttempts 1 is dead after one failed attempt', async () => {
    const { q } = await freshQueue();
    const { id } = await q.enqueue('work', 1, { maxAttempts: 1 });
    await q.nack((await q.claim('work'))!, 'x');
    expect((await getJob(q, id))?.state).toBe('dead');
    expect(await stats(q, 'work')).toEqual({ ...EMPTY, dead: 1 });
  });

  it('drops the effects of a nack while attempts remain', async () => {
    const { q } = await freshQueue();
    await q.enqueue('work', 1);
    const out = await q.nack((await q.claim('work'))!, 'x', { effects: { enqueue: [{ queue: 'notify', payload: 'failed' }], kvPut: { 'runs/1': 'failed' } } });
    expect(out.kind).toBe('retried');
    expect(await stats(q, 'work')).toMatchObject({ scheduled: 1, dead: 0 });
    expect((await stats(q, 'notify')).pending).toBe(0);
    expect(await q.kv.get('runs/1')).toBeUndefined();
  });

  it('applies the effects of a nack that dead-letters', async () => {
    const { q } = await freshQueue();
    await q.enqueue('work', 1, { maxAttempts: 1 });
    const out = await q.nack((await q.claim('work'))!, 'x', { effects: { enqueue: [{ queue: 'notify', payload: 'failed' }], kvPut: { 'runs/1': 'failed' } } });
    expect(out.kind).toBe('deadLettered');
    expect(out.kind === 'deadLettered' && out.followUps.map((f) => f.kind)).toEqual(['new']);
    expect((await stats(q, 'work')).dead).toBe(1);
    expect((await q.claim('notify'))?.job.payload).toBe('failed');
    expect(await q.kv.get('runs/1')).toBe('failed');
  });
});

describe('Queue.deadLetter', () => {
  it('dead-letters at once without counting an attempt', async () => {
    const { q, clock } = await freshQueue();
    const { id } = await q.enqueue('work', 1, { maxAttempts: 5 });
    const c = (await q.claim('work'))!;
    clock.advance(3);
    await q.deadLetter(c, 'permanent failure');
    expect(await getJob(q, id)).toMatchObject({ state: 'dead', attempts: 1, lastError: 'permanent failure', failedAt: T0 + 3, owner: null, claimToken: null });
    expect(await stats(q, 'work')).toMatchObject({ dead: 1, claimed: 0 });
  });

  it('applies its effects atomically', async () => {
    const { q } = await freshQueue();
    await q.enqueue('work', 1);
    const out = await q.deadLetter((await q.claim('work'))!, 'bad input', {
      enqueue: [{ queue: 'notify', payload: 'failed' }],
      kvPut: { 'runs/1': 'failed' },
    });
    expect(out.map((o) => o.kind)).toEqual(['new']);
    expect((await stats(q, 'work')).dead).toBe(1);
    expect((await stats(q, 'notify')).pending).toBe(1);
    expect((await q.claim('notify'))?.job.payload).toBe('failed');
    expect(await q.kv.get('runs/1')).toBe('failed');
  });

  it('applies no effects through a claim that was already acknowledged', async () => {
    const { q } = await freshQueue();
    await q.enqueue('work', 1);
    const c = (await q.claim('work'))!;
    await q.ack(c);
    await expect(q.deadLetter(c, 'bad input', { enqueue: [{ queue: 'notify', payload: 'failed' }], kvPut: { 'runs/1': 'failed' } })).rejects.toMatchObject({
      name: 'ClaimLost',
    });
    expect((await stats(q, 'notify')).pending).toBe(0);
    expect(await q.kv.get('runs/1')).toBeUndefined();
  });
});
