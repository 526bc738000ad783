/**
 * Candidate (c): idb throughout. `openDB` with an `upgrade` callback running the version
 * history (bench/idb-story/schema.ts), `blocking` closing this connection for a newer
 * version, and idb's wrapped requests in transactions.
 */
import { openDB, unwrap, type IDBPDatabase } from 'idb';
import { storageError } from '../../src/store/tx.ts';
import type { OpenCandidate } from './candidate.ts';
import { NATIVE_VERSION, upgrade } from './schema.ts';
import { stepIdb } from './step-idb.ts';

export const open: OpenCandidate = async (name, onUpgradeElsewhere) => {
  let db: IDBPDatabase;
  try {
    db = await openDB(name, NATIVE_VERSION, {
      upgrade: (d, oldVersion, _newVersion, tx) => upgrade(unwrap(d), oldVersion, unwrap(tx)),
      // Another connection still holds an older version: the open waits until it closes (it
      // does on `versionchange`, see `blocking`).
      blocking: (_current, _wanted, event) => {
        (event.target as IDBDatabase).close();
        onUpgradeElsewhere();
      },
      // The browser closed the connection (storage cleared, disk error).
      terminated: onUpgradeElsewhere,
    });
  } catch (e) {
    // A database of a newer version fails the open with `VersionError`: mapped to `Outdated`.
    throw storageError(e);
  }
  return { idb: unwrap(db), step: (lane) => stepIdb(db, lane), close: () => db.close() };
};
