/**
 * Terminal notifications: the job a run's end enqueued for each observing hook, processed like
 * a step. The hook's effects commit with the job's acknowledgement; a throw retries it (a
 * permanent `StepError` dead-letters it), so a hook runs at least once per committed end
 * and its effects apply exactly once.
 *
 * A hook runs under its delivery's lease like a step (delivery-lease.ts), kept alive while it
 * runs: a hook may legitimately take long (a webhook POST), and a slow hook is never taken for
 * a hung one and run a second time beside itself while this instance lives. If the claim is
 * lost anyway (another instance took it over, or storage failed for a whole lease), the hook's
 * signal is aborted with `ClaimLost` and its delivery abandoned: nothing of it is settled.
 */
import { messageOf } from '../core/errors.ts';
import { StepError } from '../core/outcome.ts';
import type { RunOutcome } from '../core/types.ts';
import type { Claim } from '../queue/types.ts';
import type { RuntimeContext } from './context.ts';
import { LEASE_LOST, type DeliveryLease } from './delivery-lease.ts';
import { StagedTerminalEffects } from './effects.ts';
import { HEADER } from './records.ts';
import { parkingOf } from './parking.ts';

export async function processNotification(ctx: RuntimeContext, claim: Claim, lease: DeliveryLease): Promise<void> {
  const name = claim.job.headers[HEADER.terminal];
  const hook = ctx.options.hooks.find((h) => h.name === name);
  const outcome = parseOutcome(claim.job.payload);
  if (!hook && name !== undefined) {
    // A hook of another build of the app (deployed beside this one): put back unspent for an
    // instance that registers it (parking.ts), never dead-lettered for being unknown here.
    await parkingOf(ctx).park(claim, { kind: 'hook', name });
    return;
  }
  if (!hook || !outcome) {
    await ctx.queue.transact((ops) => ops.deadLetter(claim, 'the notification payload is not a run outcome'));
    return;
  }
  const effects = new StagedTerminalEffects(ctx.options.maxPayloadBytes, (q) => ctx.queue.config(q));
  const call = async (): Promise<{ threw: false } | { threw: true; error: unknown }> => {
    try {
      await hook.onTerminal(outcome, effects, lease.signal);
      return { threw: false };
    } catch (error) {
      return { threw: true, error };
    }
  };
  const called = await lease.guard(call, { keepAlive: true });
  effects.seal();
  if (called === LEASE_LOST) return; // abandoned: nothing of this delivery is settled
  if (called.threw) {
    const se = StepError.from(called.error);
    await ctx.queue.transact(async (ops) => {
      if (se.kind === 'permanent') await ops.deadLetter(claim, se.message);
      else await ops.nack(claim, se.message || messageOf(called.error), se.retryAfterMs);
    });
    return;
  }
  // The effects were checked as they were staged (effects.ts).
  await ctx.queue.transact((ops) => ops.ack(claim, effects.toSettle()));
}

/** A stored outcome, checked field by field (a foreign or corrupt job must not reach a hook). */
export function parseOutcome(v: unknown): RunOutcome | undefined {
  if (typeof v !== 'object' || v === null) return undefined;
  const o = v as Partial<RunOutcome>;
  if (typeof o.runId !== 'string' || typeof o.workflow !== 'string') return undefined;
  if (o.status !== 'succeeded' && o.status !== 'failed' && o.status !== 'cancelled') return undefined;
  if (typeof o.finalStep !== 'number' || typeof o.headers !== 'object' || o.headers === null) return undefined;
  if (o.error !== undefined && typeof o.error !== 'string') return undefined;
  return o as RunOutcome;
}
