/**
 * One delivery of a claimed job, from its claim to its verdict: a terminal notification goes to
 * its hook (notifications.ts); a step job is checked against its run (ended, moved on or
 * cancelled: settled without the runner), parked when this build does not know its workflow
 * (parking.ts), replayed from a recorded outcome (replay.ts), or run under its lease.
 */
import { WorkflowError, isWorkflowError, messageOf } from '../core/errors.ts';
import { idProblem } from '../core/ids.ts';
import { hashJson } from '../core/json.ts';
import { StepError, isStepError } from '../core/outcome.ts';
import type { JobRecord } from '../store/db.ts';
import type { RuntimeContext } from './context.ts';
import type { Running } from './deliveries.ts';
import { LEASE_LOST } from './delivery-lease.ts';
import { observe, type Observed } from './event-slots.ts';
import { processNotification } from './notifications.ts';
import { parkingOf } from './parking.ts';
import { HEADER, toStatus, type RunRecord } from './records.ts';
import { recordOutcome, replayed } from './replay.ts';
import { buildStep, type DeliveryHandles } from './step-context.ts';
import type { StepRunner } from './types.ts';
import { checkOutcome, type Delivery, type Verdict } from './verdict.ts';

/** What a delivery needs from its executor. */
export interface DeliveryHost {
  /** Settles the delivery (retrying storage failures); a lost claim resolves quietly. */
  settle(d: Delivery, v: Verdict): Promise<void>;
  /** Reports a failure the delivery survives (a replay record that could not be written). */
  onError(e: unknown): void;
}

/** Runs one delivery to its settlement (`prefetched`: the run record the claiming transaction read). */
export async function deliver(ctx: RuntimeContext, host: DeliveryHost, entry: Running, prefetched?: RunRecord): Promise<void> {
  const { claim } = entry;
  if (claim.job.headers[HEADER.terminal] !== undefined) {
    await processNotification(ctx, claim, entry.lease).catch(ignoreClaimLost);
    return;
  }
  const h = claim.job.headers;
  const runId = h[HEADER.runId];
  const stepText = h[HEADER.step];
  if (runId === undefined || idProblem(runId) || stepText === undefined || !/^\d{1,9}$/.test(stepText)) {
    // A step job this runtime cannot read is dead-lettered without calling a runner.
    const bad = runId === undefined || idProblem(runId) ? HEADER.runId : HEADER.step;
    await ctx.queue.transact((ops) => ops.deadLetter(claim, `malformed step job: header ${bad} is missing or invalid`)).catch(ignoreClaimLost);
    return;
  }
  const stepNumber = Number(stepText);
  const base: Delivery = { claim, runId, stepNumber, memoHits: 0, startedAt: ctx.clock.now() };
  const run = prefetched?.runId === runId ? prefetched : await ctx.store.read((t) => t.get<RunRecord>('runs', runId), ['runs']);
  if (!run || run.state !== 'active' || run.jobId !== claim.job.id || claim.job.cancelRequested || run.cancelRequested) {
    // Ended, moved on, or cancelled before this delivery began: settle without the runner.
    await host.settle(base, { kind: 'cancelled' });
    return;
  }
  // The run is now running this delivery: tell watchers (built from what was just read).
  if (ctx.listening()) ctx.emitStatus(toStatus(run, claim.job as JobRecord));
  const runner = ctx.options.workflows[run.workflow];
  if (!runner) {
    // Another build of the app, beside this one during a deploy, accepted this run: the job is
    // put back unspent and waits for an instance that knows the workflow (parking.ts).
    await parkingOf(ctx).park(claim, { kind: 'workflow', name: run.workflow }).catch(ignoreClaimLost);
    ctx.publish([runId]);
    return;
  }
  const d: Delivery = { ...base };
  const key = claim.job.headers[HEADER.event];
  let event: Observed['event'] | undefined;
  if (key !== undefined) {
    // A step that follows a `waitForEvent`: what `step.event` is (event-slots.ts).
    const observed = await observe(ctx.store, key, claim.job);
    d.eventKey = key;
    if (observed.bufferId !== undefined) d.consumedBufferId = observed.bufferId;
    event = observed.event;
  }
  if (ctx.options.stepOutputReplay) {
    d.payloadHash = await hashJson(claim.job.payload);
    const replay = await replayed(ctx, d);
    if (replay) {
      await host.settle(d, replay);
      return;
    }
  }
  const handles = buildStep(ctx, claim, run, stepNumber, event, entry);
  const verdict = await runStep(ctx, runner, handles);
  handles.effects.seal();
  d.memoHits = handles.memo.hits;
  if (verdict) {
    if (verdict.kind === 'outcome' && d.payloadHash !== undefined) await recordOutcome(ctx, d, verdict).catch(host.onError);
    await host.settle(d, verdict);
  }
}

/**
 * Runs the runner under the delivery's lease (delivery-lease.ts). Resolves its verdict, or
 * undefined when the lease ran out first (the runner hangs, or never extends): the step's
 * signal is then aborted and the delivery abandoned to the reaper, with no settlement.
 * A delivery aborted before its runner starts (a cancel between the claim and here) never
 * starts it: its settlement reads the stored cancel and ends the run cancelled.
 */
async function runStep(ctx: RuntimeContext, runner: StepRunner, h: DeliveryHandles): Promise<Verdict | undefined> {
  const verdict = await h.lease.guard(async (): Promise<Verdict> => {
    const { signal } = h.controller;
    if (signal.aborted) return { kind: 'error', error: StepError.transient(`the step was aborted before its runner started: ${messageOf(signal.reason)}`) };
    try {
      const outcome = checkOutcome(await runner(h.step), ctx.options.maxPayloadBytes);
      return { kind: 'outcome', outcome, effects: h.effects.toJson(), replayed: false };
    } catch (e) {
      return { kind: 'error', error: isStepError(e) ? e : StepError.from(e) };
    }
  });
  return verdict === LEASE_LOST ? undefined : verdict;
}

/** The reason a step's signal is aborted with when its run is cancelled from outside. */
export function cancelReason(): WorkflowError {
  return new WorkflowError('CancelRequested', 'the run was cancelled');
}

function ignoreClaimLost(e: unknown): void {
  if (!isWorkflowError(e, 'ClaimLost')) throw e;
}
