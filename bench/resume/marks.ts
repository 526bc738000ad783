/**
 * What the resume benchmark's page and worker record (bench/resume.ts reads it through the
 * page): wall-clock marks, in epoch milliseconds from `performance.timeOrigin +
 * performance.now()`, so the page, the worker and Node (whose `now()` is the same expression)
 * share one time line, with sub-millisecond steps where the context allows (a SharedWorker's
 * clock steps by 0.1 ms, see docs/platform.md). Plain data only: it crosses a BroadcastChannel and
 * `page.evaluate`.
 */

/** Epoch milliseconds, high resolution. */
export function now(): number {
  return performance.timeOrigin + performance.now();
}

/** One Web Lock request made by this context (Stepwise's alive, owner and executor locks). */
export interface LockMark {
  name: string;
  requested: number;
  granted?: number;
}

/** One IndexedDB transaction started by the worker. */
export interface TxMark {
  mode: string;
  stores: string[];
  /** The first requests made on it (`store.method` or `store[index].method`): which code it was. */
  requests: string[];
  created: number;
  completed?: number;
}

/** One entry of the bench workflow's runner. */
export interface RunnerMark {
  runId: string;
  stepNumber: number;
  attempt: number;
  at: number;
}

/** Everything one worker instance recorded about its own start, posted on MARKS_CHANNEL. */
export interface WorkerMarks {
  /** Random, set when the script starts (the instance id is known only once `serve` returns). */
  key: string;
  instanceId?: string;
  db: string;
  mode?: 'shared' | 'dedicated';
  /** When the worker global was created (its `performance.timeOrigin`). */
  timeOrigin: number;
  /** First statement of the bundle evaluated: the script was fetched and parsed. */
  scriptStart: number;
  /** The library's modules (Dexie, comlink, Stepwise) evaluated; `serve` is about to be called. */
  modulesEvaluated?: number;
  /** `indexedDB.open` calls (Dexie's), request → success. */
  idbOpens: { start: number; end?: number }[];
  locks: LockMark[];
  /** `serve`'s `ready`: locks held, database open, runtime constructed. */
  ready?: number;
  /** `serve`'s `executing`: executor lock granted and `runtime.start()` (recovery) returned. */
  executing?: number;
  /** The first transactions of this instance (capped). */
  txs: TxMark[];
  runners: RunnerMark[];
}

/** The page's own marks. */
export interface PageMarks {
  /** Navigation start of this document. */
  timeOrigin: number;
  /** Navigation Timing, absolute: the HTML's response ended, the DOM was interactive. */
  responseEnd: number;
  domInteractive: number;
  /** The page bundle started evaluating (all its modules fetched and parsed). */
  moduleStart: number;
  connectCalled?: number;
  /** The client's first hello answered (`client.mode` resolved). */
  connected?: number;
  /** Each `new SharedWorker()` / `new Worker()` the client made (a re-knock shows as a second one). */
  workerCtors: number[];
  locks: LockMark[];
  /** `Date.now()` minus `now()` when the module started: how far the two clocks disagree. */
  clockSkewMs: number;
}

export interface MarksSnapshot {
  page: PageMarks;
  workers: WorkerMarks[];
}

export const MARKS_CHANNEL = 'stepwise-resume-bench:marks';

/** Keep recording transactions only this far into a worker's life (its start is what matters). */
export const MAX_TX_MARKS = 48;
