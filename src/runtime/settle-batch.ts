/**
 * The settlement transaction: several deliveries settled in ONE transaction fenced on their
 * claims, with the claims for the slots they free made in the same transaction (usually their
 * runs' next steps). One delivery's settlement is settlement.ts; the batching of concurrent
 * settlements into calls of `settleSteps` is settle-batcher.ts.
 */
import { isWorkflowError } from '../core/errors.ts';
import type { RunStatus } from '../core/types.ts';
import type { QueueOps } from '../queue/ops.ts';
import { StrictRequired } from '../queue/recovery.ts';
import type { Claim } from '../queue/types.ts';
import type { JobRecord } from '../store/db.ts';
import type { RuntimeContext } from './context.ts';
import { toStatus, type RunRecord } from './records.ts';
import { settleDelivery } from './settlement.ts';
import { endsRun, type Delivery, type SettleResult, type Verdict } from './verdict.ts';

/** One delivery to settle, and how many ready jobs to claim for the slot it frees. */
export interface SettleItem {
  d: Delivery;
  v: Verdict;
  claimNext: number;
}

/** Per item: its result and the claims for its freed slot, or why it was not settled (`ClaimLost`). */
export type SettleItemResult = { ok: true; result: SettleResult; claims: ClaimedStep[] } | { ok: false; error: unknown };

/**
 * Settles several deliveries in ONE transaction and claims, in the same transaction, ready jobs
 * for the slots they free (usually their runs' next steps): one commit for the whole batch.
 *
 * Round trips: every fence, run record and done counter, and the claim's own reads (queue/plan.ts)
 * are issued together first; the settlements then write without reading (except rare paths:
 * events, notifications with a dedup key); the claim is planned from what was read and written;
 * the run records of claimed jobs of runs settled here are the ones in memory. So a batch costs
 * one read wave, its writes and one commit, whatever its size.
 *
 * Items must be of distinct runs (each run record is read once, before any item writes it). An
 * item whose claim was lost gets `ClaimLost` and writes nothing; any other throw aborts the batch
 * (nothing applied) and rejects.
 */
export async function settleSteps(ctx: RuntimeContext, items: readonly SettleItem[]): Promise<SettleItemResult[]> {
  const strict = items.some((i) => endsRun(i.d, i.v));
  try {
    return await settleOnce(ctx, items, strict);
  } catch (e) {
    // A run ended that the verdicts did not predict: the same batch again, strictly.
    if (strict || !(e instanceof StrictRequired)) throw e;
    return settleOnce(ctx, items, true);
  }
}

async function settleOnce(ctx: RuntimeContext, items: readonly SettleItem[], strict: boolean): Promise<SettleItemResult[]> {
  let statuses: RunStatus[] = [];
  const out = await ctx.queue.transact(
    async (ops) => {
      statuses = [];
      const reads = items.map(({ d }) => Promise.all([ops.fence(d.claim), ops.t.get<RunRecord>('runs', d.runId)]));
      const likely = ops.prefetchClaim(ctx.options.queueName, items.reduce((n, i) => n + i.claimNext, 0));
      // Wait for the whole first wave, then ask for the run records of the jobs likely to be
      // claimed before any write of this batch: the backend answers them first, while the
      // settlements below run, so the claim finds them read. Runs of this batch are excluded
      // (their records come from memory); no settlement writes another run's record.
      await Promise.allSettled([...reads, likely]);
      const batchRuns = new Set(items.map((i) => i.d.runId));
      const known = new Map<string, RunRecord | Promise<RunRecord | undefined>>();
      for (const job of await likely.catch(() => [])) {
        if (job.runId !== undefined && !batchRuns.has(job.runId) && !known.has(job.runId)) known.set(job.runId, ops.t.get<RunRecord>('runs', job.runId));
      }
      const results: SettleItemResult[] = [];
      /** The records of the runs settled here, as written. */
      const settled: RunRecord[] = [];
      let claimNext = 0;
      for (const [i, item] of items.entries()) {
        let pre: [JobRecord, RunRecord | undefined];
        try {
          pre = await reads[i]!;
        } catch (e) {
          if (!isWorkflowError(e, 'ClaimLost')) throw e;
          results.push({ ok: false, error: e });
          continue;
        }
        const [job, run] = pre;
        const result = await settleDelivery(ops, ctx, item.d, item.v, job, run);
        results.push({ ok: true, result, claims: [] });
        if (result !== 'orphan' && run) {
          settled.push(run);
          known.set(run.runId, run);
        }
        claimNext += item.claimNext;
      }
      const claims = claimNext > 0 ? await claimWithRuns(ops, ctx, claimNext, known) : [];
      // Hand the claims out in item order, each item up to its own claimNext.
      for (const [i, r] of results.entries()) {
        if (r.ok) r.claims = claims.splice(0, items[i]!.claimNext);
      }
      if (ctx.listening()) {
        // The new statuses, from the records as written here: no read per transition.
        for (const run of settled) {
          const jobId = run.state === 'active' ? run.jobId : undefined;
          const written = jobId === undefined ? null : ops.written(jobId);
          statuses.push(toStatus(run, written === undefined ? await ops.getJob(jobId!) : (written ?? undefined)));
        }
      }
      return results;
    },
    { strict },
  );
  for (const s of statuses) ctx.emitStatus(s);
  return out;
}

/** A claim with its run record as read (or written) in the claiming transaction (undefined for notifications). */
export interface ClaimedStep {
  claim: Claim;
  run: RunRecord | undefined;
}

/**
 * Claims up to `max` jobs and gets their runs' records in the same transaction, so a delivery
 * starts without another round trip to the database: from `known` (records this transaction
 * wrote, or reads of them it already issued) when there, else read (all in one round trip).
 */
export async function claimWithRuns(
  ops: QueueOps,
  ctx: RuntimeContext,
  max: number,
  known?: ReadonlyMap<string, RunRecord | Promise<RunRecord | undefined>>,
): Promise<ClaimedStep[]> {
  const claims = await ops.claim(ctx.options.queueName, max);
  const runs = await Promise.all(
    claims.map((c) => {
      const runId = c.job.runId;
      if (runId === undefined) return undefined;
      return known?.get(runId) ?? ops.t.get<RunRecord>('runs', runId);
    }),
  );
  return claims.map((claim, i) => ({ claim, run: runs[i] }));
}
