/**
 * Builds the `Step` a runner receives for one delivery: its abort signal (external cancel or
 * lost lease), memo, staged effects, lease handle and progress channel.
 */
import { checkJson, type Json } from '../core/json.ts';
import type { Claim } from '../queue/types.ts';
import type { JobRecord } from '../store/db.ts';
import type { RuntimeContext } from './context.ts';
import { StagedEffects } from './effects.ts';
import { StepMemo } from './memo.ts';
import { userHeaders, type RunRecord } from './records.ts';
import type { DeliveryLease } from './delivery-lease.ts';
import type { Step } from './types.ts';

export interface DeliveryHandles {
  step: Step;
  memo: StepMemo;
  effects: StagedEffects;
  lease: DeliveryLease;
  controller: AbortController;
}

export function buildStep(
  ctx: RuntimeContext,
  claim: Claim,
  run: RunRecord,
  stepNumber: number,
  event: { key: string; payload: Json | null } | undefined,
  delivery: { controller: AbortController; lease: DeliveryLease },
): DeliveryHandles {
  // Both exist from the claim on (executor.ts): a cancel before the runner starts is not lost.
  const { controller, lease } = delivery;
  const memo = new StepMemo(ctx.store, run.runId, stepNumber, ctx.options.maxPayloadBytes, claim);
  const effects = new StagedEffects(ctx.options.maxPayloadBytes);
  const progress = new ProgressCheckpoint(ctx, run.runId, stepNumber, claim);
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
 *
 * Fenced on the delivery's claim: each write reads the job beside the run record (same round
 * trip) and writes only while this delivery still holds the claim. Once a write finds the
 * claim gone, the delivery's progress is dropped from then on, live updates included, so an
 * abandoned delivery never replaces what the live attempt shows.
 */
class ProgressCheckpoint {
  #ctx: RuntimeContext;
  #runId: string;
  #step: number;
  #claim: Claim;
  #pending: { value: Json } | undefined;
  #writing = false;
  #lost = false;

  constructor(ctx: RuntimeContext, runId: string, step: number, claim: Claim) {
    this.#ctx = ctx;
    this.#runId = runId;
    this.#step = step;
    this.#claim = claim;
  }

  push(update: Json): void {
    checkJson(update, 'progress update', this.#ctx.options.maxPayloadBytes);
    if (this.#lost) return;
    const value = structuredClone(update);
    this.#ctx.events.emit({ type: 'progress', runId: this.#runId, stepNumber: this.#step, update: value });
    this.#pending = { value };
    if (!this.#writing) void this.#flush();
  }

  async #flush(): Promise<void> {
    this.#writing = true;
    const { token } = this.#claim;
    const id = this.#claim.job.id;
    try {
      while (this.#pending && !this.#lost) {
        const { value } = this.#pending;
        this.#pending = undefined;
        await this.#ctx.store
          .write(async (t) => {
            const [job, run] = await Promise.all([t.get<JobRecord>('jobs', id), t.get<RunRecord>('runs', this.#runId)]);
            if (job?.state !== 'claimed' || job.claimToken !== token) {
              this.#lost = true;
              return;
            }
            if (!run || run.state !== 'active' || run.jobId !== id) return;
            run.progress = value;
            t.put('runs', run);
          })
          .catch(() => undefined); // a lost checkpoint only costs a stale partial view
      }
    } finally {
      this.#writing = false;
      if (this.#lost) this.#pending = undefined;
    }
  }
}
