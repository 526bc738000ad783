/**
 * `QueueCore`: the part of the queue a runtime builds on. Work goes through transactions with the
 * queue's primitives bound to them (`transact`, see ops.ts); around them: recovery, retention,
 * dead letters and KV reads. `Queue` (queue.ts) adds the standalone API on top (enqueue, claim,
 * settle, leases, job inspection, KV writes); a worker that only hosts a runtime needs this
 * class alone, and class methods are never tree-shaken, hence the split (issue #6).
 *
 * Every method validates its input first (a named error, nothing written), then runs exactly
 * one transaction. Read-write transactions are group-committed by the store, so concurrent
 * settlements share commits.
 *
 * Events (`on`) are emitted in this process after the transaction commits: `enqueued` wakes
 * idle claimers, `cancelRequested` lets the runtime abort a running step.
 */
import { checkFunction, checkOptions, checkString } from '../core/check.ts';
import { type Clock, systemClock } from '../core/clock.ts';
import { Emitter } from '../core/emitter.ts';
import { UlidGenerator, randomToken } from '../core/ids.ts';
import type { JobRecord } from '../store/db.ts';
import type { Store } from '../store/store.ts';
import type { Tx } from '../store/tx.ts';
import { nextDueAt } from './claim.ts';
import { DEFAULT_QUEUE_CONFIG, checkQueueName, queueConfig, type QueueContext } from './context.ts';
import { checkDeadJobsLimit, deadJobs, requeueDead } from './inspect.ts';
import { kvReads, type KvReads } from './kv.ts';
import { QueueOps } from './ops.ts';
import { claimOwners, reapExpired, recoverOwners, sweepRetention, writeRecovery, type RecoveryOutcome } from './recovery.ts';
import type { AutoDeadLetterHook, AutoRequeueHook, QueueConfig, QueueConfigInput } from './types.ts';

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

export class QueueCore {
  readonly store: Store;
  readonly clock: Clock;
  readonly owner: string;
  /** The app KV, read-only here (`Queue.kv` also writes). */
  readonly kv: KvReads;
  /** The settings of every queue without its own (`QueueOptions.defaults` over the built-in ones). */
  protected readonly defaults: QueueConfig;
  /** Time, ids and per-queue settings, for the queue's operations (context.ts). */
  protected readonly ctx: QueueContext;
  protected readonly events = new Emitter<QueueEvent>();

  constructor(store: Store, options: QueueOptions = {}) {
    this.store = store;
    this.clock = options.clock ?? systemClock;
    this.owner = options.owner ?? `q-${randomToken()}`;
    this.kv = kvReads(store);
    const defaults = queueConfig(options.defaults, DEFAULT_QUEUE_CONFIG);
    this.defaults = defaults;
    const perQueue = new Map<string, QueueConfig>();
    for (const [name, c] of Object.entries(options.queues ?? {})) {
      checkQueueName(name);
      perQueue.set(name, queueConfig(c, defaults));
    }
    this.ctx = {
      clock: this.clock,
      ids: new UlidGenerator(this.clock),
      config: (q) => perQueue.get(q) ?? defaults,
      knownQueues: new Set(),
      onAutoDeadLetter: options.onAutoDeadLetter,
      onAutoRequeue: options.onAutoRequeue,
    };
  }

  config(queue: string): QueueConfig {
    return this.ctx.config(queue);
  }

  /** Generates a fresh ULID on this queue's clock. */
  newId(): string {
    return this.ctx.ids.next();
  }

  on(listener: (e: QueueEvent) => void): () => void {
    return this.events.on(listener);
  }

  async nextDueAt(queue: string): Promise<number | undefined> {
    checkQueueName(queue);
    return this.store.read((t) => nextDueAt(t, queue), ['jobs']);
  }

  /**
   * Runs `body` in one read-write transaction with the queue's primitives bound to it (see
   * ops.ts), then announces the queues that received ready jobs. Validate inputs first (validate.ts,
   * `Queue.checkEffects`): a throw inside aborts everything `body` did.
   */
  async transact<T>(body: (ops: QueueOps) => Promise<T>, options: { strict?: boolean } = {}): Promise<T> {
    let touched: Set<string> = new Set();
    const out = await this.store.write(async (t) => {
      const ops = new QueueOps(t, this.ctx, this.owner);
      const r = await body(ops);
      touched = ops.touched;
      return r;
    }, options);
    this.announceQueues([...touched]);
    return out;
  }

  /** Tells idle claimers (and `on` listeners) that `queue` may have work. */
  announce(queue: string): void {
    this.announceQueues([queue]);
  }

  /** Reports a cancel request committed by a `transact` body. */
  announceCancel(jobId: string): void {
    this.events.emit({ type: 'cancelRequested', jobId });
  }

  // ---- recovery and retention ----------------------------------------------------------

  /**
   * Returns expired claims to pending (or dead at their attempt limit). `held`: the claim tokens
   * the caller still works on (its deliveries in flight, which watch their own leases): left alone.
   */
  async reap(options: { held?: ReadonlySet<string> } = {}): Promise<RecoveryOutcome> {
    const out = await writeRecovery(this.store, (t) => reapExpired(t, this.ctx, 512, options.held));
    this.#announceRecovered(out);
    return out;
  }

  /**
   * Recovers the claims of owners that are gone. `isAlive` may be asynchronous (a Web Locks
   * query); it is asked outside any transaction, then the recovery re-checks each claim inside one.
   */
  async recoverClaims(isAlive: (owner: string | null) => boolean | Promise<boolean>, options: { queue?: string } = {}): Promise<RecoveryOutcome> {
    checkFunction(isAlive, 'isAlive');
    checkOptions(options, 'recoverClaims options');
    if (options.queue !== undefined) checkQueueName(options.queue);
    const owners = await this.store.read((t) => claimOwners(t), ['jobs']);
    const dead = new Set<string | null>();
    for (const o of owners) if (!(await isAlive(o))) dead.add(o);
    if (dead.size === 0) return { requeued: [], deadLettered: [], skipped: 0 };
    const out = await writeRecovery(this.store, (t) => recoverOwners(t, this.ctx, (o) => dead.has(o), options.queue));
    this.#announceRecovered(out);
    return out;
  }

  /** Deletes done and dead jobs past their retention. @returns how many */
  async sweep(): Promise<number> {
    return this.store.write((t) => sweepRetention(t, this.ctx));
  }

  // ---- dead letters --------------------------------------------------------------------

  /**
   * Dead jobs of `queue` in id order: `limit` (default 100, at most 1000) after the id `after`.
   * @throws `InvalidArgument` (a limit out of range: page with `after` instead)
   */
  async deadJobs(queue: string, options: { after?: string; limit?: number } = {}): Promise<JobRecord[]> {
    checkQueueName(queue);
    checkOptions(options, 'deadJobs options');
    if (options.after !== undefined) checkString(options.after, 'after', 'must be a job id');
    const limit = options.limit ?? 100;
    checkDeadJobsLimit(limit);
    return this.store.read((t) => deadJobs(t, queue, options.after, limit), ['jobs']);
  }

  /** @throws `JobNotFound`, `InvalidState` */
  async requeueDead(jobId: string, check?: (t: Tx, job: JobRecord) => Promise<void> | void): Promise<void> {
    checkString(jobId, 'jobId');
    if (check !== undefined) checkFunction(check, 'check');
    await this.transact(async (ops) => {
      ops.touched.add(await requeueDead(ops.t, this.ctx, jobId, check));
    }, { strict: true });
  }

  // ---- internals -----------------------------------------------------------------------

  #announceRecovered(out: RecoveryOutcome): void {
    // A dead-letter may have enqueued follow-ups through `onAutoDeadLetter`.
    if (out.requeued.length > 0 || out.deadLettered.length > 0) this.events.emit({ type: 'enqueued', queue: '*', runAt: this.clock.now() });
  }

  /** Tells idle claimers (and `on` listeners) that these queues may have work. */
  protected announceQueues(queues: readonly string[]): void {
    const now = this.clock.now();
    for (const q of new Set(queues)) {
      this.ctx.knownQueues.add(q);
      this.events.emit({ type: 'enqueued', queue: q, runAt: now });
    }
  }
}
