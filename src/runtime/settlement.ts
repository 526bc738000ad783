/**
 * A step's settlement: what the runner's result (or its absence) does to the run, in ONE
 * transaction fenced on the delivery's claim (principle 2; HI-1, HI-2). Whatever the runner
 * returned, a cancel requested meanwhile wins (read inside the transaction, so a cancel that
 * commits between the runner's return and this settlement is not missed), except that a
 * runner-issued cancel keeps its own reason (F-07).
 */
import { isWorkflowError } from '../core/errors.ts';
import type { JobRecord } from '../store/db.ts';
import { checkJson, type Json } from '../core/json.ts';
import { StepError, type StepOutcome } from '../core/outcome.ts';
import type { QueueOps } from '../queue/ops.ts';
import { StrictRequired } from '../queue/recovery.ts';
import type { Claim, SettleEffects } from '../queue/types.ts';
import type { RunStatus } from '../core/types.ts';
import type { RuntimeContext } from './context.ts';
import { HEADER, bufferId, toStatus, type EventRecord, type RunRecord } from './records.ts';
import { addHistory, endRun } from './terminal.ts';

/** What a delivery produced. */
export type Verdict =
  | { kind: 'outcome'; outcome: StepOutcome; effects: RecordedEffects; replayed: boolean }
  | { kind: 'error'; error: StepError }
  /** The run was cancelled from outside before the runner produced anything worth keeping. */
  | { kind: 'cancelled' };

export interface RecordedEffects {
  put: Record<string, Json>;
  delete: string[];
}

/** The delivery being settled and what the step observed. */
export interface Delivery {
  claim: Claim;
  runId: string;
  stepNumber: number;
  /** Hash of the step payload: keys the step-output replay record. */
  payloadHash?: string;
  /** The event key this step followed (a `waitForEvent` before it), and the buffered payload it consumed (`bufferId`). */
  eventKey?: string;
  consumedBufferId?: string;
  memoHits: number;
  startedAt: number;
}

export type SettleResult = 'settled' | 'orphan';

/** The replay record stored per (run, step, payload hash). */
export interface ReplayRecord {
  outcome: StepOutcome;
  effects: RecordedEffects;
  storedAt: number;
}

/**
 * Checks a runner's return value. A runner that returns garbage gets a permanent step error
 * naming the problem rather than a half-applied settlement.
 */
export function checkOutcome(o: unknown, maxBytes: number): StepOutcome {
  const bad = (why: string) => StepError.permanent(`the runner returned an invalid outcome: ${why}`);
  if (typeof o !== 'object' || o === null) throw bad(`expected an Outcome, got ${o === null ? 'null' : typeof o}`);
  const x = o as Record<string, unknown>;
  const json = (v: unknown, what: string) => {
    try {
      checkJson(v, what, maxBytes);
    } catch (e) {
      throw isWorkflowError(e) ? StepError.permanent(`${e.name}: ${e.message}`) : e;
    }
  };
  const ms = (v: unknown, what: string) => {
    if (v !== undefined && !(typeof v === 'number' && Number.isFinite(v) && v >= 0)) throw bad(`${what} must be a finite number >= 0`);
  };
  switch (x['kind']) {
    case 'next':
      json(x['payload'], 'next payload');
      ms(x['delayMs'], 'delayMs');
      break;
    case 'waitForEvent':
      if (typeof x['key'] !== 'string' || x['key'].length === 0 || x['key'].length > 512) throw bad('an event key must be 1 to 512 characters');
      json(x['payload'], 'next payload');
      ms(x['timeoutMs'], 'timeoutMs');
      break;
    case 'succeed':
      json(x['result'], 'result');
      break;
    case 'fail':
    case 'cancel':
      if (typeof x['reason'] !== 'string') throw bad('a reason must be a string');
      break;
    default:
      throw bad(`unknown kind ${JSON.stringify(x['kind'])}`);
  }
  return o as StepOutcome;
}

/**
 * Whether this verdict ends the run as far as the delivery can tell: such settlements are
 * written with strict durability from the start. What only the transaction finds out (a cancel
 * requested while the step ran, a second waiter on the event key) is caught by `endRun`, which
 * refuses a relaxed transaction; the batch then runs again, strictly.
 */
function endsRun(d: Delivery, v: Verdict): boolean {
  if (v.kind === 'cancelled') return true;
  if (v.kind === 'error') return v.error.kind === 'permanent' || d.claim.job.attempts >= d.claim.job.maxAttempts;
  return v.outcome.kind === 'succeed' || v.outcome.kind === 'fail' || v.outcome.kind === 'cancel';
}

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
        const result = await settleBody(ops, ctx, item.d, item.v, job, run);
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

/** Settles one delivery from its fenced job and its run record as read at the start of the transaction. */
async function settleBody(ops: QueueOps, ctx: RuntimeContext, d: Delivery, v: Verdict, job: JobRecord, run: RunRecord | undefined): Promise<SettleResult> {
  const t = ops.t;
  if (!run || run.state !== 'active' || run.jobId !== job.id) {
    // A step of a run that ended or moved on (e.g. a dead job requeued by hand): drop it.
    await ops.ack(d.claim);
    return 'orphan';
  }
  const now = ops.now();
  const entry = { stepNumber: d.stepNumber, jobId: job.id, attempt: job.attempts, memoHits: d.memoHits, startedAt: d.startedAt, endedAt: now };
  const verdictMax = job.maxAttempts;
  const externallyCancelled = job.cancelRequested || run.cancelRequested === true;

  if (v.kind === 'cancelled' || (externallyCancelled && !(v.kind === 'outcome' && v.outcome.kind === 'cancel'))) {
    await ops.ack(d.claim, {
      apply: async () => {
        addHistory(t, run, { ...entry, outcome: 'cancelled' });
        await endRun(ops, ctx, run, { status: 'cancelled', finalStep: d.stepNumber, notificationMaxAttempts: verdictMax });
      },
    });
    return 'settled';
  }

  if (v.kind === 'error') {
    const message = v.error.message;
    const fail: SettleEffects = {
      apply: async () => {
        addHistory(t, run, { ...entry, outcome: 'deadLettered', error: message });
        await endRun(ops, ctx, run, { status: 'failed', error: message, finalStep: d.stepNumber });
      },
    };
    if (v.error.kind === 'permanent') {
      await ops.deadLetter(d.claim, message, fail);
      return 'settled';
    }
    const r = await ops.nack(d.claim, message, v.error.retryAfterMs, fail);
    if (r.kind === 'retried') {
      addHistory(t, run, { ...entry, outcome: 'retried', error: message });
      delete run.progress; // the failed attempt's partial output is not the retry's
      run.updatedAt = now;
      t.put('runs', run);
    }
    return 'settled';
  }

  const { outcome, effects } = v;
  const kv: SettleEffects = { kvPut: effects.put, kvDelete: effects.delete };
  // The step-output replay record was committed before this settlement (executor: recordOutcome).
  await consumeEvent(ops, d);
  delete run.eventKey;
  delete run.progress;

  switch (outcome.kind) {
    case 'next':
    case 'waitForEvent':
      return advance(ops, ctx, d, run, job.priority, verdictMax, outcome, kv, entry, v.replayed);
    default: {
      const status = outcome.kind === 'succeed' ? 'succeeded' : outcome.kind === 'fail' ? 'failed' : 'cancelled';
      await ops.ack(d.claim, {
        ...kv,
        apply: async () => {
          addHistory(t, run, { ...entry, outcome: status, ...(v.replayed ? { replayed: true } : {}) });
          await endRun(ops, ctx, run, {
            status,
            finalStep: d.stepNumber,
            notificationMaxAttempts: verdictMax,
            ...(outcome.kind === 'succeed' ? { result: outcome.result } : { error: outcome.reason }),
          });
        },
      });
      return 'settled';
    }
  }
}

/** Continue: the next step's job, now, after a delay, or parked on an event. */
async function advance(
  ops: QueueOps,
  ctx: RuntimeContext,
  d: Delivery,
  run: RunRecord,
  priority: number,
  maxAttempts: number,
  outcome: Extract<StepOutcome, { kind: 'next' | 'waitForEvent' }>,
  kv: SettleEffects,
  entry: { stepNumber: number; jobId: string; attempt: number; memoHits: number; startedAt: number; endedAt: number },
  replayed: boolean,
): Promise<SettleResult> {
  const t = ops.t;
  const now = ops.now();
  const next = d.stepNumber + 1;
  const headers: Record<string, string> = {
    ...run.headers,
    [HEADER.runId]: run.runId,
    [HEADER.step]: String(next),
    [HEADER.workflow]: run.workflow,
  };
  let runAt = now;
  let ev: EventRecord | undefined;
  if (outcome.kind === 'next') {
    runAt = now + (outcome.delayMs ?? 0);
  } else {
    ev = (await t.get<EventRecord>('events', outcome.key)) ?? { key: outcome.key };
    if (ev.waiter && ev.waiter.runId !== run.runId) {
      const holder = await ops.getJob(ev.waiter.jobId);
      if (holder?.state === 'scheduled') {
        // One waiter per key (J-07, `EventWaiterExists`): this run fails with that message, the other keeps waiting.
        const message = `a waiter is already registered for event key ${JSON.stringify(outcome.key)}`;
        await ops.deadLetter(d.claim, message, {
          apply: async () => {
            addHistory(t, run, { ...entry, outcome: 'deadLettered', error: message });
            await endRun(ops, ctx, run, { status: 'failed', error: message, finalStep: d.stepNumber });
          },
        });
        return 'settled';
      }
    }
    headers[HEADER.event] = outcome.key;
    // No timeout: due "never" (Infinity sorts after every time), until an event wakes it.
    runAt = outcome.timeoutMs === undefined ? Infinity : now + outcome.timeoutMs;
  }
  await ops.ack(d.claim, {
    ...kv,
    enqueue: [
      {
        queue: ctx.options.queueName,
        payload: outcome.payload,
        headers,
        // No dedup key: the fence already makes this settlement the only one of its delivery.
        priority,
        maxAttempts,
        runId: run.runId,
        runAt,
      },
    ],
    apply: async (_t, [created]) => {
      const jobId = created!.id;
      let waiting = false;
      if (ev) {
        if (ev.buffered) {
          // An event sent before anyone waited is consumed at registration (J-04).
          if ((await ops.wake(jobId, ev.buffered.payload)) === 'woken') delete ev.buffered;
        } else {
          ev.waiter = { runId: run.runId, jobId };
          waiting = true;
        }
        if (ev.waiter && ev.waiter.jobId !== jobId && !waiting) delete ev.waiter;
        if (ev.waiter || ev.buffered) t.put('events', ev);
        else t.delete('events', ev.key);
        if (waiting) run.eventKey = ev.key;
      }
      addHistory(t, run, {
        ...entry,
        outcome: waiting ? 'waiting' : runAt > now ? 'scheduled' : 'continued',
        ...(replayed ? { replayed: true } : {}),
      });
      run.stepNumber = next;
      run.jobId = jobId;
      run.updatedAt = now;
      t.put('runs', run);
    },
  });
  return 'settled';
}

/** Releases this step's hold on the event it followed: its waiter entry and a buffer it consumed. */
async function consumeEvent(ops: QueueOps, d: Delivery): Promise<void> {
  if (d.eventKey === undefined) return;
  const ev = await ops.t.get<EventRecord>('events', d.eventKey);
  if (!ev) return;
  let changed = false;
  if (ev.waiter?.runId === d.runId) {
    delete ev.waiter;
    changed = true;
  }
  if (d.consumedBufferId !== undefined && ev.buffered && bufferId(ev.buffered) === d.consumedBufferId) {
    delete ev.buffered;
    changed = true;
  }
  if (!changed) return;
  if (ev.waiter || ev.buffered) ops.t.put('events', ev);
  else ops.t.delete('events', ev.key);
}

/** Reads a replay record; anything malformed is a miss (G-12). */
export function parseReplay(value: unknown): ReplayRecord | undefined {
  if (typeof value !== 'object' || value === null) return undefined;
  const r = value as Partial<ReplayRecord>;
  if (typeof r.storedAt !== 'number' || typeof r.effects !== 'object' || r.effects === null) return undefined;
  if (typeof r.effects.put !== 'object' || r.effects.put === null || !Array.isArray(r.effects.delete)) return undefined;
  try {
    checkOutcome(r.outcome, Infinity);
  } catch {
    return undefined;
  }
  return r as ReplayRecord;
}

/** The delay still owed on replay, measured from when the outcome was recorded (E-03). */
export function remainingDelay(storedAt: number, now: number, delayMs: number): number {
  if (now < storedAt) return delayMs;
  return Math.max(0, delayMs - (now - storedAt));
}
