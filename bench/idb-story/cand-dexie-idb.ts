/** Candidate (a): Dexie for the schema, versions and `versionchange` (as today), idb's wrapped requests in transactions. */
import { wrap } from 'idb';
import { WorkflowError } from '../../src/core/errors.ts';
import { storageError } from '../../src/store/tx.ts';
import type { OpenCandidate } from './candidate.ts';
import { SCHEMA_VERSION as DB_VERSION } from './schema.ts';
import { defineDexie as defineDatabase } from './schema-dexie.ts';
import { stepIdb } from './step-idb.ts';

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
  dexie.on('versionchange', () => onUpgradeElsewhere());
  const db = wrap(idb);
  return { idb, step: (lane) => stepIdb(db, lane), close: () => dexie.close() };
};
