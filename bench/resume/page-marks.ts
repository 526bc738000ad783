/**
 * The resume benchmark page's first import: stamps the module start, installs the lock and
 * worker-constructor patches before the client exists, and collects the marks every worker
 * instance posts on MARKS_CHANNEL (latest snapshot per instance).
 */
import { recordLocks, recordWorkerCtors } from './instrument.ts';
import { MARKS_CHANNEL, now, type PageMarks, type WorkerMarks } from './marks.ts';

const moduleStart = now();
const nav = performance.getEntriesByType('navigation')[0] as PerformanceNavigationTiming | undefined;

export const pageMarks: PageMarks = {
  timeOrigin: performance.timeOrigin,
  responseEnd: performance.timeOrigin + (nav?.responseEnd ?? NaN),
  domInteractive: performance.timeOrigin + (nav?.domInteractive ?? NaN),
  moduleStart,
  workerCtors: [],
  locks: [],
  clockSkewMs: Date.now() - moduleStart,
};

/** Worker marks by instance key. */
export const workers = new Map<string, WorkerMarks>();
const listeners = new Set<() => void>();

/** Calls `check` now and after each update; resolves with its first non-undefined answer. */
export function waitFor<T>(check: () => T | undefined, timeoutMs: number, what: string): Promise<T> {
  return new Promise((resolve, reject) => {
    const done = (v: T) => {
      listeners.delete(listener);
      clearTimeout(timer);
      resolve(v);
    };
    const listener = () => {
      const v = check();
      if (v !== undefined) done(v);
    };
    const timer = setTimeout(() => {
      listeners.delete(listener);
      reject(new Error(`${what}: not within ${timeoutMs} ms`));
    }, timeoutMs);
    listeners.add(listener);
    listener();
  });
}

new BroadcastChannel(MARKS_CHANNEL).onmessage = (e: MessageEvent<WorkerMarks>) => {
  workers.set(e.data.key, e.data);
  for (const l of [...listeners]) l();
};

recordLocks(pageMarks.locks, () => undefined);
recordWorkerCtors(pageMarks.workerCtors, () => undefined);
