/**
 * The executor: claims step and notification jobs up to the concurrency limit and runs them.
 * Only the instance holding the executor role (the host's executor lock) runs one.
 *
 * Loop invariant: a wake-up armed before each claim is tripped by any event that may create
 * work (an enqueue in this process, a freed slot, stop), so no wake-up falls between "claimed
 * nothing" and "went to sleep". Otherwise it sleeps on the runtime clock until the next due
 * job, the next maintenance tick or the poll interval (work from other instances).
 */
import { type WorkflowError, isWorkflowError } from '../core/errors.ts';
import type { RuntimeContext } from './context.ts';
import { Deliveries } from './deliveries.ts';
import { cancelReason, deliver, type DeliveryHost } from './delivery.ts';
import { claimWithRuns, type ClaimedStep } from './settle-batch.ts';
import { SettleBatcher } from './settle-batcher.ts';
import type { Delivery, Verdict } from './verdict.ts';

/** Backoff for a settlement that failed on storage: the runner is not re-invoked. */
const SETTLE_RETRY_MS = [50, 250, 1000, 4000];

export class Executor {
  readonly #ctx: RuntimeContext;
  readonly #inFlight: Deliveries;
  readonly #settlements: SettleBatcher;
  #wake = new AbortController();
  #stopping = false;
  #loop: Promise<void> | undefined;
  #offQueue: () => void = () => undefined;
  /** Errors the loop survived (storage trouble); the latest is kept for inspection. */
  lastError: unknown;
  readonly #host: DeliveryHost = {
    settle: (d, v) => this.#settle(d, v),
    onError: (e) => (this.lastError = e),
  };

  constructor(ctx: RuntimeContext) {
    this.#ctx = ctx;
    this.#inFlight = new Deliveries(ctx, (e) => (this.lastError = e));
    this.#settlements = new SettleBatcher(ctx, { mayClaim: () => !this.#stopping, onClaims: (claims) => this.#accept(claims) });
  }

  get running(): boolean {
    return this.#loop !== undefined && !this.#stopping;
  }

  /** Recovers abandoned claims, then starts the loop. */
  async start(): Promise<void> {
    if (this.#loop) return;
    this.#stopping = false;
    const q = this.#ctx.queue;
    this.#offQueue = q.on((e) => {
      if (e.type === 'enqueued' && (e.queue === this.#ctx.options.queueName || e.queue === '*')) this.#wake.abort();
      if (e.type === 'cancelRequested') this.#abortJob(e.jobId);
    });
    await this.recover();
    this.#loop = this.#run();
  }

  /**
   * Returns every claim on our queue not held by this instance to the queue (or dead-letters
   * it at its attempt limit). Only the executor claims, and an instance starts executing only
   * once the previous executor let go (its executor lock was released: it died, or stopped
   * without draining), so any other owner's claim is abandoned: recovered at once, without
   * waiting for its lease. A late settlement of such a claim fails `ClaimLost`.
   */
  async recover(): Promise<void> {
    const mine = this.#ctx.queue.owner;
    await this.#ctx.queue.recoverClaims((o) => o === mine, { queue: this.#ctx.options.queueName });
  }

  /**
   * Stops claiming. Claims already on their way when it is called (the loop's, or a settlement
   * batch's for the slots it frees) are given back unstarted before it returns: once `stop`
   * has returned, this executor claims and starts nothing. With `drain`, it then waits for every
   * delivery held here (steps and hooks) to settle; abandoned ones (lease lost) are not waited for.
   */
  async stop(drain: boolean): Promise<void> {
    this.#stopping = true;
    this.#wake.abort();
    this.#offQueue();
    const loop = this.#loop;
    this.#loop = undefined;
    await loop;
    await this.#settlements.quiesce();
    await this.#inFlight.released();
    if (drain) await this.#inFlight.drain();
  }

  /** Aborts the step of `runId` running here, if any (an external cancel). */
  abortRun(runId: string): void {
    this.#inFlight.abort((c) => c.job.runId === runId, cancelReason());
  }

  #abortJob(jobId: string): void {
    this.#inFlight.abort((c) => c.job.id === jobId, cancelReason());
  }

  async #run(): Promise<void> {
    const { queue, clock, options } = this.#ctx;
    let nextMaintenance = clock.now();
    while (!this.#stopping) {
      const wake = (this.#wake = new AbortController());
      try {
        if (clock.now() >= nextMaintenance) {
          nextMaintenance = clock.now() + options.reapIntervalMs;
          // Claims held here are not reaped: their own watchdog decides when one is lost, and a
          // settlement still being retried must not lose its claim to its own executor.
          await queue.reap({ held: this.#inFlight.held() });
        }
        const capacity = options.concurrency - this.#inFlight.size;
        if (capacity > 0) {
          const claims = await queue.transact((ops) => claimWithRuns(ops, this.#ctx, capacity));
          this.#accept(claims);
          if (claims.length === capacity) continue;
        }
        if (this.#stopping) break;
        const now = clock.now();
        // With every slot taken, a due job could not be claimed anyway: a freed slot wakes us.
        const due = this.#inFlight.size < options.concurrency ? await queue.nextDueAt(options.queueName) : undefined;
        const until = Math.min(due ?? Infinity, nextMaintenance, now + options.pollIntervalMs);
        // Measured from the clock as it is now: it may have moved during the read above.
        await clock.sleep(Math.max(0, until - clock.now()), wake.signal).catch(() => undefined);
      } catch (e) {
        // Storage trouble (a closed or full database): keep the loop alive, try again later.
        this.lastError = e;
        if (isWorkflowError(e, 'StoreClosed') && this.#ctx.store.isClosed) break;
        await clock.sleep(options.pollIntervalMs, wake.signal).catch(() => undefined);
      }
    }
  }

  /**
   * Starts claimed deliveries (`run`: the run record the claiming transaction read); once
   * stopping, gives them back unstarted instead.
   */
  #accept(claims: readonly ClaimedStep[]): void {
    for (const { claim, run } of claims) {
      if (this.#stopping) this.#inFlight.giveBack(claim);
      else this.#inFlight.start(claim, (entry) => deliver(this.#ctx, this.#host, entry, run), () => this.#wake.abort());
    }
  }

  /**
   * Settles, retrying a storage failure with backoff; a lost claim is not an error. The
   * claim stays held here meanwhile, so this executor's reaper leaves it alone. The settlement
   * also claims the next ready job for the slot it frees (fused transition), unless this
   * executor has stopped by then; settlements of concurrent steps share a transaction and
   * their claims start through `#accept` (settle-batcher.ts).
   */
  async #settle(d: Delivery, v: Verdict): Promise<void> {
    for (let i = 0; ; i++) {
      try {
        await this.#settlements.settle({ d, v, claimNext: 1 });
        return;
      } catch (e) {
        if (isWorkflowError(e, 'ClaimLost')) return;
        const wait = SETTLE_RETRY_MS[i];
        const transient = isWorkflowError(e) && !(e as WorkflowError).isPermanent() && (e as WorkflowError).details['committed'] !== true;
        if (wait === undefined || !transient || (isWorkflowError(e, 'StoreClosed') && this.#ctx.store.isClosed)) throw e;
        await this.#ctx.clock.sleep(wait);
      }
    }
  }
}
