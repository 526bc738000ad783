/**
 * Patches of the IndexedDB prototypes, inside the benchmark worker only:
 * - counters of read-write and read-only transactions (always on: one wrapper call per
 *   transaction, the same for raw, queue and runtime cells, so it shows how far the queue's
 *   group commit merged writes and how many reads a runtime step adds);
 * - a profiler (on only during the profile commands) that records, per transaction, its scope,
 *   every request issued on it, and when the last request succeeded and when it completed.
 *
 * Request waves: a request issued before any earlier request of its transaction had answered
 * is in wave 1; one issued after an answer (the code awaited a result, then asked again) is one
 * wave later than the latest wave answered so far. `waves` is the number of request round trips
 * the transaction made before it could commit (blink asks the backend to commit only once every
 * request has answered, so even a last wave of unawaited writes is a round trip); `readWaves`
 * counts the waves that held a read, i.e. the round trips the code itself waited on.
 */

export const txCounter = { readwrite: 0, readonly: 0 };

export interface TxRecord {
  scope: string[];
  mode: string;
  durability: string;
  requests: string[];
  /** The wave of each entry of `requests`. */
  requestWaves: number[];
  created: number;
  lastSuccess: number;
  completed: number;
  /** Request round trips before commit (see the module comment). */
  waves: number;
  /** Waves holding at least one read. */
  readWaves: number;
  /** Latest wave answered so far (bookkeeping). */
  answeredWave: number;
}

let collecting: TxRecord[] | null = null;
const records = new WeakMap<IDBTransaction, TxRecord>();
/** The wave of each outstanding request (a cursor's request moves to a later wave on `continue`). */
const requestWave = new WeakMap<IDBRequest, number>();

const originalTransaction = IDBDatabase.prototype.transaction;

export function installTxCounter(): void {
  IDBDatabase.prototype.transaction = function (this: IDBDatabase, ...args: Parameters<IDBDatabase['transaction']>) {
    const tx = originalTransaction.apply(this, args);
    if (tx.mode === 'readwrite') txCounter.readwrite++;
    else if (tx.mode === 'readonly') txCounter.readonly++;
    if (collecting) {
      const rec: TxRecord = {
        scope: Array.from(tx.objectStoreNames),
        mode: tx.mode,
        durability: tx.durability,
        requests: [],
        requestWaves: [],
        created: performance.now(),
        lastSuccess: NaN,
        completed: NaN,
        waves: 0,
        readWaves: 0,
        answeredWave: 0,
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
const WRITES = new Set(['put', 'add', 'delete', 'clear']);

type AnyMethod = (...args: unknown[]) => IDBRequest;
const restore: (() => void)[] = [];

function issue(rec: TxRecord, r: IDBRequest, write: boolean): number {
  const wave = rec.answeredWave + 1;
  requestWave.set(r, wave);
  rec.waves = Math.max(rec.waves, wave);
  if (!write) rec.readWaves = Math.max(rec.readWaves, wave);
  return wave;
}

function wrap(proto: object, method: string, label: (self: unknown) => string): void {
  const table = proto as Record<string, AnyMethod>;
  const original = table[method];
  if (typeof original !== 'function') return;
  table[method] = function (this: unknown, ...args: unknown[]): IDBRequest {
    const r = original.apply(this, args);
    const rec = r.transaction ? records.get(r.transaction) : undefined;
    if (rec) {
      rec.requests.push(`${label(this)}.${method}`);
      rec.requestWaves.push(issue(rec, r, WRITES.has(method)));
      r.addEventListener('success', () => {
        rec.lastSuccess = performance.now();
        rec.answeredWave = Math.max(rec.answeredWave, requestWave.get(r) ?? 0);
      });
    }
    return r;
  };
  restore.push(() => {
    table[method] = original;
  });
}

/** `cursor.continue()` re-issues the cursor's request: one more round trip, counted as a read wave. */
function wrapCursorStep(method: 'continue' | 'advance' | 'continuePrimaryKey'): void {
  const table = IDBCursor.prototype as unknown as Record<string, (...args: unknown[]) => void>;
  const original = table[method];
  if (typeof original !== 'function') return;
  table[method] = function (this: IDBCursor, ...args: unknown[]): void {
    original.apply(this, args);
    const rec = records.get(this.request.transaction!);
    if (rec) {
      rec.requests.push(`cursor.${method}`);
      rec.requestWaves.push(issue(rec, this.request, false));
    }
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
  for (const m of ['continue', 'advance', 'continuePrimaryKey'] as const) wrapCursorStep(m);
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

/** Records every transaction started from now until the returned function is called (which returns them). */
export function collectAll(): () => TxRecord[] {
  const txs: TxRecord[] = [];
  collecting = txs;
  return () => {
    if (collecting === txs) collecting = null;
    return txs;
  };
}
