/**
 * Stepwise's internals that tests reach past the public surface: the queue engine under a
 * `Queue` or a `Runtime` (raw transactions, the store), to arrange or read records directly.
 */
import { engineOf, type QueueTarget } from '../../src/inspect/queue.ts';
import type { Store } from '../../src/store/store.ts';

export { engineOf };

/** The store under a queue or a runtime. */
export function storeOf(target: QueueTarget): Store {
  return engineOf(target).store;
}
