/**
 * Terminal notifications: the job a run's end enqueued for each observing hook, processed like
 * a step. The hook's effects commit with the job's acknowledgement; a throw retries it (a
 * permanent `StepError` dead-letters it), so a hook runs at least once per committed end
 * (L-14) and its effects apply exactly once.
 */
import { messageOf } from '../core/errors.ts';
import { StepError } from '../core/outcome.ts';
import type { RunOutcome } from '../core/types.ts';
import type { Claim } from '../queue/types.ts';
import type { RuntimeContext } from './context.ts';
import { StagedTerminalEffects } from './effects.ts';
import { HEADER } from './records.ts';

export async function processNotification(ctx: RuntimeContext, claim: Claim): Promise<void> {
  const name = claim.job.headers[HEADER.terminal];
  const hook = ctx.options.hooks.find((h) => h.name === name);
  const outcome = parseOutcome(claim.job.payload);
  if (!hook || !outcome) {
    const reason = !hook ? `no terminal hook named ${JSON.stringify(name)} is registered` : 'the notification payload is not a run outcome';
    await ctx.queue.transact((ops) => ops.deadLetter(claim, reason));
    return;
  }
  const effects = new StagedTerminalEffects(ctx.options.maxPayloadBytes, (q) => ctx.queue.config(q));
  try {
    await hook.onTerminal(outcome, effects);
  } catch (e) {
    effects.seal();
    const se = StepError.from(e);
    await ctx.queue.transact(async (ops) => {
      if (se.kind === 'permanent') await ops.deadLetter(claim, se.message);
      else await ops.nack(claim, se.message || messageOf(e), se.retryAfterMs);
    });
    return;
  }
  effects.seal();
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
