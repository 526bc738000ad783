/**
 * Group commit: writes issued while a transaction runs share the next one, run in order, and
 * one failing body never fails the others.
 */
import { describe, expect, it, onTestFinished } from 'vitest';
import { MockClock } from '../../src/core/clock.ts';
import { WorkflowError } from '../../src/core/errors.ts';
import { Queue } from '../../src/queue/queue.ts';
import type { KvRecord } from '../../src/store/db.ts';
import { Store } from '../../src/store/store.ts';
import type { Tx } from '../../src/store/tx.ts';
import { dump } from '../support/dump.ts';
import { freshStoreOptions } from '../support/idb.ts';
import { getJob, stats } from '../../src/inspect.ts';

async function freshStore(): Promise<Store> {
  const s = await Store.open(await freshStoreOptions());
  onTestFinished(() => s.close());
  return s;
}

async function increment(t: Tx, key: string): Promise<number> {
  const cur = await t.get<KvRecord>('kv', key);
  const next = ((cur?.value as number | undefined) ?? 0) + 1;
  t.put('kv', { key, value: next });
  return next;
}

async function kv(s: Store): Promise<Record<string, unknown>> {
  return Object.fromEntries(((await dump(s)).kv as KvRecord[]).map((r) => [r.key, r.value]));
}

describe('Store.write (group commit)', () => {
  it('runs the first write at once and merges the writes that arrive meanwhile into the next transaction', async () => {
    const s = await freshStore();
    const txs: IDBTransaction[] = [];
    const writes = Array.from({ length: 5 }, (_, i) =>
      s.write(async (t) => {
        txs.push(t.raw);
        t.put('kv', { key: `k${i}`, value: i });
        return i;
      }),
    );
    expect(await Promise.all(writes)).toEqual([0, 1, 2, 3, 4]);
    expect(txs).toHaveLength(5);
    expect(new Set(txs).size).toBe(2);
    expect(txs[1]).not.toBe(txs[0]);
    expect(new Set(txs.slice(1)).size).toBe(1);
    expect(await kv(s)).toEqual({ k0: 0, k1: 1, k2: 2, k3: 3, k4: 4 });
  });

  it('runs the bodies of one batch one after another, each seeing the writes before it', async () => {
    const s = await freshStore();
    const results = await Promise.all(Array.from({ length: 10 }, () => s.write((t) => increment(t, 'n'))));
    expect(results).toEqual([1, 2, 3, 4, 5, 6, 7, 8, 9, 10]);
    expect(await kv(s)).toEqual({ n: 10 });
  });

  it('caps a batch at 64 bodies', async () => {
    const s = await freshStore();
    const txs: IDBTransaction[] = [];
    await Promise.all(Array.from({ length: 130 }, () => s.write(async (t) => void txs.push(t.raw))));
    // 1 alone, then 64, 64 and 1.
    const sizes = [...new Set(txs)].map((raw) => txs.filter((x) => x === raw).length);
    expect(sizes).toEqual([1, 64, 64, 1]);
  });

  it('commits a batch strictly when any of its bodies asked for strict durability', async () => {
    const s = await freshStore();
    const first = s.write(async (t) => t.raw.durability);
    const relaxed = s.write(async (t) => t.raw.durability);
    const strict = s.write(async (t) => t.raw.durability, { strict: true });
    expect(await first).toBe('relaxed');
    expect(await relaxed).toBe('strict');
    expect(await strict).toBe('strict');
  });

  it('fails only the body that throws; the others of its batch commit once each', async () => {
    const s = await freshStore();
    const calls = { a: 0, c: 0 };
    const first = s.write(async (t) => t.put('kv', { key: 'first', value: 1 }));
    const a = s.write(async (t) => {
      calls.a++;
      return increment(t, 'a');
    });
    const b = s.write(async (t) => {
      t.put('kv', { key: 'b', value: 'never' });
      throw new WorkflowError('ClaimLost', 'lost');
    });
    const c = s.write(async (t) => {
      calls.c++;
      return increment(t, 'c');
    });
    const settled = await Promise.allSettled([first, a, b, c]);
    expect(settled.map((r) => r.status)).toEqual(['fulfilled', 'fulfilled', 'rejected', 'fulfilled']);
    expect((settled[2] as PromiseRejectedResult).reason).toMatchObject({ name: 'ClaimLost' });
    expect(await a).toBe(1);
    expect(await c).toBe(1);
    // The batch stopped at b and was aborted; then each body ran alone. a ran twice (pure
    // bodies make that safe), c, never reached in the batch, once.
    expect(calls).toEqual({ a: 2, c: 1 });
    expect(await kv(s)).toEqual({ first: 1, a: 1, c: 1 });
  });

  it('rejects only the duplicate of concurrent enqueues with the same id', async () => {
    const clock = new MockClock();
    const q = await Queue.open({ ...(await freshStoreOptions()), clock });
    onTestFinished(() => q.close());
    const settled = await Promise.allSettled([
      q.enqueue('work', 'first', { id: 'dup' }),
      q.enqueue('work', 'other'),
      q.enqueue('work', 'second', { id: 'dup' }),
      q.enqueue('work', 'third'),
    ]);
    expect(settled.map((r) => r.status)).toEqual(['fulfilled', 'fulfilled', 'rejected', 'fulfilled']);
    expect((settled[2] as PromiseRejectedResult).reason).toMatchObject({ name: 'DuplicateJobId' });
    expect((await getJob(q, 'dup'))?.payload).toBe('first');
    expect((await stats(q, 'work')).pending).toBe(3);
  });

  it('does not run again the bodies a half-committed batch already applied', async () => {
    const s = await freshStore();
    const first = s.write(async (t) => t.put('kv', { key: 'first', value: 1 }));
    const a = s.write((t) => increment(t, 'n'));
    const bad = s.write(async (t) => {
      t.put('kv', { key: 'bad-before', value: 1 });
      await new Promise((r) => setTimeout(r, 20)); // breaks the transaction rule
      t.put('kv', { key: 'bad-after', value: 1 });
    });
    const c = s.write((t) => increment(t, 'm'));
    const settled = await Promise.allSettled([first, a, bad, c]);
    expect(settled.map((r) => r.status)).toEqual(['fulfilled', 'fulfilled', 'rejected', 'fulfilled']);
    expect((settled[2] as PromiseRejectedResult).reason).toMatchObject({ name: 'StoreError', details: { committed: true } });
    expect(await a).toBe(1);
    expect(await c).toBe(1);
    expect(await kv(s)).toEqual({ first: 1, n: 1, 'bad-before': 1, m: 1 });
  });

  it('gives the bodies after one that awaited foreign work without failing their own transaction', async () => {
    const s = await freshStore();
    const first = s.write(async (t) => t.put('kv', { key: 'first', value: 1 }));
    const a = s.write((t) => increment(t, 'n'));
    const quiet = s.write(async (t) => {
      t.put('kv', { key: 'quiet', value: 1 });
      await new Promise((r) => setTimeout(r, 20)); // the batch commits here
      return 'quiet';
    });
    const c = s.write((t) => increment(t, 'm'));
    expect(await Promise.all([first, a, quiet, c])).toEqual([undefined, 1, 'quiet', 1]);
    expect(await kv(s)).toEqual({ first: 1, n: 1, quiet: 1, m: 1 });
  });

  it('keeps working after a failed batch', async () => {
    const s = await freshStore();
    await Promise.allSettled([
      s.write(async () => undefined),
      s.write(async () => {
        throw new Error('x');
      }),
      s.write(async () => {
        throw new Error('y');
      }),
    ]);
    expect(await s.write((t) => increment(t, 'n'))).toBe(1);
  });
});
