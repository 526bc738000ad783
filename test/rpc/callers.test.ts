/**
 * The worker learns that a page's client is gone from its caller lock (src/host/callers.ts):
 * one queued request per client, granted when the client's page dies, withdrawn when its last
 * wait ends; a name that is not a caller lock of this database is refused.
 */
import { describe, expect, it } from 'vitest';
import { Callers } from '../../src/host/callers.ts';
import { holdForever } from '../../src/host/locks.ts';
import { names } from '../../src/rpc/protocol.ts';
import { FakeLocks } from './fake-locks.ts';

const lock = names.callerLock('app', '0123456789abcdef01234567');

describe('callers', () => {
  it('aborts every wait of a client once its page is gone, with one queued request for all of them', async () => {
    const locks = new FakeLocks();
    await holdForever(locks.client('page'), lock);
    const callers = new Callers(locks.client('worker'), 'app');
    const a = callers.use(lock);
    const b = callers.use(lock);
    await Promise.resolve();
    expect((await locks.snapshot()).pending!.filter((l) => l.name === lock)).toHaveLength(1);
    expect(a.signal!.aborted).toBe(false);
    locks.kill('page');
    await new Promise((r) => setTimeout(r, 0));
    expect(a.signal!.aborted && b.signal!.aborted).toBe(true);
    expect(callers.size).toBe(0);
  });

  it('withdraws its request once the client\u2019s last wait ended', async () => {
    const locks = new FakeLocks();
    await holdForever(locks.client('page'), lock);
    const callers = new Callers(locks.client('worker'), 'app');
    const a = callers.use(lock);
    const b = callers.use(lock);
    a.done();
    expect((await locks.snapshot()).pending).toHaveLength(1);
    b.done();
    await new Promise((r) => setTimeout(r, 0));
    expect((await locks.snapshot()).pending).toEqual([]);
    expect(callers.size).toBe(0);
  });

  it('refuses a name that is not a caller lock of this database, and queues on nothing', async () => {
    const locks = new FakeLocks();
    const callers = new Callers(locks.client('worker'), 'app');
    for (const bad of [names.executorLock('app'), names.callerLock('other', '0123456789abcdef01234567'), `${lock}x`, 42]) {
      expect(() => callers.use(bad)).toThrow(expect.objectContaining({ name: 'InvalidArgument' }));
    }
    expect(callers.use(undefined).signal).toBeUndefined();
    expect((await locks.snapshot()).pending).toEqual([]);
  });
});
