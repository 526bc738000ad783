/**
 * Durable events (upstream "signals"). One record per key holds a registered waiter and/or
 * one buffered payload (a later send replaces it, J-05). `sendEvent` commits strictly before
 * it returns (J-13): either the waiting step was woken carrying the payload, or the payload is
 * buffered for the next waiter or for the waiting step's own timeout (J-08).
 *
 * Each buffered payload has an id of its own (a step that read one releases that one, never a
 * later send of the same millisecond), and is kept `eventRetentionMs` (default 7 days) after it
 * was sent: the retention sweep (sweeper.ts) then discards it, keeping any waiter registration.
 */
import { invalidArgument } from '../core/errors.ts';
import { checkJson, type Json } from '../core/json.ts';
import type { RuntimeContext } from './context.ts';
import type { EventRecord } from './records.ts';

export const MAX_EVENT_KEY_LENGTH = 512;

export function checkEventKey(key: unknown): asserts key is string {
  if (typeof key !== 'string' || key.length === 0 || key.length > MAX_EVENT_KEY_LENGTH) {
    throw invalidArgument('event key', `must be a string of 1 to ${MAX_EVENT_KEY_LENGTH} characters`, key);
  }
}

export async function sendEvent(ctx: RuntimeContext, key: string, payload: Json): Promise<'delivered' | 'buffered'> {
  checkEventKey(key);
  checkJson(payload, 'event payload', ctx.options.maxPayloadBytes);
  const out = await ctx.queue.transact(async (ops) => {
    const now = ops.now();
    const ev = (await ops.t.get<EventRecord>('events', key)) ?? { key };
    if (ev.waiter) {
      const woke = await ops.wake(ev.waiter.jobId, payload);
      const runId = ev.waiter.runId;
      delete ev.waiter;
      if (woke === 'woken') {
        // A payload buffered earlier is superseded by this delivery.
        ops.t.delete('events', key);
        return { result: 'delivered' as const, runId };
      }
      // A stale registration (its step already promoted or gone): buffer instead (J-15).
    }
    ev.buffered = { payload, at: now, id: ctx.queue.newId() };
    ops.t.put('events', ev);
    return { result: 'buffered' as const, runId: undefined };
  }, { strict: true });
  if (out.runId) ctx.publish([out.runId]);
  return out.result;
}

/** Discards a buffered payload. @returns whether there was one */
export async function clearEvent(ctx: RuntimeContext, key: string): Promise<boolean> {
  checkEventKey(key);
  return ctx.queue.transact(async (ops) => {
    const ev = await ops.t.get<EventRecord>('events', key);
    if (!ev?.buffered) return false;
    delete ev.buffered;
    if (ev.waiter) ops.t.put('events', ev);
    else ops.t.delete('events', key);
    return true;
  }, { strict: true });
}
