/**
 * Gathers the settlements that arrive while a batch is being committed into the next batch, so
 * concurrent steps share one settlement transaction and its single read wave (settle-batch.ts:
 * `settleSteps`). Like the store's committer, the first settlement starts at once: one lane
 * waits for nothing.
 *
 * Invariants:
 * - A batch holds at most one settlement per run (each run record is read once per batch,
 *   before any item writes); a second one of the same run waits for the next batch.
 * - A batch that fails as a whole (storage trouble, a bug in one item) is retried item by item,
 *   each in its own transaction, so one bad settlement never fails the others. Except when the
 *   batch committed halfway (tx.ts): then nothing is run again.
 * - Whether a batch claims for the slots it frees is asked (`mayClaim`) as the batch starts,
 *   not when its settlements were queued: a settlement queued before the executor stopped
 *   claims nothing once it has. A batch's claims go to `onClaims` before any of its
 *   settlements resolves, so once `quiesce` resolves, every claim made so far was handed over.
 *
 * Why a second batching level above the store's committer (store/committer.ts): the committer
 * runs opaque bodies one after another in a transaction, so each settlement's reads would wait
 * for the settlement before it. Here a batch of settlements is ONE body (`settleSteps`) that
 * issues every fence and run-record read in a single wave before any write; it still goes
 * through the committer, which may merge it with other writes into one commit.
 */
import { isCommittedHalfway } from '../store/tx.ts';
import type { RuntimeContext } from './context.ts';
import { settleSteps, type ClaimedStep, type SettleItem } from './settle-batch.ts';
import type { SettleResult } from './verdict.ts';

interface Pending {
  item: SettleItem;
  resolve: (r: SettleResult) => void;
  reject: (e: unknown) => void;
}

/** What the executor decides for the batches: whether they may claim, and who takes the claims. */
export interface BatchClaims {
  /** Asked as each batch starts: false makes its settlements claim nothing. */
  mayClaim(): boolean;
  /** Receives the claims a batch made (its runs' next steps), synchronously, once it committed. */
  onClaims(claims: ClaimedStep[]): void;
}

/** Upper bound on settlements per transaction: keeps one batch's latency bounded. */
const MAX_BATCH = 64;

export class SettleBatcher {
  readonly #ctx: RuntimeContext;
  readonly #claims: BatchClaims;
  #waiting: Pending[] = [];
  #draining = false;
  /** The batch being committed, if any. */
  #current: Promise<void> | undefined;

  constructor(ctx: RuntimeContext, claims: BatchClaims) {
    this.#ctx = ctx;
    this.#claims = claims;
  }

  /**
   * Settles `item` in the next batch; the claims it makes for its freed slot go to `onClaims`.
   * @throws `ClaimLost` when its claim was lost (nothing applied)
   */
  settle(item: SettleItem): Promise<SettleResult> {
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
        const current = (this.#current = this.#run(batch));
        await current;
        if (this.#current === current) this.#current = undefined;
      }
    } finally {
      this.#draining = false;
    }
  }

  /** Resolves once the batch in flight now (if any) has committed and handed over its claims. */
  async quiesce(): Promise<void> {
    await this.#current;
  }

  async #run(batch: Pending[]): Promise<void> {
    const mayClaim = this.#claims.mayClaim();
    try {
      const results = await settleSteps(this.#ctx, batch.map((p) => (mayClaim ? p.item : { ...p.item, claimNext: 0 })));
      const claims = results.flatMap((r) => (r.ok ? r.claims : []));
      if (claims.length > 0) this.#claims.onClaims(claims);
      results.forEach((r, i) => (r.ok ? batch[i]!.resolve(r.result) : batch[i]!.reject(r.error)));
    } catch (e) {
      if (batch.length === 1 || isCommittedHalfway(e)) {
        for (const p of batch) p.reject(e);
        return;
      }
      for (const p of batch) await this.#run([p]);
    }
  }
}
