import { describe, expect, it } from 'vitest';
import { dump } from '../support/dump.ts';
import { T0, freshQueue } from '../support/queue.ts';
import { getJob, jobHistory, stats } from '../../src/inspect.ts';
import { storeOf } from '../support/internals.ts';

describe('Queue.sweep', () => {
  it('deletes an acknowledged job once its done retention has passed', async () => {
    const { q, clock } = await freshQueue({ defaults: { keepDoneMs: 20 } });
    const { id } = await q.enqueue('work', 1);
    await q.ack((await q.claim('work'))!);
    expect((await getJob(q, id))?.state).toBe('done');
    expect(await q.sweep()).toBe(0);
    clock.advance(30);
    expect(await q.sweep()).toBe(1);
    expect(await getJob(q, id)).toBeUndefined();
    expect((await stats(q, 'work')).done).toBe(1); // the counter outlives the record
  });

  it('measures done retention from completion, not from enqueue', async () => {
    const { q, clock } = await freshQueue({ defaults: { keepDoneMs: 50 } });
    const { id } = await q.enqueue('work', 1, { delayMs: 220 });
    clock.advance(230);
    await q.ack((await q.claim('work'))!);
    expect((await getJob(q, id))?.completedAt).toBe(T0 + 230);
    expect(await q.sweep()).toBe(0);
    expect((await getJob(q, id))?.state).toBe('done');
    clock.advance(60);
    expect(await q.sweep()).toBe(1);
    expect(await getJob(q, id)).toBeUndefined();
  });

  it('applies done retention per queue', async () => {
    const { q, clock } = await freshQueue({ queues: { kept: { keepDoneMs: 50 } } });
    const transient = await q.enqueue('transient', 1);
    const kept = await q.enqueue('kept', 1);
    await q.ack((await q.claim('transient'))!);
    await q.ack((await q.claim('kept'))!);
    expect(await getJob(q, transient.id)).toBeUndefined();
    await q.sweep();
    expect((await getJob(q, kept.id))?.state).toBe('done');
    clock.advance(60);
    await q.sweep();
    expect(await getJob(q, kept.id)).toBeUndefined();
  });

  it('applies dead retention per queue', async () => {
    const { q, clock } = await freshQueue({ defaults: { deadRetentionMs: 3_600_000 }, queues: { ephemeral: { deadRetentionMs: 50 } } });
    for (const name of ['ephemeral', 'durable']) {
      await q.enqueue(name, 1);
      await q.deadLetter((await q.claim(name))!, 'x');
    }
    clock.advance(60);
    await q.sweep();
    expect(await q.deadJobs('ephemeral')).toEqual([]);
    expect(await q.deadJobs('durable')).toHaveLength(1);
  });

  it('keeps dead jobs seven days by default', async () => {
    const { q, clock } = await freshQueue();
    const { id } = await q.enqueue('work', 1);
    await q.deadLetter((await q.claim('work'))!, 'x');
    clock.advance(7 * 24 * 3600 * 1000 - 1);
    expect(await q.sweep()).toBe(0);
    clock.advance(1);
    expect(await q.sweep()).toBe(1);
    expect(await getJob(q, id)).toBeUndefined();
  });

  it('keeps a dead job until its cutoff, then removes it from every view', async () => {
    const { q, clock } = await freshQueue({ defaults: { deadRetentionMs: 50 } });
    const { id } = await q.enqueue('work', 1);
    await q.deadLetter((await q.claim('work'))!, 'x');
    expect((await getJob(q, id))?.failedAt).toBe(T0);
    expect((await stats(q, 'work')).dead).toBe(1);
    clock.advance(49);
    expect(await q.sweep()).toBe(0);
    expect(await q.deadJobs('work')).toHaveLength(1);
    clock.advance(11);
    expect(await q.sweep()).toBe(1);
    expect(await q.deadJobs('work')).toEqual([]);
    expect((await stats(q, 'work')).dead).toBe(0);
    expect(await getJob(q, id)).toBeUndefined();
  });

  it('removes the attempt history with the swept record', async () => {
    const { q, clock } = await freshQueue({ defaults: { keepDoneMs: 10, deadRetentionMs: 10, retry: { baseDelayMs: 0 } } });
    const done = await q.enqueue('work', 1);
    await q.nack((await q.claim('work'))!, 'x');
    await q.ack((await q.claim('work'))!);
    const dead = await q.enqueue('work', 2);
    await q.deadLetter((await q.claim('work'))!, 'y');
    expect(await jobHistory(q, done.id)).toHaveLength(2);
    expect(await jobHistory(q, dead.id)).toHaveLength(1);
    clock.advance(10);
    expect(await q.sweep()).toBe(2);
    expect(await jobHistory(q, done.id)).toEqual([]);
    expect(await jobHistory(q, dead.id)).toEqual([]);
    expect((await dump(storeOf(q))).attempts).toEqual([]);
  });

  it('leaves waiting and claimed jobs alone', async () => {
    const { q, clock } = await freshQueue();
    await q.enqueue('work', 1);
    await q.enqueue('work', 2, { delayMs: 10 });
    await q.enqueue('work', 3);
    await q.claim('work');
    clock.advance(365 * 24 * 3600 * 1000);
    const before = await dump(storeOf(q));
    expect(await q.sweep()).toBe(0);
    expect(await dump(storeOf(q))).toEqual(before);
  });
});
