/** Step errors, retries, backoff, dead letters; delays and the clock. */
import { describe, expect, it } from 'vitest';
import { WorkflowError, isWorkflowError } from '../../src/core/errors.ts';
import { hashJson } from '../../src/core/json.ts';
import { Outcome, StepError } from '../../src/core/outcome.ts';
import { backoffDelay, retryPolicy } from '../../src/core/retry.ts';
import type { Runtime } from '../../src/runtime/runtime.ts';
import { remainingDelay } from '../../src/runtime/replay.ts';
import type { Step } from '../../src/runtime/types.ts';
import type { JobRecord } from '../../src/store/db.ts';
import { T0, freshRuntime, recordingHook, scriptedRunner, settle, waitFor } from './harness.ts';
import { STEPS, Slot, jobsIn, memoRecords, runRecord } from './peek.ts';
import { getJob, queueOf, recoverNow, stats, sweepNow, terminalMarkers } from '../../src/inspect.ts';

function always(error: () => never) {
  return scriptedRunner([error]);
}

describe('Step errors, retries, backoff and dead letters', () => {
  it('a permanent step error dead-letters at once and fails the run', async () => {
    let deadWhenHookRan = -1;
    const self = new Slot<Runtime>();
    const hook = recordingHook('recorder', async () => {
      deadWhenHookRan = (await stats(self.value, STEPS)).dead;
    });
    const runner = always(() => {
      throw StepError.permanent('nope');
    });
    const { runtime } = await freshRuntime({ workflows: { wf: runner }, hooks: [hook] });
    self.set(runtime);
    const { runId } = await runtime.submit({ workflow: 'wf', input: 'x' });
    expect(await runtime.wait(runId)).toMatchObject({ runId, status: 'failed', error: 'nope' });
    await waitFor(() => deadWhenHookRan !== -1, 5000, 'hook');
    expect(hook.outcomes).toHaveLength(1);
    expect(hook.outcomes[0]).toMatchObject({ runId, status: 'failed', error: 'nope' });
    expect(deadWhenHookRan).toBe(1);
    expect(runner.calls).toHaveLength(1);
    expect(await runtime.status(runId)).toMatchObject({ state: 'failed', error: 'nope' });
    const [dead] = await jobsIn(runtime, 'dead');
    expect(dead).toMatchObject({ runId, attempts: 1, maxAttempts: 3, lastError: 'nope' });
    await runtime.close();
  });

  it('a transient error with maxAttempts 1 means one call and one failure', async () => {
    const hook = recordingHook();
    const runner = always(() => {
      throw StepError.transient('flaky');
    });
    const { runtime } = await freshRuntime({ workflows: { wf: runner }, hooks: [hook] });
    const { runId } = await runtime.submit({ workflow: 'wf', input: 'x', maxAttempts: 1 });
    expect(await runtime.wait(runId)).toMatchObject({ status: 'failed', error: 'flaky' });
    await waitFor(() => hook.outcomes.length === 1, 5000, 'hook');
    await settle(50);
    expect(runner.calls).toHaveLength(1);
    expect(hook.outcomes).toHaveLength(1);
    expect(hook.outcomes[0]).toMatchObject({ status: 'failed', error: 'flaky' });
    await runtime.close();
  });

  it('a transient error is retried up to maxAttempts, then the run fails once', async () => {
    const hook = recordingHook();
    const runner = always(() => {
      throw StepError.transient('flaky');
    });
    const { runtime } = await freshRuntime({ workflows: { wf: runner }, hooks: [hook] });
    const { runId } = await runtime.submit({ workflow: 'wf', input: 'x', maxAttempts: 3 });
    expect(await runtime.wait(runId)).toMatchObject({ status: 'failed', error: 'flaky' });
    await waitFor(() => hook.outcomes.length === 1, 5000, 'hook');
    await settle(50);
    expect(runner.calls.map((s) => s.attempts)).toEqual([1, 2, 3]);
    expect(hook.outcomes).toHaveLength(1);
    expect((await stats(runtime, STEPS)).dead).toBe(1);
    expect((await runtime.history(runId)).map((h) => [h.attempt, h.outcome])).toEqual([
      [1, 'retried'],
      [2, 'retried'],
      [3, 'deadLettered'],
    ]);
    await runtime.close();
  });

  it('a transient failure followed by success completes the run on attempt 2', async () => {
    const hook = recordingHook();
    const runner = scriptedRunner([
      () => {
        throw StepError.transient('flaky');
      },
      Outcome.succeed('done'),
    ]);
    const { runtime } = await freshRuntime({ workflows: { wf: runner }, hooks: [hook] });
    const { runId } = await runtime.submit({ workflow: 'wf', input: 'x', maxAttempts: 3 });
    expect(await runtime.wait(runId)).toMatchObject({ status: 'succeeded', result: 'done' });
    await waitFor(() => hook.outcomes.length === 1, 5000, 'hook');
    await settle(30);
    expect(hook.outcomes).toHaveLength(1);
    expect(runner.calls.map((s) => s.attempts)).toEqual([1, 2]);
    expect((await stats(runtime, STEPS)).dead).toBe(0);
    await runtime.close();
  });

  it('retry backoff doubles from the base and is capped (runtime form: the retry is scheduled that far ahead)', async () => {
    const policy = retryPolicy({ baseDelayMs: 1000, maxDelayMs: 60_000, jitter: 0 });
    expect([1, 2, 3, 4, 20].map((n) => backoffDelay(policy, n))).toEqual([1000, 2000, 4000, 8000, 60_000]);
    expect(backoffDelay(retryPolicy({ baseDelayMs: 0 }), 7)).toBe(0);

    const runner = always(() => {
      throw StepError.transient('again');
    });
    const { runtime, clock } = await freshRuntime({ workflows: { wf: runner }, retry: { baseDelayMs: 1000, maxDelayMs: 4000, jitter: 0 } });
    const { runId } = await runtime.submit({ workflow: 'wf', input: 'x', maxAttempts: 5 });
    const delays: number[] = [];
    for (let attempt = 1; attempt <= 4; attempt++) {
      await waitFor(() => runner.calls.length === attempt, 5000, `attempt ${attempt}`);
      await waitFor(async () => (await runtime.status(runId))?.state === 'scheduled', 5000, 'scheduled retry');
      const s = await runtime.status(runId);
      delays.push(s!.wakeAt! - clock.now());
      clock.advance(s!.wakeAt! - clock.now());
    }
    expect(delays).toEqual([1000, 2000, 4000, 4000]);
    expect(await runtime.wait(runId)).toMatchObject({ status: 'failed', error: 'again' });
    await runtime.close();
  });

  it('a failed attempt under backoff waits as scheduled, then becomes claimable', async () => {
    let lastErrorSeen: string | null = null;
    const self = new Slot<Runtime>();
    const runner = scriptedRunner([
      () => {
        throw StepError.transient('boom');
      },
      async (s: Step) => {
        lastErrorSeen = (await getJob(self.value, s.jobId))!.lastError;
        return Outcome.succeed('ok');
      },
    ]);
    const fresh = await freshRuntime({ workflows: { wf: runner }, retry: { baseDelayMs: 1000, jitter: 0 } });
    const { runtime } = fresh;
    self.set(runtime);
    const { clock } = fresh;
    const { runId } = await runtime.submit({ workflow: 'wf', input: 'x', maxAttempts: 3 });
    await waitFor(async () => (await stats(runtime, STEPS)).scheduled === 1, 5000, 'scheduled retry');
    expect(await stats(runtime, STEPS)).toMatchObject({ pending: 0, claimed: 0, scheduled: 1 });
    expect(await queueOf(runtime).claim(STEPS)).toBeUndefined();
    clock.advance(999);
    await settle(50);
    expect(runner.calls).toHaveLength(1);
    clock.advance(1);
    expect(await runtime.wait(runId)).toMatchObject({ status: 'succeeded' });
    expect(runner.calls.map((s) => s.attempts)).toEqual([1, 2]);
    expect(lastErrorSeen).toBe('boom');
    await runtime.close();
  });

  it('a retried step keeps its priority and is claimed before lower priorities', async () => {
    const order: [string, number, number][] = [];
    const self = new Slot<Runtime>();
    const runner = async (s: Step) => {
      order.push([s.runId, s.attempts, (await getJob(self.value, s.jobId))!.priority]);
      if (s.runId === 'high' && s.attempts === 1) throw StepError.transient('once');
      return Outcome.succeed(null);
    };
    const { runtime } = await freshRuntime({ start: false, concurrency: 1, workflows: { wf: runner } });
    self.set(runtime);
    await runtime.submit({ workflow: 'wf', runId: 'high', input: 0, priority: 100 });
    await runtime.submit({ workflow: 'wf', runId: 'normal', input: 0 });
    await runtime.start();
    await runtime.wait('high');
    await runtime.wait('normal');
    expect(order).toEqual([
      ['high', 1, 100],
      ['high', 2, 100],
      ['normal', 1, 1000],
    ]);
    await runtime.close();
  });

  it('step errors are recorded on the step job', async () => {
    let seen: JobRecord | undefined;
    const self = new Slot<Runtime>();
    const runner = async (s: Step) => {
      if (s.payload === 'transient') {
        if (s.attempts === 1) throw StepError.transient('transient error');
        seen = await getJob(self.value, s.jobId);
        return Outcome.succeed(null);
      }
      if (s.payload === 'permanent') throw StepError.permanent('permanent failure');
      throw StepError.transient('last try');
    };
    const fresh = await freshRuntime({ workflows: { wf: runner } });
    const { runtime } = fresh;
    self.set(runtime);
    const { clock } = fresh;
    const a = await runtime.submit({ workflow: 'wf', input: 'transient', maxAttempts: 3 });
    await runtime.wait(a.runId);
    expect(seen).toMatchObject({ state: 'claimed', attempts: 2, lastError: 'transient error' });

    const b = await runtime.submit({ workflow: 'wf', input: 'permanent', maxAttempts: 5 });
    await runtime.wait(b.runId);
    const [dead] = await jobsIn(runtime, 'dead');
    expect(dead).toMatchObject({ state: 'dead', attempts: 1, maxAttempts: 5, lastError: 'permanent failure', failedAt: clock.now() });
    expect(await stats(runtime, STEPS)).toMatchObject({ dead: 1, claimed: 0 });

    const c = await runtime.submit({ workflow: 'wf', input: 'single', maxAttempts: 1 });
    await runtime.wait(c.runId);
    const deadC = (await jobsIn(runtime, 'dead')).find((j) => j.runId === c.runId);
    expect(deadC).toMatchObject({ state: 'dead', attempts: 1, lastError: 'last try' });
    await runtime.close();
  });

  it('dead step jobs are listed page by page; a step of an ended run is not requeued, a dead notification is', async () => {
    let hookCalls = 0;
    const hook = recordingHook('recorder', () => {
      hookCalls++;
      if (hookCalls === 1) throw StepError.permanent('hook down');
    });
    const runner = always(() => {
      throw StepError.permanent('gone');
    });
    const { runtime, clock } = await freshRuntime({ workflows: { wf: runner }, hooks: [hook], deadRetentionMs: 60_000 });
    const runIds: string[] = [];
    for (let i = 0; i < 5; i++) {
      const { runId } = await runtime.submit({ workflow: 'wf', input: i });
      await runtime.wait(runId);
      runIds.push(runId);
    }
    await waitFor(() => hookCalls === 5, 5000, 'hooks');
    const all = (await runtime.deadJobs({ limit: 100 })).filter((j) => j.kind === 'step');
    expect(all.map((j) => j.runId)).toEqual(runIds);
    const stepIds = all.map((j) => j.jobId);
    // Only the step jobs (the first notification is dead too: skip it by filtering pages).
    const page = async (after: string | undefined, limit: number) =>
      (await runtime.deadJobs({ ...(after ? { after } : {}), limit })).map((j) => j.jobId);
    const everything = await page(undefined, 100);
    expect(everything).toEqual([...everything].sort());
    expect(await page(undefined, 2)).toEqual(everything.slice(0, 2));
    expect(await page(everything[1], 2)).toEqual(everything.slice(2, 4));
    expect(await page(everything[3], 2)).toEqual(everything.slice(4, 6));
    expect(await page(undefined, 0)).toEqual([]);

    // The run of a dead step job has ended (failed): requeueing the step is refused, so the run
    // can never end a second time.
    const e = await runtime.requeueDead(stepIds[0]!).then(
      () => undefined,
      (err: unknown) => err,
    );
    expect(isWorkflowError(e, 'RunTerminal')).toBe(true);
    expect((await getJob(runtime, stepIds[0]!))?.state).toBe('dead');
    await settle(30);
    expect(runner.calls).toHaveLength(5);
    expect(hookCalls).toBe(5);

    // A dead notification is requeued with a fresh budget and delivered again.
    const deadNote = (await runtime.deadJobs()).find((j) => j.kind === 'notification')!;
    expect(deadNote).toMatchObject({ hook: 'recorder', lastError: 'hook down', runId: runIds[0] });
    await runtime.stop();
    await runtime.requeueDead(deadNote.jobId);
    expect(await getJob(runtime, deadNote.jobId)).toMatchObject({ state: 'pending', attempts: 0, lastError: null, failedAt: null });
    await runtime.start();
    await waitFor(() => hookCalls === 6, 5000, 'requeued notification');
    expect(hook.outcomes.at(-1)).toMatchObject({ runId: runIds[0], status: 'failed', error: 'gone' });

    // After the dead-retention sweep removed a record, requeueing it fails JobNotFound.
    clock.advance(60_001);
    await sweepNow(runtime);
    const gone = await runtime.requeueDead(stepIds[1]!).then(
      () => undefined,
      (err: unknown) => err,
    );
    expect(isWorkflowError(gone, 'JobNotFound')).toBe(true);
    expect(await stats(runtime, STEPS)).toMatchObject({ pending: 0, dead: 0 });
    await runtime.close();
  });

  it('workflow errors map to step-error kinds by permanence', async () => {
    expect(StepError.from(new WorkflowError('InputMismatch', 'x')).kind).toBe('permanent');
    expect(StepError.from(new WorkflowError('StoreError', 'io')).kind).toBe('transient');
    expect(StepError.from(new Error('unknown')).kind).toBe('transient');

    // Runtime form: a runner that lets a workflow error escape is treated by its permanence.
    const mismatch = always(() => {
      throw new WorkflowError('InputMismatch', 'run r exists with a different input');
    });
    const storage = always(() => {
      throw new WorkflowError('StoreError', 'disk trouble');
    });
    const { runtime } = await freshRuntime({ workflows: { mismatch, storage } });
    const a = await runtime.submit({ workflow: 'mismatch', input: 0, maxAttempts: 3 });
    expect(await runtime.wait(a.runId)).toMatchObject({ status: 'failed', error: 'run r exists with a different input' });
    expect(mismatch.calls).toHaveLength(1);
    const b = await runtime.submit({ workflow: 'storage', input: 0, maxAttempts: 3 });
    expect(await runtime.wait(b.runId)).toMatchObject({ status: 'failed', error: 'disk trouble' });
    expect(storage.calls).toHaveLength(3);
    await runtime.close();
  });
});

describe('Delays on the injected clock', () => {
  it('a delayed continue holds the next step until the delay has passed', async () => {
    const hook = recordingHook();
    const runner = scriptedRunner([Outcome.next('step1', { delayMs: 60_000 }), Outcome.succeed('final')]);
    const { runtime, clock } = await freshRuntime({ workflows: { wf: runner }, hooks: [hook] });
    const { runId } = await runtime.submit({ workflow: 'wf', input: 'start' });
    await waitFor(async () => (await stats(runtime, STEPS)).scheduled === 1, 5000, 'scheduled');
    expect(await runtime.status(runId)).toMatchObject({ state: 'scheduled', stepNumber: 1, wakeAt: T0 + 60_000 });
    await settle(50);
    expect(hook.outcomes).toHaveLength(0);
    clock.advance(59_000);
    await settle(50);
    expect(runner.calls).toHaveLength(1);
    expect((await stats(runtime, STEPS)).scheduled).toBe(1);
    clock.advance(2000);
    await waitFor(() => hook.outcomes.length === 1, 5000, 'hook');
    expect(hook.outcomes[0]).toMatchObject({ runId, status: 'succeeded', finalStep: 1, result: 'final' });
    expect(runner.calls[1]).toMatchObject({ stepNumber: 1, payload: 'step1' });
    await runtime.close();
  });

  it('the runtime reads the queue\'s clock: every timestamp it writes comes from it', async () => {
    const { runtime, clock } = await freshRuntime({ start: false });
    expect(runtime.clock.now()).toBe(T0);
    expect(queueOf(runtime).clock.now()).toBe(T0);
    clock.advance(60_000);
    expect(queueOf(runtime).clock.now()).toBe(T0 + 60_000);
    await runtime.close();

    let entered!: () => void;
    const inStep = new Promise<void>((r) => (entered = r));
    let release!: () => void;
    const gate = new Promise<void>((r) => (release = r));
    const runner = async () => {
      entered();
      await gate;
      return Outcome.succeed('done');
    };
    const f = await freshRuntime({ clockStart: 10_000, memoRetentionMs: 3_600_000, leaseMs: 120_000, workflows: { wf: runner } });
    const { runId } = await f.runtime.submit({ workflow: 'wf', input: 'x' });
    await inStep;
    f.clock.advance(30_000);
    release();
    expect(await f.runtime.wait(runId)).toMatchObject({ submittedAt: 10_000, terminalAt: 40_000 });
    expect(await terminalMarkers(f.runtime)).toEqual([{ runId, terminalAt: 40_000 }]);
    expect(await runRecord(f.runtime, runId)).toMatchObject({ submittedAt: 10_000, terminalAt: 40_000 });
    await f.runtime.close();
  });

  it('the remaining delay on replay is measured from the stored timestamp', async () => {
    expect(remainingDelay(1000, 4000, 10_000)).toBe(7000);
    expect(remainingDelay(1000, 20_000, 10_000)).toBe(0);
    expect(remainingDelay(5000, 1000, 10_000)).toBe(10_000);

    // Runtime form: delivery 1 returns next(p, 10 s) at t = 1000 and its settlement is lost
    // (another instance recovered the claim); the redelivery at t = 4000 replays it due at 11 000.
    const slotA = new Slot<Runtime>();
    const slotB = new Slot<Runtime>();
    const runner = scriptedRunner([
      async () => {
        await recoverNow(slotB.value); // b takes the claim away from a: a's settlement will be rejected
        await slotA.value.stop({ drain: false });
        return Outcome.next('p', { delayMs: 10_000 });
      },
      Outcome.succeed('should not run'),
    ]);
    const fresh = await freshRuntime({ clockStart: 1000, stepOutputReplay: true, workflows: { wf: runner } });
    const a = slotA.set(fresh.runtime);
    const b = slotB.set(await fresh.reopen());
    const { runId } = await a.submit({ workflow: 'wf', runId: 'delay-replay', input: 'x' });
    await waitFor(() => runner.calls.length === 1, 5000, 'delivery 1');
    await waitFor(async () => (await memoRecords(a, runId)).some((m) => m.key.startsWith('r:')), 5000, 'replay record');
    await settle(30);
    expect(await a.status(runId)).toMatchObject({ state: 'pending', stepNumber: 0 });
    const key = `r:${await hashJson('x')}`;
    const rec = (await memoRecords(a, runId)).find((m) => m.key === key);
    expect(rec?.value).toMatchObject({ storedAt: 1000 });

    fresh.clock.set(4000);
    await b.start();
    await waitFor(async () => (await b.status(runId))?.state === 'scheduled', 5000, 'replayed delay');
    expect(await b.status(runId)).toMatchObject({ stepNumber: 1, wakeAt: 11_000 });
    expect(runner.calls).toHaveLength(1);
    expect((await b.history(runId)).at(-1)).toMatchObject({ stepNumber: 0, attempt: 2, outcome: 'scheduled', replayed: true });
    await b.close();
  });

  it('a step whose delay is already past runs at once; one in the future is scheduled', async () => {
    const runner = scriptedRunner([
      (s: Step) => {
        if (s.stepNumber > 0) return Outcome.succeed('ok');
        return s.payload === 'now' ? Outcome.next('go', { delayMs: 0 }) : Outcome.next('later', { delayMs: 3_600_000 });
      },
    ]);
    const { runtime } = await freshRuntime({ workflows: { wf: runner } });
    const now = await runtime.submit({ workflow: 'wf', input: 'now' });
    expect(await runtime.wait(now.runId)).toMatchObject({ status: 'succeeded', finalStep: 1 });
    const later = await runtime.submit({ workflow: 'wf', input: 'later' });
    await waitFor(async () => (await runtime.status(later.runId))?.state === 'scheduled', 5000, 'scheduled');
    expect(await stats(runtime, STEPS)).toMatchObject({ scheduled: 1, pending: 0 });
    expect(await queueOf(runtime).claim(STEPS)).toBeUndefined();
    await runtime.close();
  });

  it('a due step is promoted and run without a manual promotion once the clock passes its due time', async () => {
    const runner = scriptedRunner([Outcome.next('p', { delayMs: 100 }), Outcome.succeed('ok')]);
    const { runtime, clock } = await freshRuntime({ workflows: { wf: runner } });
    const { runId } = await runtime.submit({ workflow: 'wf', input: 'x' });
    await waitFor(async () => (await runtime.status(runId))?.state === 'scheduled', 5000, 'scheduled');
    const [job] = await jobsIn(runtime, 'scheduled');
    clock.advance(200);
    expect(await runtime.wait(runId)).toMatchObject({ status: 'succeeded', finalStep: 1 });
    expect(runner.calls[1]?.jobId).toBe(job!.id);
    await runtime.close();
  });

  it('a promoted step does not jump ahead of a higher priority', async () => {
    const order: string[] = [];
    const runner = async (s: Step) => {
      order.push(`${s.runId}:${s.stepNumber}`);
      if (s.runId === 'normal' && s.stepNumber === 0) return Outcome.next('p', { delayMs: 1 });
      return Outcome.succeed(null);
    };
    const { runtime, clock } = await freshRuntime({ concurrency: 1, workflows: { wf: runner } });
    await runtime.submit({ workflow: 'wf', runId: 'normal', input: 0 });
    await waitFor(async () => (await runtime.status('normal'))?.state === 'scheduled', 5000, 'scheduled');
    await runtime.stop();
    await runtime.submit({ workflow: 'wf', runId: 'high', input: 0, priority: 100 });
    clock.advance(5);
    await runtime.start();
    await runtime.wait('normal');
    await runtime.wait('high');
    expect(order).toEqual(['normal:0', 'high:0', 'normal:1']);
    await runtime.close();
  });
});
