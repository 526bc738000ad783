import { describe, expect, it } from 'vitest';
import type { QueueEvent } from '../../src/queue/queue.ts';
import { Priority } from '../../src/queue/types.ts';
import { dump } from '../support/dump.ts';
import { NO_BACKOFF, T0, freshQueue } from '../support/queue.ts';
import { getJob, listQueues, stats } from '../../src/inspect.ts';
import { storeOf } from '../support/internals.ts';

const ULID = /^[0-9A-HJKMNP-TV-Z]{26}$/;

describe('Queue.enqueue', () => {
  it('makes a job that a claim returns with its id, queue, payload and a lease', async () => {
    const { q } = await freshQueue();
    const out = await q.enqueue('email', 'hello');
    expect(out.kind).toBe('new');
    const c = await q.claim('email');
    expect(c?.job).toMatchObject({ id: out.id, queue: 'email', payload: 'hello', state: 'claimed', attempts: 1, claimedAt: T0 });
    expect(await q.leaseExpiry(out.id)).toBe(T0 + 30_000);
  });

  it('stores the defaults and the given options on the job record', async () => {
    const { q } = await freshQueue();
    const plain = await q.enqueue('work', { a: 1 });
    expect(await getJob(q, plain.id)).toMatchObject({
      id: plain.id,
      queue: 'work',
      state: 'pending',
      payload: { a: 1 },
      headers: {},
      priority: Priority.NORMAL,
      runAt: T0,
      enqueuedAt: T0,
      attempts: 0,
      maxAttempts: 3,
      cancelRequested: false,
      lastError: null,
      claimedAt: null,
      owner: null,
      completedAt: null,
      failedAt: null,
      wakePayload: null,
      wokenAt: null,
    });
    const full = await q.enqueue('work', 'x', { headers: { h: 'v' }, priority: Priority.HIGH, maxAttempts: 7, runId: 'run-1' });
    expect(await getJob(q, full.id)).toMatchObject({ headers: { h: 'v' }, priority: 100, maxAttempts: 7, runId: 'run-1' });
  });

  it('generates a ULID when no id is given and uses a caller id verbatim', async () => {
    const { q } = await freshQueue();
    expect((await q.enqueue('work', 1)).id).toMatch(ULID);
    expect(await q.enqueue('work', 2, { id: 'user-42-welcome' })).toEqual({ kind: 'new', id: 'user-42-welcome' });
    expect((await getJob(q, 'user-42-welcome'))?.payload).toBe(2);
  });

  it('rejects a duplicate id and leaves the original job untouched', async () => {
    const { q } = await freshQueue();
    await q.enqueue('work', 'first', { id: 'duplicate-id' });
    const before = await dump(storeOf(q));
    await expect(q.enqueue('work', 'second', { id: 'duplicate-id' })).rejects.toMatchObject({
      name: 'DuplicateJobId',
      details: { id: 'duplicate-id' },
    });
    expect(await dump(storeOf(q))).toEqual(before);
    const c = await q.claim('work');
    expect(c?.job).toMatchObject({ id: 'duplicate-id', payload: 'first' });
    expect(await q.claim('work')).toBeUndefined();
  });

  it('rejects an id taken by a job on another queue or by a dead job', async () => {
    const { q } = await freshQueue();
    await q.enqueue('a', 1, { id: 'taken' });
    await expect(q.enqueue('b', 2, { id: 'taken' })).rejects.toMatchObject({ name: 'DuplicateJobId' });
    await q.deadLetter((await q.claim('a'))!, 'x');
    await expect(q.enqueue('a', 3, { id: 'taken' })).rejects.toMatchObject({ name: 'DuplicateJobId' });
  });

  it('generates increasing ids within one millisecond of a frozen clock', async () => {
    const { q } = await freshQueue();
    const ids: string[] = [];
    for (let i = 0; i < 10; i++) ids.push((await q.enqueue('work', i)).id);
    expect(new Set(ids.map((id) => id.slice(0, 10))).size).toBe(1);
    expect([...ids].sort()).toEqual(ids);
    expect(new Set(ids).size).toBe(10);
  });

  it('takes maxAttempts from the queue’s own configuration', async () => {
    const { q } = await freshQueue({ queues: { fast: { retry: { maxAttempts: 1 } } } });
    const fast = await q.enqueue('fast', 'x');
    const other = await q.enqueue('other', 'x');
    expect((await getJob(q, fast.id))?.maxAttempts).toBe(1);
    expect((await getJob(q, other.id))?.maxAttempts).toBe(3);
  });

  it('lists every queue that was enqueued to, sorted', async () => {
    const { q } = await freshQueue();
    expect(await listQueues(q)).toEqual([]);
    for (const name of ['gamma', 'alpha', 'beta', 'alpha']) await q.enqueue(name, 1);
    expect(await listQueues(q)).toEqual(['alpha', 'beta', 'gamma']);
  });

  it('emits enqueued after the commit, and nothing for a dedup hit', async () => {
    const { q } = await freshQueue();
    const events: QueueEvent[] = [];
    q.on((e) => events.push(e));
    await q.enqueue('work', 1, { dedupKey: 'k' });
    await q.enqueue('work', 2, { dedupKey: 'k' });
    expect(events).toEqual([{ type: 'enqueued', queue: 'work', runAt: T0 }]);
  });
});

describe('Queue.enqueue with a dedup key', () => {
  it('a dedup key deduplicates while the job waits', async () => {
    const { q } = await freshQueue();
    const a = await q.enqueue('work', 'first', { dedupKey: 'my-key' });
    const b = await q.enqueue('work', 'second', { dedupKey: 'my-key' });
    expect(a.kind).toBe('new');
    expect(b).toEqual({ kind: 'alreadyEnqueued', id: a.id });
    expect((await stats(q, 'work')).pending).toBe(1);
    expect((await getJob(q, a.id))?.payload).toBe('first');
  });

  it('deduplicates against a scheduled job too', async () => {
    const { q } = await freshQueue();
    const a = await q.enqueue('work', 'first', { dedupKey: 'k', delayMs: 60_000 });
    expect(await q.enqueue('work', 'second', { dedupKey: 'k' })).toEqual({ kind: 'alreadyEnqueued', id: a.id });
    expect(await stats(q, 'work')).toMatchObject({ pending: 0, scheduled: 1 });
  });

  it('keeps dedup keys apart per queue', async () => {
    const { q } = await freshQueue();
    const a = await q.enqueue('a', 1, { dedupKey: 'k' });
    const b = await q.enqueue('b', 1, { dedupKey: 'k' });
    expect(b.kind).toBe('new');
    expect(b.id).not.toBe(a.id);
  });

  it('a claim releases the dedup key', async () => {
    const { q } = await freshQueue();
    const a = await q.enqueue('work', 'first', { dedupKey: 'my-key' });
    await q.claim('work');
    const b = await q.enqueue('work', 'second', { dedupKey: 'my-key' });
    expect(b.kind).toBe('new');
    expect(b.id).not.toBe(a.id);
    expect(await stats(q, 'work')).toMatchObject({ pending: 1, claimed: 1 });
  });

  it('a nack does not corrupt dedup state', async () => {
    const { q } = await freshQueue({ defaults: NO_BACKOFF });
    const id1 = (await q.enqueue('work', 'one', { dedupKey: 'user-42' })).id;
    const c1 = (await q.claim('work'))!;
    expect((await getJob(q, id1))?.dedup).toBeUndefined();
    await q.nack(c1, 'transient');
    const id2 = (await q.enqueue('work', 'two', { dedupKey: 'user-42' })).id;
    expect(id2).not.toBe(id1);
    const j1 = (await q.claim('work'))!;
    expect(j1.job.id).toBe(id1); // the retried job went back in line first (same due time, lower id)
    expect(await q.enqueue('work', 'three', { dedupKey: 'user-42' })).toEqual({ kind: 'alreadyEnqueued', id: id2 });
    await q.ack(j1);
    await q.ack((await q.claim('work'))!);
    expect(await stats(q, 'work')).toMatchObject({ pending: 0, claimed: 0, done: 2 });
  });

  it('frees the dedup key when the waiting job is cancelled', async () => {
    const { q } = await freshQueue();
    const a = await q.enqueue('work', 1, { dedupKey: 'k' });
    await q.cancel(a.id);
    const b = await q.enqueue('work', 2, { dedupKey: 'k' });
    expect(b.kind).toBe('new');
    expect(b.id).not.toBe(a.id);
  });
});

describe('Queue.enqueue with KV writes', () => {
  it('applies the writes with a new job and skips them on a dedup hit', async () => {
    const { q } = await freshQueue();
    const first = await q.enqueue('work', 'x', { dedupKey: 'run-abc', kvPut: { 'runs/abc': 'first-record' } });
    const second = await q.enqueue('work', 'y', { dedupKey: 'run-abc', kvPut: { 'runs/abc': 'second-record', other: 1 } });
    expect(second).toEqual({ kind: 'alreadyEnqueued', id: first.id });
    expect((await stats(q, 'work')).pending).toBe(1);
    expect(await q.kv.get('runs/abc')).toBe('first-record');
    expect(await q.kv.get('other')).toBeUndefined();
  });

  it('rejects the writes of an enqueue whose id override is taken', async () => {
    const { q } = await freshQueue();
    expect(await q.enqueue('work', 'x', { id: 'custom-id-01HXYZ', kvPut: { a: 1 } })).toEqual({ kind: 'new', id: 'custom-id-01HXYZ' });
    await expect(q.enqueue('work', 'y', { id: 'custom-id-01HXYZ', kvPut: { a: 2, b: 2 } })).rejects.toMatchObject({ name: 'DuplicateJobId' });
    expect(await q.kv.get('a')).toBe(1);
    expect(await q.kv.get('b')).toBeUndefined();
  });
});

describe('Queue.enqueueBatch', () => {
  it('enqueues all items at once and claims return them in order', async () => {
    const { q } = await freshQueue();
    const out = await q.enqueueBatch('work', [{ payload: 'a' }, { payload: 'b' }, { payload: 'c' }]);
    expect(out).toHaveLength(3);
    expect(out.every((o) => o.kind === 'new')).toBe(true);
    expect((await stats(q, 'work')).pending).toBe(3);
    const claimed = [];
    for (let i = 0; i < 3; i++) claimed.push((await q.claim('work'))!.job.payload);
    expect(claimed).toEqual(['a', 'b', 'c']);
  });

  it('returns no ids for an empty batch and writes nothing', async () => {
    const { q } = await freshQueue();
    const before = await dump(storeOf(q));
    expect(await q.enqueueBatch('work', [])).toEqual([]);
    expect(await dump(storeOf(q))).toEqual(before);
  });

  it('writes none of a batch when one item fails', async () => {
    const { q } = await freshQueue();
    await q.enqueue('work', 'existing', { id: 'taken' });
    const before = await dump(storeOf(q));
    await expect(
      q.enqueueBatch('work', [{ payload: 1, kvPut: { k: 1 } }, { payload: 2 }, { payload: 3, id: 'taken' }]),
    ).rejects.toMatchObject({ name: 'DuplicateJobId' });
    expect(await dump(storeOf(q))).toEqual(before);
  });

  it('deduplicates within one batch', async () => {
    const { q } = await freshQueue();
    const [a, b] = await q.enqueueBatch('work', [
      { payload: 1, dedupKey: 'k' },
      { payload: 2, dedupKey: 'k' },
    ]);
    expect(b).toEqual({ kind: 'alreadyEnqueued', id: a!.id });
    expect((await stats(q, 'work')).pending).toBe(1);
  });

  it('rejects a batch repeating an id override and writes nothing', async () => {
    const { q } = await freshQueue();
    const before = await dump(storeOf(q));
    await expect(
      q.enqueueBatch('work', [
        { payload: 1, id: 'same' },
        { payload: 2, id: 'same' },
      ]),
    ).rejects.toMatchObject({ name: 'DuplicateJobId' });
    expect(await dump(storeOf(q))).toEqual(before);
  });
});

describe('payloads', () => {
  // Well above any inline threshold: a large payload must survive every transition unchanged.
  const big = { text: 'x'.repeat(300_000), unicode: 'héllo 😀 \u2028', nested: [1, -0.5, null, true, { k: ['v'] }] };
  const bigCopy = structuredClone(big);

  it('a large payload round-trips unchanged through enqueue, claim, nack and re-claim', async () => {
    const { q } = await freshQueue({ defaults: NO_BACKOFF });
    const { id } = await q.enqueue('work', big);
    expect((await getJob(q, id))?.payload).toEqual(bigCopy);
    const c1 = (await q.claim('work'))!;
    expect(c1.job.payload).toEqual(bigCopy);
    await q.nack(c1, 'again');
    expect((await q.claim('work'))!.job.payload).toEqual(bigCopy);
  });

  it('a large payload survives a scheduled promotion and a dead-letter, requeue and redelivery', async () => {
    const { q, clock } = await freshQueue();
    const { id } = await q.enqueue('work', big, { delayMs: 1000 });
    clock.advance(1000);
    const c1 = (await q.claim('work'))!;
    expect(c1.job.payload).toEqual(bigCopy);
    await q.deadLetter(c1, 'bad');
    expect((await q.deadJobs('work'))[0]?.payload).toEqual(bigCopy);
    await q.requeueDead(id);
    expect((await q.claim('work'))!.job.payload).toEqual(bigCopy);
  });
});
