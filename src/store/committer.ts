/**
 * Group commit for read-write transactions.
 *
 * IndexedDB serialises read-write transactions over the same tables anyway, and a commit costs
 * far more than the requests inside it (docs/platform.md: ~0.5 ms per single-put commit, ~10k
 * records/s at 100 puts per transaction). So writes are queued here: the first one starts a
 * transaction at once (no added latency for a single lane); writes that arrive while it runs
 * are merged into the next transaction, each body run in turn inside it.
 *
 * Invariants:
 * - Bodies of one batch run strictly one after another (never interleaved), so each sees the
 *   writes of the bodies before it, exactly as if each had its own transaction in that order.
 * - A batch is all-or-nothing. If any body throws or the batch aborts, the batch is retried
 *   body by body, each in its own transaction, so one failing write (a `ClaimLost`, a
 *   duplicate id) never fails the others. Bodies must therefore be pure functions of the
 *   database state: running one again after an abort is safe.
 * - Except when a body broke the transaction rule (tx.ts) and the batch committed up to it:
 *   the bodies before it were applied and resolve, it fails (or, if it did not fail, resolves),
 *   the bodies after it run in their own transactions, and nothing is run twice.
 * - A batch is `strict` when any body asked for strict durability.
 *
 * Why the runtime batches settlements again on top of this (runtime/settle-batcher.ts): bodies
 * here are opaque and run one after another, so each body's reads wait for the body before it
 * to finish. Settlements are one known shape: the settle batcher builds ONE body from many of
 * them that issues all their reads in a single wave before any write (one run per batch), which
 * no generic committer can do. That body then goes through this committer like any other write,
 * sharing its commit with unrelated writes (memos, progress) that arrive meanwhile.
 */
import { TABLES } from './db.ts';
import { isCommittedHalfway, runTransaction, type Durability, type TxBody } from './tx.ts';

interface Pending {
  body: TxBody<unknown>;
  strict: boolean;
  resolve: (v: unknown) => void;
  reject: (e: unknown) => void;
}

/** Upper bound on bodies per transaction: keeps one batch's latency bounded. */
const MAX_BATCH = 64;

export class Committer {
  #db: IDBDatabase;
  #keyRange: typeof IDBKeyRange;
  #durability: Durability;
  #queue: Pending[] = [];
  #draining = false;

  constructor(db: IDBDatabase, keyRange: typeof IDBKeyRange, durability: Durability) {
    this.#db = db;
    this.#keyRange = keyRange;
    this.#durability = durability;
  }

  write<T>(body: TxBody<T>, strict = false): Promise<T> {
    return new Promise<T>((resolve, reject) => {
      this.#queue.push({ body, strict, resolve: resolve as (v: unknown) => void, reject });
      if (!this.#draining) void this.#drain();
    });
  }

  async #drain(): Promise<void> {
    this.#draining = true;
    try {
      while (this.#queue.length > 0) {
        const batch = this.#queue.splice(0, MAX_BATCH);
        if (batch.length === 1) {
          await this.#runAlone(batch[0]!);
          continue;
        }
        const results: unknown[] = [];
        try {
          await this.#run(batch.some((p) => p.strict), async (t) => {
            // A body that awaited foreign work without failing let the transaction commit
            // under it: stop there, and give the bodies after it their own transactions below.
            let finished = false;
            t.raw.addEventListener('complete', () => (finished = true));
            for (const p of batch) {
              if (finished) return;
              results.push(await p.body(t));
            }
          });
        } catch (e) {
          if (isCommittedHalfway(e)) {
            // A body broke the transaction rule and the batch committed up to it: the bodies
            // before it are applied (re-running them would apply them twice), it fails, and
            // only the bodies after it still need a transaction.
            batch.slice(0, results.length).forEach((p, i) => p.resolve(results[i]));
            batch[results.length]?.reject(e);
            for (const p of batch.slice(results.length + 1)) await this.#runAlone(p);
          } else {
            for (const p of batch) await this.#runAlone(p);
          }
          continue;
        }
        batch.slice(0, results.length).forEach((p, i) => p.resolve(results[i]));
        for (const p of batch.slice(results.length)) await this.#runAlone(p);
      }
    } finally {
      this.#draining = false;
    }
  }

  async #runAlone(p: Pending): Promise<void> {
    try {
      p.resolve(await this.#run(p.strict, p.body));
    } catch (e) {
      p.reject(e);
    }
  }

  #run<T>(strict: boolean, body: TxBody<T>): Promise<T> {
    return runTransaction(this.#db, this.#keyRange, TABLES, 'readwrite', strict ? 'strict' : this.#durability, body);
  }
}
