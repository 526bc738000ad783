/**
 * Queue primitives bound to one open transaction, for a layer above (the runtime) that must
 * change jobs and its own records in the same commit: a step's settlement, a submission, a
 * cancellation. Inputs must already be validated (`Queue.checkEnqueue`, `Queue.checkEffects`):
 * a throw in here aborts the whole transaction.
 */
import type { Json } from '../core/json.ts';
import type { JobRecord } from '../store/db.ts';
import type { Tx } from '../store/tx.ts';
import { claimJobs } from './claim.ts';
import type { QueueContext } from './context.ts';
import { DoneCounters } from './counters.ts';
import { insertJob } from './enqueue.ts';
import { ClaimPlan } from './plan.ts';
import * as settle from './settle.ts';
import type { CancelOutcome, Claim, EnqueueOptions, EnqueueOutcome, NackOutcome, SettleEffects, WakeOutcome } from './types.ts';

export class QueueOps {
  readonly t: Tx;
  readonly #ctx: QueueContext;
  readonly #owner: string;
  /** Queues that got a new ready job in this transaction: announce them after commit. */
  readonly touched = new Set<string>();
  readonly #fenced = new Map<string, JobRecord>();
  readonly #counters: DoneCounters;
  /** Every job this transaction wrote, as written (null: deleted). */
  readonly #written = new Map<string, JobRecord | null>();
  #plan: ClaimPlan | undefined;

  constructor(t: Tx, ctx: QueueContext, owner: string) {
    this.t = t;
    this.#ctx = ctx;
    this.#owner = owner;
    this.#counters = new DoneCounters(t);
    // Bodies sharing a transaction run one after another (committer.ts): the current one observes.
    t.observer = (table, value, deleted) => {
      if (table !== 'jobs') return;
      if (deleted) this.#written.set(value as string, null);
      else this.#written.set((value as JobRecord).id, value as JobRecord);
    };
  }

  now(): number {
    return this.#ctx.clock.now();
  }

  async insert(queue: string, payload: Json, options?: EnqueueOptions): Promise<EnqueueOutcome> {
    const out = await insertJob(this.t, this.#ctx, queue, payload, options);
    if (out.kind === 'new') this.touched.add(queue);
    return out;
  }

  getJob(jobId: string): Promise<JobRecord | undefined> {
    return this.t.get<JobRecord>('jobs', jobId);
  }

  /**
   * Issues, now, the reads a later `claim(queue, m)` with m <= max needs (see plan.ts), so that
   * they share the round trip of the transaction's first reads. Call before writing any job.
   * @returns the first `max` ready jobs as read (the likely claims)
   */
  prefetchClaim(queue: string, max: number): Promise<JobRecord[]> {
    if (max <= 0) return Promise.resolve([]);
    this.#plan = new ClaimPlan(this.t, queue, max, this.now());
    return this.#plan.ready;
  }

  /** Claims up to `max` ready jobs of `queue`: from the prefetched reads when they still hold, else by reading. */
  async claim(queue: string, max: number, leaseMs?: number): Promise<Claim[]> {
    const plan = this.#plan;
    this.#plan = undefined;
    if (plan?.queue === queue && max > 0) {
      const claims = await plan.claim(this.t, this.#ctx, this.#written, max, this.#owner, leaseMs);
      if (claims) return claims;
    }
    return claimJobs(this.t, this.#ctx, queue, max, this.#owner, leaseMs);
  }

  /** A job as this transaction last wrote it (null: deleted), or undefined if it did not write it. */
  written(jobId: string): JobRecord | null | undefined {
    return this.#written.get(jobId);
  }

  /**
   * Fences a claim (`ClaimLost` if it is no longer held) and remembers the record, so that the
   * settlement that follows in this transaction does not read it again; the queue's done counter
   * is read in the same round trip.
   */
  async fence(claim: Claim): Promise<JobRecord> {
    this.#counters.prefetch(claim.job.queue);
    const job = await settle.fence(this.t, claim);
    this.#fenced.set(claim.token, job);
    return job;
  }

  /** The fenced record of `claim`, once: a second settlement of it must fence again. */
  #takeFenced(claim: Claim): JobRecord | undefined {
    const f = this.#fenced.get(claim.token);
    this.#fenced.delete(claim.token);
    return f;
  }

  ack(claim: Claim, effects?: SettleEffects): Promise<EnqueueOutcome[]> {
    this.#touch(effects);
    return settle.ack(this.t, this.#ctx, claim, effects, this.#takeFenced(claim), this.#counters);
  }

  async nack(claim: Claim, error: string, retryAfterMs?: number, effects?: SettleEffects): Promise<NackOutcome> {
    const out = await settle.nack(this.t, this.#ctx, claim, error, retryAfterMs, effects, this.#takeFenced(claim));
    if (out.kind === 'deadLettered') this.#touch(effects);
    else this.touched.add(claim.job.queue);
    return out;
  }

  deadLetter(claim: Claim, reason: string, effects?: SettleEffects): Promise<EnqueueOutcome[]> {
    this.#touch(effects);
    return settle.deadLetter(this.t, this.#ctx, claim, reason, effects, this.#takeFenced(claim));
  }

  async cancel(jobId: string, effects?: SettleEffects): Promise<CancelOutcome> {
    const out = await settle.cancel(this.t, this.#ctx, jobId, effects);
    if (out.kind === 'removed') this.#touch(effects);
    return out;
  }

  ensureLease(claim: Claim, ms: number): Promise<number> {
    return settle.ensureLease(this.t, this.#ctx, claim, ms);
  }

  async wake(jobId: string, payload?: Json): Promise<WakeOutcome> {
    const out = await settle.wakeScheduled(this.t, this.#ctx, jobId, payload);
    if (out === 'woken') {
      const job = await this.getJob(jobId);
      if (job) this.touched.add(job.queue);
    }
    return out;
  }

  applyEffects(effects: SettleEffects | undefined): Promise<EnqueueOutcome[]> {
    this.#touch(effects);
    return settle.applyEffects(this.t, this.#ctx, effects);
  }

  #touch(effects: SettleEffects | undefined): void {
    for (const f of effects?.enqueue ?? []) this.touched.add(f.queue);
  }
}
