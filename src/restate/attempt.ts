/**
 * One delivery of one step on Restate, run inside the step's `ctx.run`: the runner gets the same
 * `Step` it gets in the browser, and whatever it returns or throws becomes plain data (an
 * `AttemptResult`), journaled as the `ctx.run`'s value. So Restate never retries a step on its
 * own: the workflow's retry policy decides, as in the browser. What does throw out of here is
 * the infrastructure (the ingress unreachable): Restate retries that, and the retry begins a
 * new delivery (`attempts + 1`), as a crashed delivery does in the browser.
 */
import type { Ingress } from '@restatedev/restate-sdk-clients';
import { systemClock } from '../core/clock.ts';
import { messageOf } from '../core/errors.ts';
import type { Json } from '../core/json.ts';
import { StepError, isStepError, type StepOutcome } from '../core/outcome.ts';
import { FunctionHost, bindWorkflows } from '../functions/runner.ts';
import { StagedEffects } from '../runtime/effects.ts';
import type { Step, StepRunner } from '../runtime/types.ts';
import { checkOutcome } from '../runtime/verdict.ts';
import type { AnyWorkflow } from '../functions/definition.ts';
import type { RemoteEffect } from './contract.ts';
import { remoteJournalRecords } from './function-store.ts';
import { RemoteMemo, RunData } from './remote-memo.ts';

/** What one delivery produced, as journaled. */
export type AttemptResult =
  | { kind: 'outcome'; attempt: number; outcome: StepOutcome; effects: RemoteEffect[] }
  | { kind: 'error'; attempt: number; permanent: boolean; message: string; retryAfterMs?: number };

export interface AttemptDeps {
  ingress: Ingress;
  workflows: Record<string, StepRunner | AnyWorkflow>;
  maxPayloadBytes: number;
  maxAttempts: number;
  /** Least time between two progress writes of a step (the latest update always lands). */
  progressIntervalMs: number;
}

export interface AttemptInput {
  key: string;
  runId: string;
  workflow: string;
  headers: Record<string, string>;
  stepNumber: number;
  jobId: string;
  payload: Json;
  event?: { key: string; payload: Json | null };
}

/** The message of a delivery that began after the step's last allowed one was interrupted. */
export const INTERRUPTED_LAST = 'the step was interrupted on its last attempt (its process ended before it returned)';

export async function runAttempt(deps: AttemptDeps, input: AttemptInput, controller: AbortController): Promise<AttemptResult> {
  const begin = new RunData(deps.ingress, input.key, { step: input.stepNumber, attempt: 0 });
  const attempt = await begin.begin(input.stepNumber);
  if (attempt > deps.maxAttempts) return { kind: 'error', attempt, permanent: true, message: INTERRUPTED_LAST };
  const data = new RunData(deps.ingress, input.key, { step: input.stepNumber, attempt });
  const entry = deps.workflows[input.workflow];
  if (entry === undefined) return { kind: 'error', attempt, permanent: true, message: `this service has no workflow ${JSON.stringify(input.workflow)}` };
  let runner: StepRunner;
  if (typeof entry === 'function') runner = entry;
  else {
    // A fresh host per delivery: its journal cache must not mix runs of two owners with one run id.
    const host = new FunctionHost();
    host.attach(remoteJournalRecords(data), systemClock, deps.maxPayloadBytes);
    runner = bindWorkflows({ [input.workflow]: entry }, host)[input.workflow]!;
  }
  const memo = new RemoteMemo(data, input.stepNumber, deps.maxPayloadBytes);
  const effects = new StagedEffects(deps.maxPayloadBytes);
  const progress = throttled(deps.progressIntervalMs, (update: Json) => data.progress(update));
  const step: Step = {
    runId: input.runId,
    workflow: input.workflow,
    stepNumber: input.stepNumber,
    payload: input.payload,
    headers: Object.freeze({ ...input.headers }),
    jobId: input.jobId,
    attempts: attempt,
    signal: controller.signal,
    ...(input.event === undefined ? {} : { event: input.event }),
    memo,
    effects,
    lease: {
      // No time lease here: Restate knows a delivery is alive by its connection to the service
      // process, and retries the step when that process goes away. Extending can never fail.
      extend: async () => undefined,
      expiresAt: Number.MAX_SAFE_INTEGER,
    },
    progress: (update: Json) => progress.push(update),
  };
  try {
    if (controller.signal.aborted) throw StepError.transient(`the step was aborted before its runner started: ${messageOf(controller.signal.reason)}`);
    const outcome = checkOutcome(await runner(step), deps.maxPayloadBytes);
    effects.seal();
    await progress.flush();
    return { kind: 'outcome', attempt, outcome: structuredClone(outcome), effects: toEffects(effects) };
  } catch (e) {
    effects.seal();
    await progress.flush();
    const error = isStepError(e) ? e : StepError.from(e);
    return {
      kind: 'error',
      attempt,
      permanent: error.kind === 'permanent',
      message: error.message,
      ...(error.retryAfterMs === undefined ? {} : { retryAfterMs: error.retryAfterMs }),
    };
  }
}

function toEffects(e: StagedEffects): RemoteEffect[] {
  return [...[...e.puts].map(([key, value]): RemoteEffect => ({ op: 'put', key, value })), ...[...e.deletes].map((key): RemoteEffect => ({ op: 'delete', key }))];
}

/** Sends the latest update at most every `ms`; failures are dropped (progress is a view, not state). */
function throttled(ms: number, send: (u: Json) => Promise<void>): { push(u: Json): void; flush(): Promise<void> } {
  let latest: { u: Json } | undefined;
  let last = 0;
  let timer: ReturnType<typeof setTimeout> | undefined;
  let inflight: Promise<void> = Promise.resolve();
  const fire = () => {
    timer = undefined;
    if (!latest) return;
    const { u } = latest;
    latest = undefined;
    last = Date.now();
    inflight = inflight.then(() => send(u)).catch(() => undefined);
  };
  return {
    push(u) {
      latest = { u: structuredClone(u) };
      if (timer !== undefined) return;
      const wait = Math.max(0, last + ms - Date.now());
      if (wait === 0) fire();
      else timer = setTimeout(fire, wait);
    },
    async flush() {
      if (timer !== undefined) clearTimeout(timer);
      fire();
      await inflight;
    },
  };
}
