/**
 * The durable store: one IndexedDB database, opened by store/open.ts (schema and versions from
 * db.ts), used through raw transactions (`runTransaction`), read-write ones group-committed
 * (`Committer`).
 *
 * The IndexedDB factory is injectable: fake-indexeddb in Node, the platform's in a browser.
 */
import { WorkflowError } from '../core/errors.ts';
import { Committer } from './committer.ts';
import { DEFAULT_DB_NAME, TABLES, type TableName } from './db.ts';
import { openDatabase } from './open.ts';
import { runTransaction, type Durability, type TxBody } from './tx.ts';

export interface StoreOptions {
  /** The IndexedDB database name. @default 'stepwise' */
  name?: string;
  /** The IndexedDB factory. @default globalThis.indexedDB */
  indexedDB?: IDBFactory;
  /** The key-range class matching `indexedDB`. @default globalThis.IDBKeyRange */
  IDBKeyRange?: typeof IDBKeyRange;
  /**
   * Durability of ordinary writes. Writes that promise durability to a caller (submission,
   * events, cancellation, terminal settlements) ask for `strict` whatever this says.
   * @default 'relaxed'
   */
  durability?: Durability;
}

export class Store {
  readonly name: string;
  readonly keyRange: typeof IDBKeyRange;
  readonly #durability: Durability;
  // Set once by `open`, before anything can call a method.
  #idb!: IDBDatabase;
  #committer!: Committer;
  #closed = false;

  private constructor(name: string, keyRange: typeof IDBKeyRange, durability: Durability) {
    this.name = name;
    this.keyRange = keyRange;
    this.#durability = durability;
  }

  /**
   * Opens or creates the database, upgrading it to this code's schema version.
   * @throws WorkflowError `Outdated` (a newer release upgraded the database: reload),
   *   `InvalidArgument` (bad name), `QuotaExceeded`, `StoreError`
   */
  static async open(options: StoreOptions = {}): Promise<Store> {
    const name = options.name ?? DEFAULT_DB_NAME;
    if (typeof name !== 'string' || name.length === 0 || name.length > 255) {
      throw new WorkflowError('InvalidArgument', 'store name must be a string of 1 to 255 characters', { what: 'name' });
    }
    const factory = options.indexedDB ?? globalThis.indexedDB;
    const keyRange = options.IDBKeyRange ?? globalThis.IDBKeyRange;
    if (!factory || !keyRange) {
      throw new WorkflowError('StoreError', 'IndexedDB is not available here: pass `indexedDB` and `IDBKeyRange` (e.g. fake-indexeddb in Node)');
    }
    // Created first so that the connection's events always find it.
    const store = new Store(name, keyRange, options.durability ?? 'relaxed');
    store.#idb = await openDatabase(name, {
      factory,
      // A newer release is upgrading the schema: the connection has been closed so that the
      // upgrade is not blocked, and whoever owns the store must stop (this code is outdated).
      onVersionChange: () => {
        store.#closed = true;
        for (const l of store.#onUpgrade) l();
      },
      onClose: () => (store.#closed = true),
    });
    store.#committer = new Committer(store.#idb, keyRange, store.#durability);
    return store;
  }

  readonly #onUpgrade = new Set<() => void>();

  /** Called when a newer schema version takes the database: this store is closed from then on. */
  onUpgradeElsewhere(listener: () => void): () => void {
    this.#onUpgrade.add(listener);
    return () => void this.#onUpgrade.delete(listener);
  }

  /** A read-write transaction over every table, group-committed with concurrent writes. */
  write<T>(body: TxBody<T>, options: { strict?: boolean } = {}): Promise<T> {
    if (this.#closed) return Promise.reject(closedError());
    return this.#committer.write(body, options.strict ?? false);
  }

  /** A read-only transaction: runs at once, beside any write in progress. */
  read<T>(body: TxBody<T>, tables: readonly TableName[] = TABLES): Promise<T> {
    if (this.#closed) return Promise.reject(closedError());
    return runTransaction(this.#idb, this.keyRange, tables, 'readonly', 'default', body);
  }

  /** True once closed: by `close()`, for a newer schema version, or by the browser. */
  get isClosed(): boolean {
    return this.#closed;
  }

  /** Closes the connection. Transactions already started finish; new calls fail `StoreClosed`. */
  close(): void {
    this.#closed = true;
    this.#idb.close();
  }
}

function closedError(): WorkflowError {
  return new WorkflowError('StoreClosed', 'the store was closed');
}
