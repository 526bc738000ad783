/**
 * The schema: every table, every index and the version history, in this one file. Nothing else
 * in Stepwise spells a table's index as a string: it uses `INDEX` below, and the `Tx` methods
 * accept only the index names of the table they read.
 *
 * Index design (hot paths first):
 * - `jobs.ready` = [queue, priority, runAt], present only while a job is pending. A claim reads
 *   the first entry of one queue's range: lower priority number first, then the time it became
 *   due, then (IndexedDB orders equal index keys by primary key) the ULID id, i.e. enqueue order.
 * - `jobs.due` = [queue, runAt], present only while scheduled: promotion and "next wake-up".
 * - `jobs.leaseUntil`, present only while claimed: the reaper and owner-liveness recovery.
 * - `jobs.dedup` = [queue, dedupKey], unique, present only while the job waits (a claim releases it).
 * - `jobs.purgeAt`, present only on kept done jobs and dead jobs: the retention sweep.
 * - `jobs.[queue+state]`: stats and dead-letter paging.
 * - `runs.updatedAt`: listing runs, most recently changed first; `runs.expiresAt`: the retention sweep.
 * - `memos` keyed [runId, step, key] and `history` keyed [runId, n]: a run's entries are one key range.
 * - `terminals.terminalAt`: the retention sweep walks expired markers oldest first.
 * These are *sparse*: IndexedDB leaves a record out of an index whose key path is absent, so
 * moving a job between states is just setting or deleting a property, and a claim never scans
 * scheduled jobs (100k jobs in the future cost a claim nothing). An index nothing reads is not
 * declared: every index costs a lookup on every write to its table.
 *
 * Versions: `SCHEMA_VERSIONS[n - 1]` turns a database at schema version n - 1 (0: none) into
 * version n, and store/open.ts applies every entry from the stored version on. IndexedDB stores
 * 10 × the schema version, the numbering the earlier Dexie-based code wrote, so its databases
 * open unchanged. Nothing has been released yet, so version 1 is still edited in place (a
 * database created before an edit keeps what that edit removed, e.g. the former
 * `runs.[state+updatedAt]` and `jobs.runId` indexes: unread, harmless). From the first release
 * on, a change appends a version and the old entries stay as they are, so a database created by
 * any release opens in any later one.
 */
import type { Json } from '../core/json.ts';

export const DEFAULT_DB_NAME = 'stepwise';

/**
 * Every table. The `lg_` ones hold LangGraph checkpoints (`stepwise/langgraph`, layout in
 * langgraph/records.ts); `handoffs` the runs handed off to a server (runtime/handoff-records.ts).
 */
export const TABLES = ['jobs', 'queues', 'attempts', 'kv', 'runs', 'memos', 'terminals', 'events', 'history', 'lg_checkpoints', 'lg_blobs', 'lg_writes', 'handoffs'] as const;
export type TableName = (typeof TABLES)[number];

/** The name of every index, per table: the only spelling of an index name outside the version list's data. */
export const INDEX = {
  jobs: { ready: 'ready', due: 'due', leaseUntil: 'leaseUntil', dedup: 'dedup', purgeAt: 'purgeAt', queueState: '[queue+state]' },
  runs: { updatedAt: 'updatedAt', expiresAt: 'expiresAt' },
  terminals: { terminalAt: 'terminalAt' },
} as const;

type Indexes = typeof INDEX;
/** The index names of `T` (never for a table without indexes). */
export type IndexName<T extends TableName = TableName> = T extends keyof Indexes ? Indexes[T][keyof Indexes[T]] : never;

/** One index of a store: `keyPath` as IndexedDB takes it (an array makes a compound key). */
export interface IndexSpec {
  name: string;
  keyPath: string | string[];
  unique?: boolean;
}

/** One change to the shape of the database, applied inside the `versionchange` transaction. */
export type SchemaStep =
  | { op: 'createStore'; store: string; keyPath: string | string[]; indexes?: IndexSpec[] }
  | { op: 'deleteStore'; store: string }
  | { op: 'createIndex'; store: string; index: IndexSpec }
  | { op: 'deleteIndex'; store: string; index: string };

/** What one schema version changes, as data (so a test can replay every version). */
export interface SchemaVersion {
  steps: SchemaStep[];
}

/** The version history, oldest first: entry n - 1 upgrades a database at version n - 1 to n. */
export const SCHEMA_VERSIONS: readonly SchemaVersion[] = [
  {
    steps: [
      {
        op: 'createStore',
        store: 'jobs',
        keyPath: 'id',
        indexes: [
          { name: INDEX.jobs.ready, keyPath: 'ready' },
          { name: INDEX.jobs.due, keyPath: 'due' },
          { name: INDEX.jobs.leaseUntil, keyPath: 'leaseUntil' },
          { name: INDEX.jobs.dedup, keyPath: 'dedup', unique: true },
          { name: INDEX.jobs.purgeAt, keyPath: 'purgeAt' },
          { name: INDEX.jobs.queueState, keyPath: ['queue', 'state'] },
        ],
      },
      { op: 'createStore', store: 'queues', keyPath: 'name' },
      { op: 'createStore', store: 'attempts', keyPath: ['jobId', 'n'] },
      { op: 'createStore', store: 'kv', keyPath: 'key' },
      {
        op: 'createStore',
        store: 'runs',
        keyPath: 'runId',
        indexes: [
          { name: INDEX.runs.updatedAt, keyPath: 'updatedAt' },
          { name: INDEX.runs.expiresAt, keyPath: 'expiresAt' },
        ],
      },
      { op: 'createStore', store: 'memos', keyPath: ['runId', 'step', 'key'] },
      { op: 'createStore', store: 'terminals', keyPath: 'runId', indexes: [{ name: INDEX.terminals.terminalAt, keyPath: 'terminalAt' }] },
      { op: 'createStore', store: 'events', keyPath: 'key' },
      { op: 'createStore', store: 'history', keyPath: ['runId', 'n'] },
    ],
  },
  {
    // LangGraph checkpoints: a thread, or one namespace of it, is one key range of each store.
    steps: [
      { op: 'createStore', store: 'lg_checkpoints', keyPath: ['threadId', 'ns', 'checkpointId'] },
      { op: 'createStore', store: 'lg_blobs', keyPath: ['threadId', 'ns', 'checkpointId', 'channel'] },
      { op: 'createStore', store: 'lg_writes', keyPath: ['threadId', 'ns', 'checkpointId', 'taskId', 'idx'] },
    ],
  },
  {
    // Runs handed off to a server, one record per run while it is remote (a handful at most: no index).
    steps: [{ op: 'createStore', store: 'handoffs', keyPath: 'runId' }],
  },
];

/** The schema version this code reads and writes. */
export const DB_VERSION = SCHEMA_VERSIONS.length;

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
  /** The workflow run this job belongs to, if any (not indexed: nothing looks jobs up by run). */
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
