import { describe, expect, it } from 'vitest';
import { WorkflowError } from '../../src/core/errors.ts';
import { dump } from '../support/dump.ts';
import { T0, freshQueue } from '../support/queue.ts';
import type { Queue } from '../../src/queue/queue.ts';
import { getJob, jobHistory, stats } from '../../src/inspect.ts';
import { engineOf, storeOf } from '../support/internals.ts';

async function deadJobsInOrder(q: Queue, n: number, queue = 'work'): Promise<string[]> {
  const ids: string[] = [];
  for (let i = 0; i < n; i++) ids.push((await q.enqueue(queue, i)).id);
  for (let i = 0; i < n; i++) await q.deadLetter((await q.claim(queue))!, `failed ${i}`);
  return ids;
}

describe('Queue.deadJobs', () => {
  it('pages through dead jobs in id order', async () => {
    const { q } = await freshQueue();
    const ids = await deadJobsInOrder(q, 5);
    const page = async (after?: string, limit = 2) => (await q.deadJobs('work', { ...(after ? { after } : {}), limit })).map((j) => j.id);
    expect(await page()).toEqual(ids.slice(0, 2));
    expect(await page(ids[1])).toEqual(ids.slice(2, 4));
    expect(await page(ids[3])).toEqual(ids.slice(4));
    expect(await page(ids[4])).toEqual([]);
    expect(await page(undefined, 0)).toEqual([]);
    expect((await q.deadJobs('work')).map((j) => j.id)).toEqual(ids);
  });

  it('lists only dead jobs of the given queue', async () => {
    const { q } = await freshQueue();
    const [dead] = await deadJobsInOrder(q, 1, 'a');
    await deadJobsInOrder(q, 1, 'b');
    await q.enqueue('a', 'alive');
    expect((await q.deadJobs('a')).map((j) => j.id)).toEqual([dead]);
    expect(await q.deadJobs('none')).toEqual([]);
  });
});

describe('Queue.requeueDead', () => {
  it('puts a dead job back with the same id and a fresh attempt budget', async () => {
    const { q, clock } = await freshQueue({ defaults: { deadRetentionMs: 100 } });
    const [id] = await deadJobsInOrder(q, 1);
    clock.advance(5);
    await q.requeueDead(id!);
    const job = await getJob(q, id!);
    expect(job).toMatchObject({ state: 'pending', attempts: 0, lastError: null, failedAt: null, claimedAt: null, runAt: T0 + 5 });
    expect(job?.purgeAt).toBeUndefined();
    clock.advance(1000);
    expect(await q.sweep()).toBe(0); // no longer subject to dead retention
    expect((await q.claim('work'))?.job).toMatchObject({ id, attempts: 1, lastError: null, failedAt: null });
  });

  it('fails JobNotFound after the retention sweep removed the record, and nothing becomes pending', async () => {
    const { q, clock } = await freshQueue({ defaults: { deadRetentionMs: 50 } });
    const [id] = await deadJobsInOrder(q, 1);
    clock.advance(60);
    await q.sweep();
    await expect(q.requeueDead(id!)).rejects.toMatchObject({ name: 'JobNotFound', details: { jobId: id } });
    expect(await stats(q, 'work')).toMatchObject({ pending: 0, dead: 0 });
  });

  it('fails InvalidState for a job that is not dead, writing nothing', async () => {
    const { q } = await freshQueue();
    const { id } = await q.enqueue('work', 1);
    const before = await dump(storeOf(q));
    await expect(q.requeueDead(id)).rejects.toMatchObject({ name: 'InvalidState', details: { state: 'pending' } });
    expect(await dump(storeOf(q))).toEqual(before);
  });

  it('lets the check refuse inside the transaction, writing nothing', async () => {
    const { q } = await freshQueue();
    const [id] = await deadJobsInOrder(q, 1);
    const before = await dump(storeOf(q));
    const seen: string[] = [];
    await expect(
      engineOf(q).requeueDead(id!, (_t, job) => {
        seen.push(job.state);
        throw new WorkflowError('RunTerminal', 'the run has ended');
      }),
    ).rejects.toMatchObject({ name: 'RunTerminal' });
    expect(seen).toEqual(['dead']);
    expect(await dump(storeOf(q))).toEqual(before);
  });

  it('announces the requeued job to waiting claimers', async () => {
    const { q } = await freshQueue();
    const [id] = await deadJobsInOrder(q, 1);
    const events: unknown[] = [];
    q.on((e) => events.push(e));
    await q.requeueDead(id!);
    expect(events).toEqual([{ type: 'enqueued', queue: 'work', runAt: T0 }]);
  });
});

describe('Queue.history', () => {
  it('records retries then completion, with claim times', async () => {
    const { q, clock } = await freshQueue({ defaults: { keepDoneMs: 60_000, retry: { baseDelayMs: 0 } } });
    const { id } = await q.enqueue('work', 1);
    await q.nack((await q.claim('work'))!, 'timeout');
    clock.advance(10);
    await q.nack((await q.claim('work'))!, 'connection reset');
    clock.advance(10);
    await q.ack((await q.claim('work'))!);
    expect(await jobHistory(q, id)).toEqual([
      { jobId: id, n: 0, attempt: 1, outcome: 'retried', error: 'timeout', claimedAt: T0, at: T0 },
      { jobId: id, n: 1, attempt: 2, outcome: 'retried', error: 'connection reset', claimedAt: T0 + 10, at: T0 + 10 },
      { jobId: id, n: 2, attempt: 3, outcome: 'completed', error: null, claimedAt: T0 + 20, at: T0 + 20 },
    ]);
  });

  it('is removed when an ack deletes the record', async () => {
    const { q } = await freshQueue({ defaults: { retry: { baseDelayMs: 0 } } });
    const { id } = await q.enqueue('work', 1);
    await q.nack((await q.claim('work'))!, 'x');
    expect(await jobHistory(q, id)).toHaveLength(1);
    await q.ack((await q.claim('work'))!);
    expect(await jobHistory(q, id)).toEqual([]);
    expect((await dump(storeOf(q))).attempts).toEqual([]);
  });

  it('records dead-letter, requeue and dead-letter again', async () => {
    const { q } = await freshQueue();
    const { id } = await q.enqueue('work', 1, { maxAttempts: 1 });
    await q.nack((await q.claim('work'))!, 'first');
    await q.requeueDead(id);
    await q.nack((await q.claim('work'))!, 'second');
    expect((await jobHistory(q, id)).map((h) => [h.outcome, h.attempt, h.error, h.claimedAt])).toEqual([
      ['deadLettered', 1, 'first', T0],
      ['requeued', 0, null, null],
      ['deadLettered', 1, 'second', T0],
    ]);
  });

  it('is empty for a job that was never settled and for an unknown id', async () => {
    const { q } = await freshQueue();
    const { id } = await q.enqueue('work', 1);
    await q.claim('work');
    expect(await jobHistory(q, id)).toEqual([]);
    expect(await jobHistory(q, 'unknown')).toEqual([]);
  });

  it('keeps the histories of jobs whose ids share a prefix apart', async () => {
    const { q } = await freshQueue({ defaults: { retry: { baseDelayMs: 0 } } });
    await q.enqueue('work', 1, { id: 'job' });
    await q.enqueue('work', 2, { id: 'job-2' });
    const [a, b] = await q.claimBatch('work', 2);
    expect([a?.job.id, b?.job.id]).toEqual(['job', 'job-2']);
    await q.nack(a!, 'a');
    await q.nack(b!, 'b');
    expect((await jobHistory(q, 'job')).map((h) => h.error)).toEqual(['a']);
    expect((await jobHistory(q, 'job-2')).map((h) => h.error)).toEqual(['b']);
    await q.cancel('job');
    expect(await jobHistory(q, 'job-2')).toHaveLength(1);
  });
});
