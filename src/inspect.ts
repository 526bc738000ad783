/**
 * `stepwise/inspect`: inspection and maintenance for tests and devtools, in any context that can
 * open the database (Node with fake-indexeddb, a page, a worker). Plain functions over a
 * `Runtime` or a `Queue`, so that an app that never calls them never bundles them.
 */
export { clearMemos, memo, queueOf, recoverNow, sweepNow, terminalMarkers } from './inspect/runtime.ts';
export { getJob, jobHistory, listQueues, stats, type QueueTarget } from './inspect/queue.ts';
export type { SweepOutcome } from './runtime/sweeper.ts';
export type { MarkerRecord } from './runtime/records.ts';
export type { QueueStats } from './queue/types.ts';
export type { JobAttemptRecord, JobAttemptOutcome, JobRecord, JobState } from './store/db.ts';
