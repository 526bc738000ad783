/** The step transaction through today's src/store/tx.ts (hand-written request promises, fire-and-forget puts). */
import type { TableName } from '../../src/store/db.ts';
import { runTransaction } from '../../src/store/tx.ts';
import { DUE_LIMIT, QUEUE, STEP_STORES, advance, dueRange, transition, type Lane, type Row } from './step.ts';

export async function stepRaw(db: IDBDatabase, lane: Lane): Promise<void> {
  const now = Date.now();
  await runTransaction(db, IDBKeyRange, STEP_STORES as readonly TableName[], 'readwrite', 'relaxed', async (t) => {
    const [job, run, counter, due, prev] = await Promise.all([
      t.get<Row>('jobs', lane.jobId),
      t.get<Row>('runs', lane.runId),
      t.get<Row>('queues', QUEUE),
      t.getAll('jobs', 'due', dueRange(t.keyRange, now), DUE_LIMIT),
      t.get<Row>('history', [lane.runId, lane.n - 1]),
    ]);
    const w = transition(lane, { job, run, counter, due, prev }, now);
    t.put('jobs', w.jobs[0]);
    t.put('jobs', w.jobs[1]);
    t.put('runs', w.run);
    t.put('history', w.history);
    t.put('queues', w.counter);
    t.put('attempts', w.attempt);
  });
  advance(lane);
}
