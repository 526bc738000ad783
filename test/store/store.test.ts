import { describe, expect, it, onTestFinished } from 'vitest';
import { TABLES } from '../../src/store/db.ts';
import { Store } from '../../src/store/store.ts';
import { dump } from '../support/dump.ts';
import { freshStoreOptions, inBrowser } from '../support/idb.ts';

describe('Store.open', () => {
  it('creates every table of the schema', async () => {
    const s = await Store.open(await freshStoreOptions());
    onTestFinished(() => s.close());
    const d = await dump(s);
    expect(Object.keys(d).sort()).toEqual([...TABLES].sort());
    for (const t of TABLES) expect(d[t]).toEqual([]);
    expect(s.isClosed).toBe(false);
  });

  it('keeps what was written across a close and a reopen of the same database', async () => {
    const options = await freshStoreOptions();
    const a = await Store.open(options);
    await a.write(async (t) => t.put('kv', { key: 'k', value: 'v' }));
    a.close();
    const b = await Store.open(options);
    onTestFinished(() => b.close());
    expect(await b.read((t) => t.get('kv', 'k'))).toEqual({ key: 'k', value: 'v' });
  });

  it.each([
    ['an empty name', ''],
    ['a name over 255 characters', 'x'.repeat(256)],
    ['a non-string name', 42],
  ])('rejects %s with InvalidArgument', async (_, name) => {
    const options = await freshStoreOptions();
    await expect(Store.open({ ...options, name: name as string })).rejects.toMatchObject({ name: 'InvalidArgument' });
  });

  it.skipIf(inBrowser)('rejects with a StoreError where no IndexedDB exists and none is given', async () => {
    await expect(Store.open({ name: 'x' })).rejects.toMatchObject({ name: 'StoreError' });
  });
});

describe('Store.close', () => {
  it('makes later reads and writes fail StoreClosed', async () => {
    const s = await Store.open(await freshStoreOptions());
    s.close();
    expect(s.isClosed).toBe(true);
    await expect(s.write(async () => 1)).rejects.toMatchObject({ name: 'StoreClosed' });
    await expect(s.read(async () => 1)).rejects.toMatchObject({ name: 'StoreClosed' });
  });

  it('lets a transaction already started finish and fails the writes still queued behind it', async () => {
    const options = await freshStoreOptions();
    const s = await Store.open(options);
    const running = s.write(async (t) => {
      t.put('kv', { key: 'running', value: 1 });
      await t.get('kv', 'running');
      t.put('kv', { key: 'running2', value: 2 });
    });
    const queued = s.write(async (t) => t.put('kv', { key: 'queued', value: 1 }));
    s.close();
    await expect(running).resolves.toBeUndefined();
    const err = await queued.catch((e: unknown) => e);
    expect(err).toMatchObject({ name: 'StoreClosed' });
    const again = await Store.open(options);
    onTestFinished(() => again.close());
    expect((await dump(again)).kv).toEqual([
      { key: 'running', value: 1 },
      { key: 'running2', value: 2 },
    ]);
  });
});
