/** Untimed setup and checks on a candidate's raw connection, shared by the browser worker and the Node CPU measurement. */
import { QUEUE, pendingJob, runRecord, type Lane } from './step.ts';

/** Far-future scheduled jobs: the sparse `due` index is not empty, and the range read finds none of them due. */
const SCHEDULED = 200;

function done(tx: IDBTransaction): Promise<void> {
  return new Promise((resolve, reject) => {
    tx.oncomplete = () => resolve();
    tx.onabort = () => reject(tx.error);
  });
}

export async function seed(db: IDBDatabase, lanes: Lane[]): Promise<void> {
  const now = Date.now();
  const tx = db.transaction(['jobs', 'runs', 'queues'], 'readwrite');
  for (const lane of lanes) {
    tx.objectStore('runs').put(runRecord(lane.runId, now));
    tx.objectStore('jobs').put(pendingJob(lane.jobId, lane.runId, now));
  }
  tx.objectStore('queues').put({ name: QUEUE, done: 0 });
  for (let i = 0; i < SCHEDULED; i++) {
    const job = pendingJob(`sched-${i}`, 'none', now);
    delete job['ready'];
    tx.objectStore('jobs').put({ ...job, state: 'scheduled', runAt: now + 1e9 + i, due: [QUEUE, now + 1e9 + i] });
  }
  await done(tx);
}

export async function countHistory(db: IDBDatabase): Promise<number> {
  const tx = db.transaction('history', 'readonly');
  const r = tx.objectStore('history').count();
  await done(tx);
  return r.result;
}

