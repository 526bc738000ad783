/**
 * `Queue`: durable jobs on the store, the whole public API: `QueueCore` (transactions for a layer
 * above, recovery, retention, dead letters, KV reads) plus standalone enqueue, claim and
 * settlement, leases, cancellation, job inspection and KV writes. Like the core, every method
 * validates its input first (a named error, nothing written), then runs one transaction.
 */
import { checkFunction, checkInt, checkMs, checkOptions, checkString } from '../core/check.ts';
import { invalidArgument } from '../core/errors.ts';
import { checkJson, type Json } from '../core/json.ts';
import type { JobAttemptRecord, JobRecord } from '../store/db.ts';
import { Store, type StoreOptions } from '../store/store.ts';
import { checkQueueName } from './context.ts';
import { history, stats } from './inspect.ts';
import { kvCompareDelete, kvComparePut, kvReads } from './kv.ts';
import { QueueCore, type QueueOptions } from './queue-core.ts';
import * as settle from './settle.ts';
import type { CancelOutcome, Claim, ClaimOptions, EnqueueOptions, EnqueueOutcome, FollowUp, NackOutcome, QueueStats, SettleEffects, WakeOutcome } from './types.ts';
import { checkClaim, checkEnqueue, checkKvKey, checkKvWrites } from './validate.ts';

export type { QueueEvent, QueueOptions } from './queue-core.ts';

export class Queue extends QueueCore {
  /** Opens a store and a queue on it. */
  static async open(options: StoreOptions & QueueOptions = {}): Promise<Queue> {
    const store = await Store.open(options);
    try {
      return new Queue(store, options);
    } catch (e) {
      store.close(); // bad configuration: leave no connection open
      throw e;
    }
  }

  /** Validates what `transact` bodies will enqueue. @throws as `Queue.enqueue` */
  checkEnqueue(queue: string, payload: Json, options?: EnqueueOptions): void {
    checkEnqueue(queue, payload, options, this.config(queue));
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
    for (const { payload, ...o } of items) checkEnqueue(queue, payload, o, this.config(queue));
    if (items.length === 0) return [];
    return this.transact(async (ops) => {
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
    return this.transact((ops) => ops.claim(queue, max, options.leaseMs));
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
    const deadline = this.clock.now() + timeoutMs;
    for (;;) {
      const wake = new AbortController();
      const off = this.on((e) => {
        if (e.type === 'enqueued' && (e.queue === queue || e.queue === '*')) wake.abort();
      });
      const onOuterAbort = () => wake.abort();
      options.signal?.addEventListener('abort', onOuterAbort, { once: true });
      try {
        const c = await this.claim(queue, options);
        if (c) return c;
        if (options.signal?.aborted) return undefined;
        const now = this.clock.now();
        if (now >= deadline) return undefined;
        if (wake.signal.aborted) continue;
        const due = await this.nextDueAt(queue);
        const until = Math.min(deadline, due ?? Infinity);
        await this.clock.sleep(Math.max(0, until - now), wake.signal).catch(() => undefined);
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
    this.checkEffects(effects);
    const out = await this.store.write((t) => settle.ack(t, this.ctx, claim, effects), options);
    this.#afterSettle(claim, effects);
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
    this.checkEffects(options.effects);
    const out = await this.store.write((t) => settle.nack(t, this.ctx, claim, error, options.retryAfterMs, options.effects), options);
    this.#afterSettle(claim, out.kind === 'deadLettered' ? options.effects : undefined);
    return out;
  }

  /** Dead-letters a claim now (attempts unchanged). @throws `ClaimLost` */
  async deadLetter(claim: Claim, reason: string, effects?: SettleEffects, options: { strict?: boolean } = {}): Promise<EnqueueOutcome[]> {
    checkClaim(claim);
    checkString(reason, 'reason');
    checkOptions(options, 'deadLetter options');
    this.checkEffects(effects);
    const out = await this.store.write((t) => settle.deadLetter(t, this.ctx, claim, reason, effects), options);
    this.#afterSettle(claim, effects);
    return out;
  }

  // ---- cancel, wake, lease -------------------------------------------------------------

  /** Removes a waiting job (with `effects`), or records a cancel request on a claimed one. */
  async cancel(jobId: string, effects?: SettleEffects): Promise<CancelOutcome> {
    checkString(jobId, 'jobId');
    this.checkEffects(effects);
    const out = await this.transact((ops) => ops.cancel(jobId, effects), { strict: true });
    if (out.kind === 'requested') this.announceCancel(jobId);
    return out;
  }

  /**
   * Makes a scheduled job due now, handing it `payload` (checked against its queue's
   * `maxPayloadBytes`). @throws `InvalidPayload`, `PayloadTooLarge`
   */
  async wakeScheduled(jobId: string, payload?: Json): Promise<WakeOutcome> {
    checkString(jobId, 'jobId');
    if (payload !== undefined) checkJson(payload, 'wake payload');
    return this.transact((ops) => ops.wake(jobId, payload));
  }

  /** Extends the lease to at least `ms` from now plus a settle margin; never shortens it. @throws `ClaimLost` */
  async ensureLease(claim: Claim, ms: number): Promise<number> {
    checkClaim(claim);
    checkMs(ms, 'ms');
    return this.transact((ops) => ops.ensureLease(claim, ms));
  }

  /** Sets the lease to `ms` from now (it may shorten it). @throws `ClaimLost` */
  async renewLease(claim: Claim, ms: number): Promise<number> {
    checkClaim(claim);
    checkMs(ms, 'ms');
    return this.transact(async (ops) => {
      const job = await settle.fence(ops.t, claim);
      job.leaseUntil = ops.now() + ms;
      ops.t.put('jobs', job);
      return job.leaseUntil;
    });
  }

  async leaseExpiry(jobId: string): Promise<number | undefined> {
    return (await this.getJob(jobId))?.leaseUntil;
  }

  // ---- inspection ----------------------------------------------------------------------

  async stats(queue: string): Promise<QueueStats> {
    checkQueueName(queue);
    return this.store.read((t) => stats(t, queue), ['jobs', 'queues']);
  }

  async getJob(jobId: string): Promise<JobRecord | undefined> {
    checkString(jobId, 'jobId');
    return this.store.read((t) => t.get<JobRecord>('jobs', jobId), ['jobs']);
  }

  async history(jobId: string): Promise<JobAttemptRecord[]> {
    checkString(jobId, 'jobId');
    return this.store.read((t) => history(t, jobId), ['attempts']);
  }

  async listQueues(): Promise<string[]> {
    return (await this.store.read((t) => t.getAllKeys('queues', undefined), ['queues'])) as string[];
  }

  // ---- KV ------------------------------------------------------------------------------

  /** The app KV: `QueueCore`'s reads, plus writes and compare-and-set. */
  override readonly kv = {
    ...kvReads(this.store),
    put: async (key: string, value: Json): Promise<void> => {
      checkKvKey(key); // before `{ [key]: value }` turns a number or an object into a string
      checkKvWrites({ [key]: value }, this.defaults.maxPayloadBytes);
      await this.store.write(async (t) => t.put('kv', { key, value }));
    },
    delete: async (key: string): Promise<void> => {
      checkKvKey(key);
      await this.store.write(async (t) => t.delete('kv', key));
    },
    compareDelete: async (key: string, expected: Json): Promise<boolean> => {
      checkKvKey(key);
      checkJson(expected, 'expected value');
      return this.store.write((t) => kvCompareDelete(t, key, expected));
    },
    comparePut: async (key: string, expected: Json | undefined, value: Json): Promise<boolean> => {
      checkKvKey(key);
      checkKvWrites({ [key]: value }, this.defaults.maxPayloadBytes);
      if (expected !== undefined) checkJson(expected, 'expected value');
      return this.store.write((t) => kvComparePut(t, key, expected, value));
    },
  };

  close(): void {
    this.store.close();
  }

  /** Validates effects before the transaction, so a bad follow-up never aborts a batch. */
  checkEffects(effects: SettleEffects | undefined): void {
    if (effects === undefined) return;
    checkOptions(effects, 'effects');
    if (effects.enqueue !== undefined && !Array.isArray(effects.enqueue)) throw invalidArgument('effects.enqueue', 'must be an array', effects.enqueue);
    (effects.enqueue ?? []).forEach((f, i) => checkOptions(f, `effects.enqueue[${i}]`));
    for (const f of (effects.enqueue ?? []) as FollowUp[]) {
      const { queue, payload, ...o } = f;
      checkEnqueue(queue, payload, o, this.config(queue));
    }
    if (effects.kvPut !== undefined) checkKvWrites(effects.kvPut, this.defaults.maxPayloadBytes);
    if (effects.kvDelete !== undefined) {
      if (!Array.isArray(effects.kvDelete)) throw invalidArgument('effects.kvDelete', 'must be an array of keys', effects.kvDelete);
      effects.kvDelete.forEach(checkKvKey);
    }
    if (effects.apply !== undefined) checkFunction(effects.apply, 'effects.apply');
  }

  // ---- internals -----------------------------------------------------------------------

  #afterSettle(claim: Claim, effects: SettleEffects | undefined): void {
    this.events.emit({ type: 'settled', jobId: claim.job.id });
    this.announceQueues(effects?.enqueue?.map((f) => f.queue) ?? []);
  }
}
