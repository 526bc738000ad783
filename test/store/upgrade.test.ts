/**
 * Schema upgrades by a newer release (O-19, O-20): the open store gives way to the upgrade and
 * says so; code older than the database refuses to open with `Outdated`.
 */
import Dexie from 'dexie';
import { describe, expect, it } from 'vitest';
import { DB_VERSION } from '../../src/store/db.ts';
import { Store } from '../../src/store/store.ts';
import { freshStoreOptions } from '../support/idb.ts';

/** A "newer release": the same database at the next version, with one more table. */
async function upgradeElsewhere(o: Awaited<ReturnType<typeof freshStoreOptions>>): Promise<Dexie> {
  const newer = new Dexie(o.name, { indexedDB: o.indexedDB, IDBKeyRange: o.IDBKeyRange });
  newer.version(DB_VERSION * 10 + 1).stores({ jobs: 'id', extra: 'id' });
  await newer.open();
  return newer;
}

describe('Store and schema upgrades', () => {
  it('gives way to a newer schema version, tells its owner, and rejects later calls with StoreClosed', async () => {
    const o = await freshStoreOptions();
    const store = await Store.open(o);
    let told = 0;
    store.onUpgradeElsewhere(() => told++);
    const newer = await upgradeElsewhere(o); // would block forever if the old connection stayed open
    expect(told).toBe(1);
    expect(store.isClosed).toBe(true);
    await expect(store.read((t) => t.count('jobs'))).rejects.toMatchObject({ name: 'StoreClosed' });
    newer.close();
  });

  it('refuses to open a database already upgraded by a newer release, with Outdated', async () => {
    const o = await freshStoreOptions();
    const newer = await upgradeElsewhere(o);
    newer.close();
    await expect(Store.open(o)).rejects.toMatchObject({ name: 'Outdated' });
  });
});
