/**
 * Candidate (d): no library. A small open/upgrade function on raw IndexedDB (the version
 * history in bench/idb-story/schema.ts), and today's src/store/tx.ts for transactions.
 */
import { storageError } from '../../src/store/tx.ts';
import type { OpenCandidate } from './candidate.ts';
import { NATIVE_VERSION, upgrade } from './schema.ts';
import { stepRaw } from './step-raw.ts';

/**
 * Opens `name`, creating or upgrading it. A newer version elsewhere gets the database: this
 * connection closes on `versionchange` and `onUpgradeElsewhere` runs (also when the browser
 * closes it). An open blocked by an older connection waits for it to close.
 * @throws WorkflowError `Outdated` (the database is newer: `VersionError`), `StoreError`
 */
export function openDatabase(name: string, onUpgradeElsewhere: () => void, factory: IDBFactory = indexedDB): Promise<IDBDatabase> {
  return new Promise((resolve, reject) => {
    let r: IDBOpenDBRequest;
    try {
      r = factory.open(name, NATIVE_VERSION);
    } catch (e) {
      return reject(storageError(e));
    }
    r.onupgradeneeded = (e) => upgrade(r.result, e.oldVersion, r.transaction!);
    r.onerror = () => reject(storageError(r.error));
    r.onsuccess = () => {
      const db = r.result;
      db.onversionchange = () => {
        db.close();
        onUpgradeElsewhere();
      };
      db.onclose = onUpgradeElsewhere;
      resolve(db);
    };
  });
}

export const open: OpenCandidate = async (name, onUpgradeElsewhere) => {
  const idb = await openDatabase(name, onUpgradeElsewhere);
  return { idb, step: (lane) => stepRaw(idb, lane), close: () => idb.close() };
};
