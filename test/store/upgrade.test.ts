/**
 * How a store's connection ends or fails to start: a newer release upgrading the schema (the
 * open store gives way and says so), code older than the database (`Outdated`), the browser
 * closing the connection, and Chromium's transient `UnknownError` on open.
 */
import { describe, expect, it, onTestFinished } from 'vitest';
import { DB_VERSION, SCHEMA_VERSIONS, type SchemaVersion } from '../../src/store/db.ts';
import { openDatabase } from '../../src/store/open.ts';
import { Store } from '../../src/store/store.ts';
import { freshStoreOptions } from '../support/idb.ts';

type Options = Awaited<ReturnType<typeof freshStoreOptions>>;

/** A newer release's schema: one more version, with one more table. */
const NEWER: readonly SchemaVersion[] = [...SCHEMA_VERSIONS, { steps: [{ op: 'createStore', store: 'extra', keyPath: 'id' }] }];

/** A "newer release" opens the same database at the next version. */
function upgradeElsewhere(o: Options): Promise<IDBDatabase> {
  return openDatabase(o.name, { factory: o.indexedDB, versions: NEWER });
}

/**
 * The factory of `o`, with a hook on `open`: `fail(n)` makes the next n opens fail with
 * `UnknownError`; `opened` is the last connection a successful open gave.
 */
function instrumented(o: Options) {
  const state = { failing: 0, attempts: 0, opened: undefined as IDBDatabase | undefined };
  const real = o.indexedDB;
  const factory = {
    open(name: string, version?: number): IDBOpenDBRequest {
      state.attempts++;
      if (state.failing > 0) {
        state.failing--;
        const r = { error: new DOMException('Internal error opening backing store', 'UnknownError') } as unknown as IDBOpenDBRequest;
        setTimeout(() => r.onerror?.call(r, new Event('error')), 0);
        return r;
      }
      const r = real.open(name, version);
      r.addEventListener('success', () => (state.opened = r.result));
      return r;
    },
    deleteDatabase: (name: string) => real.deleteDatabase(name),
    databases: () => real.databases(),
    cmp: (a: unknown, b: unknown) => real.cmp(a, b),
  } as IDBFactory;
  return { state, options: { ...o, indexedDB: factory } };
}

describe('Store and schema upgrades', () => {
  it('gives way to a newer schema version, tells its owner, and rejects later calls with StoreClosed', async () => {
    const o = await freshStoreOptions();
    const store = await Store.open(o);
    let told = 0;
    store.onUpgradeElsewhere(() => told++);
    const newer = await upgradeElsewhere(o); // would block forever if the old connection stayed open
    onTestFinished(() => newer.close());
    expect(told).toBe(1);
    expect(store.isClosed).toBe(true);
    await expect(store.read((t) => t.count('jobs'))).rejects.toMatchObject({ name: 'StoreClosed' });
    await expect(store.write(async (t) => t.put('kv', { key: 'k', value: 1 }))).rejects.toMatchObject({ name: 'StoreClosed' });
  });

  it('refuses to open a database already upgraded by a newer release, with Outdated naming both versions', async () => {
    const o = await freshStoreOptions();
    (await upgradeElsewhere(o)).close();
    await expect(Store.open(o)).rejects.toMatchObject({ name: 'Outdated', details: { found: DB_VERSION + 1, supported: DB_VERSION } });
  });

  it('marks the store closed when the browser closes its connection, without telling the owner of an upgrade', async () => {
    const { state, options } = instrumented(await freshStoreOptions());
    const store = await Store.open(options);
    let told = 0;
    store.onUpgradeElsewhere(() => told++);
    const db = state.opened!;
    // What the browser does when it closes a connection (storage cleared, disk failure).
    db.close();
    db.onclose?.call(db, new Event('close'));
    expect(store.isClosed).toBe(true);
    expect(told).toBe(0);
    await expect(store.read((t) => t.count('jobs'))).rejects.toMatchObject({ name: 'StoreClosed' });
  });

  it('retries an open that fails with UnknownError, a bounded number of times', async () => {
    const o = await freshStoreOptions();
    const twice = instrumented(o);
    twice.state.failing = 2;
    const store = await Store.open(twice.options);
    onTestFinished(() => store.close());
    expect(twice.state.attempts).toBe(3);

    const always = instrumented(o);
    always.state.failing = Infinity;
    await expect(Store.open(always.options)).rejects.toMatchObject({ name: 'StoreError', details: { cause: 'UnknownError' } });
    expect(always.state.attempts).toBe(4);
  });
});
