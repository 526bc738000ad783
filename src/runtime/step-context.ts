/**
 * Builds the `Step` a runner receives for one delivery: its abort signal (external cancel or
 * lost lease), memo, staged effects, lease handle and progress channel.
 */
import { WorkflowError } from '../core/errors.ts';
import { checkJson, type Json } from '../core/json.ts';
import type { Claim } from '../queue/types.ts';
import type { RuntimeContext } from './context.ts';
import { StagedEffects } from './effects.ts';
import { StepMemo } from './memo.ts';
import { userHeaders, type RunRecord } from './records.ts';
import type { LeaseHandle, Step } from './types.ts';

export interface DeliveryHandles {
  step: Step;
  memo: StepMemo;
  effects: StagedEffects;
  lease: DeliveryLease;
  controller: AbortController;
}

/** The lease of one delivery, extended through the queue (fenced) and refused once cancelled (F-14). */
export class DeliveryLease implements LeaseHandle {
  #ctx: RuntimeContext;
  #claim: Claim;
  #expiresAt: number;
  /** Called when the expiry moves, so the watchdog re-arms. */
  onExtend: () => void = () => undefined;

  constructor(ctx: RuntimeContext, claim: Claim) {
    this.#ctx = ctx;
    this.#claim = claim;
    this.#expiresAt = claim.job.leaseUntil ?? ctx.clock.now() + ctx.options.leaseMs;
  }

  get expiresAt(): number {
    return this.#expiresAt;
  }

  async extend(ms: number): Promise<void> {
    if (!(typeof ms === 'number' && Number.isFinite(ms) && ms >= 0)) {
      throw new WorkflowError('InvalidArgument', 'lease.extend takes a finite number of ms >= 0', { what: 'ms' });
    }
    const claim = this.#claim;
    this.#expiresAt = await this.#ctx.queue.transact(async (ops) => {
      const job = await ops.fence(claim);
      if (job.cancelRequested) throw new WorkflowError('CancelRequested', `run ${job.runId ?? ''} was cancelled: its lease is not extended`, { jobId: job.id });
      return ops.ensureLease(claim, ms);
    });
    this.onExtend();
  }
}

export function buildStep(
  ctx: RuntimeContext,
  claim: Claim,
  run: RunRecord,
  stepNumber: number,
  event: { key: string; payload: Json | null } | undefined,
): DeliveryHandles {
  const controller = new AbortController();
  const memo = new StepMemo(ctx.store, run.runId, stepNumber, ctx.options.maxPayloadBytes);
  const effects = new StagedEffects(ctx.options.maxPayloadBytes);
  const lease = new DeliveryLease(ctx, claim);
  const progress = new ProgressCheckpoint(ctx, run.runId, stepNumber, claim.job.id);
  const step: Step = {
    runId: run.runId,
    workflow: run.workflow,
    stepNumber,
    payload: claim.job.payload,
    headers: Object.freeze(userHeaders(claim.job.headers)),
    jobId: claim.job.id,
    attempts: claim.job.attempts,
    signal: controller.signal,
    ...(event ? { event } : {}),
    memo,
    effects,
    lease,
    progress: (update: Json) => progress.push(update),
  };
  return { step, memo, effects, lease, controller };
}

/**
 * Progress: every update goes to listeners at once; the latest is written to the run record
 * with at most one write in flight (updates arriving meanwhile coalesce into the next write),
 * so a reloaded page sees recent partial output without a commit per token.
 */
class ProgressCheckpoint {
  #ctx: RuntimeContext;
  #runId: string;
  #step: number;
  #jobId: string;
  #pending: { value: Json } | undefined;
  #writing = false;

  constructor(ctx: RuntimeContext, runId: string, step: number, jobId: string) {
    this.#ctx = ctx;
    this.#runId = runId;
    this.#step = step;
    this.#jobId = jobId;
  }

  push(update: Json): void {
    checkJson(update, 'progress update', this.#ctx.options.maxPayloadBytes);
    const value = structuredClone(update);
    this.#ctx.events.emit({ type: 'progress', runId: this.#runId, stepNumber: this.#step, update: value });
    this.#pending = { value };
    if (!this.#writing) void this.#flush();
  }

  async #flush(): Promise<void> {
    this.#writing = true;
    try {
      while (this.#pending) {
        const { value } = this.#pending;
        this.#pending = undefined;
        await this.#ctx.store
          .write(async (t) => {
            const run = await t.get<RunRecord>('runs', this.#runId);
            if (!run || run.state !== 'active' || run.jobId !== this.#jobId) return;
            run.progress = value;
            t.put('runs', run);
          })
          .catch(() => undefined); // a lost checkpoint only costs a stale partial view
      }
    } finally {
      this.#writing = false;
    }
  }
}
