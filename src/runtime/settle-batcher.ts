/**
 * Gathers the settlements that arrive while a batch is being committed into the next batch, so
 * concurrent steps share one settlement transaction and its single read wave (settlement.ts:
 * `settleSteps`). Like the store's committer, the first settlement starts at once: one lane
 * waits for nothing.
 *
 * Invariants:
 * - A batch holds at most one settlement per run (each run record is read once per batch,
 *   before any item writes); a second one of the same run waits for the next batch.
 * - A batch that fails as a whole (storage trouble, a bug in one item) is retried item by item,
 *   each in its own transaction, so one bad settlement never fails the others. Except when the
 *   batch committed halfway (tx.ts): then nothing is run again.
 */
import { isCommittedHalfway } from '../store/tx.ts';
import type { RuntimeContext } from './context.ts';
import { settleSteps, type ClaimedStep, type SettleItem, type SettleResult } from './settlement.ts';

interface Pending {
  item: SettleItem;
  resolve: (r: { result: SettleResult; claims: ClaimedStep[] }) => void;
  reject: (e: unknown) => void;
}

/** Upper bound on settlements per transaction: keeps one batch's latency bounded. */
const MAX_BATCH = 64;

export class SettleBatcher {
  readonly #ctx: RuntimeContext;
  #waiting: Pending[] = [];
  #draining = false;

  constructor(ctx: RuntimeContext) {
    this.#ctx = ctx;
  }

  /** Settles `item` in the next batch. @throws `ClaimLost` when its claim was lost (nothing applied) */
  settle(item: SettleItem): Promise<{ result: SettleResult; claims: ClaimedStep[] }> {
    return new Promise((resolve, reject) => {
      this.#waiting.push({ item, resolve, reject });
      if (!this.#draining) void this.#drain();
    });
  }

  async #drain(): Promise<void> {
    this.#draining = true;
    try {
      while (this.#waiting.length > 0) {
        const batch: Pending[] = [];
        const later: Pending[] = [];
        const runs = new Set<string>();
        for (const p of this.#waiting) {
          if (batch.length < MAX_BATCH && !runs.has(p.item.d.runId)) {
            batch.push(p);
            runs.add(p.item.d.runId);
          } else {
            later.push(p);
          }
        }
        this.#waiting = later;
        await this.#run(batch);
      }
    } finally {
      this.#draining = false;
    }
  }

  async #run(batch: Pending[]): Promise<void> {
    try {
      const results = await settleSteps(this.#ctx, batch.map((p) => p.item));
      results.forEach((r, i) => (r.ok ? batch[i]!.resolve(r) : batch[i]!.reject(r.error)));
    } catch (e) {
      if (batch.length === 1 || isCommittedHalfway(e)) {
        for (const p of batch) p.reject(e);
        return;
      }
      for (const p of batch) await this.#run([p]);
    }
  }
}
