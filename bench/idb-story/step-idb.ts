/** The step transaction through idb's wrapped requests (idb's documented pattern: await the writes with `tx.done`). */
import type { IDBPDatabase } from 'idb';
import { storageError } from '../../src/store/tx.ts';
import { DUE_LIMIT, QUEUE, STEP_STORES, advance, dueRange, transition, type Lane, type Row } from './step.ts';

export async function stepIdb(db: IDBPDatabase, lane: Lane): Promise<void> {
  const now = Date.now();
  const tx = db.transaction(STEP_STORES as unknown as string[], 'readwrite', { durability: 'relaxed' });
  const jobs = tx.objectStore('jobs');
  try {
    const [job, run, counter, due, prev] = (await Promise.all([
      jobs.get(lane.jobId),
      tx.objectStore('runs').get(lane.runId),
      tx.objectStore('queues').get(QUEUE),
      jobs.index('due').getAll(dueRange(IDBKeyRange, now), DUE_LIMIT),
      tx.objectStore('history').get([lane.runId, lane.n - 1]),
    ])) as [Row | undefined, Row | undefined, Row | undefined, unknown[], Row | undefined];
    const w = transition(lane, { job, run, counter, due, prev }, now);
    await Promise.all([
      jobs.put(w.jobs[0]),
      jobs.put(w.jobs[1]),
      tx.objectStore('runs').put(w.run),
      tx.objectStore('history').put(w.history),
      tx.objectStore('queues').put(w.counter),
      tx.objectStore('attempts').put(w.attempt),
      tx.done,
    ]);
  } catch (e) {
    try {
      tx.abort();
    } catch {
      // Already finished or aborting.
    }
    // `tx.done` rejects too once aborted; it is awaited above on the success path only.
    tx.done.catch(() => undefined);
    throw storageError(e);
  }
  advance(lane);
}
