/** Step progression, payload threading, and terminal outcomes. */
import { describe, expect, it } from 'vitest';
import { isWorkflowError } from '../../src/core/errors.ts';
import { Outcome, StepError } from '../../src/core/outcome.ts';
import type { RunEvent, RunState } from '../../src/core/types.ts';
import { Runtime } from '../../src/runtime/runtime.ts';
import type { Step } from '../../src/runtime/types.ts';
import type { JobRecord } from '../../src/store/db.ts';
import { deferred, freshRuntime, gatedRunner, recordingHook, scriptedRunner, settle, waitFor } from './harness.ts';
import { STEPS, Slot, isNotification, jobsOfRun } from './peek.ts';
import { getJob, queueOf, stats } from '../../src/inspect.ts';

describe('Step progression and payload threading', () => {
  it('a single-step run succeeds, reports step 0 and fires the hook once', async () => {
    const runner = scriptedRunner([Outcome.succeed('done')]);
    const hook = recordingHook();
    const { runtime } = await freshRuntime({ workflows: { wf: runner }, hooks: [hook] });
    const { runId } = await runtime.submit({ workflow: 'wf', input: 'in' });
    await waitFor(() => hook.outcomes.length === 1, 5000, 'hook');
    await settle(50);
    expect(hook.outcomes).toHaveLength(1);
    expect(hook.outcomes[0]).toMatchObject({ runId, status: 'succeeded', result: 'done', finalStep: 0 });
    expect(hook.outcomes[0]!.error).toBeUndefined();
    // Our port keeps a finished run's status (until keepDoneRunsMs) where upstream answers null.
    expect(await runtime.status(runId)).toMatchObject({ state: 'succeeded', stepNumber: 0, result: 'done' });
    expect(runner.calls.map((s) => [s.stepNumber, s.payload, s.attempts])).toEqual([[0, 'in', 1]]);
    await runtime.close();
  });

  it('continue advances the step number by one and threads the payload', async () => {
    const runner = scriptedRunner([Outcome.next('step1'), Outcome.next('step2'), Outcome.succeed('final')]);
    const hook = recordingHook();
    const { runtime } = await freshRuntime({ workflows: { wf: runner }, hooks: [hook] });
    const { runId } = await runtime.submit({ workflow: 'wf', input: 'start' });
    expect(await runtime.wait(runId)).toMatchObject({ runId, status: 'succeeded', result: 'final', finalStep: 2 });
    await waitFor(() => hook.outcomes.length === 1, 5000, 'hook');
    await settle(50);
    expect(hook.outcomes).toHaveLength(1);
    expect(hook.outcomes[0]).toMatchObject({ runId, status: 'succeeded', result: 'final', finalStep: 2 });
    expect(runner.calls.map((s) => [s.stepNumber, s.payload])).toEqual([
      [0, 'start'],
      [1, 'step1'],
      [2, 'step2'],
    ]);
    await runtime.close();
  });

  it('user headers reach every step and the hook; reserved headers never do', async () => {
    const runner = scriptedRunner([Outcome.next(''), Outcome.succeed('')]);
    const hook = recordingHook();
    const { runtime } = await freshRuntime({ workflows: { wf: runner }, hooks: [hook] });
    const headers = { trace_id: 'abc-123', tenant: 'acme' };
    const { runId } = await runtime.submit({ workflow: 'wf', input: 'x', headers });
    await runtime.wait(runId);
    await waitFor(() => hook.outcomes.length === 1, 5000, 'hook');
    expect(hook.outcomes[0]!.headers).toEqual(headers);
    expect(Object.keys(hook.outcomes[0]!.headers).some((k) => k.startsWith('workflow.'))).toBe(false);
    expect(runner.calls).toHaveLength(2);
    for (const s of runner.calls) expect({ ...s.headers }).toEqual(headers);
    expect((await runtime.status(runId))?.headers).toEqual(headers);
    await runtime.close();
  });

  it('every step of a run inherits its priority and maxAttempts; notifications follow the documented rule', async () => {
    const seenJobs: JobRecord[] = [];
    const notifications: JobRecord[] = [];
    const self = new Slot<Runtime>();
    const runner = async (s: Step) => {
      seenJobs.push((await getJob(self.value, s.jobId))!);
      if (s.stepNumber === 0) return Outcome.next(s.payload === 'y' ? 'verdict' : 'p');
      if (s.payload === 'verdict') return Outcome.fail('declined');
      throw StepError.transient('t');
    };
    const hook = recordingHook('recorder', async (o) => {
      const jobs = await jobsOfRun(self.value, o.runId);
      notifications.push(...jobs.filter(isNotification));
    });
    const { runtime } = await freshRuntime({ workflows: { wf: runner }, hooks: [hook] });
    self.set(runtime);

    const a = await runtime.submit({ workflow: 'wf', input: 'x', maxAttempts: 2, priority: 100 });
    expect(await runtime.wait(a.runId)).toMatchObject({ status: 'failed', error: 't', finalStep: 1 });
    const step1 = seenJobs.filter((j) => j.headers['workflow.step'] === '1');
    expect(step1.map((j) => j.attempts)).toEqual([1, 2]);
    for (const j of seenJobs) expect(j).toMatchObject({ priority: 100, maxAttempts: 2 });
    await waitFor(() => notifications.length === 1, 5000, 'hook');
    // A step-error termination: the notification inherits the priority, attempts are the queue default.
    expect(notifications.at(-1)).toMatchObject({ priority: 100, maxAttempts: 3 });

    // A verdict termination: the notification inherits the terminal step's maxAttempts too.
    const b = await runtime.submit({ workflow: 'wf', input: 'y', maxAttempts: 2, priority: 100 });
    expect(await runtime.wait(b.runId)).toMatchObject({ status: 'failed', error: 'declined', finalStep: 1 });
    await waitFor(() => notifications.length === 2, 5000, 'hook');
    expect(notifications.at(-1)).toMatchObject({ runId: b.runId, priority: 100, maxAttempts: 2 });
    await runtime.close();
  });

  it('at most `concurrency` steps run at once, and a backlog fills that capacity', async () => {
    let inFlight = 0;
    let max = 0;
    let done = 0;
    const runner = async () => {
      inFlight++;
      max = Math.max(max, inFlight);
      await new Promise((r) => setTimeout(r, 20));
      inFlight--;
      done++;
      return Outcome.succeed(null);
    };
    const { runtime } = await freshRuntime({ start: false, concurrency: 4, workflows: { wf: runner } });
    const ids = [];
    for (let i = 0; i < 10; i++) ids.push((await runtime.submit({ workflow: 'wf', input: i })).runId);
    await runtime.start();
    for (const id of ids) await runtime.wait(id);
    expect(done).toBe(10);
    expect(max).toBe(4);
    await runtime.close();

    const e = await Runtime.open({ workflows: { wf: runner }, concurrency: 0 }).then(
      () => undefined,
      (err: unknown) => err,
    );
    expect(isWorkflowError(e, 'InvalidArgument')).toBe(true);
  });

  it('steps are claimed by priority, then in submission order within a priority', async () => {
    const order: string[] = [];
    const runner = async (s: Step) => {
      order.push(s.runId);
      return Outcome.succeed(null);
    };
    const { runtime, clock } = await freshRuntime({ start: false, concurrency: 1, workflows: { wf: runner } });
    const t = clock.now();
    await runtime.submit({ workflow: 'wf', runId: 'L', input: 0, priority: 10_000 });
    await runtime.submit({ workflow: 'wf', runId: 'N1', input: 0 });
    await runtime.submit({ workflow: 'wf', runId: 'H', input: 0, priority: 100 });
    await runtime.submit({ workflow: 'wf', runId: 'N2', input: 0 });
    expect(clock.now()).toBe(t); // all within one millisecond of the clock
    await runtime.start();
    for (const id of ['L', 'N1', 'H', 'N2']) await runtime.wait(id);
    expect(order).toEqual(['H', 'N1', 'N2', 'L']);
    await runtime.close();
  });

  it('runtimes with distinct queue names do not process each other\'s steps', async () => {
    const a = scriptedRunner([Outcome.succeed('a')]);
    const b = scriptedRunner([Outcome.succeed('b')]);
    const fresh = await freshRuntime({ queueName: 'wf-a', workflows: { wf: a } });
    const rtA = fresh.runtime;
    const rtB = await fresh.reopen({ queueName: 'wf-b', workflows: { wf: b } });
    await rtB.start();
    const ra = await rtA.submit({ workflow: 'wf', runId: 'run-a', input: 1 });
    const rb = await rtB.submit({ workflow: 'wf', runId: 'run-b', input: 2 });
    expect(await rtA.wait(ra.runId)).toMatchObject({ status: 'succeeded', result: 'a' });
    expect(await rtB.wait(rb.runId)).toMatchObject({ status: 'succeeded', result: 'b' });
    await settle(30);
    expect(a.calls.map((s) => s.runId)).toEqual(['run-a']);
    expect(b.calls.map((s) => s.runId)).toEqual(['run-b']);
    // A claim on one queue never returns the other's job.
    await rtA.stop();
    await rtB.stop();
    await rtB.submit({ workflow: 'wf', runId: 'run-b2', input: 3 });
    expect(await queueOf(rtA).claim('wf-a')).toBeUndefined();
    expect((await queueOf(rtA).claim('wf-b'))?.job.runId).toBe('run-b2');
    await rtA.close();
    await rtB.close();
  });

  it('a newly submitted run is picked up without waiting for the poll interval', async () => {
    const runner = gatedRunner(() => Outcome.succeed(null));
    const { runtime, clock } = await freshRuntime({ pollIntervalMs: 10_000, workflows: { wf: runner } });
    await settle(20); // the executor is idle, asleep on the mock clock
    const t = clock.now();
    const started = Date.now();
    const { runId } = await runtime.submit({ workflow: 'wf', input: 1 });
    const step = await runner.entered();
    expect(step.runId).toBe(runId);
    expect(Date.now() - started).toBeLessThan(500);
    expect(clock.now()).toBe(t); // no poll interval elapsed on the runtime's clock
    runner.release();
    await runtime.wait(runId);

    // Queue form: three idle waiters; one job wakes exactly one, a batch of two wakes the other two.
    const q = queueOf(runtime);
    const claimed: (string | undefined)[] = [];
    const waiters = [0, 1, 2].map(() => q.claimWait('other', 10_000).then((c) => claimed.push(c?.job.id)));
    await settle(20);
    const one = await q.enqueue('other', 'a');
    await waitFor(() => claimed.length === 1, 2000, 'one waiter');
    await settle(20);
    expect(claimed).toEqual([one.id]);
    const two = await q.enqueueBatch('other', [{ payload: 'b' }, { payload: 'c' }]);
    await Promise.all(waiters);
    expect(claimed.slice(1).sort()).toEqual(two.map((o) => o.id).sort());
    expect(clock.now()).toBe(t);
    await runtime.close();
  });
});

describe('Outcomes', () => {
  it('succeed acknowledges the step and reports the result', async () => {
    const hook = recordingHook();
    const { runtime } = await freshRuntime({ workflows: { wf: scriptedRunner([Outcome.succeed('done')]) }, hooks: [hook] });
    const { runId } = await runtime.submit({ workflow: 'wf', input: 'x' });
    await waitFor(() => hook.outcomes.length === 1, 5000, 'hook');
    expect(hook.outcomes[0]).toMatchObject({ runId, status: 'succeeded', result: 'done' });
    expect(hook.outcomes[0]!.error).toBeUndefined();
    await settle(20);
    expect(await stats(runtime, STEPS)).toMatchObject({ dead: 0, pending: 0, claimed: 0, done: 2 });
    expect(await runtime.status(runId)).toMatchObject({ state: 'succeeded', result: 'done' });
    await runtime.close();
  });

  it('fail is a verdict: the run fails, the step is acknowledged, nothing is dead-lettered', async () => {
    const hook = recordingHook();
    const { runtime } = await freshRuntime({ workflows: { wf: scriptedRunner([Outcome.fail('agent declined the task')]) }, hooks: [hook] });
    const { runId } = await runtime.submit({ workflow: 'wf', input: 'x' });
    await waitFor(() => hook.outcomes.length === 1, 5000, 'hook');
    await settle(50);
    expect(hook.outcomes).toHaveLength(1);
    expect(hook.outcomes[0]).toMatchObject({ runId, status: 'failed', error: 'agent declined the task' });
    expect(hook.outcomes[0]!.result).toBeUndefined();
    expect(await runtime.status(runId)).toMatchObject({ state: 'failed', error: 'agent declined the task' });
    expect((await stats(runtime, STEPS)).dead).toBe(0);
    expect(await runtime.deadJobs()).toEqual([]);
    await runtime.close();
  });

  it('a runner-issued cancel ends the run cancelled with its reason, never shown as cancelling', async () => {
    const hook = recordingHook();
    const { runtime } = await freshRuntime({ start: false, workflows: { wf: scriptedRunner([Outcome.cancel('upstream aborted')]) }, hooks: [hook] });
    const states: RunState[] = [];
    runtime.subscribe((e: RunEvent) => {
      if (e.type === 'status') states.push(e.status.state);
    });
    const { runId } = await runtime.submit({ workflow: 'wf', input: 'x' });
    await runtime.start();
    await waitFor(() => hook.outcomes.length === 1, 5000, 'hook');
    await settle(50);
    expect(hook.outcomes).toHaveLength(1);
    expect(hook.outcomes[0]).toMatchObject({ runId, status: 'cancelled', error: 'upstream aborted' });
    expect(hook.outcomes[0]!.result).toBeUndefined();
    expect(await runtime.status(runId)).toMatchObject({ state: 'cancelled', error: 'upstream aborted' });
    expect((await stats(runtime, STEPS)).dead).toBe(0);
    expect(states).toContain('cancelled');
    expect(states).not.toContain('cancelling');
    await runtime.close();
  });

  it('a fail verdict and a permanent step error are distinguishable in the queue', async () => {
    const hook = recordingHook();
    const { runtime } = await freshRuntime({
      workflows: {
        verdict: scriptedRunner([Outcome.fail('no')]),
        broken: scriptedRunner([
          () => {
            throw StepError.permanent('no');
          },
        ]),
      },
      hooks: [hook],
    });
    const a = await runtime.submit({ workflow: 'verdict', input: 'x' });
    expect(await runtime.wait(a.runId)).toMatchObject({ status: 'failed', error: 'no' });
    expect((await stats(runtime, STEPS)).dead).toBe(0);
    const b = await runtime.submit({ workflow: 'broken', input: 'x' });
    expect(await runtime.wait(b.runId)).toMatchObject({ status: 'failed', error: 'no' });
    expect((await stats(runtime, STEPS)).dead).toBe(1);
    await waitFor(() => hook.outcomes.length === 2, 5000, 'hooks');
    expect(hook.outcomes.map((o) => [o.runId, o.status, o.error])).toEqual([
      [a.runId, 'failed', 'no'],
      [b.runId, 'failed', 'no'],
    ]);
    const dead = await runtime.deadJobs();
    expect(dead).toHaveLength(1);
    expect(dead[0]).toMatchObject({ kind: 'step', runId: b.runId, stepNumber: 0, lastError: 'no' });
    await runtime.close();
  });

  it('terminal status wire strings are exactly succeeded, failed, cancelled', async () => {
    const hook = recordingHook();
    const { runtime } = await freshRuntime({
      workflows: {
        ok: scriptedRunner([Outcome.succeed(1)]),
        ko: scriptedRunner([Outcome.fail('f')]),
        stop: scriptedRunner([Outcome.cancel('c')]),
      },
      hooks: [hook],
    });
    const statuses: string[] = [];
    for (const wf of ['ok', 'ko', 'stop']) {
      const { runId } = await runtime.submit({ workflow: wf, input: null });
      statuses.push((await runtime.wait(runId)).status);
      statuses.push((await runtime.status(runId))!.state);
    }
    expect(statuses).toEqual(['succeeded', 'succeeded', 'failed', 'failed', 'cancelled', 'cancelled']);
    await waitFor(() => hook.outcomes.length === 3, 5000, 'hooks');
    expect(hook.outcomes.map((o) => o.status)).toEqual(['succeeded', 'failed', 'cancelled']);
    await runtime.close();
  });

  it('RunOutcome field rules: result only on success, error per cause, finalStep, stripped headers', async () => {
    const gate = deferred<void>();
    const { runtime, clock } = await freshRuntime({
      workflows: {
        three: scriptedRunner([Outcome.next(1), Outcome.next(2), Outcome.succeed('r')]),
        delayed: scriptedRunner([Outcome.next(1, { delayMs: 1000 }), Outcome.succeed('late')]),
        verdict: scriptedRunner([Outcome.fail('why')]),
        broken: scriptedRunner([
          () => {
            throw StepError.permanent('boom');
          },
        ]),
        selfCancel: scriptedRunner([Outcome.cancel('mine')]),
        held: async () => {
          await gate.promise;
          return Outcome.succeed('would-have');
        },
        parked: scriptedRunner([Outcome.next('p', { delayMs: 3_600_000 })]),
      },
    });
    const headers = { tenant: 'acme' };
    const run = async (workflow: string) => (await runtime.submit({ workflow, input: 0, headers })).runId;

    const three = await runtime.wait(await run('three'));
    expect(three).toMatchObject({ status: 'succeeded', result: 'r', finalStep: 2, headers });
    expect('error' in three).toBe(false);

    const delayedId = await run('delayed');
    await waitFor(async () => (await runtime.status(delayedId))?.state === 'scheduled', 5000, 'scheduled');
    clock.advance(1000);
    expect(await runtime.wait(delayedId)).toMatchObject({ status: 'succeeded', result: 'late', finalStep: 1 });

    const verdict = await runtime.wait(await run('verdict'));
    expect(verdict).toMatchObject({ status: 'failed', error: 'why', finalStep: 0 });
    expect('result' in verdict).toBe(false);

    expect(await runtime.wait(await run('broken'))).toMatchObject({ status: 'failed', error: 'boom' });
    expect(await runtime.wait(await run('selfCancel'))).toMatchObject({ status: 'cancelled', error: 'mine' });

    // An external cancel that overrides a succeed: no result, no error.
    const heldId = await run('held');
    await waitFor(async () => (await runtime.status(heldId))?.state === 'running', 5000, 'running');
    expect(await runtime.cancel(heldId)).toBe(true);
    gate.resolve();
    const held = await runtime.wait(heldId);
    expect(held).toMatchObject({ status: 'cancelled', finalStep: 0, headers });
    expect('result' in held || 'error' in held).toBe(false);

    // An external cancel of a scheduled step: finalStep is the step that was waiting.
    const parkedId = await run('parked');
    await waitFor(async () => (await runtime.status(parkedId))?.state === 'scheduled', 5000, 'scheduled');
    expect(await runtime.cancel(parkedId)).toBe(true);
    const parked = await runtime.wait(parkedId);
    expect(parked).toMatchObject({ status: 'cancelled', finalStep: 1, headers });
    expect('error' in parked).toBe(false);
    await runtime.close();
  });
});
