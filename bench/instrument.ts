/**
 * Patches of the IndexedDB prototypes, inside the benchmark worker only:
 * - a counter of read-write transactions (always on: one wrapper call per transaction, the same
 *   for raw and queue cells, so it shows how far the queue's group commit merged writes);
 * - a profiler (on only during the profile command) that records, per transaction, its scope,
 *   every request issued on it, and when the last request succeeded and when it completed.
 */

export const txCounter = { readwrite: 0 };

export interface TxRecord {
  scope: string[];
  mode: string;
  durability: string;
  requests: string[];
  created: number;
  lastSuccess: number;
  completed: number;
}

let collecting: TxRecord[] | null = null;
const records = new WeakMap<IDBTransaction, TxRecord>();

const originalTransaction = IDBDatabase.prototype.transaction;

export function installTxCounter(): void {
  IDBDatabase.prototype.transaction = function (this: IDBDatabase, ...args: Parameters<IDBDatabase['transaction']>) {
    const tx = originalTransaction.apply(this, args);
    if (tx.mode === 'readwrite') txCounter.readwrite++;
    if (collecting) {
      const rec: TxRecord = {
        scope: Array.from(tx.objectStoreNames),
        mode: tx.mode,
        durability: tx.durability,
        requests: [],
        created: performance.now(),
        lastSuccess: NaN,
        completed: NaN,
      };
      records.set(tx, rec);
      collecting.push(rec);
      tx.addEventListener('complete', () => {
        rec.completed = performance.now();
      });
    }
    return tx;
  } as IDBDatabase['transaction'];
}

const STORE_METHODS = ['get', 'getKey', 'getAll', 'getAllKeys', 'put', 'add', 'delete', 'clear', 'count', 'openCursor', 'openKeyCursor'] as const;
const INDEX_METHODS = ['get', 'getKey', 'getAll', 'getAllKeys', 'count', 'openCursor', 'openKeyCursor'] as const;

type AnyMethod = (...args: unknown[]) => IDBRequest;
const restore: (() => void)[] = [];

function wrap(proto: object, method: string, label: (self: unknown) => string): void {
  const table = proto as Record<string, AnyMethod>;
  const original = table[method];
  if (typeof original !== 'function') return;
  table[method] = function (this: unknown, ...args: unknown[]): IDBRequest {
    const r = original.apply(this, args);
    const rec = r.transaction ? records.get(r.transaction) : undefined;
    if (rec) {
      rec.requests.push(`${label(this)}.${method}`);
      r.addEventListener('success', () => {
        rec.lastSuccess = performance.now();
      });
    }
    return r;
  };
  restore.push(() => {
    table[method] = original;
  });
}

/** Starts recording request detail. Returns a function that stops and unpatches. */
export function installProfiler(): () => void {
  for (const m of STORE_METHODS) wrap(IDBObjectStore.prototype, m, (s) => (s as IDBObjectStore).name);
  for (const m of INDEX_METHODS) {
    wrap(IDBIndex.prototype, m, (s) => `${(s as IDBIndex).objectStore.name}[${(s as IDBIndex).name}]`);
  }
  return () => {
    for (const r of restore.splice(0)) r();
    collecting = null;
  };
}

/** Runs `op`, returning its duration and the transactions it started. */
export async function record(op: () => Promise<unknown>): Promise<{ totalMs: number; txs: TxRecord[] }> {
  const txs: TxRecord[] = [];
  collecting = txs;
  const t0 = performance.now();
  try {
    await op();
  } finally {
    collecting = null;
  }
  return { totalMs: performance.now() - t0, txs };
}
