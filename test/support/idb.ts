/**
 * A fresh, isolated IndexedDB for each test: fake-indexeddb (a new factory per call) in Node,
 * the real one under a unique database name in Chromium.
 */
import type { StoreOptions } from '../../src/store/store.ts';

let counter = 0;

export async function freshStoreOptions(): Promise<Required<Pick<StoreOptions, 'name' | 'indexedDB' | 'IDBKeyRange'>>> {
  const name = `test-${Date.now()}-${counter++}-${Math.random().toString(36).slice(2)}`;
  if (typeof window !== 'undefined' && globalThis.indexedDB) {
    return { name, indexedDB: globalThis.indexedDB, IDBKeyRange: globalThis.IDBKeyRange };
  }
  const fake = await import('fake-indexeddb');
  return { name, indexedDB: new fake.IDBFactory(), IDBKeyRange: fake.IDBKeyRange };
}

/** True when the suite runs in a real browser. */
export const inBrowser = typeof window !== 'undefined';
