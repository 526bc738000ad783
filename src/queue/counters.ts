/**
 * The per-queue `done` counters of one transaction. Each counter is read once per transaction,
 * as early as possible (beside the fence of the first settlement that will bump it, so the read
 * costs no round trip of its own), and every ack in the transaction adds to what it read.
 *
 * Invariant: every bump of a queue's counter within the transaction goes through the same
 * instance; otherwise two acks that read the counter before either wrote it would lose one.
 */
import type { QueueRecord } from '../store/db.ts';
import type { Tx } from '../store/tx.ts';

export class DoneCounters {
  readonly #t: Tx;
  readonly #read = new Map<string, { record: Promise<QueueRecord | undefined>; added: number }>();

  constructor(t: Tx) {
    this.#t = t;
  }

  /** Issues the read of `queue`'s counter now, if not issued yet in this transaction. */
  prefetch(queue: string): void {
    if (this.#read.has(queue)) return;
    const record = this.#t.get<QueueRecord>('queues', queue);
    // Unused when the settlement that asked fails first (its transaction aborts anyway).
    record.catch(() => undefined);
    this.#read.set(queue, { record, added: 0 });
  }

  /** Counts one more finished job of `queue`. */
  async bump(queue: string): Promise<void> {
    this.prefetch(queue);
    const c = this.#read.get(queue)!;
    const base = await c.record;
    c.added++;
    this.#t.put('queues', { name: queue, done: (base?.done ?? 0) + c.added } satisfies QueueRecord);
  }
}
