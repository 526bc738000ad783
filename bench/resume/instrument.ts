/**
 * Patches, in the resume benchmark's page and worker only, that time what the library does on
 * its way to running a step without touching the library: Web Lock requests and grants (page
 * and worker), `indexedDB.open` and every transaction (worker), and each worker construction
 * (page). Each patch records into arrays it is given and calls `changed()` after each record.
 */
import { MAX_TX_MARKS, now, type LockMark, type TxMark } from './marks.ts';

type LockCallback = (lock: Lock | null) => unknown;

export function recordLocks(into: LockMark[], changed: () => void): void {
  const proto = (globalThis as { LockManager?: { prototype: LockManager } }).LockManager?.prototype;
  if (!proto) return;
  const original = proto.request as (...args: unknown[]) => Promise<unknown>;
  proto.request = function (this: LockManager, name: string, ...rest: unknown[]) {
    const mark: LockMark = { name, requested: now() };
    into.push(mark);
    changed();
    const i = rest.length - 1;
    const callback = rest[i] as LockCallback;
    rest[i] = (lock: Lock | null) => {
      if (lock) {
        mark.granted = now();
        changed();
      }
      return callback(lock);
    };
    return original.call(this, name, ...rest);
  } as LockManager['request'];
}

export function recordIdb(opens: { start: number; end?: number }[], txs: TxMark[], changed: () => void): void {
  const open = IDBFactory.prototype.open;
  IDBFactory.prototype.open = function (this: IDBFactory, ...args: Parameters<IDBFactory['open']>) {
    const span: { start: number; end?: number } = { start: now() };
    opens.push(span);
    const request = open.apply(this, args);
    request.addEventListener('success', () => {
      span.end = now();
      changed();
    });
    return request;
  };
  const transaction = IDBDatabase.prototype.transaction;
  IDBDatabase.prototype.transaction = function (this: IDBDatabase, ...args: Parameters<IDBDatabase['transaction']>) {
    const tx = transaction.apply(this, args);
    if (txs.length < MAX_TX_MARKS) {
      const mark: TxMark = { mode: tx.mode, stores: Array.from(tx.objectStoreNames), requests: [], created: now() };
      txs.push(mark);
      requestLog.set(tx, mark.requests);
      const end = () => {
        mark.completed = now();
        changed();
      };
      tx.addEventListener('complete', end);
      tx.addEventListener('abort', end);
    }
    return tx;
  } as IDBDatabase['transaction'];
  for (const m of ['get', 'getAll', 'put', 'add', 'delete', 'count', 'openCursor']) {
    labelRequests(IDBObjectStore.prototype, m, (s) => (s as IDBObjectStore).name);
    labelRequests(IDBIndex.prototype, m, (s) => `${(s as IDBIndex).objectStore.name}[${(s as IDBIndex).name}]`);
  }
}

const MAX_REQUEST_LABELS = 6;
const requestLog = new WeakMap<IDBTransaction, string[]>();

function labelRequests(proto: object, method: string, label: (self: unknown) => string): void {
  const table = proto as Record<string, (...args: unknown[]) => IDBRequest>;
  const original = table[method];
  if (typeof original !== 'function') return;
  table[method] = function (this: unknown, ...args: unknown[]): IDBRequest {
    const r = original.apply(this, args);
    const log = r.transaction ? requestLog.get(r.transaction) : undefined;
    if (log && log.length < MAX_REQUEST_LABELS) log.push(`${label(this)}.${method}`);
    return r;
  };
}

/** Wraps `SharedWorker` and `Worker` (whichever exist) so each construction is timed. */
export function recordWorkerCtors(into: number[], changed: () => void): void {
  const scope = globalThis as unknown as Record<string, unknown>;
  for (const name of ['SharedWorker', 'Worker']) {
    const Original = scope[name] as (new (url: string | URL, options?: unknown) => object) | undefined;
    if (typeof Original !== 'function') continue;
    scope[name] = class extends Original {
      constructor(url: string | URL, options?: unknown) {
        into.push(now());
        changed();
        super(url, options);
      }
    };
  }
}
