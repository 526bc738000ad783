/**
 * What src/store/db.ts's `defineDatabase` was when this was measured (Dexie declares the schema
 * of schema.ts, its cache off): how the `today` and (a) candidates open the database. Dexie is a
 * devDependency only for these candidates. A file of its own, so that the bundles of the
 * candidates without Dexie (sizes.ts) do not import it.
 */
import { Dexie } from 'dexie';
import { DEXIE_STORES, SCHEMA_VERSION } from './schema.ts';

export function defineDexie(name: string): Dexie {
  const db = new Dexie(name, { cache: 'disabled' });
  db.version(SCHEMA_VERSION).stores(DEXIE_STORES);
  return db;
}
