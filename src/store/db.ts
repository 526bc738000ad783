/**
 * The schema: every table, every index and the version history, in this one file.
 * Nothing else in Stepwise names a table or an index string.
 *
 * Index design (hot paths first):
 * - `jobs.ready` = [queue, priority, runAt], present only while a job is pending. A claim reads
 *   the first entry of one queue's range: lower priority number first, then the time it became
 *   due, then (IndexedDB orders equal index keys by primary key) the ULID id, i.e. enqueue order.
 * - `jobs.due` = [queue, runAt], present only while scheduled: promotion and "next wake-up".
 * - `jobs.leaseUntil`, present only while claimed: the reaper and owner-liveness recovery.
 * - `jobs.dedup` = [queue, dedupKey], unique, present only while the job waits (a claim releases it).
 * - `jobs.purgeAt`, present only on kept done jobs and dead jobs: the retention sweep.
 * - `jobs.runId`: a run's jobs; `jobs.[queue+state]`: stats and dead-letter paging.
 * - `runs.[state+updatedAt]`: listing runs by stored state, most recently changed first.
 * - `memos` keyed [runId, step, key] and `history` keyed [runId, n]: a run's entries are one key range.
 * - `terminals.terminalAt`: the retention sweep walks expired markers oldest first.
 * These are *sparse*: IndexedDB leaves a record out of an index whose key path is absent, so
 * moving a job between states is just setting or deleting a property, and a claim never scans
 * scheduled jobs (100k jobs in the future cost a claim nothing).
 *
 * Versions: nothing has been released yet, so version 1 is still edited in place. From the
 * first release on, a change adds `db.version(n + 1)` below with an upgrade function, and the
 * old versions stay, so a database created by any release opens in any later one.
 */
// The named export, not the default: under `moduleResolution: nodenext` the default export of
// Dexie's CommonJS-typed declarations is a namespace, and the emitted `.d.ts` could not use it as a type.
import { Dexie } from 'dexie';
import type { Json } from '../core/json.ts';

export const DB_VERSION = 1;
export const DEFAULT_DB_NAME = 'stepwise';

export const TABLES = ['jobs', 'queues', 'attempts', 'kv', 'runs', 'memos', 'terminals', 'events', 'history'] as const;
export type TableName = (typeof TABLES)[number];

export type JobState = 'pending' | 'scheduled' | 'claimed' | 'done' | 'dead';

/** A durable job. Fields after the marker are index keys kept in step with `state` (see above). */
export interface JobRecord {
  id: string;
  queue: string;
  state: JobState;
  payload: Json;
  headers: Record<string, string>;
  priority: number;
  /** When the job became (pending) or becomes (scheduled) claimable, on the injected clock. */
  runAt: number;
  enqueuedAt: number;
  /** Deliveries so far: a claim increments it, so the first delivery sees 1. */
  attempts: number;
  maxAttempts: number;
  /** The workflow run this job belongs to, if any (index `runId`). */
  runId?: string;
  dedupKey?: string;
  /** Persisted so that a redelivery after a lease expiry or crash still sees the cancel. */
  cancelRequested: boolean;
  lastError: string | null;
  claimedAt: number | null;
  /** The runtime instance holding the claim (its lock name in the browser). */
  owner: string | null;
  /** The fence: a settlement must present this token. Changes on every claim. */
  claimToken: string | null;
  completedAt: number | null;
  failedAt: number | null;
  /** Set by `wakeScheduled`: the payload given to an early wake-up, and when. */
  wakePayload: Json | null;
  wokenAt: number | null;
  /** Number of attempt-history records (key [jobId, 0..n-1]). */
  historyCount: number;
  // --- sparse index keys ---
  ready?: [string, number, number];
  due?: [string, number];
  leaseUntil?: number;
  dedup?: [string, string];
  purgeAt?: number;
}

/** Per-queue counters (and the list of queues). */
export interface QueueRecord {
  name: string;
  /** Jobs acknowledged since the queue was first used (kept or not). */
  done: number;
}

export type JobAttemptOutcome =
  | 'retried'
  | 'completed'
  | 'deadLettered'
  | 'leaseExpired'
  | 'interrupted'
  | 'requeued'
  | 'cancelled';

/** One line of a job's attempt history (for inspectors; not used by the runtime's logic). */
export interface JobAttemptRecord {
  jobId: string;
  /** Position in the job's history, from 0. */
  n: number;
  attempt: number;
  outcome: JobAttemptOutcome;
  error: string | null;
  claimedAt: number | null;
  at: number;
}

export interface KvRecord {
  key: string;
  value: Json;
}

/** Run, memo, terminal-marker and event records belong to the runtime; the store only keys them. */
export interface RunRecordKeys {
  runId: string;
  state: string;
  updatedAt: number;
}
export interface MemoRecordKeys {
  runId: string;
  step: number;
  key: string;
}
export interface TerminalRecordKeys {
  runId: string;
  terminalAt: number;
}
export interface EventRecordKeys {
  key: string;
}
/** The runtime's per-attempt history of a run (for inspectors), key [runId, n]. */
export interface HistoryRecordKeys {
  runId: string;
  n: number;
}

/** Opens (creating or upgrading) the database. Dexie owns versioning and `versionchange` handling. */
export function defineDatabase(name: string, indexedDB?: IDBFactory, keyRange?: typeof IDBKeyRange): Dexie {
  const db = new Dexie(name, {
    ...(indexedDB ? { indexedDB } : {}),
    ...(keyRange ? { IDBKeyRange: keyRange } : {}),
    // Raw transactions do all reads and writes; Dexie's cache would only go stale.
    cache: 'disabled',
  });
  db.version(1).stores({
    jobs: 'id, ready, due, leaseUntil, &dedup, purgeAt, runId, [queue+state]',
    queues: 'name',
    attempts: '[jobId+n]',
    kv: 'key',
    runs: 'runId, [state+updatedAt], updatedAt, expiresAt',
    memos: '[runId+step+key]',
    terminals: 'runId, terminalAt',
    events: 'key',
    history: '[runId+n]',
  });
  return db;
}
