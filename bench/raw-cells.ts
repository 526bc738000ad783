/**
 * The physical limit, written against the raw IndexedDB API: one put per transaction, 100 puts
 * per transaction, the same puts from 16 concurrent lanes, and a raw replica of the queue's
 * enqueue→claim→ack transactions (same schema, same requests, no library layers).
 */
import { TABLES } from '../src/store/db.ts';
import { openDatabase } from '../src/store/open.ts';
import { PAD, deleteDatabase, freshName, runLoop, type LoopOutcome } from './loop.ts';
import type { CellCommand } from './protocol.ts';

export function openPlain(name: string): Promise<IDBDatabase> {
  return new Promise((resolve, reject) => {
    const r = indexedDB.open(name, 1);
    r.onupgradeneeded = () => r.result.createObjectStore('records', { keyPath: 'id' });
    r.onsuccess = () => resolve(r.result);
    r.onerror = () => reject(r.error);
  });
}

function completion(tx: IDBTransaction): Promise<void> {
  return new Promise((resolve, reject) => {
    tx.oncomplete = () => resolve();
    tx.onabort = () => reject(tx.error ?? new DOMException('aborted', 'AbortError'));
  });
}

/** `puts` records in one transaction (default durability), resolved on `complete`. */
export function putTx(db: IDBDatabase, firstId: number, puts: number): Promise<void> {
  const tx = db.transaction('records', 'readwrite', { durability: 'default' });
  const store = tx.objectStore('records');
  for (let i = 0; i < puts; i++) store.put({ id: firstId + i, pad: PAD });
  return completion(tx);
}

/** Raw put cells on a fresh plain database. */
export async function rawPutCell(cmd: CellCommand, putsPerTx: number, onTimedStart?: () => void): Promise<LoopOutcome> {
  const name = freshName('bench-raw');
  const db = await openPlain(name);
  let next = 0;
  try {
    return await runLoop(cmd, () => {
      const first = next;
      next += putsPerTx;
      return putTx(db, first, putsPerTx);
    }, onTimedStart);
  } finally {
    db.close();
    await deleteDatabase(name);
  }
}

type Row = Record<string, unknown> & { id: string };

function req<T>(r: IDBRequest<T>, then: (v: T) => void): void {
  r.onsuccess = () => then(r.result);
}

/**
 * A job record as queue/enqueue.ts writes it (every field, `extra` last): what the raw cells put,
 * so their puts cost what the queue's do.
 */
export function jobRecord(id: string, queue: string, now: number, extra: Record<string, unknown> = {}): Row {
  return {
    id, queue, state: 'pending', payload: { pad: PAD }, headers: {}, priority: 1000, runAt: now, enqueuedAt: now,
    attempts: 0, maxAttempts: 3, cancelRequested: false, lastError: null, claimedAt: null, owner: null, claimToken: null,
    completedAt: null, failedAt: null, wakePayload: null, wokenAt: null, historyCount: 0, ...extra,
  };
}

/** The enqueue of the raw cycle: one put (the queue record is known after warm-up, so no read). */
async function rawEnqueue(db: IDBDatabase, id: string, queue: string, now: number): Promise<void> {
  const t = db.transaction(TABLES as unknown as string[], 'readwrite', { durability: 'relaxed' });
  t.objectStore('jobs').put(jobRecord(id, queue, now, { ready: [queue, 1000, now] }));
  await completion(t);
}

/**
 * One enqueue→claim→ack cycle as three raw transactions issuing exactly the requests the queue
 * issues today (see queue/enqueue.ts, claim.ts, settle.ts): the floor for this design.
 */
export async function rawCycle(db: IDBDatabase, id: string, queue: string): Promise<void> {
  const tables = TABLES as unknown as string[];
  const now = Date.now();
  await rawEnqueue(db, id, queue, now);
  // claim: promote due scheduled jobs (none), read the first ready job, rewrite it
  const t2 = db.transaction(tables, 'readwrite', { durability: 'relaxed' });
  const jobs2 = t2.objectStore('jobs');
  const claimed = completion(t2);
  req(jobs2.index('due').getAll(IDBKeyRange.bound([queue], [queue, Date.now()]), 256), () => {
    req(jobs2.index('ready').getAll(IDBKeyRange.bound([queue], [queue, []]), 1), (rows) => {
      const job = rows[0] as Row | undefined;
      if (!job) return;
      delete job['ready'];
      Object.assign(job, { state: 'claimed', claimedAt: now, owner: 'bench', claimToken: 'tok', leaseUntil: now + 30_000 });
      jobs2.put(job);
    });
  });
  await claimed;
  // ack: fence read, delete, counter read-modify-write
  const t3 = db.transaction(tables, 'readwrite', { durability: 'relaxed' });
  const acked = completion(t3);
  req(t3.objectStore('jobs').get(id), () => {
    t3.objectStore('jobs').delete(id);
    req(t3.objectStore('queues').get(queue), (c) => {
      const done = ((c as { done?: number } | undefined)?.done ?? 0) + 1;
      t3.objectStore('queues').put({ name: queue, done });
    });
  });
  await acked;
}

/**
 * The same cycle with no read waiting on another read: claim issues both index reads at once,
 * ack issues the fence read and the counter read at once. Same transactions, same writes;
 * two sequential request round trips fewer per cycle. (A claim that did promote due jobs would
 * have to read `ready` again; none are due here.)
 */
export async function rawCycleLean(db: IDBDatabase, id: string, queue: string): Promise<void> {
  const tables = TABLES as unknown as string[];
  const now = Date.now();
  await rawEnqueue(db, id, queue, now);
  const t2 = db.transaction(tables, 'readwrite', { durability: 'relaxed' });
  const jobs2 = t2.objectStore('jobs');
  const claimed = completion(t2);
  jobs2.index('due').getAll(IDBKeyRange.bound([queue], [queue, Date.now()]), 256);
  req(jobs2.index('ready').getAll(IDBKeyRange.bound([queue], [queue, []]), 1), (rows) => {
    const job = rows[0] as Row | undefined;
    if (!job) return;
    delete job['ready'];
    Object.assign(job, { state: 'claimed', claimedAt: now, owner: 'bench', claimToken: 'tok', leaseUntil: now + 30_000 });
    jobs2.put(job);
  });
  await claimed;
  const t3 = db.transaction(tables, 'readwrite', { durability: 'relaxed' });
  const acked = completion(t3);
  let counter: { done?: number } | undefined;
  req(t3.objectStore('queues').get(queue), (c) => {
    counter = c as { done?: number } | undefined;
  });
  req(t3.objectStore('jobs').get(id), () => {
    // Requests complete in order, so the counter read has already landed.
    t3.objectStore('jobs').delete(id);
    t3.objectStore('queues').put({ name: queue, done: (counter?.done ?? 0) + 1 });
  });
  await acked;
}

/** The raw replica of the queue cycle, on a fresh database with the queue's schema. */
export async function rawCycleCell(cmd: CellCommand, onTimedStart?: () => void, lean = false): Promise<LoopOutcome> {
  const name = freshName('bench-rawcycle');
  const db = await openDatabase(name);
  let n = 0;
  try {
    const cycle = lean ? rawCycleLean : rawCycle;
    return await runLoop(cmd, () => cycle(db, `job-${(n++).toString().padStart(9, '0')}`, 'bench'), onTimedStart);
  } finally {
    db.close();
    await deleteDatabase(name);
  }
}
