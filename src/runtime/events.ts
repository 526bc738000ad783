/**
 * Durable events (upstream "signals"), the runtime's API: `sendEvent` and `clearEvent` validate
 * their input, then run one strict transaction over the key's slot (the waiter and buffer rule
 * is in event-slots.ts). `sendEvent` commits before it returns: either the waiting step was
 * woken carrying the payload, or the payload is buffered for the next waiter or for the waiting
 * step's own timeout.
 */
import { invalidArgument } from '../core/errors.ts';
import { checkJson, type Json } from '../core/json.ts';
import type { RuntimeContext } from './context.ts';
import { clearBuffer, send } from './event-slots.ts';

export const MAX_EVENT_KEY_LENGTH = 512;

export function checkEventKey(key: unknown): asserts key is string {
  if (typeof key !== 'string' || key.length === 0 || key.length > MAX_EVENT_KEY_LENGTH) {
    throw invalidArgument('event key', `must be a string of 1 to ${MAX_EVENT_KEY_LENGTH} characters`, key);
  }
}

export async function sendEvent(ctx: RuntimeContext, key: string, payload: Json): Promise<'delivered' | 'buffered'> {
  checkEventKey(key);
  checkJson(payload, 'event payload', ctx.options.maxPayloadBytes);
  const out = await ctx.queue.transact((ops) => send(ops, key, payload, ctx.queue.newId()), { strict: true });
  if (out.runId) ctx.publish([out.runId]);
  return out.result;
}

/** Discards a buffered payload. @returns whether there was one */
export async function clearEvent(ctx: RuntimeContext, key: string): Promise<boolean> {
  checkEventKey(key);
  return ctx.queue.transact((ops) => clearBuffer(ops.t, key), { strict: true });
}
