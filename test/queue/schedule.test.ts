import { describe, expect, it } from 'vitest';
import { Priority } from '../../src/queue/types.ts';
import { dump } from '../support/dump.ts';
import { T0, freshQueue } from '../support/queue.ts';
import { getJob, stats } from '../../src/inspect.ts';
import { storeOf } from '../support/internals.ts';

describe('Queue.enqueue with a due time', () => {
  it('a job scheduled in the past is immediately pending', async () => {
    const { q } = await freshQueue();
    const { id } = await q.enqueue('work', 'x', { runAt: T0 - 1000 });
    expect(await stats(q, 'work')).toMatchObject({ pending: 1, scheduled: 0 });
    expect((await q.claim('work'))?.job.id).toBe(id);
  });

  it('a job scheduled in the future is not claimable', async () => {
    const { q } = await freshQueue();
    await q.enqueue('work', 'x', { runAt: T0 + 3_600_000 });
    expect(await q.claim('work')).toBeUndefined();
    expect(await stats(q, 'work')).toMatchObject({ pending: 0, scheduled: 1 });
    expect(await q.nextDueAt('work')).toBe(T0 + 3_600_000);
  });

  it('treats a delay as a due time relative to the clock, and a zero delay as now', async () => {
    const { q } = await freshQueue();
    const later = await q.enqueue('work', 'later', { delayMs: 500 });
    const now = await q.enqueue('work', 'now', { delayMs: 0 });
    expect((await getJob(q, later.id))).toMatchObject({ state: 'scheduled', runAt: T0 + 500 });
    expect((await getJob(q, now.id))).toMatchObject({ state: 'pending', runAt: T0 });
  });

  it('a claim promotes a job once the clock reaches its due time', async () => {
    const { q, clock } = await freshQueue();
    const { id } = await q.enqueue('work', 'x', { runAt: T0 + 100 });
    clock.advance(99);
    expect(await q.claim('work')).toBeUndefined();
    clock.advance(101);
    expect(await stats(q, 'work')).toMatchObject({ scheduled: 1, pending: 0 }); // promotion is lazy
    expect((await q.claim('work'))?.job.id).toBe(id);
    expect(await stats(q, 'work')).toMatchObject({ scheduled: 0, pending: 0, claimed: 1 });
  });

  it('promotes all due jobs of the queue at a claim, leaving the rest pending', async () => {
    const { q, clock } = await freshQueue();
    await q.enqueue('work', 'a', { delayMs: 10 });
    await q.enqueue('work', 'b', { delayMs: 20 });
    await q.enqueue('work', 'c', { delayMs: 1000 });
    clock.advance(50);
    expect((await q.claim('work'))?.job.payload).toBe('a');
    expect(await stats(q, 'work')).toMatchObject({ pending: 1, scheduled: 1, claimed: 1 });
    expect(await q.nextDueAt('work')).toBe(T0 + 1000);
  });

  it('a promoted job does not jump ahead of a higher priority', async () => {
    const { q, clock } = await freshQueue();
    await q.enqueue('work', 'normal', { runAt: T0 + 1 });
    await q.enqueue('work', 'high', { priority: Priority.HIGH });
    clock.advance(5);
    expect((await q.claim('work'))?.job.payload).toBe('high');
    expect((await q.claim('work'))?.job.payload).toBe('normal');
  });

  it('orders jobs of one priority by due time before enqueue order', async () => {
    const { q, clock } = await freshQueue();
    await q.enqueue('work', 'due-later', { delayMs: 20 });
    await q.enqueue('work', 'due-sooner', { delayMs: 10 });
    clock.advance(30);
    expect((await q.claimBatch('work', 2)).map((c) => c.job.payload)).toEqual(['due-sooner', 'due-later']);
  });
});

describe('Queue.nextDueAt', () => {
  it('is undefined without scheduled jobs and ignores other queues', async () => {
    const { q } = await freshQueue();
    await q.enqueue('work', 1);
    await q.enqueue('other', 1, { delayMs: 10 });
    expect(await q.nextDueAt('work')).toBeUndefined();
    expect(await q.nextDueAt('other')).toBe(T0 + 10);
  });
});

describe('Queue.wakeScheduled', () => {
  it('makes a scheduled job pending before its due time, with the wake payload', async () => {
    const { q } = await freshQueue();
    const { id } = await q.enqueue('work', 'x', { delayMs: 60_000 });
    expect(await q.wakeScheduled(id, 'signal')).toBe('woken');
    expect(await stats(q, 'work')).toMatchObject({ scheduled: 0, pending: 1 });
    expect((await q.claim('work'))?.job).toMatchObject({ id, wakePayload: 'signal', wokenAt: T0, runAt: T0, payload: 'x' });
  });

  it('wakes without a payload', async () => {
    const { q, clock } = await freshQueue();
    const { id } = await q.enqueue('work', 'x', { delayMs: 60_000 });
    clock.advance(10);
    expect(await q.wakeScheduled(id)).toBe('woken');
    expect((await q.claim('work'))?.job).toMatchObject({ wakePayload: null, wokenAt: T0 + 10 });
  });

  it('answers notScheduled for pending and claimed jobs and writes nothing', async () => {
    const { q } = await freshQueue();
    const pending = await q.enqueue('work', 1);
    const claimed = await q.enqueue('other', 1);
    await q.claim('other');
    const before = await dump(storeOf(q));
    expect(await q.wakeScheduled(pending.id, 'p')).toBe('notScheduled');
    expect(await q.wakeScheduled(claimed.id, 'p')).toBe('notScheduled');
    expect(await dump(storeOf(q))).toEqual(before);
  });

  it('answers notFound for unknown, cancelled, done and dead jobs', async () => {
    const { q } = await freshQueue({ defaults: { keepDoneMs: 60_000 } });
    const cancelled = await q.enqueue('work', 1, { delayMs: 60_000 });
    await q.cancel(cancelled.id);
    const done = await q.enqueue('work', 2);
    await q.ack((await q.claim('work'))!);
    const dead = await q.enqueue('work', 3);
    await q.deadLetter((await q.claim('work'))!, 'x');
    for (const id of ['nope', cancelled.id, done.id, dead.id]) expect(await q.wakeScheduled(id)).toBe('notFound');
  });

  it('answers notScheduled for a job already promoted by time, whose claim then has no wake payload', async () => {
    const { q, clock } = await freshQueue();
    const { id } = await q.enqueue('work', 'normal', { delayMs: 100 });
    await q.enqueue('work', 'high', { priority: Priority.HIGH });
    clock.advance(100);
    expect((await q.claim('work'))?.job.payload).toBe('high'); // promotes 'normal' on the way
    expect(await q.wakeScheduled(id, 'late')).toBe('notScheduled');
    expect((await q.claim('work'))?.job).toMatchObject({ id, wakePayload: null, wokenAt: null });
  });

  it('emits enqueued for the woken job’s queue', async () => {
    const { q } = await freshQueue();
    const { id } = await q.enqueue('work', 1, { delayMs: 60_000 });
    const events: unknown[] = [];
    q.on((e) => events.push(e));
    await q.wakeScheduled(id);
    expect(events).toEqual([{ type: 'enqueued', queue: 'work', runAt: T0 }]);
  });
});
