/**
 * The queue engine: one open queue's state (store, clock, owner, per-queue settings, listeners)
 * and the primitives that both `Queue` (queue.ts, the public class) and the runtime build on:
 * transactions with the queue's operations bound to them (`transact`, see ops.ts), recovery,
 * retention, dead letters and KV reads.
 *
 * It is a plain object made by `openEngine`, not a class, and it is never handed to callers: a
 * worker that hosts only a runtime holds an engine and so carries none of `Queue`'s standalone
 * API (class methods are never tree-shaken), and `transact` (a raw transaction) stays inside
 * Stepwise.
 *
 * Every primitive validates its input first (a named error, nothing written), then runs exactly
 * one transaction. Read-write transactions are group-committed by the store, so concurrent
 * settlements share commits. Events (`on`) are emitted in this process after the transaction
 * commits: `enqueued` wakes idle claimers, `cancelRequested` lets the runtime abort a running step.
 */
import { checkFunction, checkOptions, checkString } from '../core/check.ts';
import { type Clock, systemClock } from '../core/clock.ts';
import { Emitter } from '../core/emitter.ts';
import { UlidGenerator, randomToken } from '../core/ids.ts';
import type { JobRecord } from '../store/db.ts';
import type { Store } from '../store/store.ts';
import type { Tx } from '../store/tx.ts';
import { nextDueAt } from './claim.ts';
import { DEFAULT_QUEUE_CONFIG, checkQueueName, queueConfig } from './context.ts';
import { checkDeadJobsLimit, deadJobs, requeueDead } from './inspect.ts';
import { kvReads, type KvReads } from './kv.ts';
import { QueueOps } from './ops.ts';
import { claimOwners, reapExpired, recoverOwners, sweepRetention, writeRecovery, type RecoveryContext, type RecoveryOutcome } from './recovery.ts';
import type { QueueConfig, QueueConfigInput } from './types.ts';

export interface QueueOptions {
  clock?: Clock;
  /** Recorded on every claim this instance makes. @default a random id */
  owner?: string;
  /** Settings for every queue. */
  defaults?: QueueConfigInput;
  /** Per-queue overrides of `defaults`. */
  queues?: Record<string, QueueConfigInput>;
}

/** What a layer above the queue (the runtime) adds: hooks that write in the queue's own transactions. */
export interface EngineOptions extends QueueOptions {
  /** Called inside the transaction that dead-letters a job on the queue's own initiative. */
  onAutoDeadLetter?: RecoveryContext['onAutoDeadLetter'];
  /** Called inside the transaction that returns a recovered claim to pending. */
  onAutoRequeue?: RecoveryContext['onAutoRequeue'];
}

export type QueueEvent =
  | { type: 'enqueued'; queue: string; runAt: number }
  | { type: 'cancelRequested'; jobId: string }
  | { type: 'settled'; jobId: string };

export interface QueueEngine {
  readonly store: Store;
  readonly clock: Clock;
  readonly owner: string;
  /** The app KV, read-only (`Queue.kv` also writes). */
  readonly kv: KvReads;
  /** The settings of every queue without its own (`QueueOptions.defaults` over the built-in ones). */
  readonly defaults: QueueConfig;
  /** Time, ids, per-queue settings and the recovery hooks, for the queue's operations. */
  readonly ctx: RecoveryContext;
  config(queue: string): QueueConfig;
  /** Generates a fresh ULID on this queue's clock. */
  newId(): string;
  on(listener: (e: QueueEvent) => void): () => void;
  /** Emits to `on` listeners; call only after the commit the event describes. */
  emit(e: QueueEvent): void;
  nextDueAt(queue: string): Promise<number | undefined>;
  /**
   * Runs `body` in one read-write transaction with the queue's primitives bound to it (ops.ts),
   * then announces the queues that received ready jobs. Validate inputs first (validate.ts): a
   * throw inside aborts everything `body` did.
   */
  transact<T>(body: (ops: QueueOps) => Promise<T>, options?: { strict?: boolean }): Promise<T>;
  /** Tells idle claimers (and `on` listeners) that these queues may have work. */
  announce(...queues: string[]): void;
  /** Reports a cancel request committed by a `transact` body. */
  announceCancel(jobId: string): void;
  /**
   * Returns expired claims to pending (or dead at their attempt limit). `held`: the claim tokens
   * the caller still works on (its deliveries in flight, which watch their own leases): left alone.
   */
  reap(options?: { held?: ReadonlySet<string> }): Promise<RecoveryOutcome>;
  /**
   * Recovers the claims of owners that are gone. `isAlive` may be asynchronous (a Web Locks
   * query); it is asked outside any transaction, then the recovery re-checks each claim inside one.
   */
  recoverClaims(isAlive: (owner: string | null) => boolean | Promise<boolean>, options?: { queue?: string }): Promise<RecoveryOutcome>;
  /** Deletes done and dead jobs past their retention. @returns how many */
  sweep(): Promise<number>;
  /**
   * Dead jobs of `queue` in id order: `limit` (default 100, at most 1000) after the id `after`.
   * @throws `InvalidArgument` (a limit out of range: page with `after` instead)
   */
  deadJobs(queue: string, options?: { after?: string; limit?: number }): Promise<JobRecord[]>;
  /** `check` may refuse inside the same transaction. @throws `JobNotFound`, `InvalidState` */
  requeueDead(jobId: string, check?: (t: Tx, job: JobRecord) => Promise<void> | void): Promise<void>;
}

/** @throws `InvalidArgument`, `InvalidQueueName` for bad settings (nothing is opened here) */
export function openEngine(store: Store, options: EngineOptions = {}): QueueEngine {
  const clock = options.clock ?? systemClock;
  const owner = options.owner ?? `q-${randomToken()}`;
  const defaults = queueConfig(options.defaults, DEFAULT_QUEUE_CONFIG);
  const perQueue = new Map<string, QueueConfig>();
  for (const [name, c] of Object.entries(options.queues ?? {})) {
    checkQueueName(name);
    perQueue.set(name, queueConfig(c, defaults));
  }
  const events = new Emitter<QueueEvent>();
  const ctx: RecoveryContext = {
    clock,
    ids: new UlidGenerator(clock),
    config: (q) => perQueue.get(q) ?? defaults,
    knownQueues: new Set(),
    onAutoDeadLetter: options.onAutoDeadLetter,
    onAutoRequeue: options.onAutoRequeue,
  };
  const announce = (...queues: string[]): void => {
    const now = clock.now();
    for (const q of new Set(queues)) {
      ctx.knownQueues.add(q);
      events.emit({ type: 'enqueued', queue: q, runAt: now });
    }
  };
  const announceRecovered = (out: RecoveryOutcome): RecoveryOutcome => {
    // A dead-letter may have enqueued follow-ups through `onAutoDeadLetter`.
    if (out.requeued.length > 0 || out.deadLettered.length > 0) events.emit({ type: 'enqueued', queue: '*', runAt: clock.now() });
    return out;
  };
  const engine: QueueEngine = {
    store,
    clock,
    owner,
    kv: kvReads(store),
    defaults,
    ctx,
    config: ctx.config,
    newId: () => ctx.ids.next(),
    on: (listener) => events.on(listener),
    emit: (e) => events.emit(e),
    async nextDueAt(queue) {
      checkQueueName(queue);
      return store.read((t) => nextDueAt(t, queue), ['jobs']);
    },
    async transact(body, o = {}) {
      let touched: Set<string> = new Set();
      const out = await store.write(async (t) => {
        const ops = new QueueOps(t, ctx, owner);
        const r = await body(ops);
        touched = ops.touched;
        return r;
      }, o);
      announce(...touched);
      return out;
    },
    announce,
    announceCancel: (jobId) => events.emit({ type: 'cancelRequested', jobId }),
    async reap(o = {}) {
      return announceRecovered(await writeRecovery(store, (t) => reapExpired(t, ctx, 512, o.held)));
    },
    async recoverClaims(isAlive, o = {}) {
      checkFunction(isAlive, 'isAlive');
      checkOptions(o, 'recoverClaims options');
      if (o.queue !== undefined) checkQueueName(o.queue);
      const owners = await store.read((t) => claimOwners(t), ['jobs']);
      const dead = new Set<string | null>();
      for (const x of owners) if (!(await isAlive(x))) dead.add(x);
      if (dead.size === 0) return { requeued: [], deadLettered: [], skipped: 0 };
      return announceRecovered(await writeRecovery(store, (t) => recoverOwners(t, ctx, (x) => dead.has(x), o.queue)));
    },
    sweep: () => store.write((t) => sweepRetention(t, ctx)),
    async deadJobs(queue, o = {}) {
      checkQueueName(queue);
      checkOptions(o, 'deadJobs options');
      if (o.after !== undefined) checkString(o.after, 'after', 'must be a job id');
      const limit = o.limit ?? 100;
      checkDeadJobsLimit(limit);
      return store.read((t) => deadJobs(t, queue, o.after, limit), ['jobs']);
    },
    async requeueDead(jobId, check) {
      checkString(jobId, 'jobId');
      if (check !== undefined) checkFunction(check, 'check');
      await engine.transact(async (ops) => {
        ops.touched.add(await requeueDead(ops.t, ctx, jobId, check));
      }, { strict: true });
    },
  };
  return engine;
}
