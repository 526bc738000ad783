/**
 * `handoff(runId, { url })`: hands a run that is not mid-step to a server through the app's
 * gateway. Rules:
 * - Only a non-terminal run: pending, scheduled (a delay or a retry backoff) or waiting. A run
 *   whose step runs now is handed off once that step has settled (within `timeoutMs`, else
 *   `Timeout`); a terminal run is `RunTerminal`, an unknown one `RunNotFound`.
 * - The gateway is asked first whether its server runs the workflow: a refusal
 *   (`HandoffRefused`), or no gateway at all (`Unavailable`), writes nothing.
 * - ONE strict transaction then removes the run's step job (so no executor claims it again),
 *   drops its event registration, records the hand-off (`handoffs`) and builds the state the
 *   server goes on from (a consistent cut): the step, its deliveries, payload, headers, when it
 *   is due or what it waits for, the event buffered for its key (moved, not copied), and the
 *   memo entries of this and later steps.
 * - Then the state is POSTed; a POST that does not get through is sent again by the executor's
 *   poller until the gateway acknowledges it. The gateway is idempotent on the run id, so a
 *   retried hand-off never starts two server runs.
 * - A run handed off does not come back to the browser: its outcome does (remote-landing.ts).
 * - Idempotent: handing off a run already handed off to the same URL answers that hand-off.
 */
import { checkMs, checkOptions } from '../core/check.ts';
import { JOURNAL_STEP } from '../functions/journal.ts';
import { WorkflowError, invalidArgument } from '../core/errors.ts';
import type { HandoffOutcome, HandoffTarget } from '../core/types.ts';
import type { HandoffMemoEntry, HandoffState } from '../restate/contract.ts';
import type { QueueOps } from '../queue/ops.ts';
import type { RuntimeContext } from './context.ts';
import { saveSlot } from './event-slots.ts';
import { gatewayClient } from './gateway-client.ts';
import { getHandoff, type HandoffRecord, type SeenStatus } from './handoff-records.ts';
import { HEADER, type EventRecord, type MemoRecord, type RunRecord } from './records.ts';
import { sendHandoff } from './remote-landing.ts';
import { checkRunId } from './validate.ts';

/** How long `handoff` waits for a running step to settle, by default. */
export const HANDOFF_TIMEOUT_MS = 60_000;

type Marked = { kind: 'busy' } | { kind: 'terminal' } | { kind: 'missing' } | { kind: 'marked' | 'already'; rec: HandoffRecord };

/** The gateway URL, absolute (a relative one is resolved against the worker's location). */
export function gatewayUrl(url: unknown): string {
  if (typeof url !== 'string' || url.length === 0) throw invalidArgument('handoff url', "must be the gateway's URL", url);
  const base = (globalThis as { location?: { href?: string } }).location?.href;
  let parsed: URL;
  try {
    parsed = base !== undefined ? new URL(url, base) : new URL(url);
  } catch {
    throw invalidArgument('handoff url', "must be the gateway's absolute http(s) URL (or one relative to the page's origin)", url);
  }
  if (parsed.protocol !== 'http:' && parsed.protocol !== 'https:') throw invalidArgument('handoff url', 'must be an http(s) URL', url);
  if (parsed.username !== '' || parsed.password !== '') throw invalidArgument('handoff url', 'must not carry credentials: the gateway authenticates through the app\'s cookies', '<url with credentials>');
  // Nothing secret is stored: a token in the query would be.
  if (parsed.search !== '' || parsed.hash !== '') throw invalidArgument('handoff url', 'must have no query or fragment: the gateway authenticates through the app\'s cookies', '<url with a query>');
  return parsed.href.replace(/\/+$/, '');
}

export async function handoff(ctx: RuntimeContext, runId: string, target: HandoffTarget): Promise<HandoffOutcome> {
  checkRunId(runId);
  if (typeof target !== 'object' || target === null) throw invalidArgument('handoff target', 'must be an object { url, timeoutMs? }', target);
  checkOptions(target, 'handoff target');
  const url = gatewayUrl(target.url);
  const timeoutMs = target.timeoutMs ?? HANDOFF_TIMEOUT_MS;
  checkMs(timeoutMs, 'timeoutMs');

  const before = await ctx.store.read(async (t) => ({ run: await t.get<RunRecord>('runs', runId), rec: await getHandoff(t, runId) }), ['runs', 'handoffs']);
  if (!before.run) throw new WorkflowError('RunNotFound', `no run ${runId}: check the id (list() shows the stored runs)`, { runId });
  if (before.rec) return answered(before.rec, url);
  if (before.run.state !== 'active') throw new WorkflowError('RunTerminal', `run ${runId} has already ended (${before.run.state}): only a run that has not ended can be handed off`, { runId });

  const gateway = gatewayClient(url, ctx.options.handoff.fetch);
  const served = await gateway.workflows();
  if (!served.includes(before.run.workflow)) {
    throw new WorkflowError('HandoffRefused', `the server behind ${url} does not run workflow ${JSON.stringify(before.run.workflow)}: deploy it to the service first, or keep the run in the browser`, { runId, url });
  }

  const deadline = ctx.clock.now() + timeoutMs;
  for (;;) {
    const m = await ctx.queue.transact((ops) => mark(ops, runId, url), { strict: true });
    if (m.kind === 'missing') throw new WorkflowError('RunNotFound', `run ${runId} is gone (its record expired): nothing was handed off`, { runId });
    if (m.kind === 'terminal') throw new WorkflowError('RunTerminal', `run ${runId} ended before it could be handed off`, { runId });
    if (m.kind === 'already') return answered(m.rec, url);
    if (m.kind === 'marked') {
      ctx.publish([runId]);
      const sent = await sendHandoff(ctx, gateway, m.rec).catch(() => 'pending' as const);
      if (sent === 'refused') {
        throw new WorkflowError('HandoffRefused', `the gateway ${url} refused run ${runId} after it was handed off: the run ended failed (see its error)`, { runId, url });
      }
      return { runId, url, since: m.rec.since, acknowledged: sent === 'acknowledged' };
    }
    const left = deadline - ctx.clock.now();
    if (left <= 0) {
      throw new WorkflowError('Timeout', `run ${runId}'s step was still running after ${timeoutMs} ms: hand it off once the step has settled, or pass a longer timeoutMs`, { runId, timeoutMs });
    }
    await ctx.clock.sleep(Math.min(left, Math.max(10, Math.min(ctx.options.pollIntervalMs, 250))));
  }
}

function answered(rec: HandoffRecord, url: string): HandoffOutcome {
  if (rec.url !== url) throw new WorkflowError('InvalidState', `run ${rec.runId} was already handed off to ${rec.url}: a run goes to one server`, { runId: rec.runId, url: rec.url });
  return { runId: rec.runId, url: rec.url, since: rec.since, acknowledged: rec.phase === 'remote' };
}

/** The hand-off transaction (see the file comment). */
async function mark(ops: QueueOps, runId: string, url: string): Promise<Marked> {
  const t = ops.t;
  const [run, existing] = await Promise.all([t.get<RunRecord>('runs', runId), getHandoff(t, runId)]);
  if (!run) return { kind: 'missing' };
  if (existing) return { kind: 'already', rec: existing };
  if (run.state !== 'active') return { kind: 'terminal' };
  const job = run.jobId !== undefined ? await ops.getJob(run.jobId) : undefined;
  if (!job) throw new WorkflowError('InvalidState', `run ${runId} has no step to hand off`, { runId });
  if (job.state === 'claimed' || run.cancelRequested) return { kind: 'busy' };
  const now = ops.now();
  // This step's and later steps' memo, and a workflow() run's journal (this run instance's only):
  // the server replays the function against it.
  const [memos, journal] = await Promise.all([
    t.getAll<MemoRecord>('memos', undefined, t.keyRange.bound([runId, run.stepNumber], [runId, []])),
    t.getAll<MemoRecord>('memos', undefined, t.keyRange.bound([runId, JOURNAL_STEP, 'f:'], [runId, JOURNAL_STEP, 'f;'], false, true)),
  ]);
  const own = run.instanceId !== undefined ? `f:${run.instanceId}:` : 'f:';
  const memo: HandoffMemoEntry[] = [
    ...journal.filter((m) => m.key.startsWith(own)),
    ...memos.filter((m) => m.key.startsWith('k:') || m.key.startsWith('c:')),
  ].map((m) => ({ stepNumber: m.step, key: m.key, value: m.value }));
  const state: HandoffState = {
    runId,
    workflow: run.workflow,
    stepNumber: run.stepNumber,
    attempts: job.attempts,
    maxAttempts: run.maxAttempts,
    payload: job.payload,
    headers: { ...run.headers },
    submittedAt: run.submittedAt,
    memo,
  };
  const eventKey = run.eventKey ?? job.headers[HEADER.event];
  if (eventKey !== undefined) {
    const slot = await t.get<EventRecord>('events', eventKey);
    if (job.wokenAt !== null) {
      // The event was delivered to this step already: it travels as the event the step runs with.
      state.waiting = { key: eventKey };
      state.bufferedEvents = [{ key: eventKey, payload: job.wakePayload }];
    } else {
      // Still waiting (or its timeout has passed): the deadline, and a payload buffered for the key, moved.
      state.waiting = { key: eventKey, ...(Number.isFinite(job.runAt) ? { deadline: job.runAt } : {}) };
      if (slot?.buffered) {
        state.bufferedEvents = [{ key: eventKey, payload: slot.buffered.payload }];
        delete slot.buffered;
      }
    }
    if (slot) {
      if (slot.waiter?.runId === runId) delete slot.waiter;
      saveSlot(t, slot);
    }
  }
  // A delay, or a retry backoff (also of a step that already got its event).
  if (job.state === 'scheduled' && (eventKey === undefined || job.wokenAt !== null)) state.dueAt = job.runAt;
  await ops.cancel(job.id); // not claimed: deleted, so no executor finds it again
  delete run.jobId;
  delete run.eventKey;
  delete run.progress;
  run.updatedAt = now;
  t.put('runs', run);
  const rec: HandoffRecord = { runId, instanceId: run.instanceId, url, phase: 'sending', since: now, state, seen: initialSeen(state, now) };
  t.put('handoffs', rec);
  return { kind: 'marked', rec };
}

/** What the browser knows of a run it just handed off, before the server said anything. */
function initialSeen(state: HandoffState, now: number): SeenStatus {
  return {
    state: state.waiting ? 'waiting' : state.dueAt !== undefined ? 'scheduled' : 'pending',
    stepNumber: state.stepNumber,
    attempts: state.attempts,
    updatedAt: now,
    ...(state.waiting ? { eventKey: state.waiting.key } : {}),
    ...(state.waiting?.deadline !== undefined ? { wakeAt: state.waiting.deadline } : state.dueAt !== undefined ? { wakeAt: state.dueAt } : {}),
  };
}
