/**
 * Cancellation. Runs in Node (fake-indexeddb) and in headless Chromium (real IndexedDB): no
 * Node-only APIs here.
 */
import { describe, expect, it } from 'vitest';
import { isWorkflowError } from '../../../src/core/errors.ts';
import { Outcome, StepError } from '../../../src/core/outcome.ts';
import type { Runtime } from '../../../src/runtime/runtime.ts';
import type { Step } from '../../../src/runtime/types.ts';
import { deferred, freshRuntime, gatedRunner, recordingHook, scriptedRunner, settle, waitFor } from '../harness.ts';
import { STEPS, Slot, isNotification, jobsIn, runRecord } from '../peek.ts';
import { getJob, queueOf, stats, terminalMarkers } from '../../../src/inspect.ts';

const never = () => {
  throw new Error('the runner must not be called');
};

describe('Runtime.cancel', () => {
  it('cancelling a pending run removes its step and notifies cancelled', async () => {
    const hook = recordingHook();
    const runner = scriptedRunner([never]);
    const { runtime } = await freshRuntime({ start: false, workflows: { wf: runner }, hooks: [hook] });
    const { runId } = await runtime.submit({ workflow: 'wf', input: 'x', headers: { tenant: 'acme' } });
    expect((await runtime.status(runId))?.state).toBe('pending');
    const stepJob = (await runRecord(runtime, runId))!.jobId!;

    expect(await runtime.cancel(runId)).toBe(true);
    // Our port keeps the finished run's status (upstream: null right after cancel).
    expect(await runtime.status(runId)).toMatchObject({ state: 'cancelled', stepNumber: 0 });
    expect(await getJob(runtime, stepJob)).toBeUndefined();
    const pending = await jobsIn(runtime, 'pending');
    expect(pending).toHaveLength(1);
    expect(isNotification(pending[0]!)).toBe(true);
    expect(await stats(runtime, STEPS)).toMatchObject({ pending: 1, scheduled: 0, claimed: 0 });

    await runtime.start();
    await waitFor(() => hook.outcomes.length === 1, 5000, 'hook');
    await settle(50);
    expect(hook.outcomes).toHaveLength(1);
    expect(hook.outcomes[0]).toMatchObject({ runId, status: 'cancelled', headers: { tenant: 'acme' } });
    expect(hook.outcomes[0]!.error).toBeUndefined();
    expect(runner.calls).toHaveLength(0);
    expect(await stats(runtime, STEPS)).toMatchObject({ dead: 0, pending: 0, claimed: 0 });
    await runtime.close();
  });

  it('cancelling twice: the second call returns false, one notification', async () => {
    const hook = recordingHook();
    const { runtime } = await freshRuntime({ start: false, workflows: { wf: scriptedRunner([never]) }, hooks: [hook] });
    const { runId } = await runtime.submit({ workflow: 'wf', input: 'x' });
    expect(await runtime.cancel(runId)).toBe(true);
    expect(await runtime.cancel(runId)).toBe(false);
    expect(await jobsIn(runtime, 'pending')).toHaveLength(1);
    await runtime.start();
    await waitFor(() => hook.outcomes.length === 1, 5000, 'hook');
    await settle(50);
    expect(hook.outcomes).toHaveLength(1);
    expect(await stats(runtime, STEPS)).toMatchObject({ pending: 0, claimed: 0, scheduled: 0, dead: 0 });
    await runtime.close();
  });

  it('cancelling a delayed run removes the scheduled step', async () => {
    const hook = recordingHook();
    const runner = scriptedRunner([Outcome.next('p', { delayMs: 3_600_000 }), Outcome.succeed('never')]);
    const { runtime, clock } = await freshRuntime({ workflows: { wf: runner }, hooks: [hook] });
    const { runId } = await runtime.submit({ workflow: 'wf', input: 'x' });
    await waitFor(async () => (await stats(runtime, STEPS)).scheduled === 1, 5000, 'scheduled');
    const scheduledJob = (await runRecord(runtime, runId))!.jobId!;
    expect(await runtime.cancel(runId)).toBe(true);
    expect((await stats(runtime, STEPS)).scheduled).toBe(0);
    expect(await getJob(runtime, scheduledJob)).toBeUndefined();
    await waitFor(() => hook.outcomes.length === 1, 5000, 'hook');
    expect(hook.outcomes[0]).toMatchObject({ runId, status: 'cancelled', finalStep: 1 });
    expect(hook.outcomes[0]!.error).toBeUndefined();
    clock.advance(3_600_001);
    await settle(50);
    expect(runner.calls).toHaveLength(1);
    expect(hook.outcomes).toHaveLength(1);
    await runtime.close();
  });

  it('an external cancel while a step runs overrides a successful outcome', async () => {
    const hook = recordingHook();
    const runner = gatedRunner(() => Outcome.next('step1'));
    const { runtime } = await freshRuntime({ workflows: { wf: runner }, hooks: [hook] });
    const { runId } = await runtime.submit({ workflow: 'wf', input: 'x' });
    await runner.entered();
    expect(await runtime.cancel(runId)).toBe(true);
    runner.release();
    await waitFor(() => hook.outcomes.length === 1, 5000, 'hook');
    await settle(50);
    expect(hook.outcomes).toHaveLength(1);
    expect(hook.outcomes[0]).toMatchObject({ runId, status: 'cancelled', finalStep: 0 });
    expect(hook.outcomes[0]!.result).toBeUndefined();
    expect(await runtime.status(runId)).toMatchObject({ state: 'cancelled' });
    expect(runner.calls).toHaveLength(1); // no step 1
    expect(await stats(runtime, STEPS)).toMatchObject({ dead: 0, pending: 0, scheduled: 0, claimed: 0 });

    // The same with a `succeed` outcome: no Succeeded notification, no result.
    const winner = gatedRunner(() => Outcome.succeed('would-have-succeeded'));
    const f = await freshRuntime({ workflows: { wf: winner }, hooks: [hook] });
    const r2 = await f.runtime.submit({ workflow: 'wf', input: 'x' });
    await winner.entered();
    expect(await f.runtime.cancel(r2.runId)).toBe(true);
    winner.release();
    const o = await f.runtime.wait(r2.runId);
    expect(o.status).toBe('cancelled');
    expect(o.result).toBeUndefined();
    await waitFor(() => hook.outcomes.length === 2, 5000, 'hook');
    expect(hook.outcomes[1]).toMatchObject({ status: 'cancelled' });
    await runtime.close();
    await f.runtime.close();
  });

  for (const [id, kind] of [
    ['while the step runs,', 'permanent'],
    ['while the step runs,', 'transient'],
  ] as const) {
    it(`${id} an external cancel suppresses a ${kind} step error (no ${kind === 'permanent' ? 'dead letter' : 'retry'})`, async () => {
      const hook = recordingHook();
      const runner = gatedRunner(() => {
        throw kind === 'permanent' ? StepError.permanent('would-dead-letter') : StepError.transient('would-retry');
      });
      const { runtime } = await freshRuntime({ workflows: { wf: runner }, hooks: [hook] });
      const { runId } = await runtime.submit({ workflow: 'wf', input: 'x', maxAttempts: 3 });
      await runner.entered();
      expect(await runtime.cancel(runId)).toBe(true);
      runner.release();
      await waitFor(() => hook.outcomes.length === 1, 5000, 'hook');
      await settle(100);
      expect(hook.outcomes).toHaveLength(1);
      expect(hook.outcomes[0]).toMatchObject({ runId, status: 'cancelled' });
      expect(hook.outcomes[0]!.error).toBeUndefined();
      expect(await runtime.status(runId)).toMatchObject({ state: 'cancelled' });
      expect(runner.calls).toHaveLength(1);
      expect((await stats(runtime, STEPS)).dead).toBe(0);
      await runtime.close();
    });
  }

  it('the step signal lets a runner short-circuit, and its own cancel reason wins', async () => {
    const hook = recordingHook();
    const self = new Slot<Runtime>();
    const entered = deferred<void>();
    const runner = async (s: Step) => {
      entered.resolve();
      try {
        await self.value.clock.sleep(30_000, s.signal);
        return Outcome.succeed('slow');
      } catch {
        return Outcome.cancel('cooperative');
      }
    };
    const fresh = await freshRuntime({ workflows: { wf: runner }, hooks: [hook] });
    const { runtime } = fresh;
    self.set(runtime);
    const { runId } = await runtime.submit({ workflow: 'wf', input: 'x' });
    await entered.promise;
    const at = fresh.clock.now();
    expect(await runtime.cancel(runId)).toBe(true);
    const o = await runtime.wait(runId);
    expect(o).toMatchObject({ runId, status: 'cancelled', error: 'cooperative' });
    expect(fresh.clock.now()).toBe(at); // long before the 30 s timer
    await waitFor(() => hook.outcomes.length === 1, 5000, 'hook');
    expect(hook.outcomes[0]).toMatchObject({ status: 'cancelled', error: 'cooperative' });
    expect(await runtime.status(runId)).toMatchObject({ state: 'cancelled', error: 'cooperative' });
    expect((await stats(runtime, STEPS)).dead).toBe(0);
    await runtime.close();
  });

  it('cancelling a run that already ended returns false and changes nothing', async () => {
    const hook = recordingHook();
    const { runtime } = await freshRuntime({ workflows: { wf: scriptedRunner([Outcome.succeed('done')]) }, hooks: [hook] });
    const { runId } = await runtime.submit({ workflow: 'wf', input: 'x' });
    await waitFor(() => hook.outcomes.length === 1, 5000, 'hook');
    expect(hook.outcomes[0]!.status).toBe('succeeded');
    const before = await runRecord(runtime, runId);
    expect(await runtime.cancel(runId)).toBe(false);
    await settle(50);
    expect(hook.outcomes).toHaveLength(1);
    expect(await runRecord(runtime, runId)).toEqual(before);

    // [D] A cancel racing the run's own terminal settlement: one end, one hook, and `true`
    // only if the cancel is what ended it.
    const runner = gatedRunner(() => Outcome.succeed('raced'));
    const race = recordingHook('race');
    const f = await freshRuntime({ workflows: { wf: runner }, hooks: [race] });
    const r = await f.runtime.submit({ workflow: 'wf', input: 'y' });
    await runner.entered();
    runner.release();
    const cancelled = await f.runtime.cancel(r.runId);
    const o = await f.runtime.wait(r.runId);
    expect(o.status).toBe(cancelled ? 'cancelled' : 'succeeded');
    await waitFor(() => race.outcomes.length === 1, 5000, 'hook');
    await settle(50);
    expect(race.outcomes).toHaveLength(1);
    await runtime.close();
    await f.runtime.close();
  });

  it('cancelling an unknown run returns false', async () => {
    const { runtime } = await freshRuntime();
    expect(await runtime.cancel('never-submitted')).toBe(false);
    await runtime.close();
  });

  it('status reports cancelling while a cancelled step is still running', async () => {
    const hook = recordingHook();
    const runner = gatedRunner(() => Outcome.succeed('done'));
    const { runtime } = await freshRuntime({ workflows: { wf: runner }, hooks: [hook] });
    const { runId } = await runtime.submit({ workflow: 'wf', input: 'x' });
    await runner.entered();
    expect(await runtime.status(runId)).toMatchObject({ state: 'running', stepNumber: 0 });
    expect(await runtime.cancel(runId)).toBe(true);
    expect(await runtime.status(runId)).toMatchObject({ state: 'cancelling', stepNumber: 0 });
    runner.release();
    await waitFor(() => hook.outcomes.length === 1, 5000, 'hook');
    expect(hook.outcomes[0]!.status).toBe('cancelled');
    expect((await runtime.status(runId))?.state).toBe('cancelled');
    await runtime.close();
  });

  it('a runner aborting its own signals is not an external cancellation (adapted: step.signal is read-only)', async () => {
    const hook = recordingHook();
    const runner = async (s: Step) => {
      // A runner cannot abort step.signal (it has no controller): it aborts what it derived
      // from it and pokes the signal itself; neither counts as an external cancel.
      const own = new AbortController();
      const linked = AbortSignal.any([s.signal, own.signal]);
      own.abort();
      s.signal.dispatchEvent(new Event('abort'));
      expect(linked.aborted).toBe(true);
      expect(s.signal.aborted).toBe(false);
      s.effects.put('app/step-0', 'done');
      return Outcome.succeed('finished');
    };
    const { runtime } = await freshRuntime({ workflows: { wf: runner }, hooks: [hook] });
    const { runId } = await runtime.submit({ workflow: 'wf', input: 'x' });
    expect(await runtime.wait(runId)).toMatchObject({ status: 'succeeded', result: 'finished' });
    await waitFor(() => hook.outcomes.length === 1, 5000, 'hook');
    expect(hook.outcomes[0]).toMatchObject({ status: 'succeeded', result: 'finished' });
    expect(await runtime.kv.get('app/step-0')).toBe('done');
    await runtime.close();
  });

  it('a cancellation requested before a restart is honoured after it', async () => {
    const hookA = recordingHook('recorder');
    const hookB = recordingHook('recorder');
    const runnerA = gatedRunner(() => Outcome.succeed('done'));
    const fresh = await freshRuntime({ clockStart: 10_000, workflows: { wf: runnerA }, hooks: [hookA] });
    const a = fresh.runtime;
    const { runId } = await a.submit({ workflow: 'wf', input: 'x' });
    const stepA = await runnerA.entered();
    expect(await a.cancel(runId)).toBe(true);
    expect(stepA.signal.aborted).toBe(true);
    await a.stop({ drain: false }); // A disappears before its step settles

    const runnerB = scriptedRunner([Outcome.succeed('done')]);
    const b = await fresh.reopen({ workflows: { wf: runnerB }, hooks: [hookB] });
    // Our port answers from stored state: B sees the cancel A requested (upstream: null).
    expect(await b.status(runId)).toMatchObject({ state: 'cancelling' });
    await b.start();
    const o = await b.wait(runId);
    expect(o).toMatchObject({ status: 'cancelled' });
    expect(o.result).toBeUndefined();
    expect(o.error).toBeUndefined();
    await waitFor(() => hookB.outcomes.length === 1, 5000, 'hook');
    // The redelivery carries the persisted cancel flag: B settles it without calling its runner.
    expect(runnerB.calls).toHaveLength(0);

    // A's late settlement is rejected: still one end, one notification.
    runnerA.release();
    await settle(50);
    expect(hookB.outcomes).toHaveLength(1);
    expect(hookA.outcomes).toHaveLength(0);
    expect(await b.status(runId)).toMatchObject({ state: 'cancelled' });
    await b.close();
  });

  it('DECISION: after a restart, cancel reaches any active run through stored state', async () => {
    const hook = recordingHook();
    const runner = scriptedRunner([Outcome.next('p', { delayMs: 3_600_000 }), Outcome.succeed('never')]);
    const fresh = await freshRuntime({ workflows: { wf: runner } });
    const a = fresh.runtime;
    const { runId } = await a.submit({ workflow: 'wf', input: 'x' });
    await waitFor(async () => (await a.status(runId))?.state === 'scheduled', 5000, 'scheduled');
    const pendingRun = await (async () => {
      await a.stop();
      return (await a.submit({ workflow: 'wf', input: 'y' })).runId;
    })();
    await a.close();

    const b = await fresh.reopen({ hooks: [hook] });
    expect(await b.status(runId)).toMatchObject({ state: 'scheduled', stepNumber: 1 });
    expect(await b.status(pendingRun)).toMatchObject({ state: 'pending', stepNumber: 0 });
    expect(await b.cancel(runId)).toBe(true);
    expect(await b.cancel(pendingRun)).toBe(true);
    expect(await stats(b, STEPS)).toMatchObject({ scheduled: 0, claimed: 0 });
    await b.start();
    await waitFor(() => hook.outcomes.length === 2, 5000, 'hooks');
    expect(hook.outcomes.map((o) => [o.runId, o.status, o.finalStep]).sort()).toEqual(
      [
        [runId, 'cancelled', 1],
        [pendingRun, 'cancelled', 0],
      ].sort(),
    );
    fresh.clock.advance(3_600_001);
    await settle(50);
    expect(runner.calls).toHaveLength(1);
    await b.close();
  });

  it('a lease extension is refused once cancellation is requested', async () => {
    const self = new Slot<Runtime>();
    const extended = deferred<number>();
    const cancelled = deferred<void>();
    let refusal: unknown;
    let afterRefusal: number | undefined;
    const runner = async (s: Step) => {
      await s.lease.extend(60_000);
      extended.resolve((await queueOf(self.value).leaseExpiry(s.jobId))!);
      await cancelled.promise;
      await s.lease.extend(600_000).catch((e: unknown) => (refusal = e));
      afterRefusal = await queueOf(self.value).leaseExpiry(s.jobId);
      return Outcome.succeed('done');
    };
    const fresh = await freshRuntime({ workflows: { wf: runner } });
    const { runtime } = fresh;
    self.set(runtime);
    const { runId } = await runtime.submit({ workflow: 'wf', input: 'x' });
    const expiry = await extended.promise;
    expect(expiry).toBe(fresh.clock.now() + 60_000 + 5000);
    expect(await runtime.cancel(runId)).toBe(true);
    cancelled.resolve();
    const o = await runtime.wait(runId);
    expect(isWorkflowError(refusal, 'CancelRequested')).toBe(true);
    expect(afterRefusal).toBe(expiry);
    expect(o.status).toBe('cancelled');
    await runtime.close();
  });

  it('a cancel that lands on a delivery whose attempt fails is not lost', async () => {
    // Queue-level ordering, driven by hand: the cancel is flagged on the claimed step job and
    // survives the nack; the next delivery sees it and ends the run without calling the runner.
    const hook = recordingHook();
    const runner = scriptedRunner([never]);
    const { runtime } = await freshRuntime({ start: false, workflows: { wf: runner }, hooks: [hook] });
    const { runId } = await runtime.submit({ workflow: 'wf', input: 'x', maxAttempts: 3 });
    const claim = (await queueOf(runtime).claim(STEPS))!;
    expect(await runtime.cancel(runId)).toBe(true);
    expect((await runtime.status(runId))?.state).toBe('cancelling');
    await queueOf(runtime).nack(claim, 'boom');
    expect(await getJob(runtime, claim.job.id)).toMatchObject({ state: 'pending', cancelRequested: true, attempts: 1 });
    await runtime.start();
    const o = await runtime.wait(runId);
    expect(o.status).toBe('cancelled');
    expect(o.error).toBeUndefined();
    await waitFor(() => hook.outcomes.length === 1, 5000, 'hook');
    expect(runner.calls).toHaveLength(0);

    // Runtime form: a cancel issued by the failing attempt itself, racing that attempt's
    // settlement: cancelled, no error, one hook, no attempt after that.
    const self = new Slot<Runtime>();
    let cancelResult: Promise<boolean> | undefined;
    const racing = scriptedRunner([
      (s: Step) => {
        if (s.attempts === 1) {
          cancelResult = self.value.cancel(s.runId);
          throw StepError.transient('flaky');
        }
        return Outcome.succeed('should not win');
      },
    ]);
    const hook2 = recordingHook();
    const f = await freshRuntime({ workflows: { wf: racing }, hooks: [hook2] });
    const rt = self.set(f.runtime);
    const r2 = await rt.submit({ workflow: 'wf', input: 'x', maxAttempts: 3 });
    const o2 = await rt.wait(r2.runId);
    expect(await cancelResult).toBe(true);
    expect(o2.status).toBe('cancelled');
    expect(o2.error).toBeUndefined();
    await waitFor(() => hook2.outcomes.length === 1, 5000, 'hook');
    await settle(50);
    expect(hook2.outcomes).toHaveLength(1);
    expect(racing.calls.length).toBeLessThanOrEqual(2);
    expect((await stats(rt, STEPS)).dead).toBe(0);
    await runtime.close();
    await rt.close();
  });

  it('cancelling a pending run commits its terminal bookkeeping atomically', async () => {
    const { runtime } = await freshRuntime({ start: false, clockStart: 10_000, memoRetentionMs: 60_000 });
    const { runId } = await runtime.submit({ workflow: 'wf', input: 'x' });
    const jobId = (await runRecord(runtime, runId))!.jobId!;
    expect(await runtime.cancel(runId)).toBe(true);
    expect(await terminalMarkers(runtime)).toEqual([{ runId, terminalAt: 10_000 }]);
    // Upstream deletes the run record; ours keeps it as a terminal record, no longer active.
    const rec = await runRecord(runtime, runId);
    expect(rec).toMatchObject({ state: 'cancelled', terminalAt: 10_000 });
    expect(rec?.jobId).toBeUndefined();
    expect(await getJob(runtime, jobId)).toBeUndefined();
    await runtime.close();
  });

  it('cancelling a running step writes no terminal bookkeeping until it settles', async () => {
    const hook = recordingHook();
    const runner = gatedRunner(() => Outcome.succeed('done'));
    const { runtime } = await freshRuntime({ clockStart: 10_000, memoRetentionMs: 60_000, workflows: { wf: runner }, hooks: [hook] });
    const { runId } = await runtime.submit({ workflow: 'wf', input: 'x' });
    await runner.entered();
    expect(await runtime.cancel(runId)).toBe(true);
    expect(await terminalMarkers(runtime)).toEqual([]);
    expect(await runRecord(runtime, runId)).toMatchObject({ state: 'active', cancelRequested: true });
    runner.release();
    await waitFor(() => hook.outcomes.length === 1, 5000, 'hook');
    expect(hook.outcomes[0]!.status).toBe('cancelled');
    expect(await terminalMarkers(runtime)).toEqual([{ runId, terminalAt: 10_000 }]);
    await runtime.close();
  });
});
