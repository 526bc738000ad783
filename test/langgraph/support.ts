/**
 * Savers on a fresh database (fake-indexeddb in Node, a unique name on the real IndexedDB in
 * Chromium), closed and deleted after use.
 */
import { IndexedDBSaver } from '../../src/langgraph/saver.ts';
import { freshStoreOptions } from '../support/idb.ts';

export interface FreshSaver {
  saver: IndexedDBSaver;
  db: Awaited<ReturnType<typeof freshStoreOptions>>;
}

export async function freshSaver(): Promise<FreshSaver> {
  const db = await freshStoreOptions();
  return { saver: new IndexedDBSaver(db), db };
}

/** Closes the saver and deletes its database. */
export async function dropSaver({ saver, db }: FreshSaver): Promise<void> {
  saver.close();
  await new Promise<void>((resolve) => {
    const r = db.indexedDB.deleteDatabase(db.name);
    r.onsuccess = r.onerror = r.onblocked = () => resolve();
  });
}
