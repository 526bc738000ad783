/**
 * Helpers for the durable-function suites: runtimes on a fresh database (closed after each
 * test, see test/runtime/lifecycle.ts), gates that hold a step open, the journal as stored,
 * and a counter of the records read from the memo table.
 */
import { fresh, track } from '../runtime/lifecycle.ts';
import { deferred } from '../runtime/harness.ts';
import type { Runtime } from '../../src/runtime/runtime.ts';
import type { MemoRecord } from '../../src/runtime/records.ts';
import { storeOf } from '../support/internals.ts';

export { fresh, track };
export { deferred, settle, waitFor, T0 } from '../runtime/harness.ts';

/** A step body that announces each entry and blocks until released. */
export function gate<T>(value: T): { fn: () => Promise<T>; entered: Promise<void>; release: () => void; calls: number } {
  const entered = deferred<void>();
  const open = deferred<void>();
  const g = {
    calls: 0,
    entered: entered.promise,
    release: () => open.resolve(),
    fn: async () => {
      g.calls++;
      entered.resolve();
      await open.promise;
      return value;
    },
  };
  return g;
}

/** The journal records of a run (memo records under step -1), in key order. */
export async function journalOf(runtime: Runtime, runId: string): Promise<MemoRecord[]> {
  return storeOf(runtime).read((t) => t.getAll<MemoRecord>('memos', undefined, t.keyRange.bound([runId, -1], [runId, -1, []])), ['memos']);
}

/**
 * Counts what is read from the `memos` object store of every database of `factory`: calls of
 * get/getAll and records they returned. Works on fake-indexeddb and on the browser's IndexedDB.
 */
export function countMemoReads(): { calls: number; records: number; reset(): void; restore(): void } {
  const proto = (globalThis.IDBObjectStore ?? undefined) as typeof IDBObjectStore | undefined;
  return patch(proto);
}

export async function countMemoReadsFake(): Promise<{ calls: number; records: number; reset(): void; restore(): void }> {
  const fake = await import('fake-indexeddb');
  return patch(fake.IDBObjectStore as unknown as typeof IDBObjectStore);
}

function patch(cls: typeof IDBObjectStore | undefined): { calls: number; records: number; reset(): void; restore(): void } {
  if (!cls) throw new Error('no IDBObjectStore here');
  const proto = cls.prototype;
  const { get, getAll } = proto;
  const counter = {
    calls: 0,
    records: 0,
    reset() {
      counter.calls = 0;
      counter.records = 0;
    },
    restore() {
      proto.get = get;
      proto.getAll = getAll;
    },
  };
  proto.get = function (this: IDBObjectStore, ...args: Parameters<IDBObjectStore['get']>) {
    const r = get.apply(this, args);
    if (this.name === 'memos') {
      counter.calls++;
      r.addEventListener('success', () => {
        if (r.result !== undefined) counter.records++;
      });
    }
    return r;
  };
  proto.getAll = function (this: IDBObjectStore, ...args: Parameters<IDBObjectStore['getAll']>) {
    const r = getAll.apply(this, args);
    if (this.name === 'memos') {
      counter.calls++;
      r.addEventListener('success', () => {
        counter.records += (r.result as unknown[]).length;
      });
    }
    return r;
  };
  return counter;
}
