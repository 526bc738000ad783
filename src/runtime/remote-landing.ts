/**
 * A handed-off run's writes after the hand-off: the gateway's acknowledgement, what the browser
 * last saw of the live run, and the landing of its outcome.
 *
 * Landing is the run's ONE end: one strict transaction reads the hand-off record and the run
 * record, and only while both still say "remote, this run instance, active" applies the
 * server's App-KV effects, appends the final step to the history, ends the run through `endRun`
 * (terminal record, marker, hook notifications: the same path as a local end) and deletes the
 * hand-off record. A second landing (another poller, a retried long-poll, a browser that comes
 * back later) finds no record and writes nothing.
 */
import { checkJson, type Json } from '../core/json.ts';
import { isTerminal, type TerminalStatus } from '../core/types.ts';
import type { RemoteEffect, RemoteStatus } from '../restate/contract.ts';
import type { RuntimeContext } from './context.ts';
import type { GatewayClient } from './gateway-client.ts';
import { getHandoff, remoteView, type HandoffRecord, type SeenStatus } from './handoff-records.ts';
import { RESERVED_KV_PREFIX, type RunRecord } from './records.ts';
import { addHistory, endRun } from './terminal.ts';

/**
 * Sends the hand-off's state (once). @returns 'acknowledged' (recorded), 'refused' (the gateway
 * will not run it: the run has landed as failed) or 'pending' when the record is no longer
 * sending. @throws what the gateway call threw (`Unavailable`: the poller tries again later)
 */
export async function sendHandoff(ctx: RuntimeContext, gateway: GatewayClient, rec: HandoffRecord, signal?: AbortSignal): Promise<'acknowledged' | 'refused' | 'pending'> {
  if (rec.phase !== 'sending' || !rec.state) return rec.phase === 'remote' ? 'acknowledged' : 'pending';
  try {
    await gateway.start(rec.state, signal);
  } catch (e) {
    if (!neverTaken(e)) throw e;
    const reason = `the server refused the hand-off: ${(e as Error).message}`;
    await land(ctx, rec.runId, { runId: rec.runId, workflow: rec.state.workflow, state: 'failed', stepNumber: rec.state.stepNumber, attempts: rec.state.attempts, updatedAt: ctx.clock.now(), reason });
    return 'refused';
  }
  await ctx.store.write(async (t) => {
    const cur = await getHandoff(t, rec.runId);
    if (!cur || cur.phase !== 'sending' || cur.since !== rec.since) return;
    cur.phase = 'remote';
    delete cur.state; // the server has it now; the memo it carried need not stay twice
    t.put('handoffs', cur);
  });
  return 'acknowledged';
}

/**
 * Whether the gateway answered that it will never take this hand-off: a workflow the server
 * does not run (422), or a request it rejects as such (another 4xx: too large, malformed for
 * its version). The run then ends failed here, once, rather than being sent forever. Not
 * signed in (401/403) is not final: the user may sign in again.
 */
function neverTaken(e: unknown): boolean {
  const { name, details } = e as { name?: unknown; details?: { status?: unknown } };
  return (name === 'HandoffRefused' && details?.status === 422) || name === 'InvalidArgument';
}

/**
 * Records what the browser saw of a live remote run, and tells this instance's watchers (the
 * host fans it out to every tab) when it changed. @returns whether it changed
 */
export async function saveSeen(ctx: RuntimeContext, runId: string, s: RemoteStatus): Promise<boolean> {
  if (isTerminal(s.state)) return false;
  const seen = seenOf(s);
  const out = await ctx.store.write(async (t) => {
    const [rec, run] = await Promise.all([getHandoff(t, runId), t.get<RunRecord>('runs', runId)]);
    if (!rec || !run || run.state !== 'active' || JSON.stringify(rec.seen) === JSON.stringify(seen)) return undefined;
    const progressed = seen.progress !== undefined && JSON.stringify(seen.progress) !== JSON.stringify(rec.seen.progress);
    rec.seen = seen;
    t.put('handoffs', rec);
    return { status: remoteView(run, rec), progressed };
  });
  if (!out) return false;
  if (out.progressed && seen.progress) ctx.events.emit({ type: 'progress', runId, stepNumber: seen.progress.stepNumber, update: seen.progress.update });
  ctx.emitStatus(out.status);
  return true;
}

/** Lands a terminal remote status as the run's end (see the file comment). @returns whether this call ended the run */
export async function land(ctx: RuntimeContext, runId: string, s: RemoteStatus): Promise<boolean> {
  if (!isTerminal(s.state)) return false;
  const status: TerminalStatus = s.state;
  const kv = effectsOf(s.effects, ctx.options.maxPayloadBytes);
  const ended = await ctx.queue.transact(async (ops) => {
    const t = ops.t;
    const [rec, run] = await Promise.all([getHandoff(t, runId), t.get<RunRecord>('runs', runId)]);
    if (!rec) return false;
    if (!run || run.state !== 'active' || run.jobId !== undefined || run.instanceId !== rec.instanceId) {
      t.delete('handoffs', runId); // a record its run no longer matches: nothing to land on
      return false;
    }
    await ops.applyEffects(kv);
    const finalStep = Number.isSafeInteger(s.stepNumber) && s.stepNumber >= 0 ? s.stepNumber : rec.seen.stepNumber;
    const attempt = Number.isSafeInteger(s.attempts) && s.attempts >= 0 ? s.attempts : 0;
    addHistory(t, run, { stepNumber: finalStep, jobId: `remote:${runId}`, attempt, outcome: status, memoHits: 0, endedAt: ops.now(), ...(status === 'failed' && s.reason !== undefined ? { error: s.reason } : {}) });
    await endRun(ops, ctx, run, {
      status,
      finalStep,
      notificationMaxAttempts: run.maxAttempts,
      ...(status === 'succeeded' && s.result !== undefined ? { result: s.result } : {}),
      ...(status !== 'succeeded' && typeof s.reason === 'string' ? { error: s.reason } : {}),
    });
    t.delete('handoffs', runId);
    return true;
  }, { strict: true });
  if (ended) ctx.publish([runId]);
  return ended;
}

/**
 * The server's App-KV writes, in order, as one put set and one delete set (the last write of a
 * key wins). Writes under the reserved `workflow/` prefix and unusable ones are left out.
 */
function effectsOf(effects: RemoteEffect[] | undefined, maxBytes: number): { kvPut: Record<string, Json>; kvDelete: string[] } {
  const last = new Map<string, RemoteEffect>();
  for (const e of Array.isArray(effects) ? effects : []) {
    if (typeof e !== 'object' || e === null || typeof e.key !== 'string' || e.key.length === 0 || e.key.startsWith(RESERVED_KV_PREFIX)) continue;
    if (e.op === 'put') {
      try {
        checkJson(e.value, 'effect value', maxBytes);
      } catch {
        continue;
      }
    } else if (e.op !== 'delete') continue;
    last.delete(e.key);
    last.set(e.key, e);
  }
  const kvPut: Record<string, Json> = {};
  const kvDelete: string[] = [];
  for (const e of last.values()) {
    if (e.op === 'put') kvPut[e.key] = e.value;
    else kvDelete.push(e.key);
  }
  return { kvPut, kvDelete };
}

/** The part of a remote status the browser keeps while the run is live. */
function seenOf(s: RemoteStatus): SeenStatus {
  const seen: SeenStatus = { state: s.state, stepNumber: s.stepNumber, attempts: s.attempts, updatedAt: s.updatedAt };
  if (s.eventKey !== undefined) seen.eventKey = s.eventKey;
  if (s.wakeAt !== undefined) seen.wakeAt = s.wakeAt;
  if (s.progress !== undefined) seen.progress = s.progress;
  return seen;
}
