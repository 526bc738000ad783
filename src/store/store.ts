/**
 * The durable store: one IndexedDB database, opened through Dexie (schema and versions), used
 * through raw transactions (`runTransaction`), read-write ones group-committed (`Committer`).
 *
 * The IndexedDB factory is injectable: fake-indexeddb in Node, the platform's in a browser.
 */
import type { Dexie } from 'dexie';
import { WorkflowError } from '../core/errors.ts';
import { Committer } from './committer.ts';
import { DB_VERSION, DEFAULT_DB_NAME, TABLES, defineDatabase, type TableName } from './db.ts';
import { runTransaction, storageError, type Durability, type TxBody } from './tx.ts';

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
  #dexie: Dexie;
  #idb: IDBDatabase;
  #committer: Committer;
  #closed = false;

  private constructor(name: string, dexie: Dexie, idb: IDBDatabase, keyRange: typeof IDBKeyRange, durability: Durability) {
    this.name = name;
    this.#dexie = dexie;
    this.#idb = idb;
    this.keyRange = keyRange;
    this.#committer = new Committer(idb, keyRange, durability);
  }

  /** Opens or creates the database. @throws WorkflowError `StoreClosed`/`StoreError`/`InvalidArgument` */
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
    const dexie = defineDatabase(name, factory, keyRange);
    try {
      await dexie.open();
    } catch (e) {
      throw storageError(e);
    }
    const idb = dexie.backendDB();
    // Dexie 4 opens a database of a higher version than declared, as it is. Here that means a
    // newer release upgraded the schema (O-20): this code must not claim or write anything
    // under a schema it does not know, so it refuses, and the page is told to reload.
    if (idb.version > DB_VERSION * 10) {
      dexie.close();
      throw new WorkflowError('Outdated', `the database is at schema version ${idb.version / 10}, newer than this code's ${DB_VERSION}: reload to get the newer release`, {
        found: idb.version / 10,
        supported: DB_VERSION,
      });
    }
    const store = new Store(name, dexie, idb, keyRange, options.durability ?? 'relaxed');
    // Another connection (a newer release) wants to upgrade the schema: Dexie closes this one so
    // that the upgrade is not blocked (O-19); whoever owns the store hears of it.
    dexie.on('versionchange', () => {
      store.#closed = true;
      for (const l of store.#onUpgrade) l();
    });
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

  get isClosed(): boolean {
    return this.#closed || !this.#dexie.isOpen();
  }

  /** Closes the connection. Transactions already started finish; new calls fail `StoreClosed`. */
  close(): void {
    this.#closed = true;
    this.#dexie.close();
  }
}

function closedError(): WorkflowError {
  return new WorkflowError('StoreClosed', 'the store was closed');
}
