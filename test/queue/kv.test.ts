import { describe, expect, it } from 'vitest';
import { freshQueue } from '../support/queue.ts';

describe('Queue.kv', () => {
  it('puts, gets and deletes a value', async () => {
    const { q } = await freshQueue();
    expect(await q.kv.get('config')).toBeUndefined();
    await q.kv.put('config', 'v1');
    expect(await q.kv.get('config')).toBe('v1');
    await q.kv.put('config', { nested: ['v2'] });
    expect(await q.kv.get('config')).toEqual({ nested: ['v2'] });
    await q.kv.delete('config');
    expect(await q.kv.get('config')).toBeUndefined();
    await q.kv.delete('config'); // deleting an absent key is fine
  });

  it('stores null as a value distinct from absence', async () => {
    const { q } = await freshQueue();
    await q.kv.put('k', null);
    expect(await q.kv.get('k')).toBeNull();
  });

  it('rejects a value over the size cap with PayloadTooLarge', async () => {
    const { q } = await freshQueue({ defaults: { maxPayloadBytes: 262_144 } });
    await q.kv.put('fits', 'x'.repeat(262_142));
    await expect(q.kv.put('big', 'x'.repeat(262_143))).rejects.toMatchObject({ name: 'PayloadTooLarge' });
    expect(await q.kv.get('big')).toBeUndefined();
  });

  it('keeps caller keys apart from jobs, even when they spell a job id', async () => {
    const { q } = await freshQueue();
    const { id } = await q.enqueue('work', 'job payload');
    await q.kv.put(id, 'caller value');
    expect((await q.claim('work'))?.job.payload).toBe('job payload');
    expect(await q.kv.get(id)).toBe('caller value');
  });

  it('compare-and-delete removes only a matching value', async () => {
    const { q } = await freshQueue();
    await q.kv.put('latch', 'v1');
    expect(await q.kv.compareDelete('latch', 'v2')).toBe(false);
    expect(await q.kv.get('latch')).toBe('v1');
    expect(await q.kv.compareDelete('latch', 'v1')).toBe(true);
    expect(await q.kv.get('latch')).toBeUndefined();
    expect(await q.kv.compareDelete('latch', 'v1')).toBe(false);
  });

  it('compare-and-put writes only over the expected value or absence', async () => {
    const { q } = await freshQueue({ defaults: { maxPayloadBytes: 100 } });
    expect(await q.kv.comparePut('slot', 'v1', 'v2')).toBe(false);
    expect(await q.kv.get('slot')).toBeUndefined();
    expect(await q.kv.comparePut('slot', undefined, 'v1')).toBe(true);
    expect(await q.kv.comparePut('slot', undefined, 'v2')).toBe(false);
    expect(await q.kv.get('slot')).toBe('v1');
    expect(await q.kv.comparePut('slot', 'v0', 'v2')).toBe(false);
    expect(await q.kv.comparePut('slot', 'v1', 'v2')).toBe(true);
    expect(await q.kv.get('slot')).toBe('v2');
    await expect(q.kv.comparePut('slot', 'v2', 'x'.repeat(200))).rejects.toMatchObject({ name: 'PayloadTooLarge' });
    expect(await q.kv.get('slot')).toBe('v2');
  });

  it('compares JSON values structurally, whatever their key order', async () => {
    const { q } = await freshQueue();
    await q.kv.put('obj', { a: 1, b: [1, { c: 2, d: 3 }] });
    expect(await q.kv.comparePut('obj', { b: [1, { d: 3, c: 2 }], a: 1 }, 'next')).toBe(true);
    await q.kv.put('obj', { a: 1 });
    expect(await q.kv.compareDelete('obj', { a: 1, b: null })).toBe(false);
    expect(await q.kv.compareDelete('obj', { a: 1 })).toBe(true);
  });

  it('loses no update under contention', async () => {
    const { q } = await freshQueue();
    await q.kv.put('counter', 0);
    const writer = async () => {
      for (let i = 0; i < 25; i++) {
        for (;;) {
          const cur = (await q.kv.get('counter')) as number;
          if (await q.kv.comparePut('counter', cur, cur + 1)) break;
        }
      }
    };
    await Promise.all([writer(), writer(), writer(), writer()]);
    expect(await q.kv.get('counter')).toBe(100);
  });
});

describe('Queue.kv.scan', () => {
  async function seeded() {
    const { q } = await freshQueue();
    for (let i = 0; i < 5; i++) await q.kv.put(`runs/${i}`, i);
    await q.kv.put('config', 'c');
    return q;
  }

  it('pages through a prefix in key order', async () => {
    const q = await seeded();
    const first = await q.kv.scan('runs/', { limit: 3 });
    expect(first.entries.map((e) => e.key)).toEqual(['runs/0', 'runs/1', 'runs/2']);
    expect(first.entries[0]).toEqual({ key: 'runs/0', value: 0 });
    expect(first.cursor).toBe('runs/2');
    const rest = await q.kv.scan('runs/', { after: first.cursor!, limit: 10 });
    expect(rest.entries.map((e) => e.key)).toEqual(['runs/3', 'runs/4']);
    expect(rest.cursor).toBeUndefined();
  });

  it('gives no cursor when a page ends exactly at the last key', async () => {
    const q = await seeded();
    const page = await q.kv.scan('runs/', { limit: 5 });
    expect(page.entries).toHaveLength(5);
    expect(page.cursor).toBeUndefined();
  });

  it('scans everything with an empty prefix, and nothing with limit 0', async () => {
    const q = await seeded();
    const all = await q.kv.scan('', { limit: 100 });
    expect(all.entries).toHaveLength(6);
    expect(all.entries[0]?.key).toBe('config');
    expect(await q.kv.scan('', { limit: 0 })).toEqual({ entries: [] });
  });

  it('returns nothing for a cursor from another prefix', async () => {
    const q = await seeded();
    const { cursor } = await q.kv.scan('runs/', { limit: 1 });
    expect(await q.kv.scan('other/', { after: cursor! })).toEqual({ entries: [] });
  });

  it('shows no queue internals', async () => {
    const { q } = await freshQueue();
    await q.enqueue('work', 1);
    await q.enqueue('work', 2, { delayMs: 1000 });
    await q.kv.put('only', true);
    expect((await q.kv.scan('')).entries).toEqual([{ key: 'only', value: true }]);
  });
});
