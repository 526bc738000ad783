/**
 * `Queue`: durable jobs on the store, standalone (without a runtime): enqueue, claim and
 * settlement, leases, cancellation, recovery, retention, dead letters and the app KV. Every
 * method validates its input first (a named error, nothing written), then runs one transaction.
 *
 * The state and the primitives underneath are the queue engine (engine.ts), which a runtime
 * holds directly; inspection (stats, jobs, attempt histories) is a set of functions in
 * `stepwise/inspect`, so that neither weighs on a worker that does not use it.
 */
import { checkFunction, checkInt, checkMs, checkOptions, checkString } from '../core/check.ts';
import type { Clock } from '../core/clock.ts';
import { invalidArgument } from '../core/errors.ts';
import { checkJson, type Json } from '../core/json.ts';
import type { JobRecord } from '../store/db.ts';
import { Store, type StoreOptions } from '../store/store.ts';
import { checkQueueName } from './context.ts';
import { openEngine, type QueueEngine, type QueueEvent, type QueueOptions } from './engine.ts';
import { kvApi, type QueueKv } from './queue-kv.ts';
import type { RecoveryOutcome } from './recovery.ts';
import * as settle from './settle.ts';
import type { CancelOutcome, Claim, ClaimOptions, EnqueueOptions, EnqueueOutcome, FollowUp, NackOutcome, QueueConfig, SettleEffects, WakeOutcome } from './types.ts';
import { checkClaim, checkEnqueue, checkKvKey, checkKvWrites } from './validate.ts';

export type { QueueEvent, QueueOptions } from './engine.ts';

let engineOfQueue: (queue: Queue) => QueueEngine;
let queueOnEngine: (engine: QueueEngine) => Queue;

export class Queue {
  readonly #e: QueueEngine;
  /** The app KV: reads, writes and compare-and-set, each one transaction. */
  readonly kv: QueueKv;

  private constructor(engine: QueueEngine) {
    this.#e = engine;
    this.kv = kvApi(engine);
  }

  static {
    // Stepwise's own modules reach the engine through these (see the functions below the class);
    // callers outside Stepwise cannot.
    engineOfQueue = (q) => q.#e;
    queueOnEngine = (e) => new Queue(e);
  }

  /** Opens a store and a queue on it. @throws `InvalidArgument`, `InvalidQueueName` for bad settings (nothing left open) */
  static async open(options: StoreOptions & QueueOptions = {}): Promise<Queue> {
    const store = await Store.open(options);
    try {
      const { clock, owner, defaults, queues } = options;
      return new Queue(openEngine(store, { clock, owner, defaults, queues }));
    } catch (e) {
      store.close(); // bad configuration: leave no connection open
      throw e;
    }
  }

  /** The clock every timestamp of this queue comes from. */
  get clock(): Clock {
    return this.#e.clock;
  }

  /** Recorded on every claim this instance makes. */
  get owner(): string {
    return this.#e.owner;
  }

  /** The settings of `queue` (its own, or the defaults). */
  config(queue: string): QueueConfig {
    return this.#e.config(queue);
  }

  /** Events of this process, after their commit. @returns unsubscribe */
  on(listener: (e: QueueEvent) => void): () => void {
    checkFunction(listener, 'listener');
    return this.#e.on(listener);
  }

  /** When the next scheduled job of `queue` becomes due; undefined when none is scheduled. */
  nextDueAt(queue: string): Promise<number | undefined> {
    return this.#e.nextDueAt(queue);
  }

  // ---- enqueue -------------------------------------------------------------------------

  /** @throws `InvalidQueueName`, `InvalidPayload`, `PayloadTooLarge`, `InvalidJobId`, `DuplicateJobId`, `InvalidArgument` */
  async enqueue(queue: string, payload: Json, options?: EnqueueOptions): Promise<EnqueueOutcome> {
    checkOptions(options, 'enqueue options');
    const [out] = await this.enqueueBatch(queue, [{ ...options, payload }]);
    return out!;
  }

  /** Enqueues all of `items` in one transaction: all or none. */
  async enqueueBatch(queue: string, items: readonly (EnqueueOptions & { payload: Json })[]): Promise<EnqueueOutcome[]> {
    if (!Array.isArray(items)) throw invalidArgument('items', 'must be an array', items);
    checkQueueName(queue);
    items.forEach((item, i) => checkOptions(item, `items[${i}]`));
    for (const { payload, ...o } of items) checkEnqueue(queue, payload, o, this.#e.config(queue));
    if (items.length === 0) return [];
    return this.#e.transact(async (ops) => {
      const out: EnqueueOutcome[] = [];
      for (const { payload, ...o } of items) out.push(await ops.insert(queue, payload, o));
      return out;
    });
  }

  // ---- claim ---------------------------------------------------------------------------

  async claim(queue: string, options?: ClaimOptions): Promise<Claim | undefined> {
    const [c] = await this.claimBatch(queue, 1, options);
    return c;
  }

  /** Claims up to `max` jobs: priority, then due time, then enqueue order. */
  async claimBatch(queue: string, max: number, options: ClaimOptions = {}): Promise<Claim[]> {
    checkQueueName(queue);
    checkOptions(options, 'claim options');
    checkInt(max, 'max', 0);
    if (options.leaseMs !== undefined) checkMs(options.leaseMs, 'leaseMs');
    if (max === 0) return [];
    return this.#e.transact((ops) => ops.claim(queue, max, options.leaseMs));
  }

  /**
   * Claims a job, waiting up to `timeoutMs` (queue clock) for one to be enqueued or become due.
   * Resolves `undefined` on timeout or when `signal` aborts.
   * @throws `InvalidQueueName`, `InvalidArgument` (a timeout that is not a finite number >= 0)
   */
  async claimWait(queue: string, timeoutMs: number, options: ClaimOptions & { signal?: AbortSignal } = {}): Promise<Claim | undefined> {
    checkQueueName(queue);
    checkOptions(options, 'claim options');
    // A NaN deadline would never be reached: the loop would spin on empty claims forever.
    checkMs(timeoutMs, 'timeoutMs');
    if (options.signal !== undefined && !(options.signal instanceof AbortSignal)) throw invalidArgument('signal', 'must be an AbortSignal', options.signal);
    const { clock } = this.#e;
    const deadline = clock.now() + timeoutMs;
    for (;;) {
      const wake = new AbortController();
      const off = this.#e.on((e) => {
        if (e.type === 'enqueued' && (e.queue === queue || e.queue === '*')) wake.abort();
      });
      const onOuterAbort = () => wake.abort();
      options.signal?.addEventListener('abort', onOuterAbort, { once: true });
      try {
        const c = await this.claim(queue, options);
        if (c) return c;
        if (options.signal?.aborted) return undefined;
        const now = clock.now();
        if (now >= deadline) return undefined;
        if (wake.signal.aborted) continue;
        const due = await this.#e.nextDueAt(queue);
        const until = Math.min(deadline, due ?? Infinity);
        await clock.sleep(Math.max(0, until - now), wake.signal).catch(() => undefined);
      } finally {
        off();
        options.signal?.removeEventListener('abort', onOuterAbort);
      }
    }
  }

  // ---- settle --------------------------------------------------------------------------

  /** Acknowledges a claim and applies `effects` with it. @throws `ClaimLost` (nothing applied) */
  async ack(claim: Claim, effects?: SettleEffects, options: { strict?: boolean } = {}): Promise<EnqueueOutcome[]> {
    checkClaim(claim);
    checkOptions(options, 'ack options');
    checkEffects(this.#e, effects);
    const out = await this.#e.store.write((t) => settle.ack(t, this.#e.ctx, claim, effects), options);
    afterSettle(this.#e, claim, effects);
    return out;
  }

  /**
   * Reports a failed attempt: retried after backoff (or `retryAfterMs`, capped) while attempts
   * remain, with `effects` dropped; dead-lettered with `effects` applied once they are spent.
   */
  async nack(claim: Claim, error: string, options: { retryAfterMs?: number; effects?: SettleEffects; strict?: boolean } = {}): Promise<NackOutcome> {
    checkClaim(claim);
    checkString(error, 'error');
    checkOptions(options, 'nack options');
    if (options.retryAfterMs !== undefined) checkMs(options.retryAfterMs, 'retryAfterMs');
    checkEffects(this.#e, options.effects);
    const out = await this.#e.store.write((t) => settle.nack(t, this.#e.ctx, claim, error, options.retryAfterMs, options.effects), options);
    afterSettle(this.#e, claim, out.kind === 'deadLettered' ? options.effects : undefined);
    return out;
  }

  /** Dead-letters a claim now (attempts unchanged). @throws `ClaimLost` */
  async deadLetter(claim: Claim, reason: string, effects?: SettleEffects, options: { strict?: boolean } = {}): Promise<EnqueueOutcome[]> {
    checkClaim(claim);
    checkString(reason, 'reason');
    checkOptions(options, 'deadLetter options');
    checkEffects(this.#e, effects);
    const out = await this.#e.store.write((t) => settle.deadLetter(t, this.#e.ctx, claim, reason, effects), options);
    afterSettle(this.#e, claim, effects);
    return out;
  }

  // ---- cancel, wake, lease -------------------------------------------------------------

  /** Removes a waiting job (with `effects`), or records a cancel request on a claimed one. */
  async cancel(jobId: string, effects?: SettleEffects): Promise<CancelOutcome> {
    checkString(jobId, 'jobId');
    checkEffects(this.#e, effects);
    const out = await this.#e.transact((ops) => ops.cancel(jobId, effects), { strict: true });
    if (out.kind === 'requested') this.#e.announceCancel(jobId);
    return out;
  }

  /**
   * Makes a scheduled job due now, handing it `payload` (checked against its queue's
   * `maxPayloadBytes`). @throws `InvalidPayload`, `PayloadTooLarge`
   */
  async wakeScheduled(jobId: string, payload?: Json): Promise<WakeOutcome> {
    checkString(jobId, 'jobId');
    if (payload !== undefined) checkJson(payload, 'wake payload');
    return this.#e.transact((ops) => ops.wake(jobId, payload));
  }

  /** Extends the lease to at least `ms` from now plus a settle margin; never shortens it. @throws `ClaimLost` */
  async ensureLease(claim: Claim, ms: number): Promise<number> {
    checkClaim(claim);
    checkMs(ms, 'ms');
    return this.#e.transact((ops) => ops.ensureLease(claim, ms));
  }

  /** When the claim on `jobId` expires (queue clock, ms); undefined unless the job is claimed. */
  async leaseExpiry(jobId: string): Promise<number | undefined> {
    checkString(jobId, 'jobId');
    return (await this.#e.store.read((t) => t.get<JobRecord>('jobs', jobId), ['jobs']))?.leaseUntil;
  }

  // ---- recovery, retention, dead letters -----------------------------------------------

  /** Returns expired claims to pending (or dead at their attempt limit). */
  reap(): Promise<RecoveryOutcome> {
    return this.#e.reap();
  }

  /** Recovers the claims of owners `isAlive` says are gone (it may be asynchronous, e.g. a Web Locks query). */
  recoverClaims(isAlive: (owner: string | null) => boolean | Promise<boolean>, options?: { queue?: string }): Promise<RecoveryOutcome> {
    return this.#e.recoverClaims(isAlive, options);
  }

  /** Deletes done and dead jobs past their retention. @returns how many */
  sweep(): Promise<number> {
    return this.#e.sweep();
  }

  /**
   * Dead jobs of `queue` in id order: `limit` (default 100, at most 1000) after the id `after`.
   * @throws `InvalidArgument` (a limit out of range: page with `after` instead)
   */
  deadJobs(queue: string, options?: { after?: string; limit?: number }): Promise<JobRecord[]> {
    return this.#e.deadJobs(queue, options);
  }

  /** Puts a dead job back to pending with a fresh attempt budget. @throws `JobNotFound`, `InvalidState` */
  requeueDead(jobId: string): Promise<void> {
    return this.#e.requeueDead(jobId);
  }

  close(): void {
    this.#e.store.close();
  }
}

/** The engine under a `Queue`: for Stepwise's own modules (inspection), never re-exported. */
export function queueEngine(queue: Queue): QueueEngine {
  return engineOfQueue(queue);
}

/** A `Queue` over an engine already open (a runtime's): the same store, owner, events and hooks. */
export function queueOver(engine: QueueEngine): Queue {
  return queueOnEngine(engine);
}

/** Validates effects before the transaction, so a bad follow-up never aborts a batch. */
function checkEffects(engine: QueueEngine, effects: SettleEffects | undefined): void {
  if (effects === undefined) return;
  checkOptions(effects, 'effects');
  if (effects.enqueue !== undefined && !Array.isArray(effects.enqueue)) throw invalidArgument('effects.enqueue', 'must be an array', effects.enqueue);
  (effects.enqueue ?? []).forEach((f, i) => checkOptions(f, `effects.enqueue[${i}]`));
  for (const f of (effects.enqueue ?? []) as FollowUp[]) {
    const { queue, payload, ...o } = f;
    checkEnqueue(queue, payload, o, engine.config(queue));
  }
  if (effects.kvPut !== undefined) checkKvWrites(effects.kvPut, engine.defaults.maxPayloadBytes);
  if (effects.kvDelete !== undefined) {
    if (!Array.isArray(effects.kvDelete)) throw invalidArgument('effects.kvDelete', 'must be an array of keys', effects.kvDelete);
    effects.kvDelete.forEach(checkKvKey);
  }
  if (effects.apply !== undefined) checkFunction(effects.apply, 'effects.apply');
}

function afterSettle(engine: QueueEngine, claim: Claim, effects: SettleEffects | undefined): void {
  engine.emit({ type: 'settled', jobId: claim.job.id });
  engine.announce(...(effects?.enqueue?.map((f) => f.queue) ?? []));
}
