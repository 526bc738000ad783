/**
 * The deliveries an executor holds, from their claim until they settle or are abandoned (their
 * lease lost). One entry per delivery, by claim token, not per job: two deliveries of one job
 * may overlap here (an older one still settling when the job, taken back by another instance,
 * is claimed here again), and each counts against the concurrency limit and is drained on its
 * own. Also gives claims back unstarted (made after the executor stopped).
 */
import { isWorkflowError } from '../core/errors.ts';
import { returnUnspent } from '../queue/job-state.ts';
import type { Claim } from '../queue/types.ts';
import type { RuntimeContext } from './context.ts';
import { DeliveryLease } from './delivery-lease.ts';

/** One delivery held here. */
export interface Running {
  claim: Claim;
  /** Created with the delivery, so a cancel that arrives before the runner starts is kept. */
  controller: AbortController;
  lease: DeliveryLease;
  done: Promise<void>;
}

export class Deliveries {
  readonly #ctx: RuntimeContext;
  readonly #onError: (e: unknown) => void;
  readonly #running = new Map<string, Running>();
  readonly #releasing = new Set<Promise<void>>();

  /** `onError` gets what a delivery or a give-back threw (a lost claim excepted). */
  constructor(ctx: RuntimeContext, onError: (e: unknown) => void) {
    this.#ctx = ctx;
    this.#onError = onError;
  }

  /** How many deliveries are held. */
  get size(): number {
    return this.#running.size;
  }

  /** Holds a delivery of `claim` while `deliver` runs it; `onEnd` is called once it no longer counts. */
  start(claim: Claim, deliver: (r: Running) => Promise<void>, onEnd: () => void): void {
    const controller = new AbortController();
    const entry: Running = { claim, controller, lease: new DeliveryLease(this.#ctx, claim, controller), done: Promise.resolve() };
    this.#running.set(claim.token, entry);
    entry.done = deliver(entry)
      .catch(this.#onError)
      .finally(() => {
        this.#running.delete(claim.token);
        onEnd();
      });
  }

  /** The claim tokens of the deliveries held whose lease is not lost (the reaper leaves them alone). */
  held(): Set<string> {
    const held = new Set<string>();
    for (const [token, r] of this.#running) if (!r.lease.lost) held.add(token);
    return held;
  }

  /** Aborts every delivery held whose claim `match`es (an external cancel). */
  abort(match: (claim: Claim) => boolean, reason: unknown): void {
    for (const r of this.#running.values()) if (match(r.claim)) r.controller.abort(reason);
  }

  /** Resolves once no delivery is held (those started meanwhile included). */
  async drain(): Promise<void> {
    while (this.#running.size > 0) await Promise.all([...this.#running.values()].map((r) => r.done));
  }

  /**
   * Puts a claim that was never started back: pending again at its place in the queue, the
   * attempt its claim counted given back, no history written. `released` waits for it.
   */
  giveBack(claim: Claim): void {
    const p = this.#ctx.queue
      .transact(async (ops) => {
        const job = await ops.fence(claim);
        const now = ops.now();
        returnUnspent(job, Math.min(job.runAt, now), now);
        ops.t.put('jobs', job);
        ops.touched.add(job.queue);
      })
      .catch((e: unknown) => {
        if (!isWorkflowError(e, 'ClaimLost')) this.#onError(e);
      });
    this.#releasing.add(p);
    void p.finally(() => this.#releasing.delete(p));
  }

  /** Resolves once every claim given back so far is back in the queue (or was lost anyway). */
  async released(): Promise<void> {
    while (this.#releasing.size > 0) await Promise.all([...this.#releasing]);
  }
}
