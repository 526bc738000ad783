/**
 * Step-output replay: the runner's outcome is recorded in its own commit BEFORE the settlement,
 * so a delivery whose settlement is lost (a crash, a recovered claim) is replayed on redelivery
 * instead of running the step again. Keyed per (run, step, hash of the step payload) in the
 * run's memos. Never for a run cancelled from outside (its outcome is overridden), nor for a run
 * that ended or moved on (its memos may be swept already, and the record would stay). Best
 * effort: a failed write only costs a re-run; a malformed record is a miss.
 */
import type { Json } from '../core/json.ts';
import type { StepOutcome } from '../core/outcome.ts';
import type { JobRecord } from '../store/db.ts';
import type { RuntimeContext } from './context.ts';
import type { MemoRecord, RunRecord } from './records.ts';
import { checkOutcome, type Delivery, type RecordedEffects, type Verdict } from './verdict.ts';

/** The replay record stored per (run, step, payload hash). */
export interface ReplayRecord {
  outcome: StepOutcome;
  effects: RecordedEffects;
  storedAt: number;
}

/** Records the outcome of `d` (whose `payloadHash` is set) for a later redelivery. @throws what the store throws */
export async function recordOutcome(ctx: RuntimeContext, d: Delivery, v: Extract<Verdict, { kind: 'outcome' }>): Promise<void> {
  const value = { outcome: v.outcome, effects: v.effects, storedAt: ctx.clock.now() } as unknown as Json;
  await ctx.store.write(async (t) => {
    const [job, run] = await Promise.all([t.get<JobRecord>('jobs', d.claim.job.id), t.get<RunRecord>('runs', d.runId)]);
    if (job?.cancelRequested || run?.cancelRequested) return;
    if (run?.state !== 'active' || run.jobId !== d.claim.job.id) return;
    t.put('memos', { runId: d.runId, step: d.stepNumber, key: `r:${d.payloadHash}`, value } satisfies MemoRecord);
  });
}

/** The recorded verdict of `d`, its delays shortened by the time since it was recorded, if any. */
export async function replayed(ctx: RuntimeContext, d: Delivery): Promise<Verdict | undefined> {
  const rec = await ctx.store.read((t) => t.get<MemoRecord>('memos', [d.runId, d.stepNumber, `r:${d.payloadHash}`]), ['memos']);
  const r = parseReplay(rec?.value);
  if (!r) return undefined;
  let outcome = r.outcome;
  const now = ctx.clock.now();
  if (outcome.kind === 'next' && outcome.delayMs !== undefined) outcome = { ...outcome, delayMs: remainingDelay(r.storedAt, now, outcome.delayMs) };
  if (outcome.kind === 'waitForEvent' && outcome.timeoutMs !== undefined) outcome = { ...outcome, timeoutMs: remainingDelay(r.storedAt, now, outcome.timeoutMs) };
  return { kind: 'outcome', outcome, effects: r.effects, replayed: true };
}

/** Reads a replay record; anything malformed is a miss. */
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

/** The delay still owed on replay, measured from when the outcome was recorded (a clock that went back owes it all). */
export function remainingDelay(storedAt: number, now: number, delayMs: number): number {
  if (now < storedAt) return delayMs;
  return Math.max(0, delayMs - (now - storedAt));
}
