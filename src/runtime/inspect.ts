/** Read-side queries, all answered from stored state, never from memory, so they are right right after a reload: status, list, history, dead jobs. */
import { checkString } from '../core/check.ts';
import { invalidArgument } from '../core/errors.ts';
import type { AttemptRecord, DeadJob, DeadJobsQuery, ListOutcome, ListQuery, RunState, RunStatus } from '../core/types.ts';
import { checkDeadJobsLimit } from '../queue/inspect.ts';
import { INDEX, type JobRecord } from '../store/db.ts';
import type { Tx } from '../store/tx.ts';
import type { RuntimeContext } from './context.ts';
import { getHandoff, remoteView } from './handoff-records.ts';
import { HEADER, toStatus, type HistoryRecord, type RunRecord } from './records.ts';
import { checkRunId } from './validate.ts';

const RUN_STATES: readonly RunState[] = ['pending', 'scheduled', 'running', 'waiting', 'cancelling', 'succeeded', 'failed', 'cancelled'];

async function statusIn(t: Tx, run: RunRecord): Promise<RunStatus> {
  // An active run without a step job is one handed off to a server.
  if (run.state === 'active' && run.jobId === undefined) {
    const rec = await getHandoff(t, run.runId);
    if (rec) return remoteView(run, rec);
  }
  const job = run.state === 'active' && run.jobId !== undefined ? await t.get<JobRecord>('jobs', run.jobId) : undefined;
  return toStatus(run, job);
}

export async function status(ctx: RuntimeContext, runId: string): Promise<RunStatus | undefined> {
  checkRunId(runId);
  return ctx.store.read(async (t) => {
    const run = await t.get<RunRecord>('runs', runId);
    return run ? statusIn(t, run) : undefined;
  }, ['runs', 'jobs', 'handoffs']);
}

/**
 * Runs, most recently changed first. The cursor is the last run's `updatedAt` and id; a page
 * may be shorter than `limit` when filters skip runs, and `cursor` is absent on the last page.
 */
export async function list(ctx: RuntimeContext, query: ListQuery = {}): Promise<ListOutcome> {
  if (typeof query !== 'object' || query === null) throw invalidArgument('list query', 'must be an object', query);
  const limit = query.limit ?? 50;
  if (!(Number.isSafeInteger(limit) && limit >= 1 && limit <= 1000)) throw invalidArgument('limit', 'must be an integer from 1 to 1000', limit);
  const states = query.state === undefined ? undefined : new Set(Array.isArray(query.state) ? query.state : [query.state]);
  for (const s of states ?? []) if (!RUN_STATES.includes(s)) throw invalidArgument('state', `must be one of ${RUN_STATES.join(', ')}`, s);
  if (query.workflow !== undefined) checkString(query.workflow, 'workflow');
  let after: [number, string] | undefined;
  if (query.cursor !== undefined) {
    const m = typeof query.cursor === 'string' ? /^(\d+):([A-Za-z0-9_-]{1,128})$/.exec(query.cursor) : null;
    if (!m) throw invalidArgument('cursor', 'is not a cursor returned by list()', query.cursor);
    after = [Number(m[1]), m[2]!];
  }
  return ctx.store.read(async (t) => {
    const range = after ? t.keyRange.upperBound(after[0]) : undefined;
    const candidates: RunRecord[] = [];
    let exhausted = true;
    // Scan a bounded window; filters are applied after deriving each run's state.
    await t.each<RunRecord>('runs', INDEX.runs.updatedAt, range, (r) => {
      if (after && (r.updatedAt > after[0] || (r.updatedAt === after[0] && r.runId >= after[1]))) return true;
      candidates.push(r);
      if (candidates.length >= limit * 4 + 1) {
        exhausted = false;
        return false;
      }
      return true;
    }, { direction: 'prev' });
    // Equal timestamps: order by id descending so the cursor is exact.
    candidates.sort((a, b) => b.updatedAt - a.updatedAt || (a.runId < b.runId ? 1 : -1));
    const runs: RunStatus[] = [];
    let last: RunRecord | undefined;
    for (const r of candidates) {
      if (runs.length === limit) {
        exhausted = false;
        break;
      }
      last = r;
      if (query.workflow !== undefined && r.workflow !== query.workflow) continue;
      const s = await statusIn(t, r);
      if (states && !states.has(s.state)) continue;
      runs.push(s);
    }
    return !exhausted && last ? { runs, cursor: `${last.updatedAt}:${last.runId}` } : { runs };
  }, ['runs', 'jobs', 'handoffs']);
}

export async function history(ctx: RuntimeContext, runId: string): Promise<AttemptRecord[]> {
  checkRunId(runId);
  const recs = await ctx.store.read((t) => t.getAll<HistoryRecord>('history', undefined, t.keyRange.bound([runId], [runId, []])), ['history']);
  return recs.map(({ n: _n, ...rest }) => rest);
}

/**
 * Dead step and notification jobs, in id order, `limit` (default 100, at most
 * `MAX_DEAD_JOBS_PAGE` = 1000) after the job id `after`.
 * @throws `InvalidArgument` for a limit out of range (page with `after` instead)
 */
export async function deadJobs(ctx: RuntimeContext, query: DeadJobsQuery = {}): Promise<DeadJob[]> {
  if (typeof query !== 'object' || query === null) throw invalidArgument('dead jobs query', 'must be an object', query);
  if (query.limit !== undefined) checkDeadJobsLimit(query.limit);
  const jobs = await ctx.queue.deadJobs(ctx.options.queueName, {
    ...(query.after !== undefined ? { after: query.after } : {}),
    ...(query.limit !== undefined ? { limit: query.limit } : {}),
  });
  return jobs.map(toDeadJob);
}

function toDeadJob(j: JobRecord): DeadJob {
  const hook = j.headers[HEADER.terminal];
  const step = j.headers[HEADER.step];
  const out: DeadJob = { jobId: j.id, kind: hook !== undefined ? 'notification' : 'step', attempts: j.attempts, lastError: j.lastError, failedAt: j.failedAt };
  const runId = j.runId ?? j.headers[HEADER.runId];
  if (runId !== undefined) out.runId = runId;
  if (hook !== undefined) out.hook = hook;
  else if (step !== undefined && /^\d+$/.test(step)) out.stepNumber = Number(step);
  return out;
}
