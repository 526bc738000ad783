/**
 * The version list of store/db.ts: a database created at any listed version and upgraded ends
 * with exactly the stores and indexes the code names (`TABLES`, `INDEX`), shaped as a fresh
 * one; a database written by the earlier Dexie-based code (schema version 1) opens and upgrades
 * from there; an upgrade is all or nothing.
 */
import { describe, expect, it, onTestFinished } from 'vitest';
import { DB_VERSION, INDEX, SCHEMA_VERSIONS, TABLES, type SchemaVersion } from '../../src/store/db.ts';
import { nativeVersion, openDatabase } from '../../src/store/open.ts';
import { Store } from '../../src/store/store.ts';
import { SCHEMA_V2 } from '../../e2e/fixtures/schema-v2.ts';
import { freshStoreOptions } from '../support/idb.ts';

interface Shape {
  [store: string]: { keyPath: unknown; autoIncrement: boolean; indexes: Record<string, { keyPath: unknown; unique: boolean; multiEntry: boolean }> };
}

/** Every store and index of a database, with key paths and flags, read with the raw API. */
function shapeOf(db: IDBDatabase): Shape {
  const out: Shape = {};
  const names = [...db.objectStoreNames];
  if (names.length === 0) return out;
  const tx = db.transaction(names, 'readonly');
  for (const name of names) {
    const store = tx.objectStore(name);
    const indexes: Shape[string]['indexes'] = {};
    for (const i of [...store.indexNames]) {
      const index = store.index(i);
      indexes[i] = { keyPath: index.keyPath, unique: index.unique, multiEntry: index.multiEntry };
    }
    out[name] = { keyPath: store.keyPath, autoIncrement: store.autoIncrement, indexes };
  }
  return out;
}

/** Creates the database at version `from` of `versions`, then opens it at the last one: its shape. */
async function upgradedFrom(versions: readonly SchemaVersion[], from: number): Promise<Shape> {
  const { name, indexedDB: factory } = await freshStoreOptions();
  if (from > 0) (await openDatabase(name, { factory, versions: versions.slice(0, from) })).close();
  const db = await openDatabase(name, { factory, versions });
  const shape = shapeOf(db);
  expect(db.version).toBe(nativeVersion(versions.length));
  db.close();
  return shape;
}

/** Opens `name` with the raw API at `version`, running `upgrade`; resolves once closed again. */
function rawOpen(factory: IDBFactory, name: string, version: number | undefined, upgrade: (db: IDBDatabase) => void = () => undefined): Promise<IDBDatabase> {
  return new Promise((resolve, reject) => {
    const r = version === undefined ? factory.open(name) : factory.open(name, version);
    r.onupgradeneeded = () => upgrade(r.result);
    r.onsuccess = () => resolve(r.result);
    r.onerror = () => reject(r.error);
  });
}

describe('the schema version list', () => {
  it('ends, from every listed version, with exactly the stores and indexes the code names', async () => {
    const fresh = await upgradedFrom(SCHEMA_VERSIONS, 0);
    expect(Object.keys(fresh).sort()).toEqual([...TABLES].sort());
    for (const table of TABLES) {
      const declared = Object.values((INDEX as Record<string, Record<string, string>>)[table] ?? {});
      expect(Object.keys(fresh[table]!.indexes).sort(), table).toEqual(declared.sort());
    }
    for (let from = 1; from <= SCHEMA_VERSIONS.length; from++) expect(await upgradedFrom(SCHEMA_VERSIONS, from), `from version ${from}`).toEqual(fresh);
  });

  it('upgrades step by step through an appended version to the same shape as a fresh database', async () => {
    const versions = [...SCHEMA_VERSIONS, SCHEMA_V2];
    const fresh = await upgradedFrom(versions, 0);
    expect(fresh['audit']?.indexes).toHaveProperty('at');
    expect(fresh['runs']?.indexes).toHaveProperty('workflow');
    for (let from = 1; from <= versions.length; from++) expect(await upgradedFrom(versions, from), `from version ${from}`).toEqual(fresh);
  });

  it('keeps nothing of an upgrade whose step fails, and leaves the database at its stored version', async () => {
    const { name, indexedDB: factory } = await freshStoreOptions();
    (await openDatabase(name, { factory })).close();
    const broken: SchemaVersion = {
      steps: [
        { op: 'createStore', store: 'extra', keyPath: 'id' },
        { op: 'deleteIndex', store: 'jobs', index: 'no-such-index' },
      ],
    };
    await expect(openDatabase(name, { factory, versions: [...SCHEMA_VERSIONS, broken] })).rejects.toMatchObject({ name: 'StoreError' });
    const db = await rawOpen(factory, name, undefined);
    expect(db.version).toBe(nativeVersion(DB_VERSION));
    expect([...db.objectStoreNames]).not.toContain('extra');
    db.close();
  });

  it('opens a database written by the earlier Dexie-based code at the version it holds, records kept, and upgrades it from there', async () => {
    const options = await freshStoreOptions();
    const { name, indexedDB: factory } = options;
    // What Dexie created from version 1's `stores()` strings: native version 10, two more indexes.
    const old = await rawOpen(factory, name, 10, (db) => {
      const jobs = db.createObjectStore('jobs', { keyPath: 'id' });
      for (const i of ['ready', 'due', 'leaseUntil', 'purgeAt', 'runId']) jobs.createIndex(i, i);
      jobs.createIndex('dedup', 'dedup', { unique: true });
      jobs.createIndex('[queue+state]', ['queue', 'state']);
      const runs = db.createObjectStore('runs', { keyPath: 'runId' });
      runs.createIndex('[state+updatedAt]', ['state', 'updatedAt']);
      runs.createIndex('updatedAt', 'updatedAt');
      runs.createIndex('expiresAt', 'expiresAt');
      db.createObjectStore('terminals', { keyPath: 'runId' }).createIndex('terminalAt', 'terminalAt');
      for (const [store, keyPath] of [['queues', 'name'], ['attempts', ['jobId', 'n']], ['kv', 'key'], ['memos', ['runId', 'step', 'key']], ['events', 'key'], ['history', ['runId', 'n']]] as const) {
        db.createObjectStore(store, { keyPath: keyPath as string | string[] });
      }
    });
    await new Promise<void>((resolve, reject) => {
      const tx = old.transaction(['kv'], 'readwrite');
      tx.objectStore('kv').put({ key: 'kept', value: 1 });
      tx.oncomplete = () => resolve();
      tx.onerror = () => reject(tx.error);
    });
    old.close();

    const store = await Store.open(options);
    onTestFinished(() => store.close());
    expect(await store.read((t) => t.get('kv', 'kept'))).toEqual({ key: 'kept', value: 1 });
    await store.write(async (t) => t.put('kv', { key: 'new', value: 2 }));
    expect(await store.read((t) => t.count('kv'))).toBe(2);
    store.close();
    const after = await rawOpen(factory, name, undefined);
    expect(after.version).toBe(nativeVersion(DB_VERSION));
    expect([...after.objectStoreNames].sort()).toEqual([...TABLES].sort());
    after.close();
  });
});
