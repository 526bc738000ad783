/**
 * The one way to run a transaction.
 *
 * INVARIANT: a transaction body awaits nothing but this transaction's own requests.
 * IndexedDB commits a transaction as soon as no request is pending at the end of a task, so a
 * `fetch`, a model call, a timer or a message awaited inside a body lets it commit halfway.
 * It is detected here, not prevented: a request made after such an await throws (the
 * transaction has finished), and the body's failure surfaces as a `StoreError` with
 * `details.committed = true`, because the writes issued *before* the await were committed
 * and cannot be taken back. A body that throws without breaking the rule aborts the
 * transaction, so nothing it wrote is kept. Runners' work happens between two transactions
 * (claim, then settle), never inside one.
 *
 * Writes whose result is not needed are issued without awaiting (`put`, `delete`): their
 * failure aborts the transaction and rejects `runTransaction`, so nothing is lost by not
 * awaiting them, and the body saves a microtask per write.
 */
import { WorkflowError, isWorkflowError } from '../core/errors.ts';
import type { IndexName, TableName } from './db.ts';

export type Durability = 'strict' | 'relaxed' | 'default';

function request<T>(r: IDBRequest<T>): Promise<T> {
  return new Promise((resolve, reject) => {
    r.onsuccess = () => resolve(r.result);
    r.onerror = () => reject(r.error);
  });
}

/**
 * A transaction in progress, with promise-returning requests. An index argument is one of the
 * table's `INDEX` names (db.ts); with the record type given explicitly (`getAll<JobRecord>`)
 * TypeScript cannot infer the table, so any declared index name is accepted there.
 */
export class Tx {
  readonly raw: IDBTransaction;
  readonly keyRange: typeof IDBKeyRange;
  /**
   * Sees every `put` and `delete` of this transaction as it is issued (the value as written, or
   * the key deleted). The queue's claim planner uses it to know which jobs the transaction has
   * changed since its first reads; at most one observer.
   */
  observer: ((table: TableName, value: unknown, deleted: boolean) => void) | undefined;

  constructor(raw: IDBTransaction, keyRange: typeof IDBKeyRange) {
    this.raw = raw;
    this.keyRange = keyRange;
  }

  #source(table: TableName, index?: IndexName): IDBObjectStore | IDBIndex {
    const store = this.raw.objectStore(table);
    return index ? store.index(index) : store;
  }

  get<T>(table: TableName, key: IDBValidKey): Promise<T | undefined> {
    return request(this.raw.objectStore(table).get(key)) as Promise<T | undefined>;
  }

  /** Reads through an index: the first record whose index key equals `key`. */
  getBy<T, K extends TableName = TableName>(table: K, index: IndexName<K>, key: IDBValidKey | IDBKeyRange): Promise<T | undefined> {
    return request(this.raw.objectStore(table).index(index).get(key)) as Promise<T | undefined>;
  }

  /** Fire-and-forget write (see the module comment). */
  put(table: TableName, value: unknown): void {
    this.raw.objectStore(table).put(value);
    this.observer?.(table, value, false);
  }

  /** Fire-and-forget delete of a key or a key range. */
  delete(table: TableName, key: IDBValidKey | IDBKeyRange): void {
    this.raw.objectStore(table).delete(key);
    this.observer?.(table, key, true);
  }

  count<K extends TableName>(table: K, index?: IndexName<K>, range?: IDBKeyRange | IDBValidKey): Promise<number> {
    return request(this.#source(table, index).count(range));
  }

  getAll<T, K extends TableName = TableName>(table: K, index: IndexName<K> | undefined, range?: IDBKeyRange | IDBValidKey, limit?: number): Promise<T[]> {
    return request(this.#source(table, index).getAll(range, limit)) as Promise<T[]>;
  }

  getAllKeys<K extends TableName>(table: K, index: IndexName<K> | undefined, range?: IDBKeyRange | IDBValidKey, limit?: number): Promise<IDBValidKey[]> {
    return request(this.#source(table, index).getAllKeys(range, limit));
  }

  /** The first record in `range` of `index` (or of the table), in the given direction. */
  first<T, K extends TableName = TableName>(table: K, index: IndexName<K> | undefined, range?: IDBKeyRange, direction: IDBCursorDirection = 'next'): Promise<T | undefined> {
    return new Promise((resolve, reject) => {
      const r = this.#source(table, index).openCursor(range, direction);
      r.onsuccess = () => resolve(r.result ? (r.result.value as T) : undefined);
      r.onerror = () => reject(r.error);
    });
  }

  /**
   * Visits records in order until `visit` returns false or `limit` records were visited.
   * `visit` runs synchronously inside the cursor callback: it may issue writes, not await.
   */
  each<T, K extends TableName = TableName>(
    table: K,
    index: IndexName<K> | undefined,
    range: IDBKeyRange | undefined,
    visit: (value: T, primaryKey: IDBValidKey) => boolean | void,
    options: { direction?: IDBCursorDirection; limit?: number } = {},
  ): Promise<number> {
    const limit = options.limit ?? Infinity;
    return new Promise((resolve, reject) => {
      let seen = 0;
      if (limit <= 0) return resolve(0);
      const r = this.#source(table, index).openCursor(range, options.direction ?? 'next');
      r.onsuccess = () => {
        const cursor = r.result;
        if (!cursor) return resolve(seen);
        seen++;
        let more: boolean | void;
        try {
          more = visit(cursor.value as T, cursor.primaryKey);
        } catch (e) {
          return reject(e);
        }
        if (more === false || seen >= limit) return resolve(seen);
        cursor.continue();
      };
      r.onerror = () => reject(r.error);
    });
  }
}

export type TxBody<T> = (t: Tx) => Promise<T>;

/**
 * Runs `body` in one transaction and resolves with its result once the transaction has
 * committed. Rejects, having applied nothing, when the body throws or the transaction aborts.
 * Storage errors come out as named `WorkflowError`s (`QuotaExceeded`, `StoreClosed`, `StoreError`).
 */
export async function runTransaction<T>(
  db: IDBDatabase,
  keyRange: typeof IDBKeyRange,
  tables: readonly TableName[],
  mode: IDBTransactionMode,
  durability: Durability,
  body: TxBody<T>,
): Promise<T> {
  let raw: IDBTransaction;
  try {
    raw = db.transaction(tables as TableName[], mode, { durability });
  } catch (e) {
    throw storageError(e);
  }
  const done = new Promise<void>((resolve, reject) => {
    raw.oncomplete = () => resolve();
    raw.onabort = () => reject(raw.error ?? new DOMException('transaction aborted', 'AbortError'));
  });
  // A rejected `done` is awaited below on every path; this only stops an unhandled-rejection report.
  done.catch(() => undefined);
  let result: T;
  try {
    result = await body(new Tx(raw, keyRange));
  } catch (e) {
    try {
      raw.abort();
    } catch {
      // Already finished or aborting: the transaction's own error is the one to report.
    }
    const committed = await done.then(
      () => true,
      () => false,
    );
    // The transaction completed before the body failed: the body awaited foreign work, so the
    // writes it issued before that await are committed. The body's own error (an
    // `InvalidStateError` from the finished transaction, or even a `ClaimLost`) would tell the
    // caller that nothing was applied, which is false.
    if (committed) throw committedHalfway(e);
    throw isStorageException(e) ? storageError(e) : e;
  }
  try {
    await done;
  } catch (e) {
    throw storageError(e);
  }
  return result;
}

const IDB_ERROR_NAMES = new Set([
  'AbortError', 'ConstraintError', 'DataCloneError', 'DataError', 'InvalidAccessError', 'InvalidStateError',
  'NotFoundError', 'QuotaExceededError', 'ReadOnlyError', 'TransactionInactiveError', 'UnknownError',
  'VersionError', 'DatabaseClosedError',
]);

/** An exception raised by IndexedDB itself (as opposed to a WorkflowError or a bug in a body). */
function isStorageException(e: unknown): boolean {
  if (isWorkflowError(e)) return false;
  const name = (e as { name?: unknown } | null)?.name;
  return typeof name === 'string' && IDB_ERROR_NAMES.has(name);
}

/**
 * The error of a body that failed after its transaction had already committed (it broke the
 * INVARIANT above). `details.committed` is true: what the body wrote before its foreign await
 * is in the database, so running it again would apply that part twice.
 */
function committedHalfway(e: unknown): WorkflowError {
  const name = (e as { name?: unknown } | null)?.name;
  return new WorkflowError(
    'StoreError',
    `a transaction body awaited something other than its own requests; the transaction committed before the body failed (${
      typeof name === 'string' ? `${name}: ` : ''
    }${(e as { message?: unknown } | null)?.message ?? String(e)})`,
    { cause: typeof name === 'string' ? name : null, committed: true },
  );
}

/** True for the error of a body whose transaction committed before the body failed. */
export function isCommittedHalfway(e: unknown): boolean {
  return isWorkflowError(e, 'StoreError') && (e as WorkflowError).details.committed === true;
}

/** Maps a storage exception to a named error. */
export function storageError(e: unknown): WorkflowError {
  if (isWorkflowError(e)) return e as WorkflowError;
  const name = (e as { name?: string } | null)?.name ?? '';
  const message = (e as { message?: string } | null)?.message ?? String(e);
  if (name === 'QuotaExceededError') return new WorkflowError('QuotaExceeded', `storage is full: ${message}`, { cause: name });
  if (name === 'VersionError') {
    return new WorkflowError('Outdated', `the database was upgraded by a newer release than this code: reload to get it (${message})`, { cause: name });
  }
  if (name === 'InvalidStateError' || name === 'DatabaseClosedError') {
    return new WorkflowError('StoreClosed', `the database is closed: ${message}`, { cause: name });
  }
  if (name === 'TransactionInactiveError') {
    return new WorkflowError('StoreError', `a transaction body awaited something other than its own requests: ${message}`, { cause: name });
  }
  return new WorkflowError('StoreError', `storage failed: ${name ? `${name}: ` : ''}${message}`, { cause: name });
}
