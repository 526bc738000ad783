/**
 * A fresh queue on a fresh database with a `MockClock`, after taquba's
 * `fresh_queue_with_mock_clock`. `reopen` opens a second `Queue` on the same database (the same
 * name and factory), as a restarted process would. Every queue opened here is closed when the
 * test finishes (Chromium keeps real databases around otherwise).
 */
import { onTestFinished } from 'vitest';
import { MockClock } from '../../src/core/clock.ts';
import { openEngine, type EngineOptions } from '../../src/queue/engine.ts';
import { queueOver, type Queue } from '../../src/queue/queue.ts';
import { Store, type StoreOptions } from '../../src/store/store.ts';
import { freshStoreOptions } from './idb.ts';

export const T0 = 1_700_000_000_000;

/** No jitter and no backoff: retries are due at once and every delay is exact. */
export const NO_BACKOFF = { retry: { baseDelayMs: 0, jitter: 0 } } as const;

export interface TestQueue {
  q: Queue;
  clock: MockClock;
  storeOptions: StoreOptions;
  reopen(options?: EngineOptions): Promise<Queue>;
}

/**
 * `Queue.open`, with the hooks a runtime gives its engine available too (`onAutoDeadLetter`,
 * `onAutoRequeue`), so the queue's side of them is testable on its own.
 */
export async function freshQueue(options: EngineOptions = {}): Promise<TestQueue> {
  const clock = options.clock instanceof MockClock ? options.clock : new MockClock(T0);
  const storeOptions = await freshStoreOptions();
  const open = async (o: EngineOptions): Promise<Queue> => {
    const store = await Store.open(storeOptions);
    let q: Queue;
    try {
      q = queueOver(openEngine(store, { ...options, clock, ...o }));
    } catch (e) {
      store.close();
      throw e;
    }
    onTestFinished(() => q.close());
    return q;
  };
  return { q: await open({}), clock, storeOptions, reopen: (o = {}) => open(o) };
}
