/**
 * A fresh queue on a fresh database with a `MockClock`, after taquba's
 * `fresh_queue_with_mock_clock`. `reopen` opens a second `Queue` on the same database (the same
 * name and factory), as a restarted process would. Every queue opened here is closed when the
 * test finishes (Chromium keeps real databases around otherwise).
 */
import { onTestFinished } from 'vitest';
import { MockClock } from '../../src/core/clock.ts';
import { Queue, type QueueOptions } from '../../src/queue/queue.ts';
import type { StoreOptions } from '../../src/store/store.ts';
import { freshStoreOptions } from './idb.ts';

export const T0 = 1_700_000_000_000;

/** No jitter and no backoff: retries are due at once and every delay is exact. */
export const NO_BACKOFF = { retry: { baseDelayMs: 0, jitter: 0 } } as const;

export interface TestQueue {
  q: Queue;
  clock: MockClock;
  storeOptions: StoreOptions;
  reopen(options?: QueueOptions): Promise<Queue>;
}

export async function freshQueue(options: QueueOptions = {}): Promise<TestQueue> {
  const clock = options.clock instanceof MockClock ? options.clock : new MockClock(T0);
  const storeOptions = await freshStoreOptions();
  const open = async (o: QueueOptions): Promise<Queue> => {
    const q = await Queue.open({ ...storeOptions, ...options, clock, ...o });
    onTestFinished(() => q.close());
    return q;
  };
  return { q: await open({}), clock, storeOptions, reopen: (o = {}) => open(o) };
}
