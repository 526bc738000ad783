/**
 * Today: src/store/db.ts declares the schema with Dexie and opens it (the `Outdated` check and
 * the `versionchange` listener as src/store/store.ts does them); src/store/tx.ts runs the transaction.
 */
import { WorkflowError } from '../../src/core/errors.ts';
import { storageError } from '../../src/store/tx.ts';
import type { OpenCandidate } from './candidate.ts';
import { SCHEMA_VERSION as DB_VERSION } from './schema.ts';
import { defineDexie as defineDatabase } from './schema-dexie.ts';
import { stepRaw } from './step-raw.ts';

export const open: OpenCandidate = async (name, onUpgradeElsewhere) => {
  const dexie = defineDatabase(name);
  try {
    await dexie.open();
  } catch (e) {
    throw storageError(e);
  }
  const idb = dexie.backendDB();
  if (idb.version > DB_VERSION * 10) {
    dexie.close();
    throw new WorkflowError('Outdated', `the database is at schema version ${idb.version / 10}, newer than this code's ${DB_VERSION}: reload to get the newer release`);
  }
  // Dexie's own listener (registered first) has closed the connection when this runs.
  dexie.on('versionchange', () => onUpgradeElsewhere());
  return { idb, step: (lane) => stepRaw(idb, lane), close: () => dexie.close() };
};
