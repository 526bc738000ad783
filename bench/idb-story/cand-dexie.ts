/**
 * Candidate (b): Dexie throughout. The schema as today; every read and write through Dexie's
 * Table API inside `db.transaction('rw', ...)`. Durability is a database option in Dexie 4
 * (`chromeTransactionDurability`), not a per-transaction one: the relaxed default of the store
 * is kept here; the store's `strict` writes would need a second Dexie instance.
 * `openCached` keeps Dexie's default query cache (`cache: 'cloned'`, for liveQuery), which the
 * store turns off today.
 */
import Dexie from 'dexie';
import { WorkflowError } from '../../src/core/errors.ts';
import { storageError } from '../../src/store/tx.ts';
import type { Candidate, OpenCandidate } from './candidate.ts';
import { DEXIE_STORES, SCHEMA_VERSION } from './schema.ts';
import { DUE_LIMIT, QUEUE, STEP_STORES, advance, transition, type Lane, type Row } from './step.ts';

async function openWith(name: string, onUpgradeElsewhere: () => void, cache: 'disabled' | 'cloned'): Promise<Candidate> {
  const db = new Dexie(name, { cache, chromeTransactionDurability: 'relaxed' });
  db.version(SCHEMA_VERSION).stores(DEXIE_STORES);
  try {
    await db.open();
  } catch (e) {
    throw storageError(e);
  }
  const idb = db.backendDB();
  if (idb.version > SCHEMA_VERSION * 10) {
    db.close();
    throw new WorkflowError('Outdated', `the database is at schema version ${idb.version / 10}, newer than this code's ${SCHEMA_VERSION}: reload to get the newer release`);
  }
  db.on('versionchange', () => onUpgradeElsewhere());
  const jobs = db.table<Row>('jobs');
  const runs = db.table<Row>('runs');
  const queues = db.table<Row>('queues');
  const history = db.table<Row>('history');
  const attempts = db.table<Row>('attempts');
  const step = async (lane: Lane): Promise<void> => {
    const now = Date.now();
    try {
      await db.transaction('rw', STEP_STORES as unknown as string[], async () => {
        const [job, run, counter, due, prev] = await Promise.all([
          jobs.get(lane.jobId),
          runs.get(lane.runId),
          queues.get(QUEUE),
          jobs.where('due').between([QUEUE], [QUEUE, now], true, true).limit(DUE_LIMIT).toArray(),
          history.get([lane.runId, lane.n - 1]),
        ]);
        const w = transition(lane, { job, run, counter, due, prev }, now);
        await Promise.all([jobs.put(w.jobs[0]), jobs.put(w.jobs[1]), runs.put(w.run), history.put(w.history), queues.put(w.counter), attempts.put(w.attempt)]);
      });
    } catch (e) {
      throw storageError(e);
    }
    advance(lane);
  };
  return { idb, step, close: () => db.close() };
}

export const open: OpenCandidate = (name, onUpgradeElsewhere) => openWith(name, onUpgradeElsewhere, 'disabled');
export const openCached: OpenCandidate = (name, onUpgradeElsewhere) => openWith(name, onUpgradeElsewhere, 'cloned');
