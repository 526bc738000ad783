/**
 * `deadJobs` pages are bounded: a limit above `MAX_DEAD_JOBS_PAGE` is refused, and a page reads
 * only its own jobs from wherever the cursor points.
 */
import { describe, expect, it } from 'vitest';
import { isWorkflowError } from '../../src/core/errors.ts';
import { MAX_DEAD_JOBS_PAGE } from '../../src/queue/inspect.ts';
import type { Queue } from '../../src/queue/queue.ts';
import { Runtime } from '../../src/runtime/runtime.ts';
import { dump } from '../support/dump.ts';
import { freshStoreOptions } from '../support/idb.ts';
import { freshQueue } from '../support/queue.ts';
import { storeOf } from '../support/internals.ts';

async function deadJobs(q: Queue, n: number, queue = 'work'): Promise<string[]> {
  const ids = (await q.enqueueBatch(queue, Array.from({ length: n }, (_, i) => ({ payload: i })))).map((o) => o.id);
  for (const c of await q.claimBatch(queue, n)) await q.deadLetter(c, 'failed');
  return ids;
}

async function rejection(p: Promise<unknown>): Promise<unknown> {
  return p.then(
    () => undefined,
    (e: unknown) => e,
  );
}

describe('a dead-jobs page', () => {
  it('is at most 1000 jobs: a larger limit fails InvalidArgument and reads nothing', async () => {
    const { q } = await freshQueue();
    await deadJobs(q, 3);
    const before = await dump(storeOf(q));
    for (const limit of [MAX_DEAD_JOBS_PAGE + 1, 1_000_000, Infinity]) {
      const e = await rejection(q.deadJobs('work', { limit }));
      expect(isWorkflowError(e, 'InvalidArgument')).toBe(true);
      expect((e as Error).message).toMatch(/1000.*after/);
    }
    expect(await dump(storeOf(q))).toEqual(before);
    expect(MAX_DEAD_JOBS_PAGE).toBe(1000);
    expect(await q.deadJobs('work', { limit: MAX_DEAD_JOBS_PAGE })).toHaveLength(3);
  });

  it('starts right after the cursor, whether or not the cursor is a dead job of the queue', async () => {
    const { q } = await freshQueue();
    const ids = await deadJobs(q, 6);
    await deadJobs(q, 2, 'other');
    const page = async (after: string, limit = 2) => (await q.deadJobs('work', { after, limit })).map((j) => j.id);
    expect(await page(ids[2]!)).toEqual(ids.slice(3, 5));
    expect(await page(`${ids[2]!}~`)).toEqual(ids.slice(3, 5)); // not an id: the next one after it
    expect(await page('')).toEqual(ids.slice(0, 2));
    expect(await page(ids[5]!)).toEqual([]);
    expect(await page('~', 10)).toEqual([]);
  });
});

describe('Runtime.deadJobs', () => {
  it('refuses a page larger than 1000 with InvalidArgument', async () => {
    const rt = await Runtime.open({ ...(await freshStoreOptions()), workflows: {} });
    try {
      expect(isWorkflowError(await rejection(rt.deadJobs({ limit: 1001 })), 'InvalidArgument')).toBe(true);
      await expect(rt.deadJobs({ limit: 1000 })).resolves.toEqual([]);
    } finally {
      await rt.close();
    }
  });
});
