/**
 * The time lease of one delivery (a step or a terminal hook) and its watchdog: the user code of
 * a delivery runs under `guard`, which abandons it (aborting the delivery's signal with
 * `ClaimLost`) once the lease has run out, so that the reaper hands the job to a new delivery.
 *
 * Invariants:
 * - An extension in flight when the deadline passes decides first: the watchdog waits for its
 *   commit, which may have moved the expiry, before it declares the lease lost.
 * - Once the lease is declared lost, `extend` writes nothing (it throws `ClaimLost`): an
 *   abandoned delivery never pushes its job's lease out, so the job is not left claimed by
 *   nobody until that later expiry.
 * - An extension that finds the claim gone (`ClaimLost`) loses the lease at once.
 */
import { WorkflowError, isWorkflowError } from '../core/errors.ts';
import type { Claim } from '../queue/types.ts';
import type { RuntimeContext } from './context.ts';
import type { LeaseHandle } from './types.ts';

/** What `guard` resolves when the lease ran out before the work finished. */
export const LEASE_LOST: unique symbol = Symbol('lease lost');

export class DeliveryLease implements LeaseHandle {
  readonly #ctx: RuntimeContext;
  readonly #claim: Claim;
  readonly #controller: AbortController;
  #expiresAt: number;
  #lost = false;
  /** Extensions whose transaction has not settled yet. */
  readonly #extending = new Set<Promise<unknown>>();
  /** Wakes the watchdog: the expiry moved, or the lease was lost. */
  #moved: () => void = () => undefined;

  /** `controller` is the delivery's: its signal is aborted (`ClaimLost`) when the lease is lost. */
  constructor(ctx: RuntimeContext, claim: Claim, controller: AbortController) {
    this.#ctx = ctx;
    this.#claim = claim;
    this.#controller = controller;
    this.#expiresAt = claim.job.leaseUntil ?? ctx.clock.now() + ctx.options.leaseMs;
  }

  /** The lease expiry on the runtime clock (ms since the epoch). */
  get expiresAt(): number {
    return this.#expiresAt;
  }

  /** The delivery's signal: aborted by an external cancel, or with `ClaimLost` when the lease is lost. */
  get signal(): AbortSignal {
    return this.#controller.signal;
  }

  /** Whether the watchdog declared this lease lost (the delivery is abandoned). */
  get lost(): boolean {
    return this.#lost;
  }

  /**
   * Makes the lease last at least `ms` more plus the queue's settle margin (never shortens it),
   * in one transaction fenced on the claim, refused once the run was cancelled.
   * @throws WorkflowError `InvalidArgument` (ms not a finite number >= 0), `ClaimLost` (the lease
   * was lost, or the claim is no longer held: nothing written), `CancelRequested`
   */
  async extend(ms: number): Promise<void> {
    if (!(typeof ms === 'number' && Number.isFinite(ms) && ms >= 0)) {
      throw new WorkflowError('InvalidArgument', 'lease.extend takes a finite number of ms >= 0', { what: 'ms' });
    }
    await this.#renew(ms, true);
  }

  /**
   * Runs `work` under the lease: resolves what it resolves, or `LEASE_LOST` when the lease runs
   * out first (the delivery's signal is then aborted and `work` abandoned). `work` is not
   * started at all when the lease has run out already. With `keepAlive`, the lease is renewed
   * while `work` runs, so slow work is never taken for hung work while this instance lives.
   */
  async guard<T>(work: () => Promise<T>, options: { keepAlive?: boolean } = {}): Promise<T | typeof LEASE_LOST> {
    if (await this.#runOut()) return LEASE_LOST;
    const done = new AbortController();
    try {
      const result = work();
      if (options.keepAlive) void this.#keepAlive(done.signal);
      return await Promise.race([result, this.#watch(done.signal)]);
    } finally {
      done.abort();
    }
  }

  /** Resolves `LEASE_LOST` once the lease has run out, unless `stop` aborted first (then it never resolves). */
  async #watch(stop: AbortSignal): Promise<typeof LEASE_LOST> {
    const { clock } = this.#ctx;
    while (!stop.aborted) {
      const wake = new AbortController();
      this.#moved = () => wake.abort();
      const onStop = () => wake.abort();
      stop.addEventListener('abort', onStop, { once: true });
      if (!this.#lost) await clock.sleep(Math.max(0, this.#expiresAt - clock.now()), wake.signal).catch(() => undefined);
      stop.removeEventListener('abort', onStop);
      if (await this.#runOut(stop)) return LEASE_LOST;
    }
    // The work finished first: the race is decided, and nobody waits for this answer.
    return new Promise<never>(() => undefined);
  }

  /**
   * Whether the lease has run out, deciding it: once this answers true the lease is lost for
   * good (set in the same synchronous step as the last check, so no extension can start between).
   * Answers false without deciding once `stop` aborts (the work finished meanwhile).
   */
  async #runOut(stop?: AbortSignal): Promise<boolean> {
    for (;;) {
      if (this.#lost) return true;
      if (stop?.aborted) return false;
      if (this.#ctx.clock.now() < this.#expiresAt) return false;
      if (this.#extending.size === 0) {
        this.#lose();
        return true;
      }
      await Promise.allSettled([...this.#extending]);
    }
  }

  #lose(): void {
    if (this.#lost) return;
    this.#lost = true;
    this.#controller.abort(new WorkflowError('ClaimLost', 'the lease of this delivery expired', { jobId: this.#claim.job.id }));
    this.#moved();
  }

  /** Renews the lease (to `leaseMs` ahead) whenever less than two thirds of `leaseMs` remain, until `stop` aborts; never rejects. */
  async #keepAlive(stop: AbortSignal): Promise<void> {
    const { clock, options } = this.#ctx;
    const ahead = (options.leaseMs * 2) / 3;
    let pause = 0;
    while (!stop.aborted && !this.#lost) {
      await clock.sleep(Math.max(pause, this.#expiresAt - ahead - clock.now()), stop).catch(() => undefined);
      if (stop.aborted || this.#lost) return;
      try {
        await this.#renew(options.leaseMs, false);
        pause = 0;
      } catch {
        // Storage trouble: try again soon; the watchdog ends the delivery if the lease runs out.
        pause = options.leaseMs / 6;
      }
    }
  }

  async #renew(ms: number, refuseCancelled: boolean): Promise<void> {
    const claim = this.#claim;
    if (this.#lost) throw new WorkflowError('ClaimLost', `the delivery of job ${claim.job.id} lost its lease: it is not extended`, { jobId: claim.job.id });
    const write = this.#ctx.queue.transact(async (ops) => {
      const job = await ops.fence(claim);
      if (refuseCancelled && job.cancelRequested) {
        throw new WorkflowError('CancelRequested', `run ${job.runId ?? ''} was cancelled: its lease is not extended`, { jobId: job.id });
      }
      return ops.ensureLease(claim, ms);
    });
    this.#extending.add(write);
    try {
      const until = await write;
      if (until > this.#expiresAt) this.#expiresAt = until;
    } catch (e) {
      if (isWorkflowError(e, 'ClaimLost')) this.#lose();
      throw e;
    } finally {
      this.#extending.delete(write);
      this.#moved();
    }
  }
}
