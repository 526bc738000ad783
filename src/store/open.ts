/**
 * Opening the database: create it or upgrade it through the version list of db.ts, and report
 * how the connection ends.
 *
 * - Upgrade: every version from the stored one on runs inside the one `versionchange`
 *   transaction, so an upgrade is all or nothing: a step that throws aborts it and the database
 *   stays at its stored version.
 * - A database newer than this code (a newer release upgraded it) fails the open with
 *   `VersionError`: this code must not read or write a schema it does not know.
 * - An open of a newer version elsewhere fires `versionchange` here: this connection closes at
 *   once, so that open is not blocked, and the owner hears of it. An open of ours that an older
 *   connection blocks just waits: that connection closes on its own `versionchange`.
 * - Chromium sometimes fails an open with a transient `UnknownError` (its backing store not
 *   ready yet); the open is retried a few times before that error is reported.
 */
import { WorkflowError } from '../core/errors.ts';
import { SCHEMA_VERSIONS, type SchemaVersion } from './db.ts';
import { storageError } from './tx.ts';

/** IndexedDB's version number for schema version `v` (the numbering the earlier Dexie-based code wrote). */
export const nativeVersion = (v: number): number => v * 10;

/** Attempts at an open that fails with `UnknownError`, the first included. */
const OPEN_ATTEMPTS = 4;

export interface OpenDatabaseOptions {
  /** @default globalThis.indexedDB */
  factory?: IDBFactory;
  /** The version history to open at (its length is the version). @default SCHEMA_VERSIONS */
  versions?: readonly SchemaVersion[];
  /** A newer version is being opened elsewhere: this connection has been closed for it. */
  onVersionChange?: () => void;
  /** The browser closed the connection (storage cleared, disk failure). */
  onClose?: () => void;
}

/**
 * Opens `name`, creating or upgrading it to the last of `versions`.
 * @throws WorkflowError `Outdated` (the database is at a newer version; `details.found` is that
 *   version when the browser lists databases, `details.supported` this code's), `QuotaExceeded`,
 *   `StoreError` (an upgrade step failed: nothing of the upgrade is kept).
 */
export async function openDatabase(name: string, options: OpenDatabaseOptions = {}): Promise<IDBDatabase> {
  const factory = options.factory ?? globalThis.indexedDB;
  const versions = options.versions ?? SCHEMA_VERSIONS;
  for (let attempt = 1; ; attempt++) {
    try {
      return await openOnce(factory, name, versions, options);
    } catch (e) {
      const errorName = (e as { name?: unknown } | null)?.name;
      if (errorName === 'UnknownError' && attempt < OPEN_ATTEMPTS) continue;
      if (errorName === 'VersionError') throw await outdated(factory, name, versions.length);
      throw storageError(e);
    }
  }
}

function openOnce(factory: IDBFactory, name: string, versions: readonly SchemaVersion[], options: OpenDatabaseOptions): Promise<IDBDatabase> {
  return new Promise((resolve, reject) => {
    const r = factory.open(name, nativeVersion(versions.length));
    let stepError: unknown;
    r.onupgradeneeded = (e) => {
      const tx = r.transaction!;
      try {
        for (let v = Math.floor(e.oldVersion / 10); v < versions.length; v++) applyVersion(r.result, tx, versions[v]!);
      } catch (err) {
        stepError = err;
        tx.abort();
      }
    };
    r.onerror = () => reject(stepError === undefined ? r.error : upgradeFailed(stepError));
    r.onsuccess = () => {
      const db = r.result;
      db.onversionchange = () => {
        db.close();
        options.onVersionChange?.();
      };
      db.onclose = () => options.onClose?.();
      resolve(db);
    };
  });
}

function applyVersion(db: IDBDatabase, tx: IDBTransaction, version: SchemaVersion): void {
  for (const step of version.steps) {
    switch (step.op) {
      case 'createStore': {
        const store = db.createObjectStore(step.store, { keyPath: step.keyPath });
        for (const i of step.indexes ?? []) store.createIndex(i.name, i.keyPath, { unique: i.unique ?? false });
        break;
      }
      case 'deleteStore':
        db.deleteObjectStore(step.store);
        break;
      case 'createIndex':
        tx.objectStore(step.store).createIndex(step.index.name, step.index.keyPath, { unique: step.index.unique ?? false });
        break;
      case 'deleteIndex':
        tx.objectStore(step.store).deleteIndex(step.index);
        break;
    }
  }
}

function upgradeFailed(e: unknown): WorkflowError {
  const name = (e as { name?: unknown } | null)?.name;
  const message = (e as { message?: unknown } | null)?.message ?? String(e);
  return new WorkflowError('StoreError', `the schema upgrade failed and was rolled back: ${typeof name === 'string' ? `${name}: ` : ''}${String(message)}`, {
    cause: typeof name === 'string' ? name : null,
  });
}

async function outdated(factory: IDBFactory, name: string, supported: number): Promise<WorkflowError> {
  // Only for the message: a browser without `databases()` still gets the named error.
  const native = await Promise.resolve(factory.databases?.())
    .then((list) => list?.find((d) => d.name === name)?.version)
    .catch(() => undefined);
  const found = native === undefined ? null : native / 10;
  return new WorkflowError(
    'Outdated',
    `the database is at schema version ${found ?? 'unknown'}, newer than this code's ${supported}: a newer release upgraded it; reload to get that release`,
    { found, supported },
  );
}
