/**
 * The measured transaction, shaped like one step transition of the runtime (settle step n,
 * enqueue step n + 1), with no library code: every candidate issues exactly these requests.
 *
 * One read-write transaction over jobs/runs/history/queues/attempts:
 * - 5 reads issued at once: the job, the run record, the queue counter, a `getAll` on the
 *   sparse `jobs.due` index (the claim's promotion read: far-future jobs only, so it returns
 *   nothing), and the run's previous history record;
 * - then 6 puts: the job (done), the next step's job (pending), the run record, a history
 *   record, the queue counter, an attempt record;
 * - then commit (the candidate resolves once `complete` fired).
 */
import { PAD } from '../loop.ts';

export const QUEUE = 'steps';
/** The stores the transaction spans. */
export const STEP_STORES = ['jobs', 'runs', 'history', 'queues', 'attempts'] as const;

/** One lane: one workflow run stepping forward, one transaction at a time. */
export interface Lane {
  runId: string;
  /** The step the current job runs (the next history record's `n`). */
  n: number;
  jobId: string;
}

export type Row = Record<string, unknown>;

export interface StepReads {
  job: Row | undefined;
  run: Row | undefined;
  counter: Row | undefined;
  due: unknown[];
  prev: Row | undefined;
}

export interface StepWrites {
  jobs: [Row, Row];
  run: Row;
  history: Row;
  counter: Row;
  attempt: Row;
}

export const jobId = (runId: string, n: number): string => `${runId}-j${n.toString().padStart(7, '0')}`;

/** A job as queue/enqueue.ts writes it (every field), pending and ready. */
export function pendingJob(id: string, runId: string, now: number): Row {
  return {
    id, queue: QUEUE, state: 'pending', payload: { pad: PAD }, headers: {}, priority: 1000, runAt: now, enqueuedAt: now,
    attempts: 0, maxAttempts: 3, runId, cancelRequested: false, lastError: null, claimedAt: null, owner: null, claimToken: null,
    completedAt: null, failedAt: null, wakePayload: null, wokenAt: null, historyCount: 0, ready: [QUEUE, 1000, now],
  };
}

export function runRecord(runId: string, now: number): Row {
  return { runId, workflow: 'bench', state: 'running', step: 0, input: { pad: PAD }, createdAt: now, updatedAt: now, expiresAt: null };
}

/** The key range of the `due` read: jobs of the queue due by `now`. */
export const dueRange = (keyRange: typeof IDBKeyRange, now: number): IDBKeyRange => keyRange.bound([QUEUE], [QUEUE, now]);
export const DUE_LIMIT = 256;

/** The six records to put, from the five reads. @throws if the job or the run is missing (a broken candidate) */
export function transition(lane: Lane, r: StepReads, now: number): StepWrites {
  if (!r.job || !r.run) throw new Error(`step ${lane.n} of ${lane.runId}: job or run record missing`);
  if (lane.n > 0 && !r.prev) throw new Error(`step ${lane.n} of ${lane.runId}: previous history record missing`);
  const done: Row = { ...r.job, state: 'done', attempts: 1, completedAt: now, historyCount: 1, purgeAt: now + 86_400_000 };
  delete done['ready'];
  const nextId = jobId(lane.runId, lane.n + 1);
  return {
    jobs: [done, pendingJob(nextId, lane.runId, now)],
    run: { ...r.run, step: lane.n + 1, updatedAt: now },
    history: { runId: lane.runId, n: lane.n, step: lane.n, jobId: lane.jobId, outcome: 'completed', output: { pad: PAD }, at: now },
    counter: { name: QUEUE, done: ((r.counter?.['done'] as number | undefined) ?? 0) + 1 },
    attempt: { jobId: lane.jobId, n: 0, attempt: 1, outcome: 'completed', error: null, claimedAt: now, at: now },
  };
}

/** Moves the lane on once its transaction committed. */
export function advance(lane: Lane): void {
  lane.n++;
  lane.jobId = jobId(lane.runId, lane.n);
}

export function newLane(i: number): Lane {
  const runId = `run-${i.toString().padStart(3, '0')}`;
  return { runId, n: 0, jobId: jobId(runId, 0) };
}
