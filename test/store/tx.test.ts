/**
 * One transaction: all of its writes commit, or none do — except when a body breaks the rule
 * of store/tx.ts and awaits foreign work, which is detected (never silently accepted).
 * Each write here is the only one in flight, so the committer runs it alone.
 */
import { describe, expect, it, onTestFinished } from 'vitest';
import { WorkflowError } from '../../src/core/errors.ts';
import type { KvRecord } from '../../src/store/db.ts';
import { Store } from '../../src/store/store.ts';
import { dump } from '../support/dump.ts';
import { freshStoreOptions } from '../support/idb.ts';

async function freshStore(): Promise<Store> {
  const s = await Store.open(await freshStoreOptions());
  onTestFinished(() => s.close());
  return s;
}

const timer = (ms: number) => new Promise((r) => setTimeout(r, ms));

async function kvKeys(s: Store): Promise<string[]> {
  return ((await dump(s)).kv as KvRecord[]).map((r) => r.key);
}

describe('Store.write (one transaction)', () => {
  it('commits every write of a body and resolves with its result', async () => {
    const s = await freshStore();
    const out = await s.write(async (t) => {
      t.put('kv', { key: 'a', value: 1 });
      t.put('kv', { key: 'b', value: { nested: [1, 'x'] } });
      return 'result';
    });
    expect(out).toBe('result');
    expect(await s.read((t) => t.getAll('kv', undefined))).toEqual([
      { key: 'a', value: 1 },
      { key: 'b', value: { nested: [1, 'x'] } },
    ]);
  });

  it('writes nothing when the body throws, and rejects with the body’s own error', async () => {
    const s = await freshStore();
    await s.write(async (t) => t.put('kv', { key: 'kept', value: 0 }));
    const before = await dump(s);
    const boom = new WorkflowError('ClaimLost', 'lost');
    await expect(
      s.write(async (t) => {
        t.put('kv', { key: 'a', value: 1 });
        t.delete('kv', 'kept');
        await t.get('kv', 'a');
        throw boom;
      }),
    ).rejects.toBe(boom);
    expect(await dump(s)).toEqual(before);
  });

  it('passes a non-storage exception of the body through unchanged', async () => {
    const s = await freshStore();
    const bug = new TypeError('a bug in the body');
    await expect(
      s.write(async (t) => {
        t.put('kv', { key: 'a', value: 1 });
        throw bug;
      }),
    ).rejects.toBe(bug);
    expect(await kvKeys(s)).toEqual([]);
  });

  it('turns a synchronous IndexedDB exception of a write into a StoreError and writes nothing', async () => {
    const s = await freshStore();
    const err = await s
      .write(async (t) => {
        t.put('kv', { key: 'a', value: 1 });
        t.put('kv', { key: { not: 'a valid key' }, value: 1 }); // DataError, thrown by put()
      })
      .catch((e: unknown) => e);
    expect(err).toMatchObject({ name: 'StoreError', details: { cause: 'DataError' } });
    expect(await kvKeys(s)).toEqual([]);
  });

  it('rejects with a StoreError and writes nothing when a fire-and-forget write fails after the body returned', async () => {
    const s = await freshStore();
    // Two jobs with the same key in the unique `dedup` index: the second put fails
    // asynchronously (ConstraintError) and aborts the transaction.
    const err = await s
      .write(async (t) => {
        t.put('kv', { key: 'a', value: 1 });
        t.put('jobs', { id: 'j1', dedup: ['q', 'k'] });
        t.put('jobs', { id: 'j2', dedup: ['q', 'k'] });
        return 'returned';
      })
      .catch((e: unknown) => e);
    expect(err).toMatchObject({ name: 'StoreError', details: { cause: 'ConstraintError' } });
    const d = await dump(s);
    expect(d.kv).toEqual([]);
    expect(d.jobs).toEqual([]);
  });

  it('keeps the transaction open across awaits of its own requests and of resolved promises', async () => {
    const s = await freshStore();
    await s.write(async (t) => {
      t.put('kv', { key: 'a', value: 1 });
      const a = await t.get<KvRecord>('kv', 'a');
      await Promise.resolve();
      await null;
      t.put('kv', { key: 'b', value: (a?.value as number) + 1 });
    });
    expect(await s.read((t) => t.get('kv', 'b'))).toEqual({ key: 'b', value: 2 });
  });

  it('fails a body that awaits a timer and then makes a request with a StoreError marked committed', async () => {
    const s = await freshStore();
    const err = await s
      .write(async (t) => {
        t.put('kv', { key: 'before', value: 1 });
        await timer(20);
        t.put('kv', { key: 'after', value: 2 });
      })
      .catch((e: unknown) => e);
    expect(err).toMatchObject({ name: 'StoreError', details: { committed: true } });
    expect((err as WorkflowError).isPermanent()).toBe(false);
    // The real behaviour: IndexedDB committed the transaction while the body waited, so the
    // write issued before the await is kept and the one after it never happened.
    expect(await kvKeys(s)).toEqual(['before']);
  });

  it('does not report “nothing applied” for a body that threw its own error after its transaction committed', async () => {
    const s = await freshStore();
    const err = await s
      .write(async (t) => {
        t.put('kv', { key: 'before', value: 1 });
        await timer(20);
        throw new WorkflowError('ClaimLost', 'lost'); // would claim nothing was applied
      })
      .catch((e: unknown) => e);
    expect(err).toMatchObject({ name: 'StoreError', details: { committed: true, cause: 'ClaimLost' } });
    expect(await kvKeys(s)).toEqual(['before']);
  });

  it('uses relaxed durability for ordinary writes and strict when asked', async () => {
    const s = await freshStore();
    expect(await s.write(async (t) => t.raw.durability)).toBe('relaxed');
    expect(await s.write(async (t) => t.raw.durability, { strict: true })).toBe('strict');
  });

  it('applies the store-wide durability option to ordinary writes', async () => {
    const s = await Store.open({ ...(await freshStoreOptions()), durability: 'strict' });
    onTestFinished(() => s.close());
    expect(await s.write(async (t) => t.raw.durability)).toBe('strict');
  });
});

describe('Store.read', () => {
  it('sees committed writes', async () => {
    const s = await freshStore();
    await s.write(async (t) => t.put('kv', { key: 'a', value: 'v' }));
    expect(await s.read((t) => t.get('kv', 'a'), ['kv'])).toEqual({ key: 'a', value: 'v' });
  });

  it('rejects a write inside a read-only transaction with a StoreError', async () => {
    const s = await freshStore();
    const err = await s.read(async (t) => t.put('kv', { key: 'a', value: 1 })).catch((e: unknown) => e);
    expect(err).toMatchObject({ name: 'StoreError', details: { cause: 'ReadOnlyError' } });
    expect(await kvKeys(s)).toEqual([]);
  });

  it('rejects access to a table outside its scope with a StoreError', async () => {
    const s = await freshStore();
    const err = await s.read((t) => t.get('jobs', 'x'), ['kv']).catch((e: unknown) => e);
    expect(err).toMatchObject({ name: 'StoreError', details: { cause: 'NotFoundError' } });
  });
});

describe('Tx', () => {
  async function seeded(): Promise<Store> {
    const s = await freshStore();
    await s.write(async (t) => {
      for (const key of ['a', 'b', 'c', 'd', 'e']) t.put('kv', { key, value: key.toUpperCase() });
      t.put('jobs', { id: 'j1', queue: 'q', state: 'pending', ready: ['q', 1000, 5] });
      t.put('jobs', { id: 'j2', queue: 'q', state: 'pending', ready: ['q', 100, 9] });
      t.put('jobs', { id: 'j3', queue: 'q', state: 'dead' });
    });
    return s;
  }

  it('reads through an index, counts and lists with ranges and limits', async () => {
    const s = await seeded();
    await s.read(async (t) => {
      expect(await t.getBy('jobs', 'ready', t.keyRange.bound(['q'], ['q', []]))).toMatchObject({ id: 'j2' });
      expect(await t.count('jobs')).toBe(3);
      expect(await t.count('jobs', 'ready')).toBe(2); // a sparse index leaves j3 out
      expect(await t.count('jobs', '[queue+state]', ['q', 'dead'])).toBe(1);
      expect(await t.getAllKeys('kv', undefined, t.keyRange.bound('b', 'd'))).toEqual(['b', 'c', 'd']);
      expect((await t.getAll<KvRecord>('kv', undefined, undefined, 2)).map((r) => r.key)).toEqual(['a', 'b']);
    });
  });

  it('returns the first record in either direction, or undefined for an empty range', async () => {
    const s = await seeded();
    await s.read(async (t) => {
      expect(await t.first('kv', undefined)).toEqual({ key: 'a', value: 'A' });
      expect(await t.first('kv', undefined, undefined, 'prev')).toEqual({ key: 'e', value: 'E' });
      expect(await t.first('kv', undefined, t.keyRange.lowerBound('x'))).toBeUndefined();
    });
  });

  it('visits records in order until the visitor returns false or the limit is reached', async () => {
    const s = await seeded();
    await s.read(async (t) => {
      const seen: string[] = [];
      expect(await t.each<KvRecord>('kv', undefined, undefined, (r) => void seen.push(r.key))).toBe(5);
      expect(seen).toEqual(['a', 'b', 'c', 'd', 'e']);
      const stopped: string[] = [];
      await t.each<KvRecord>('kv', undefined, undefined, (r) => (stopped.push(r.key), r.key !== 'b'));
      expect(stopped).toEqual(['a', 'b']);
      const limited: string[] = [];
      expect(await t.each<KvRecord>('kv', undefined, undefined, (r) => void limited.push(r.key), { direction: 'prev', limit: 2 })).toBe(2);
      expect(limited).toEqual(['e', 'd']);
      expect(await t.each('kv', undefined, undefined, () => undefined, { limit: 0 })).toBe(0);
    });
  });

  it('rejects when a visitor throws', async () => {
    const s = await seeded();
    const bug = new Error('visitor bug');
    await expect(
      s.read((t) =>
        t.each('kv', undefined, undefined, () => {
          throw bug;
        }),
      ),
    ).rejects.toBe(bug);
  });

  it('deletes a key range', async () => {
    const s = await seeded();
    await s.write(async (t) => t.delete('kv', t.keyRange.bound('b', 'd')));
    expect(await kvKeys(s)).toEqual(['a', 'e']);
  });
});
