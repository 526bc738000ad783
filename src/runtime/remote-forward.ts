/**
 * `cancel` and `sendEvent` for a run that is remote: forwarded to its gateway.
 * - `cancel(runId)` of a handed-off run asks the server to cancel it (its running step's signal
 *   aborts there); the run's end lands like any other remote outcome.
 * - `sendEvent(key)` goes to the server when no local step waits on the key and a handed-off
 *   run is known to wait on it (from the hand-off, or from its latest status read by the
 *   poller); otherwise the local rule applies (a local waiter, else the local buffer).
 * A hand-off the gateway has not acknowledged yet is sent first (idempotent there).
 * - An event buffered here for a key the remote run starts waiting on later (seen in a status
 *   the poller read) is forwarded then, and leaves the local buffer once the gateway took it:
 *   at least once (a worker that dies between the two forwards it again), never lost.
 */
import { WorkflowError } from '../core/errors.ts';
import { checkJson, type Json } from '../core/json.ts';
import type { RuntimeContext } from './context.ts';
import { saveSlot } from './event-slots.ts';
import { checkEventKey } from './events.ts';
import { gatewayClient, type GatewayClient } from './gateway-client.ts';
import type { HandoffRecord } from './handoff-records.ts';
import { bufferId, type EventRecord, type RunRecord } from './records.ts';
import { sendHandoff } from './remote-landing.ts';

async function acknowledged(ctx: RuntimeContext, rec: HandoffRecord): Promise<GatewayClient> {
  const gateway = gatewayClient(rec.url, ctx.options.handoff.fetch);
  if (rec.phase === 'sending' && (await sendHandoff(ctx, gateway, rec)) === 'refused') {
    throw new WorkflowError('HandoffRefused', `the gateway ${rec.url} refused run ${rec.runId}: the run ended failed`, { runId: rec.runId });
  }
  return gateway;
}

/** Cancels the remote run of `rec` (found by handoff-check.ts `handoffOf`). @returns false when the server knows no such active run */
export async function forwardCancel(ctx: RuntimeContext, rec: HandoffRecord): Promise<boolean> {
  const gateway = await acknowledged(ctx, rec);
  return (await gateway.cancel(rec.runId)) ?? false;
}

/** @returns the answer when a remote run took the event, or undefined for the local rule */
export async function forwardEvent(ctx: RuntimeContext, key: string, payload: Json): Promise<'delivered' | 'buffered' | undefined> {
  // Bad input is refused before anything is read or sent, as the local path refuses it.
  checkEventKey(key);
  checkJson(payload, 'event payload', ctx.options.maxPayloadBytes);
  const found = await ctx.store.read(async (t) => {
    const slot = await t.get<EventRecord>('events', key);
    if (slot?.waiter) {
      const run = await t.get<RunRecord>('runs', slot.waiter.runId);
      if (run?.state === 'active' && run.jobId === slot.waiter.jobId) return undefined; // a local waiter
    }
    const recs = await t.getAll<HandoffRecord>('handoffs', undefined);
    return recs.find((r) => (r.seen.state === 'waiting' || r.phase === 'sending') && (r.seen.eventKey ?? r.state?.waiting?.key) === key);
  }, ['events', 'runs', 'handoffs']);
  if (!found) return undefined;
  const gateway = await acknowledged(ctx, found);
  const delivered = await gateway.sendEvent(found.runId, key, payload);
  // Unknown to the gateway, or ended there meanwhile: the local rule.
  return delivered === true ? 'delivered' : undefined;
}

/** Forwards the payload buffered here for `key`, if any and no local step waits on the key. */
export async function forwardBuffered(ctx: RuntimeContext, gateway: GatewayClient, runId: string, key: string): Promise<void> {
  const slot = await ctx.store.read((t) => t.get<EventRecord>('events', key), ['events']);
  const buffered = slot?.buffered;
  if (!buffered || slot.waiter) return;
  if ((await gateway.sendEvent(runId, key, buffered.payload)) !== true) return;
  await ctx.store.write(async (t) => {
    const cur = await t.get<EventRecord>('events', key);
    // Only the payload that was sent leaves: a newer send replaced it and stays buffered.
    if (!cur?.buffered || bufferId(cur.buffered) !== bufferId(buffered)) return;
    delete cur.buffered;
    saveSlot(t, cur);
  });
}
