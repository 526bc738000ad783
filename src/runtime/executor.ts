/**
 * The executor: claims step and notification jobs up to the concurrency limit and runs them.
 * Only the instance holding the executor role (the host's executor lock) runs one.
 *
 * Loop invariant: a wake-up armed before each claim is tripped by any event that may create
 * work (an enqueue in this process, a freed slot, stop), so no wake-up falls between "claimed
 * nothing" and "went to sleep". Otherwise it sleeps on the runtime clock until the next due
 * job, the next maintenance tick or the poll interval (work from other instances).
 */
import { WorkflowError, isWorkflowError, messageOf } from '../core/errors.ts';
import { idProblem } from '../core/ids.ts';
import { hashJson, type Json } from '../core/json.ts';
import { StepError, isStepError } from '../core/outcome.ts';
import type { Claim } from '../queue/types.ts';
import type { JobRecord } from '../store/db.ts';
import type { RuntimeContext } from './context.ts';
import { Deliveries, type Running } from './deliveries.ts';
import { LEASE_LOST } from './delivery-lease.ts';
import { processNotification } from './notifications.ts';
import { parkingOf } from './parking.ts';
import { HEADER, bufferId, toStatus, type EventRecord, type MemoRecord, type RunRecord } from './records.ts';
import { SettleBatcher } from './settle-batcher.ts';
import { checkOutcome, claimWithRuns, parseReplay, remainingDelay, type ClaimedStep, type Delivery, type Verdict } from './settlement.ts';
import { buildStep, type DeliveryHandles } from './step-context.ts';
import type { StepRunner } from './types.ts';

/** Backoff for a settlement that failed on storage (O-16): the runner is not re-invoked. */
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
   * waiting for its lease (G-03, O-06). A late settlement of such a claim fails `ClaimLost`.
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
      else this.#inFlight.start(claim, (entry) => this.#deliver(entry, run), () => this.#wake.abort());
    }
  }

  async #deliver(entry: Running, prefetched?: RunRecord): Promise<void> {
    const { claim } = entry;
    if (claim.job.headers[HEADER.terminal] !== undefined) {
      await processNotification(this.#ctx, claim, entry.lease).catch(ignoreClaimLost);
      return;
    }
    const h = claim.job.headers;
    const runId = h[HEADER.runId];
    const stepText = h[HEADER.step];
    if (runId === undefined || idProblem(runId) || stepText === undefined || !/^\d{1,9}$/.test(stepText)) {
      // M-11: a step job this runtime cannot read is dead-lettered without calling a runner.
      const bad = runId === undefined || idProblem(runId) ? HEADER.runId : HEADER.step;
      await this.#ctx.queue.transact((ops) => ops.deadLetter(claim, `malformed step job: header ${bad} is missing or invalid`)).catch(ignoreClaimLost);
      return;
    }
    const stepNumber = Number(stepText);
    const base: Delivery = { claim, runId, stepNumber, memoHits: 0, startedAt: this.#ctx.clock.now() };
    const run = prefetched?.runId === runId ? prefetched : await this.#ctx.store.read((t) => t.get<RunRecord>('runs', runId), ['runs']);
    if (!run || run.state !== 'active' || run.jobId !== claim.job.id || claim.job.cancelRequested || run.cancelRequested) {
      // Ended, moved on, or cancelled before this delivery began: settle without the runner.
      await this.#settle(base, { kind: 'cancelled' });
      return;
    }
    // The run is now running this delivery: tell watchers (built from what was just read).
    if (this.#ctx.listening()) this.#ctx.emitStatus(toStatus(run, claim.job as JobRecord));
    const runner = this.#ctx.options.workflows[run.workflow];
    if (!runner) {
      // Another build of the app, beside this one during a deploy, accepted this run: the job is
      // put back unspent and waits for an instance that knows the workflow (parking.ts).
      await parkingOf(this.#ctx).park(claim, { kind: 'workflow', name: run.workflow }).catch(ignoreClaimLost);
      this.#ctx.publish([runId]);
      return;
    }
    const d: Delivery = { ...base };
    const event = await this.#observeEvent(claim, d);
    if (this.#ctx.options.stepOutputReplay) {
      d.payloadHash = await hashJson(claim.job.payload);
      const replay = await this.#replay(d);
      if (replay) {
        await this.#settle(d, replay);
        return;
      }
    }
    const handles = buildStep(this.#ctx, claim, run, stepNumber, event, entry);
    const verdict = await this.#runStep(runner, handles);
    handles.effects.seal();
    d.memoHits = handles.memo.hits;
    if (verdict) {
      if (verdict.kind === 'outcome' && d.payloadHash !== undefined) await this.#recordOutcome(d, verdict);
      await this.#settle(d, verdict);
    }
  }

  /** What `step.event` is for a step that follows a `waitForEvent` (J-03, J-08, J-10). */
  async #observeEvent(claim: Claim, d: Delivery): Promise<{ key: string; payload: Json | null } | undefined> {
    const key = claim.job.headers[HEADER.event];
    if (key === undefined) return undefined;
    d.eventKey = key;
    if (claim.job.wokenAt !== null) return { key, payload: claim.job.wakePayload };
    const ev = await this.#ctx.store.read((t) => t.get<EventRecord>('events', key), ['events']);
    if (ev?.buffered) {
      d.consumedBufferId = bufferId(ev.buffered);
      return { key, payload: ev.buffered.payload };
    }
    return { key, payload: null };
  }

  /**
   * Step-output replay (G-10…G-13): the runner's outcome is recorded in its own commit BEFORE
   * the settlement, so a delivery whose settlement is lost (crash, claim recovered) is replayed
   * on redelivery instead of re-running. Not for a run cancelled from outside (its outcome is
   * overridden). Best effort: a failed write only costs a re-run.
   */
  async #recordOutcome(d: Delivery, v: Extract<Verdict, { kind: 'outcome' }>): Promise<void> {
    const value = { outcome: v.outcome, effects: v.effects, storedAt: this.#ctx.clock.now() } as unknown as Json;
    await this.#ctx.store
      .write(async (t) => {
        const [job, run] = await Promise.all([t.get<JobRecord>('jobs', d.claim.job.id), t.get<RunRecord>('runs', d.runId)]);
        if (job?.cancelRequested || run?.cancelRequested) return;
        // Not for a run that ended or moved on: its memos may be swept already, and would stay.
        if (run?.state !== 'active' || run.jobId !== d.claim.job.id) return;
        t.put('memos', { runId: d.runId, step: d.stepNumber, key: `r:${d.payloadHash}`, value } satisfies MemoRecord);
      })
      .catch((e: unknown) => {
        this.lastError = e;
      });
  }

  async #replay(d: Delivery): Promise<Verdict | undefined> {
    const rec = await this.#ctx.store.read((t) => t.get<MemoRecord>('memos', [d.runId, d.stepNumber, `r:${d.payloadHash}`]), ['memos']);
    const r = parseReplay(rec?.value);
    if (!r) return undefined;
    let outcome = r.outcome;
    const now = this.#ctx.clock.now();
    if (outcome.kind === 'next' && outcome.delayMs !== undefined) outcome = { ...outcome, delayMs: remainingDelay(r.storedAt, now, outcome.delayMs) };
    if (outcome.kind === 'waitForEvent' && outcome.timeoutMs !== undefined) outcome = { ...outcome, timeoutMs: remainingDelay(r.storedAt, now, outcome.timeoutMs) };
    return { kind: 'outcome', outcome, effects: r.effects, replayed: true };
  }

  /**
   * Runs the runner under the delivery's lease (delivery-lease.ts). Resolves its verdict, or
   * undefined when the lease ran out first (the runner hangs, or never extends): the step's
   * signal is then aborted and the delivery abandoned to the reaper, with no settlement.
   * A delivery aborted before its runner starts (a cancel between the claim and here) never
   * starts it: its settlement reads the stored cancel and ends the run cancelled.
   */
  async #runStep(runner: StepRunner, h: DeliveryHandles): Promise<Verdict | undefined> {
    const verdict = await h.lease.guard(async (): Promise<Verdict> => {
      const { signal } = h.controller;
      if (signal.aborted) return { kind: 'error', error: StepError.transient(`the step was aborted before its runner started: ${messageOf(signal.reason)}`) };
      try {
        const outcome = checkOutcome(await runner(h.step), this.#ctx.options.maxPayloadBytes);
        return { kind: 'outcome', outcome, effects: h.effects.toJson(), replayed: false };
      } catch (e) {
        return { kind: 'error', error: isStepError(e) ? e : StepError.from(e) };
      }
    });
    return verdict === LEASE_LOST ? undefined : verdict;
  }

  /**
   * Settles, retrying a storage failure with backoff (O-16); a lost claim is not an error. The
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

function cancelReason(): WorkflowError {
  return new WorkflowError('CancelRequested', 'the run was cancelled');
}

function ignoreClaimLost(e: unknown): void {
  if (!isWorkflowError(e, 'ClaimLost')) throw e;
}

