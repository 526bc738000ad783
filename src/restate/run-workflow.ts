/**
 * The Restate workflow that goes on with a handed-off run: one invocation of `run` per key
 * (owner, runId), looping over the run's steps from the hand-off's step.
 *
 * - A step's delivery is one `ctx.run` (attempt.ts): its result is journaled as data, so a
 *   replay after a crash never runs a finished delivery again, and an interrupted one runs
 *   again as the next attempt.
 * - A delay or a retry backoff is a durable `ctx.sleep`; the backoff is the browser's
 *   (`backoffDelay`), jittered with Restate's deterministic random.
 * - `waitForEvent` waits on a durable promise per (event key, occurrence): the i-th wait on a
 *   key in this run receives the i-th event sent for it, sent before or after the wait began;
 *   a timeout is a durable sleep raced against it and delivers `null`.
 * - Cancel resolves the `cancel` promise; every wait races it, and a running step's `signal`
 *   aborts when it wins. The run then ends `cancelled`.
 * - Terminal hooks run once per run, each in its own `ctx.run` (journaled: never again after a
 *   replay); what they stage is collected in the run's state (`hookEffects`) and applied nowhere.
 */
import * as restate from '@restatedev/restate-sdk';
import type { Ingress } from '@restatedev/restate-sdk-clients';
import type { Json } from '../core/json.ts';
import { backoffDelay, type RetryPolicy } from '../core/retry.ts';
import type { RunOutcome, RunState, TerminalStatus } from '../core/types.ts';
import { DEFAULT_QUEUE_CONFIG } from '../queue/context.ts';
import { cancelReason } from '../runtime/delivery.ts';
import { StagedTerminalEffects } from '../runtime/effects.ts';
import type { StepRunner, TerminalHook } from '../runtime/types.ts';
import type { AnyWorkflow } from '../functions/definition.ts';
import { JOURNAL_STEP } from '../functions/journal.ts';
import { runAttempt, type AttemptResult } from './attempt.ts';
import type { HandoffState, RemoteEffect, RemoteStatus } from './contract.ts';
import { dataObject, eventPromiseName } from './data-object.ts';
import { RUN_SERVICE } from './keys.ts';

export interface RunWorkflowDeps {
  ingress: Ingress;
  workflows: Record<string, StepRunner | AnyWorkflow>;
  hooks: TerminalHook[];
  retry: RetryPolicy;
  maxPayloadBytes: number;
  progressIntervalMs: number;
  /** How long Restate keeps an ended run (its status and outcome). */
  retentionMs: number;
}

/** What a hook staged, kept with the ended run. */
export interface HookEffects {
  hook: string;
  put: Record<string, Json>;
  delete: string[];
  enqueue: { queue: string; payload: Json }[];
}

type Tagged = { t: 'cancel' } | { t: 'done'; r: AttemptResult } | { t: 'event'; v: Json } | { t: 'timeout' } | { t: 'slept' };

export function runWorkflow(deps: RunWorkflowDeps) {
  return restate.workflow({
    name: RUN_SERVICE,
    handlers: {
      run: async (ctx: restate.WorkflowContext, state: HandoffState): Promise<RemoteStatus> => goOn(ctx, deps, state),
      /** The run's status with its latest progress, or null before any hand-off of this key. */
      status: restate.handlers.workflow.shared(async (ctx: restate.WorkflowSharedContext): Promise<RemoteStatus | null> => {
        const status = await ctx.get<RemoteStatus>('status');
        if (status === null) return null;
        if (status.state === 'succeeded' || status.state === 'failed' || status.state === 'cancelled') return status;
        const view = await ctx.objectClient(dataObject, ctx.key).view();
        const out: RemoteStatus = { ...status };
        if (view.cancelRequested) out.state = 'cancelling';
        if (view.progress && view.progress.stepNumber === status.stepNumber && status.state === 'running') out.progress = view.progress;
        return out;
      }),
      /** Resolves one event's promise (the data object numbers the events of a key). */
      deliver: restate.handlers.workflow.shared(async (ctx: restate.WorkflowSharedContext, e: { name: string; payload: Json }): Promise<void> => {
        await ctx.promise<{ v: Json }>(e.name).resolve({ v: e.payload });
      }),
      cancel: restate.handlers.workflow.shared(async (ctx: restate.WorkflowSharedContext): Promise<void> => {
        if ((await ctx.promise<boolean>('cancel').peek()) === undefined) await ctx.promise<boolean>('cancel').resolve(true);
      }),
    },
    options: { workflowRetention: deps.retentionMs, journalRetention: deps.retentionMs },
  });
}

export type RunWorkflow = ReturnType<typeof runWorkflow>;

async function goOn(ctx: restate.WorkflowContext, deps: RunWorkflowDeps, s: HandoffState): Promise<RemoteStatus> {
  const key = ctx.key;
  let n = s.stepNumber;
  let payload = s.payload;
  let attempts = s.attempts;
  const maxAttempts = s.maxAttempts ?? deps.retry.maxAttempts;
  let event: { key: string; payload: Json | null } | undefined;
  const effects: RemoteEffect[] = [];
  const waits = new Map<string, number>();
  const base = { runId: s.runId, workflow: s.workflow };
  const now = async () => ctx.date.now();
  const status = async (state: RunState, extra: Partial<RemoteStatus> = {}): Promise<void> => {
    ctx.set('status', { ...base, state, stepNumber: n, attempts, updatedAt: await now(), ...extra } satisfies RemoteStatus);
  };
  const cancelled = () => ctx.promise<boolean>('cancel').get().map((): Tagged => ({ t: 'cancel' }));
  /** Sleeps until `at` unless cancelled first. @returns false when cancelled */
  const sleepUntil = async (at: number): Promise<boolean> => {
    const left = Math.max(0, at - (await now()));
    const r = await restate.RestatePromise.race([ctx.sleep(left).map((): Tagged => ({ t: 'slept' })), cancelled()]);
    return r.t !== 'cancel';
  };
  /** Waits for the next event of `eventKey` (null at `deadline`). @returns undefined when cancelled */
  const waitEvent = async (eventKey: string, deadline: number | undefined): Promise<{ key: string; payload: Json | null } | undefined> => {
    const index = waits.get(eventKey) ?? 0;
    waits.set(eventKey, index + 1);
    await status('waiting', { eventKey, ...(deadline === undefined ? {} : { wakeAt: deadline }) });
    const racers = [ctx.promise<{ v: Json }>(eventPromiseName(eventKey, index)).get().map((v): Tagged => ({ t: 'event', v: v!.v })), cancelled()];
    if (deadline !== undefined) racers.push(ctx.sleep(Math.max(0, deadline - (await now()))).map((): Tagged => ({ t: 'timeout' })));
    const r = await restate.RestatePromise.race(racers);
    if (r.t === 'cancel') return undefined;
    return { key: eventKey, payload: r.t === 'event' ? r.v : null };
  };
  const end = async (state: TerminalStatus, extra: { result?: Json; reason?: string }): Promise<RemoteStatus> => {
    const final: RemoteStatus = { ...base, state, stepNumber: n, attempts, updatedAt: await now(), ...extra, effects };
    ctx.set('status', final);
    await runHooks(ctx, deps, s, final);
    ctx.objectSendClient(dataObject, key).clear();
    return final;
  };

  // step 0 of a workflow() run names its journal after its job: the journal the browser began, if any.
  const instance = journalInstance(s) ?? `h${ctx.rand.uuidv4().replaceAll('-', '')}`;
  const jobIdOf = (step: number) => (step === 0 ? instance : `${s.runId}-${step}`);

  if (s.waiting) {
    event = await waitEvent(s.waiting.key, s.waiting.deadline);
    if (event === undefined) return end('cancelled', {});
  } else if (s.dueAt !== undefined) {
    await status('scheduled', { wakeAt: s.dueAt });
    if (!(await sleepUntil(s.dueAt))) return end('cancelled', {});
  }
  for (;;) {
    await status('running', { attempts: attempts + 1 });
    const controller = new AbortController();
    const input = {
      key,
      runId: s.runId,
      workflow: s.workflow,
      headers: s.headers,
      stepNumber: n,
      jobId: jobIdOf(n),
      payload,
      ...(event === undefined ? {} : { event }),
    };
    const attemptDeps = { ingress: deps.ingress, workflows: deps.workflows, maxPayloadBytes: deps.maxPayloadBytes, maxAttempts, progressIntervalMs: deps.progressIntervalMs };
    const r = await restate.RestatePromise.race([
      ctx.run(`step ${n}`, () => runAttempt(attemptDeps, input, controller)).map((r): Tagged => ({ t: 'done', r: r! })),
      cancelled(),
    ]);
    if (r.t === 'cancel') {
      controller.abort(cancelReason());
      return end('cancelled', {});
    }
    if (r.t !== 'done') throw new restate.TerminalError('unreachable');
    const result = r.r;
    attempts = result.attempt;
    if (result.kind === 'error') {
      if (result.permanent || result.attempt >= maxAttempts) return end('failed', { reason: result.message });
      const wakeAt = (await now()) + backoffDelay(deps.retry, result.attempt, result.retryAfterMs, ctx.rand.random());
      await status('scheduled', { wakeAt });
      if (!(await sleepUntil(wakeAt))) return end('cancelled', {});
      continue;
    }
    effects.push(...result.effects);
    const o = result.outcome;
    if (o.kind === 'succeed') return end('succeeded', { result: o.result });
    if (o.kind === 'fail') return end('failed', { reason: o.reason });
    if (o.kind === 'cancel') return end('cancelled', { reason: o.reason });
    n += 1;
    attempts = 0;
    payload = o.payload;
    event = undefined;
    if (o.kind === 'next') {
      if (o.delayMs !== undefined && o.delayMs > 0) {
        const wakeAt = (await now()) + o.delayMs;
        await status('scheduled', { wakeAt });
        if (!(await sleepUntil(wakeAt))) return end('cancelled', {});
      }
    } else {
      event = await waitEvent(o.key, o.timeoutMs === undefined ? undefined : (await now()) + o.timeoutMs);
      if (event === undefined) return end('cancelled', {});
    }
  }
}

/** The instance whose journal the hand-off carries (`f:<instance>:…` under the journal step), if any. */
function journalInstance(s: HandoffState): string | undefined {
  for (const e of s.memo) {
    if (e.stepNumber !== JOURNAL_STEP || !e.key.startsWith('f:')) continue;
    const end = e.key.indexOf(':', 2);
    if (end > 2) return e.key.slice(2, end);
  }
  return undefined;
}

async function runHooks(ctx: restate.WorkflowContext, deps: RunWorkflowDeps, s: HandoffState, final: RemoteStatus): Promise<void> {
  if (deps.hooks.length === 0) return;
  const outcome: RunOutcome = {
    runId: s.runId,
    workflow: s.workflow,
    status: final.state as TerminalStatus,
    ...(final.result === undefined ? {} : { result: final.result }),
    ...(final.reason === undefined ? {} : { error: final.reason }),
    headers: s.headers,
    finalStep: final.stepNumber,
    submittedAt: s.submittedAt,
    terminalAt: final.updatedAt,
  };
  const collected: HookEffects[] = [];
  for (const hook of deps.hooks) {
    if (hook.observes && !hook.observes(outcome)) continue;
    const staged = await ctx.run(
      `hook ${hook.name}`,
      async (): Promise<HookEffects | null> => {
        const effects = new StagedTerminalEffects(deps.maxPayloadBytes, () => DEFAULT_QUEUE_CONFIG);
        try {
          await hook.onTerminal(outcome, effects, new AbortController().signal);
        } catch (e) {
          // A permanent StepError gives the hook up (the browser dead-letters it); anything else is retried by Restate.
          if (typeof e === 'object' && e !== null && (e as { kind?: unknown }).kind === 'permanent') return null;
          throw e;
        }
        const settle = effects.toSettle();
        return { hook: hook.name, put: settle.kvPut ?? {}, delete: settle.kvDelete ?? [], enqueue: (settle.enqueue ?? []).map((j) => ({ queue: j.queue, payload: j.payload })) };
      },
      { maxRetryAttempts: deps.retry.maxAttempts, initialRetryInterval: Math.max(1, deps.retry.baseDelayMs), maxRetryInterval: Math.max(1, deps.retry.maxDelayMs) },
    ).catch((e: unknown) => {
      if (e instanceof restate.TerminalError) return null;
      throw e;
    });
    if (staged) collected.push(staged);
  }
  ctx.set('hookEffects', collected);
}
