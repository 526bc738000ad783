import { describe, expect, it } from 'vitest';
import type { AutoDeadLetterReason } from '../../src/queue/types.ts';
import type { JobRecord } from '../../src/store/db.ts';
import { dump } from '../support/dump.ts';
import { NO_BACKOFF, T0, freshQueue } from '../support/queue.ts';
import { getJob, jobHistory, stats } from '../../src/inspect.ts';
import { storeOf } from '../support/internals.ts';

describe('Queue.reap', () => {
  it('returns an expired claim to pending with the same id, and its next delivery counts one more', async () => {
    const { q } = await freshQueue();
    const { id } = await q.enqueue('work', 'p', { maxAttempts: 3 });
    await q.claim('work', { leaseMs: 0 });
    expect(await q.claim('work')).toBeUndefined();
    expect(await q.reap()).toEqual({ requeued: [id], deadLettered: [], skipped: 0 });
    expect(await getJob(q, id)).toMatchObject({ state: 'pending', owner: null, claimToken: null, attempts: 1 });
    expect((await getJob(q, id))?.leaseUntil).toBeUndefined();
    expect((await q.claim('work'))?.job).toMatchObject({ id, attempts: 2, payload: 'p' });
  });

  it('dead-letters an expired claim at its attempt limit with “lease expired”', async () => {
    const { q, clock } = await freshQueue();
    const { id } = await q.enqueue('work', 1, { maxAttempts: 2 });
    await q.claim('work', { leaseMs: 10 });
    clock.advance(10);
    await q.reap();
    await q.claim('work', { leaseMs: 10 });
    clock.advance(10);
    expect(await q.reap()).toEqual({ requeued: [], deadLettered: [id], skipped: 0 });
    expect(await q.claim('work')).toBeUndefined();
    expect(await getJob(q, id)).toMatchObject({ state: 'dead', lastError: 'lease expired', failedAt: T0 + 20 });
    expect((await jobHistory(q, id)).map((h) => [h.attempt, h.outcome, h.error])).toEqual([
      [1, 'leaseExpired', null],
      [2, 'deadLettered', 'lease expired'],
    ]);
  });

  it('leaves a claim whose lease has not expired', async () => {
    const { q, clock } = await freshQueue();
    await q.enqueue('work', 1);
    await q.claim('work', { leaseMs: 300_000 });
    clock.advance(299_999);
    const before = await dump(storeOf(q));
    expect(await q.reap()).toEqual({ requeued: [], deadLettered: [], skipped: 0 });
    expect(await dump(storeOf(q))).toEqual(before);
  });

  it('does not resurrect an acknowledged job', async () => {
    const { q, clock } = await freshQueue({ defaults: { keepDoneMs: 3_600_000 } });
    const { id } = await q.enqueue('work', 1);
    await q.ack((await q.claim('work', { leaseMs: 10 }))!);
    clock.advance(1000);
    await q.reap();
    expect((await getJob(q, id))?.state).toBe('done');
    expect(await q.claim('work')).toBeUndefined();
  });

  it('recovers several expired claims in one pass, leaving no claim state', async () => {
    const { q, clock } = await freshQueue();
    const retry = await q.enqueue('work', 1, { maxAttempts: 3 });
    const last = await q.enqueue('work', 2, { maxAttempts: 1 });
    await q.claimBatch('work', 2, { leaseMs: 10 });
    clock.advance(10);
    const out = await q.reap();
    expect(out.requeued).toEqual([retry.id]);
    expect(out.deadLettered).toEqual([last.id]);
    expect(await stats(q, 'work')).toMatchObject({ pending: 1, dead: 1, claimed: 0 });
    for (const id of [retry.id, last.id]) {
      const job = await getJob(q, id);
      expect(job).toMatchObject({ owner: null, claimToken: null });
      expect(job?.leaseUntil).toBeUndefined();
    }
  });

  it('a delivery that outlives its lease is redelivered and its late settlement applies nothing', async () => {
    const { q, clock } = await freshQueue({ defaults: { leaseMs: 30_000 } });
    const { id } = await q.enqueue('work', 1);
    const first = (await q.claim('work'))!;
    clock.advance(30_001);
    await q.reap();
    await expect(q.ack(first, { enqueue: [{ queue: 'next', payload: 'x' }], kvPut: { k: 'v' } })).rejects.toMatchObject({ name: 'ClaimLost' });
    expect((await stats(q, 'next')).pending).toBe(0);
    expect(await q.kv.get('k')).toBeUndefined();
    const second = (await q.claim('work'))!;
    expect(second.job).toMatchObject({ id, attempts: 2 });
    await q.ack(second);
    expect(await stats(q, 'work')).toMatchObject({ pending: 0, claimed: 0, done: 1 });
  });

  it('skips a corrupt claimed record without blocking the others', async () => {
    const { q, clock } = await freshQueue();
    const healthy = await q.enqueue('work', 1);
    const corrupt = await q.enqueue('work', 2);
    await q.claimBatch('work', 2, { leaseMs: 10 });
    await storeOf(q).write(async (t) => {
      const job = (await t.get<JobRecord>('jobs', corrupt.id))!;
      t.put('jobs', { ...job, attempts: 'garbage', historyCount: undefined });
    });
    const corruptRecord = await getJob(q, corrupt.id);
    clock.advance(10);
    expect(await q.reap()).toEqual({ requeued: [healthy.id], deadLettered: [], skipped: 1 });
    expect((await getJob(q, healthy.id))?.state).toBe('pending');
    expect(await getJob(q, corrupt.id)).toEqual(corruptRecord);
  });

  it('calls onAutoDeadLetter inside the transaction that dead-letters, and commits its writes with it', async () => {
    const calls: [string, AutoDeadLetterReason][] = [];
    const { q, clock } = await freshQueue({
      onAutoDeadLetter: async (ops, job, reason) => {
        calls.push([job.id, reason]);
        expect(job.state).toBe('dead');
        ops.t.put('terminals', { runId: job.runId, terminalAt: 1 });
      },
    });
    const { id } = await q.enqueue('work', 1, { maxAttempts: 1, runId: 'run-1' });
    await q.claim('work', { leaseMs: 10 });
    clock.advance(10);
    await q.reap();
    expect(calls).toEqual([[id, 'lease expired']]);
    expect((await dump(storeOf(q))).terminals).toEqual([{ runId: 'run-1', terminalAt: 1 }]);
  });

  it('dead-letters nothing when onAutoDeadLetter throws', async () => {
    const { q, clock } = await freshQueue({
      onAutoDeadLetter: () => {
        throw new Error('hook failed');
      },
    });
    await q.enqueue('work', 1, { maxAttempts: 1 });
    await q.enqueue('work', 2, { maxAttempts: 3 });
    await q.claimBatch('work', 2, { leaseMs: 10 });
    clock.advance(10);
    const before = await dump(storeOf(q));
    await expect(q.reap()).rejects.toThrow('hook failed');
    expect(await dump(storeOf(q))).toEqual(before);
  });
});

describe('Queue.recoverClaims', () => {
  it('redelivers an abandoned claim with attempts + 1 after reopen', async () => {
    const { q: a, reopen } = await freshQueue({ defaults: NO_BACKOFF });
    const { id } = await a.enqueue('work', 'step-0');
    await a.claim('work');
    a.close(); // a crash: the claim is never settled
    const b = await reopen();
    expect(b.owner).not.toBe(a.owner);
    // Before the lease would have expired: the clock has not moved.
    expect(await b.recoverClaims((owner) => owner === b.owner)).toEqual({ requeued: [id], deadLettered: [], skipped: 0 });
    expect(await stats(b, 'work')).toMatchObject({ pending: 1, claimed: 0 });
    expect((await jobHistory(b, id)).at(-1)).toMatchObject({ outcome: 'interrupted', attempt: 1, error: null });
    const c = (await b.claim('work'))!;
    expect(c.job).toMatchObject({ id, attempts: 2, payload: 'step-0', owner: b.owner });
  });

  it('dead-letters at reopen a claim that was on its last attempt', async () => {
    const calls: AutoDeadLetterReason[] = [];
    const { q: a, reopen } = await freshQueue({ onAutoDeadLetter: (_t, _job, reason) => void calls.push(reason) });
    const { id } = await a.enqueue('work', 1, { maxAttempts: 1 });
    await a.claim('work');
    a.close();
    const b = await reopen();
    expect(await b.recoverClaims((owner) => owner === b.owner)).toEqual({ requeued: [], deadLettered: [id], skipped: 0 });
    expect(await getJob(b, id)).toMatchObject({ state: 'dead', lastError: 'interrupted' });
    expect(await stats(b, 'work')).toMatchObject({ dead: 1, claimed: 0 });
    expect(calls).toEqual(['interrupted']);
  });

  it('leaves the claims of live owners alone and writes nothing when every owner is alive', async () => {
    const { q } = await freshQueue();
    await q.enqueue('work', 1);
    await q.claim('work');
    const before = await dump(storeOf(q));
    expect(await q.recoverClaims(async () => true)).toEqual({ requeued: [], deadLettered: [], skipped: 0 });
    expect(await dump(storeOf(q))).toEqual(before);
  });

  it('asks about each owner once, and only about owners of current claims', async () => {
    const { q: a, reopen } = await freshQueue({ owner: 'a' });
    await a.enqueueBatch('work', [{ payload: 1 }, { payload: 2 }, { payload: 3 }]);
    await a.claimBatch('work', 2);
    const b = await reopen({ owner: 'b' });
    await b.claim('work');
    const asked: (string | null)[] = [];
    const out = await b.recoverClaims(async (owner) => {
      asked.push(owner);
      return owner !== 'a';
    });
    expect(asked.sort()).toEqual(['a', 'b']);
    expect(out.requeued).toHaveLength(2);
    expect(await stats(b, 'work')).toMatchObject({ pending: 2, claimed: 1 });
  });

  it('rejects with the liveness check’s error and writes nothing', async () => {
    const { q } = await freshQueue();
    await q.enqueue('work', 1);
    await q.claim('work');
    const before = await dump(storeOf(q));
    await expect(
      q.recoverClaims(() => {
        throw new Error('locks unavailable');
      }),
    ).rejects.toThrow('locks unavailable');
    expect(await dump(storeOf(q))).toEqual(before);
  });
});

describe('redelivery', () => {
  it('redeliveries after a failure, a lease expiry and a crash share the job id; only attempts change', async () => {
    const { q: a, clock, reopen } = await freshQueue({ defaults: NO_BACKOFF });
    const { id } = await a.enqueue('work', { step: 0 }, { runId: 'run-1', maxAttempts: 10 });
    const other = await a.enqueue('later', { step: 1 }, { runId: 'run-1' });
    const deliveries = [(await a.claim('work'))!];
    await a.nack(deliveries[0]!, 'transient');
    deliveries.push((await a.claim('work', { leaseMs: 10 }))!);
    clock.advance(10);
    await a.reap();
    deliveries.push((await a.claim('work'))!);
    a.close();
    const b = await reopen();
    await b.recoverClaims((owner) => owner === b.owner);
    deliveries.push((await b.claim('work'))!);
    expect(deliveries.map((c) => c.job.id)).toEqual([id, id, id, id]);
    expect(deliveries.map((c) => c.job.attempts)).toEqual([1, 2, 3, 4]);
    for (const c of deliveries) expect(c.job).toMatchObject({ payload: { step: 0 }, runId: 'run-1' });
    expect(new Set(deliveries.map((c) => c.token)).size).toBe(4);
    expect(other.id).not.toBe(id);
  });
});

describe('close and reopen', () => {
  it('does not redeliver a claim settled before a clean close', async () => {
    const { q: a, reopen } = await freshQueue();
    await a.enqueue('work', 1);
    await a.ack((await a.claim('work'))!);
    a.close();
    const b = await reopen();
    expect(await b.recoverClaims((owner) => owner === b.owner)).toEqual({ requeued: [], deadLettered: [], skipped: 0 });
    expect(await b.claim('work')).toBeUndefined();
    expect(await stats(b, 'work')).toMatchObject({ done: 1, claimed: 0, pending: 0 });
  });

  it('finds the remaining job after a clean close and reopen', async () => {
    const { q: a, reopen } = await freshQueue();
    await a.enqueue('work', 'first');
    await a.enqueue('work', 'second');
    await a.ack((await a.claim('work'))!);
    a.close();
    const b = await reopen();
    expect((await b.claim('work'))?.job.payload).toBe('second');
  });

  it('finds a new job in a queue drained before a clean close', async () => {
    const { q: a, reopen } = await freshQueue();
    await a.enqueue('work', 1);
    await a.ack((await a.claim('work'))!);
    expect(await a.claim('work')).toBeUndefined();
    a.close();
    const b = await reopen();
    await b.enqueue('work', 'revives');
    expect((await b.claim('work'))?.job.payload).toBe('revives');
  });

  it('claims a high-priority job enqueued after reopen before older normal ones', async () => {
    const { q: a, reopen } = await freshQueue();
    await a.enqueue('work', 'n1');
    await a.enqueue('work', 'n2');
    await a.ack((await a.claim('work'))!);
    a.close();
    const b = await reopen();
    await b.enqueue('work', 'high', { priority: 100 });
    expect((await b.claim('work'))?.job.payload).toBe('high');
  });

  it('fails calls on a closed queue with StoreClosed', async () => {
    const { q } = await freshQueue();
    await q.enqueue('work', 1);
    q.close();
    await expect(q.enqueue('work', 2)).rejects.toMatchObject({ name: 'StoreClosed' });
    await expect(q.claim('work')).rejects.toMatchObject({ name: 'StoreClosed' });
    await expect(stats(q, 'work')).rejects.toMatchObject({ name: 'StoreClosed' });
  });
});
