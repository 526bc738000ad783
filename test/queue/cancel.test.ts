import { describe, expect, it } from 'vitest';
import type { QueueEvent } from '../../src/queue/queue.ts';
import { dump } from '../support/dump.ts';
import { NO_BACKOFF, freshQueue } from '../support/queue.ts';
import { getJob, jobHistory, stats } from '../../src/inspect.ts';
import { storeOf } from '../support/internals.ts';

describe('Queue.cancel', () => {
  it('removes a pending job', async () => {
    const { q } = await freshQueue();
    const { id } = await q.enqueue('work', 1);
    expect(await q.cancel(id)).toEqual({ kind: 'removed', followUps: [] });
    expect(await q.claim('work')).toBeUndefined();
    expect(await getJob(q, id)).toBeUndefined();
    expect((await stats(q, 'work')).pending).toBe(0);
  });

  it('removes a scheduled job', async () => {
    const { q } = await freshQueue();
    const { id } = await q.enqueue('work', 1, { delayMs: 3_600_000 });
    expect((await stats(q, 'work')).scheduled).toBe(1);
    expect((await q.cancel(id)).kind).toBe('removed');
    expect((await stats(q, 'work')).scheduled).toBe(0);
    expect(await getJob(q, id)).toBeUndefined();
  });

  it('records a request on a claimed job, which stays claimed and can still be acknowledged', async () => {
    const { q } = await freshQueue();
    const { id } = await q.enqueue('work', 1);
    const c = (await q.claim('work'))!;
    const events: QueueEvent[] = [];
    q.on((e) => events.push(e));
    expect(await q.cancel(id)).toEqual({ kind: 'requested' });
    expect(events).toEqual([{ type: 'cancelRequested', jobId: id }]);
    expect(await getJob(q, id)).toMatchObject({ state: 'claimed', cancelRequested: true });
    await q.ack(c);
    expect(await stats(q, 'work')).toMatchObject({ claimed: 0, done: 1 });
  });

  it('writes nothing when a cancel is requested again', async () => {
    const { q } = await freshQueue();
    const { id } = await q.enqueue('work', 1);
    await q.claim('work');
    await q.cancel(id);
    const before = await dump(storeOf(q));
    expect(await q.cancel(id)).toEqual({ kind: 'requested' });
    expect(await dump(storeOf(q))).toEqual(before);
  });

  it('answers notFound for an acknowledged job, a dead job and an unknown id, writing nothing', async () => {
    const { q } = await freshQueue({ defaults: { keepDoneMs: 60_000 } });
    const acked = await q.enqueue('work', 1);
    await q.ack((await q.claim('work'))!);
    const dead = await q.enqueue('work', 2);
    await q.deadLetter((await q.claim('work'))!, 'x');
    const before = await dump(storeOf(q));
    for (const id of [acked.id, dead.id, 'unknown']) expect(await q.cancel(id)).toEqual({ kind: 'notFound' });
    expect(await dump(storeOf(q))).toEqual(before);
  });

  it('answers notFound for a job acknowledged without retention', async () => {
    const { q } = await freshQueue();
    const { id } = await q.enqueue('work', 1);
    await q.ack((await q.claim('work'))!);
    expect(await q.cancel(id)).toEqual({ kind: 'notFound' });
  });

  it('a cancel request survives a lease-expiry requeue', async () => {
    const { q, clock } = await freshQueue({ defaults: NO_BACKOFF });
    const { id } = await q.enqueue('work', 1);
    await q.claim('work', { leaseMs: 50 });
    expect((await q.cancel(id)).kind).toBe('requested');
    expect((await getJob(q, id))?.cancelRequested).toBe(true);
    clock.advance(100);
    expect((await q.reap()).requeued).toEqual([id]);
    expect((await q.claim('work'))?.job).toMatchObject({ id, cancelRequested: true, attempts: 2 });
  });

  it('applies its effects with the removal of a waiting job', async () => {
    const { q } = await freshQueue();
    const { id } = await q.enqueue('work', 1, { kvPut: { 'runs/1': 'active' } });
    const out = await q.cancel(id, { enqueue: [{ queue: 'notify', payload: 'cancelled' }], kvDelete: ['runs/1'] });
    expect(out.kind).toBe('removed');
    expect(out.kind === 'removed' && out.followUps.map((f) => f.kind)).toEqual(['new']);
    expect((await stats(q, 'work')).pending).toBe(0);
    expect((await q.claim('notify'))?.job.payload).toBe('cancelled');
    expect(await q.kv.get('runs/1')).toBeUndefined();
    expect(await getJob(q, id)).toBeUndefined();
  });

  it('drops its effects on a claimed job and an unknown id', async () => {
    const { q } = await freshQueue();
    const { id } = await q.enqueue('work', 1);
    await q.claim('work');
    const effects = { enqueue: [{ queue: 'notify', payload: 'cancelled' }], kvPut: { 'runs/1': 'cancelled' } };
    expect(await q.cancel(id, effects)).toEqual({ kind: 'requested' });
    expect(await q.cancel('unknown', effects)).toEqual({ kind: 'notFound' });
    expect((await stats(q, 'notify')).pending).toBe(0);
    expect(await q.kv.get('runs/1')).toBeUndefined();
  });

  it('removes the attempt history with the job', async () => {
    const { q } = await freshQueue({ defaults: { retry: { baseDelayMs: 1000, jitter: 0 } } });
    const { id } = await q.enqueue('work', 1);
    await q.nack((await q.claim('work'))!, 'x');
    expect(await jobHistory(q, id)).toHaveLength(1);
    expect((await q.cancel(id)).kind).toBe('removed');
    expect(await jobHistory(q, id)).toEqual([]);
    expect((await dump(storeOf(q))).attempts).toEqual([]);
  });
});
