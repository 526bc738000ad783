/**
 * The resume benchmark worker's first import, so that it runs before Dexie, comlink and the
 * library are evaluated: stamps the script start, installs the lock and IndexedDB patches, and
 * posts this instance's marks to every page on MARKS_CHANNEL whenever they change (coalesced to
 * one post per microtask checkpoint; a post is a small structured clone, off the timed path's
 * critical requests).
 */
import { recordIdb, recordLocks } from './instrument.ts';
import { MARKS_CHANNEL, now, type WorkerMarks } from './marks.ts';

const scriptStart = now();
const params = new URL(self.location.href).searchParams;

export const marks: WorkerMarks = {
  key: Math.random().toString(36).slice(2),
  db: params.get('db') ?? 'resume-bench',
  timeOrigin: performance.timeOrigin,
  scriptStart,
  idbOpens: [],
  locks: [],
  txs: [],
  runners: [],
};

const channel = new BroadcastChannel(MARKS_CHANNEL);
let queued = false;

/** Schedules a post of the marks (at most one per microtask checkpoint). */
export function changed(): void {
  if (queued) return;
  queued = true;
  queueMicrotask(() => {
    queued = false;
    channel.postMessage(marks);
  });
}

recordLocks(marks.locks, changed);
recordIdb(marks.idbOpens, marks.txs, changed);
changed();
