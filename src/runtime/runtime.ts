/**
 * `Runtime`: taquba-workflow's semantics on the IndexedDB queue. Any instance (SharedWorker,
 * per-tab worker, a Node test) can submit, read, cancel and send events against the database;
 * only a started one (the holder of the executor role) claims and runs steps.
 *
 * Lifecycle: `open` (database, validation) → `start` (recover abandoned claims, execute, sweep)
 * → `stop({ drain })` → `close`.
 *
 * The runtime holds the queue engine (queue/engine.ts), not a `Queue`, and its maintenance and
 * inspection calls are functions in `stepwise/inspect`: class methods are never tree-shaken, and
 * a worker carries only what every app needs.
 */
import { type Clock, systemClock } from '../core/clock.ts';
import { Emitter } from '../core/emitter.ts';
import { checkFunction } from '../core/check.ts';
import { WorkflowError, invalidArgument } from '../core/errors.ts';
import { randomToken } from '../core/ids.ts';
import type { Json } from '../core/json.ts';
import type { AttemptRecord, DeadJob, DeadJobsQuery, HandoffOutcome, HandoffTarget, ListOutcome, ListQuery, RunEvent, RunOutcome, RunSpec, RunStatus, SubmitOutcome } from '../core/types.ts';
import { FunctionHost } from '../functions/runner.ts';
import { storeJournalRecords } from '../functions/journal.ts';
import { openEngine } from '../queue/engine.ts';
import type { KvPage } from '../queue/kv.ts';
import { Store } from '../store/store.ts';
import { cancelRun } from './cancel.ts';
import type { RuntimeContext } from './context.ts';
import { clearEvent, sendEvent } from './events.ts';
import { Executor } from './executor.ts';
import { RemoteFollower, forwardedCancel, forwardedEvent, handoffCode } from './handoff-check.ts';
import { deadJobs, history, list, status } from './inspect.ts';
import { resolveOptions, type ResolvedOptions, type RuntimeOptions } from './options.ts';
import { parkingOf, type Parking } from './parking.ts';
import { onStepDeadLettered, onStepRequeued, refuseEndedRunRequeue } from './recovered.ts';
import { submit } from './submit.ts';
import { runSweeper } from './sweeper.ts';
import { Waits, type WaitOptions } from './waits.ts';

/** What Stepwise's own maintenance calls (stepwise/inspect, the host) reach inside a runtime. */
export interface RuntimeInternals {
  readonly ctx: RuntimeContext;
  /** Reaps expired leases and recovers dead owners' claims now. */
  recover(): Promise<void>;
}

let internalsOf: (runtime: Runtime) => RuntimeInternals;

export class Runtime {
  readonly #ctx: RuntimeContext;
  readonly #executor: Executor;
  readonly #waits: Waits;
  readonly #remote: RemoteFollower;
  readonly #events = new Emitter<RunEvent>();
  /** Runs ended by the queue itself (recovery, lease expiry), published once that commit is done. */
  readonly #autoEnded = new Set<string>();
  #sweeper: AbortController | undefined;
  #closed = false;

  private constructor(store: Store, clock: Clock, owner: string, options: ResolvedOptions) {
    const events = this.#events;
    const queue = openEngine(store, {
      clock,
      owner,
      defaults: { retry: options.retry, leaseMs: options.leaseMs, deadRetentionMs: options.deadRetentionMs, maxPayloadBytes: options.maxPayloadBytes },
      onAutoDeadLetter: async (ops, job, reason) => {
        const ended = await onStepDeadLettered(this.#ctx, ops, job, reason);
        if (ended === undefined) return;
        this.#autoEnded.add(ended);
        queueMicrotask(() => this.#flushAutoEnded());
      },
      onAutoRequeue: (ops, job, reason) => onStepRequeued(this.#ctx, ops, job, reason),
    });
    this.#ctx = {
      queue,
      store,
      clock,
      options,
      events,
      publish: (ids) => this.#publish(ids),
      listening: () => events.size > 0,
      emitStatus: (status) => events.emit({ type: 'status', status }),
    };
    this.#executor = new Executor(this.#ctx);
    this.#waits = new Waits(this.#ctx);
    this.#remote = new RemoteFollower(this.#ctx);
  }

  static {
    internalsOf = (r) => ({
      ctx: r.#ctx,
      recover: async () => {
        await r.#ctx.queue.reap();
        await r.#executor.recover();
        r.#flushAutoEnded();
      },
    });
  }

  /**
   * Opens (creating or upgrading) the database and validates the options. Nothing runs until `start`.
   * @throws WorkflowError `InvalidArgument` for bad options, `StoreError`/`StoreClosed` for storage trouble
   */
  static async open(options: RuntimeOptions): Promise<Runtime> {
    const functions = new FunctionHost();
    const resolved = resolveOptions(options, functions);
    const clock: Clock = options.clock ?? systemClock;
    if (typeof clock.now !== 'function' || typeof clock.sleep !== 'function') throw invalidArgument('clock', 'must have now() and sleep(ms, signal)');
    const store = await Store.open({
      name: resolved.name,
      ...(options.indexedDB ? { indexedDB: options.indexedDB } : {}),
      ...(options.IDBKeyRange ? { IDBKeyRange: options.IDBKeyRange } : {}),
      ...(options.durability ? { durability: options.durability } : {}),
    });
    functions.attach(storeJournalRecords(store), clock, resolved.maxPayloadBytes);
    try {
      return new Runtime(store, clock, options.owner ?? `rt-${randomToken()}`, resolved);
    } catch (e) {
      store.close(); // bad configuration: leave no connection open
      throw e;
    }
  }

  /** The clock every timestamp of this runtime comes from. */
  get clock(): Clock {
    return this.#ctx.clock;
  }

  /** This instance's claim owner id. */
  get owner(): string {
    return this.#ctx.queue.owner;
  }

  get isRunning(): boolean {
    return this.#executor.running;
  }

  /** Begins executing: recovers abandoned claims, then claims and runs steps; starts the sweeper. */
  async start(): Promise<void> {
    this.#checkOpen();
    if (this.#executor.running) return;
    await this.#executor.start();
    this.#remote.start();
    this.#flushAutoEnded();
    if (!this.#sweeper) {
      const ac = (this.#sweeper = new AbortController());
      void runSweeper(this.#ctx, ac.signal, (e) => (this.#executor.lastError = e));
    }
  }

  /**
   * Stops claiming. `drain: true` (default) waits for the steps in flight to settle;
   * `drain: false` returns at once and aborts nothing: steps still running settle if they can,
   * and are redelivered by whoever executes next if not.
   */
  async stop(options: { drain?: boolean } = {}): Promise<void> {
    this.#sweeper?.abort();
    this.#sweeper = undefined;
    await Promise.all([this.#executor.stop(options.drain ?? true), this.#remote.stop()]);
    // Jobs parked here for lack of their workflow or hook are due at once for the next executor.
    if (!this.#ctx.store.isClosed) await parkingOf(this.#ctx).handBack().catch((e: unknown) => (this.#executor.lastError = e));
  }

  /** Jobs this instance put back because it lacks their workflow or hook (see parking.ts). */
  get parking(): Parking {
    return parkingOf(this.#ctx);
  }

  /** Stops (draining) and closes the database. */
  async close(): Promise<void> {
    if (this.#closed) return;
    await this.stop({ drain: true });
    this.#closed = true;
    this.#ctx.store.close();
  }

  /** Starts a run; idempotent on (runId, input). @throws `UnknownWorkflow`, `InvalidRunId`, `InputMismatch`, `ReservedHeader`, `ReservedKvKey`, `InvalidPayload`, `PayloadTooLarge`, `QuotaExceeded` */
  submit(spec: RunSpec): Promise<SubmitOutcome> {
    return this.#guard(() => submit(this.#ctx, spec));
  }

  /** Cancels an active run. @returns false for unknown, finished or already-cancelling runs */
  async cancel(runId: string): Promise<boolean> {
    return this.#guard(async () => {
      const remote = await forwardedCancel(this.#ctx, runId);
      if (remote !== undefined) return remote;
      const out = await cancelRun(this.#ctx, runId);
      if (out.cancelled && out.running) this.#executor.abortRun(runId);
      return out.cancelled;
    });
  }

  status(runId: string): Promise<RunStatus | undefined> {
    return this.#guard(() => status(this.#ctx, runId));
  }

  list(query?: ListQuery): Promise<ListOutcome> {
    return this.#guard(() => list(this.#ctx, query));
  }

  /**
   * Resolves with the outcome once the run has ended (at once for an ended run still kept).
   * Waits are cheap: they share one poll (waits.ts), and a wait whose `signal` aborts is dropped.
   * @throws `RunNotFound`, `Timeout` after `timeoutMs` on the runtime clock, `Unavailable` once `signal` aborts
   */
  wait(runId: string, options: WaitOptions = {}): Promise<RunOutcome> {
    return this.#guard(() => this.#waits.wait(runId, options));
  }

  sendEvent(key: string, payload: Json): Promise<'delivered' | 'buffered'> {
    return this.#guard(async () => (await forwardedEvent(this.#ctx, key, payload)) ?? sendEvent(this.#ctx, key, payload));
  }

  /** Hands a run to a server through the app's gateway (handoff.ts); its outcome lands here once. @throws `RunNotFound`, `RunTerminal`, `HandoffRefused`, `Unavailable`, `Timeout`, `InvalidState` */
  handoff(runId: string, target: HandoffTarget): Promise<HandoffOutcome> {
    return this.#guard(async () => {
      const { handoff } = await handoffCode(); // loaded now: few apps hand off (handoff-check.ts)
      const out = await handoff(this.#ctx, runId, target);
      this.#remote.kick();
      return out;
    });
  }

  clearEvent(key: string): Promise<boolean> {
    return this.#guard(() => clearEvent(this.#ctx, key));
  }

  deadJobs(query?: DeadJobsQuery): Promise<DeadJob[]> {
    return this.#guard(() => deadJobs(this.#ctx, query));
  }

  /**
   * Requeues a dead notification job. A step job is dead-lettered only together with the end of
   * its run, and a run ends once: requeueing a dead step job is refused with `RunTerminal`.
   * @throws `JobNotFound`, `InvalidState`, `RunTerminal`
   */
  requeueDead(jobId: string): Promise<void> {
    return this.#guard(() => this.#ctx.queue.requeueDead(jobId, refuseEndedRunRequeue(this.#ctx)));
  }

  history(runId: string): Promise<AttemptRecord[]> {
    return this.#guard(() => history(this.#ctx, runId));
  }

  /** Live status changes and progress of every run this instance touches. @returns unsubscribe */
  subscribe(listener: (e: RunEvent) => void): () => void {
    checkFunction(listener, 'listener');
    return this.#events.on(listener);
  }

  /** The app KV that step effects write to (read-only here). */
  readonly kv = {
    get: (key: string): Promise<Json | undefined> => this.#guard(() => this.#ctx.queue.kv.get(key)),
    scan: (prefix: string, options?: { after?: string; limit?: number }): Promise<KvPage> => this.#guard(() => this.#ctx.queue.kv.scan(prefix, options)),
  };

  /** The last storage error the background loops survived, if any. */
  get lastError(): unknown {
    return this.#executor.lastError;
  }

  // ---- internals ---------------------------------------------------------------------

  #flushAutoEnded(): void {
    if (this.#autoEnded.size === 0) return;
    const ids = [...this.#autoEnded];
    this.#autoEnded.clear();
    this.#publish(ids);
  }

  /** Emits the stored status of these runs to subscribers (reads only when someone listens). */
  #publish(ids: Iterable<string>): void {
    if (this.#events.size === 0) return;
    for (const id of new Set(ids)) {
      void status(this.#ctx, id)
        .then((s) => {
          if (s) this.#events.emit({ type: 'status', status: s });
        })
        .catch(() => undefined);
    }
  }

  #checkOpen(): void {
    if (this.#closed) throw new WorkflowError('StoreClosed', 'the runtime was closed');
  }

  async #guard<T>(fn: () => Promise<T>): Promise<T> {
    this.#checkOpen();
    return fn();
  }
}

/** A runtime's internals, for Stepwise's own modules only (never re-exported from an entry). */
export function runtimeInternals(runtime: Runtime): RuntimeInternals {
  if (!(runtime instanceof Runtime)) throw invalidArgument('runtime', 'must be a Runtime', runtime);
  return internalsOf(runtime);
}
