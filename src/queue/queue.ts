/**
 * `Queue`: durable jobs on the store. Every method validates its input first (a named error,
 * nothing written), then runs exactly one transaction. Read-write transactions are
 * group-committed by the store, so concurrent settlements share commits.
 *
 * Events (`on`) are emitted in this process after the transaction commits: `enqueued` wakes
 * idle claimers, `cancelRequested` lets the runtime abort a running step.
 */
import { type Clock, systemClock } from '../core/clock.ts';
import { Emitter } from '../core/emitter.ts';
import { WorkflowError, describe, invalidArgument } from '../core/errors.ts';
import { UlidGenerator, randomToken } from '../core/ids.ts';
import { checkJson, type Json } from '../core/json.ts';
import type { JobAttemptRecord, JobRecord } from '../store/db.ts';
import { Store, type StoreOptions } from '../store/store.ts';
import type { Tx } from '../store/tx.ts';
import { claimJobs, nextDueAt } from './claim.ts';
import { DEFAULT_QUEUE_CONFIG, checkQueueName, queueConfig, type QueueContext } from './context.ts';
import { insertJob } from './enqueue.ts';
import { deadJobs, history, requeueDead, stats } from './inspect.ts';
import { kvCompareDelete, kvComparePut, kvGet, kvScan, type KvPage } from './kv.ts';
import { claimOwners, reapExpired, recoverOwners, sweepRetention, type RecoveryOutcome } from './recovery.ts';
import { QueueOps } from './ops.ts';
import * as settle from './settle.ts';
import type {
  AutoDeadLetterHook,
  AutoRequeueHook,
  CancelOutcome,
  Claim,
  ClaimOptions,
  EnqueueOptions,
  EnqueueOutcome,
  FollowUp,
  NackOutcome,
  QueueConfig,
  QueueConfigInput,
  QueueStats,
  SettleEffects,
  WakeOutcome,
} from './types.ts';
import { checkEnqueue, checkKvKey, checkKvWrites } from './validate.ts';

export interface QueueOptions {
  clock?: Clock;
  /** Recorded on every claim this instance makes. @default a random id */
  owner?: string;
  /** Settings for every queue. */
  defaults?: QueueConfigInput;
  /** Per-queue overrides of `defaults`. */
  queues?: Record<string, QueueConfigInput>;
  onAutoDeadLetter?: AutoDeadLetterHook;
  onAutoRequeue?: AutoRequeueHook;
}

export type QueueEvent =
  | { type: 'enqueued'; queue: string; runAt: number }
  | { type: 'cancelRequested'; jobId: string }
  | { type: 'settled'; jobId: string };

export class Queue {
  readonly store: Store;
  readonly clock: Clock;
  readonly owner: string;
  readonly #ctx: QueueContext;
  readonly #defaults: QueueConfig;
  readonly #events = new Emitter<QueueEvent>();

  constructor(store: Store, options: QueueOptions = {}) {
    this.store = store;
    this.clock = options.clock ?? systemClock;
    this.owner = options.owner ?? `q-${randomToken()}`;
    const defaults = queueConfig(options.defaults, DEFAULT_QUEUE_CONFIG);
    this.#defaults = defaults;
    const perQueue = new Map<string, QueueConfig>();
    for (const [name, c] of Object.entries(options.queues ?? {})) {
      checkQueueName(name);
      perQueue.set(name, queueConfig(c, defaults));
    }
    this.#ctx = {
      clock: this.clock,
      ids: new UlidGenerator(this.clock),
      config: (q) => perQueue.get(q) ?? defaults,
      knownQueues: new Set(),
      onAutoDeadLetter: options.onAutoDeadLetter,
      onAutoRequeue: options.onAutoRequeue,
    };
  }

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

  config(queue: string): QueueConfig {
    return this.#ctx.config(queue);
  }

  /** Generates a fresh ULID on this queue's clock. */
  newId(): string {
    return this.#ctx.ids.next();
  }

  on(listener: (e: QueueEvent) => void): () => void {
    return this.#events.on(listener);
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
    const out = await this.store.write(async (t) => {
      const res: EnqueueOutcome[] = [];
      for (const { payload, ...o } of items) res.push(await insertJob(t, this.#ctx, queue, payload, o));
      return res;
    });
    this.#ctx.knownQueues.add(queue);
    this.#announce(out.some((o) => o.kind === 'new') ? [queue] : []);
    return out;
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
    if (!(Number.isSafeInteger(max) && max >= 0)) throw invalidArgument('max', 'must be an integer >= 0', max);
    if (options.leaseMs !== undefined && !(Number.isFinite(options.leaseMs) && options.leaseMs >= 0)) {
      throw invalidArgument('leaseMs', 'must be a finite number >= 0', options.leaseMs);
    }
    if (max === 0) return [];
    return this.store.write((t) => claimJobs(t, this.#ctx, queue, max, this.owner, options.leaseMs));
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
    if (!(Number.isFinite(timeoutMs) && timeoutMs >= 0)) throw invalidArgument('timeoutMs', 'must be a finite number >= 0', timeoutMs);
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

  async nextDueAt(queue: string): Promise<number | undefined> {
    checkQueueName(queue);
    return this.store.read((t) => nextDueAt(t, queue), ['jobs']);
  }

  /**
   * Runs `body` in one read-write transaction with the queue's primitives bound to it (see
   * ops.ts), then announces the queues that received ready jobs. Validate inputs first with
   * `checkEnqueue`/`checkEffects`: a throw inside aborts everything `body` did.
   */
  async transact<T>(body: (ops: QueueOps) => Promise<T>, options: { strict?: boolean } = {}): Promise<T> {
    let touched: Set<string> = new Set();
    const out = await this.store.write(async (t) => {
      const ops = new QueueOps(t, this.#ctx, this.owner);
      const r = await body(ops);
      touched = ops.touched;
      return r;
    }, options);
    this.#announce([...touched]);
    return out;
  }

  /** Validates what `transact` bodies will enqueue. @throws as `enqueue` */
  checkEnqueue(queue: string, payload: Json, options?: EnqueueOptions): void {
    checkEnqueue(queue, payload, options, this.config(queue));
  }

  /** Tells idle claimers (and `on` listeners) that `queue` may have work. */
  announce(queue: string): void {
    this.#announce([queue]);
  }

  /** Reports a cancel request committed by a `transact` body. */
  announceCancel(jobId: string): void {
    this.#events.emit({ type: 'cancelRequested', jobId });
  }

  // ---- settle --------------------------------------------------------------------------

  /** Acknowledges a claim and applies `effects` with it. @throws `ClaimLost` (nothing applied) */
  async ack(claim: Claim, effects?: SettleEffects, options: { strict?: boolean } = {}): Promise<EnqueueOutcome[]> {
    this.#checkClaim(claim);
    checkOptions(options, 'ack options');
    this.checkEffects(effects);
    const out = await this.store.write((t) => settle.ack(t, this.#ctx, claim, effects), options);
    this.#afterSettle(claim, effects);
    return out;
  }

  /**
   * Reports a failed attempt: retried after backoff (or `retryAfterMs`, capped) while attempts
   * remain, with `effects` dropped; dead-lettered with `effects` applied once they are spent.
   */
  async nack(claim: Claim, error: string, options: { retryAfterMs?: number; effects?: SettleEffects; strict?: boolean } = {}): Promise<NackOutcome> {
    this.#checkClaim(claim);
    if (typeof error !== 'string') throw invalidArgument('error', 'must be a string', error);
    checkOptions(options, 'nack options');
    if (options.retryAfterMs !== undefined && !(Number.isFinite(options.retryAfterMs) && options.retryAfterMs >= 0)) {
      throw invalidArgument('retryAfterMs', 'must be a finite number >= 0', options.retryAfterMs);
    }
    this.checkEffects(options.effects);
    const out = await this.store.write((t) => settle.nack(t, this.#ctx, claim, error, options.retryAfterMs, options.effects), options);
    this.#afterSettle(claim, out.kind === 'deadLettered' ? options.effects : undefined);
    return out;
  }

  /** Dead-letters a claim now (attempts unchanged). @throws `ClaimLost` */
  async deadLetter(claim: Claim, reason: string, effects?: SettleEffects, options: { strict?: boolean } = {}): Promise<EnqueueOutcome[]> {
    this.#checkClaim(claim);
    if (typeof reason !== 'string') throw invalidArgument('reason', 'must be a string', reason);
    checkOptions(options, 'deadLetter options');
    this.checkEffects(effects);
    const out = await this.store.write((t) => settle.deadLetter(t, this.#ctx, claim, reason, effects), options);
    this.#afterSettle(claim, effects);
    return out;
  }

  /** Removes a waiting job (with `effects`), or records a cancel request on a claimed one. */
  async cancel(jobId: string, effects?: SettleEffects): Promise<CancelOutcome> {
    if (typeof jobId !== 'string') throw invalidArgument('jobId', 'must be a string', jobId);
    this.checkEffects(effects);
    const out = await this.store.write((t) => settle.cancel(t, this.#ctx, jobId, effects), { strict: true });
    if (out.kind === 'requested') this.#events.emit({ type: 'cancelRequested', jobId });
    if (out.kind === 'removed') this.#announce(effects?.enqueue?.map((f) => f.queue) ?? []);
    return out;
  }

  /**
   * Makes a scheduled job due now, handing it `payload` (checked against its queue's
   * `maxPayloadBytes`). @throws `InvalidPayload`, `PayloadTooLarge`
   */
  async wakeScheduled(jobId: string, payload?: Json): Promise<WakeOutcome> {
    if (typeof jobId !== 'string') throw invalidArgument('jobId', 'must be a string', jobId);
    if (payload !== undefined) checkJson(payload, 'wake payload');
    const out = await this.store.write((t) => settle.wakeScheduled(t, this.#ctx, jobId, payload));
    if (out === 'woken') {
      const job = await this.getJob(jobId);
      if (job) this.#announce([job.queue]);
    }
    return out;
  }

  /** Extends the lease to at least `ms` from now plus a settle margin; never shortens it. @throws `ClaimLost` */
  async ensureLease(claim: Claim, ms: number): Promise<number> {
    this.#checkClaim(claim);
    if (!(Number.isFinite(ms) && ms >= 0)) throw invalidArgument('ms', 'must be a finite number >= 0', ms);
    return this.store.write((t) => settle.ensureLease(t, this.#ctx, claim, ms));
  }

  /** Sets the lease to `ms` from now. @throws `ClaimLost` */
  async renewLease(claim: Claim, ms: number): Promise<number> {
    this.#checkClaim(claim);
    if (!(Number.isFinite(ms) && ms >= 0)) throw invalidArgument('ms', 'must be a finite number >= 0', ms);
    return this.store.write((t) => settle.renewLease(t, this.#ctx, claim, ms));
  }

  async leaseExpiry(jobId: string): Promise<number | undefined> {
    return (await this.getJob(jobId))?.leaseUntil;
  }

  // ---- recovery and retention ----------------------------------------------------------

  /** Returns expired claims to pending (or dead at their attempt limit). */
  async reap(): Promise<RecoveryOutcome> {
    const out = await this.store.write((t) => reapExpired(t, this.#ctx));
    this.#announceRecovered(out);
    return out;
  }

  /**
   * Recovers the claims of owners that are gone. `isAlive` may be asynchronous (a Web Locks
   * query); it is asked outside any transaction, then the recovery re-checks each claim inside one.
   */
  async recoverClaims(isAlive: (owner: string | null) => boolean | Promise<boolean>, options: { queue?: string } = {}): Promise<RecoveryOutcome> {
    if (typeof isAlive !== 'function') throw invalidArgument('isAlive', 'must be a function', isAlive);
    checkOptions(options, 'recoverClaims options');
    if (options.queue !== undefined) checkQueueName(options.queue);
    const owners = await this.store.read((t) => claimOwners(t), ['jobs']);
    const dead = new Set<string | null>();
    for (const o of owners) if (!(await isAlive(o))) dead.add(o);
    if (dead.size === 0) return { requeued: [], deadLettered: [], skipped: 0 };
    const out = await this.store.write((t) => recoverOwners(t, this.#ctx, (o) => dead.has(o), options.queue));
    this.#announceRecovered(out);
    return out;
  }

  /** Deletes done and dead jobs past their retention. @returns how many */
  async sweep(): Promise<number> {
    return this.store.write((t) => sweepRetention(t, this.#ctx));
  }

  // ---- inspection ----------------------------------------------------------------------

  async stats(queue: string): Promise<QueueStats> {
    checkQueueName(queue);
    return this.store.read((t) => stats(t, queue), ['jobs', 'queues']);
  }

  async getJob(jobId: string): Promise<JobRecord | undefined> {
    if (typeof jobId !== 'string') throw invalidArgument('jobId', 'must be a string', jobId);
    return this.store.read((t) => t.get<JobRecord>('jobs', jobId), ['jobs']);
  }

  async deadJobs(queue: string, options: { after?: string; limit?: number } = {}): Promise<JobRecord[]> {
    checkQueueName(queue);
    checkOptions(options, 'deadJobs options');
    if (options.after !== undefined && typeof options.after !== 'string') throw invalidArgument('after', 'must be a job id', options.after);
    const limit = options.limit ?? 100;
    if (!(Number.isSafeInteger(limit) && limit >= 0)) throw invalidArgument('limit', 'must be an integer >= 0', limit);
    return this.store.read((t) => deadJobs(t, queue, options.after, limit), ['jobs']);
  }

  /** @throws `JobNotFound`, `InvalidState` */
  async requeueDead(jobId: string, check?: (t: Tx, job: JobRecord) => Promise<void> | void): Promise<void> {
    if (typeof jobId !== 'string') throw invalidArgument('jobId', 'must be a string', jobId);
    if (check !== undefined && typeof check !== 'function') throw invalidArgument('check', 'must be a function', check);
    await this.store.write((t) => requeueDead(t, this.#ctx, jobId, check), { strict: true });
    const job = await this.getJob(jobId);
    if (job) this.#announce([job.queue]);
  }

  async history(jobId: string): Promise<JobAttemptRecord[]> {
    if (typeof jobId !== 'string') throw invalidArgument('jobId', 'must be a string', jobId);
    return this.store.read((t) => history(t, jobId), ['attempts']);
  }

  async listQueues(): Promise<string[]> {
    return (await this.store.read((t) => t.getAllKeys('queues', undefined), ['queues'])) as string[];
  }

  // ---- KV ------------------------------------------------------------------------------

  readonly kv = {
    get: async (key: string): Promise<Json | undefined> => {
      checkKvKey(key);
      return this.store.read((t) => kvGet(t, key), ['kv']);
    },
    put: async (key: string, value: Json): Promise<void> => {
      checkKvKey(key); // before `{ [key]: value }` turns a number or an object into a string
      checkKvWrites({ [key]: value }, this.#defaults.maxPayloadBytes);
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
      checkKvWrites({ [key]: value }, this.#defaults.maxPayloadBytes);
      if (expected !== undefined) checkJson(expected, 'expected value');
      return this.store.write((t) => kvComparePut(t, key, expected, value));
    },
    scan: async (prefix: string, options: { after?: string; limit?: number } = {}): Promise<KvPage> => {
      if (typeof prefix !== 'string') throw invalidArgument('prefix', 'must be a string', prefix);
      checkOptions(options, 'scan options');
      if (options.after !== undefined && typeof options.after !== 'string') throw invalidArgument('after', 'must be a key', options.after);
      const limit = options.limit ?? 100;
      if (!(Number.isSafeInteger(limit) && limit >= 0)) throw invalidArgument('limit', 'must be an integer >= 0', limit);
      return this.store.read((t) => kvScan(t, prefix, options.after, limit), ['kv']);
    },
  };

  close(): void {
    this.store.close();
  }

  // ---- internals -----------------------------------------------------------------------

  #checkClaim(claim: Claim): void {
    if (typeof claim !== 'object' || claim === null || typeof claim.token !== 'string' || typeof claim.job?.id !== 'string') {
      throw invalidArgument('claim', 'must be a claim returned by claim()', claim);
    }
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
    if (effects.kvPut !== undefined) checkKvWrites(effects.kvPut, this.#defaults.maxPayloadBytes);
    if (effects.kvDelete !== undefined) {
      if (!Array.isArray(effects.kvDelete)) throw invalidArgument('effects.kvDelete', 'must be an array of keys', effects.kvDelete);
      effects.kvDelete.forEach(checkKvKey);
    }
    if (effects.apply !== undefined && typeof effects.apply !== 'function') {
      throw new WorkflowError('InvalidArgument', 'effects.apply must be a function', { value: describe(effects.apply) });
    }
  }

  #afterSettle(claim: Claim, effects: SettleEffects | undefined): void {
    this.#events.emit({ type: 'settled', jobId: claim.job.id });
    this.#announce(effects?.enqueue?.map((f) => f.queue) ?? []);
  }

  #announceRecovered(out: RecoveryOutcome): void {
    // A dead-letter may have enqueued follow-ups through `onAutoDeadLetter`.
    if (out.requeued.length > 0 || out.deadLettered.length > 0) this.#events.emit({ type: 'enqueued', queue: '*', runAt: this.clock.now() });
  }

  #announce(queues: readonly string[]): void {
    const now = this.clock.now();
    for (const q of new Set(queues)) {
      this.#ctx.knownQueues.add(q);
      this.#events.emit({ type: 'enqueued', queue: q, runAt: now });
    }
  }
}

/** Option bags (and batch items, follow-ups) are objects or absent. @throws `InvalidArgument` */
function checkOptions(options: unknown, what: string): void {
  if (options !== undefined && (typeof options !== 'object' || options === null || Array.isArray(options))) {
    throw invalidArgument(what, 'must be an object', options);
  }
}
