/**
 * Restart and crash recovery, at-least-once redelivery, leases, step-output replay. Runs in Node
 * (fake-indexeddb) and in headless Chromium (real IndexedDB): no Node-only APIs here.
 *
 * A crash is `stop({ drain: false })` with the step still in the runner, then a new runtime on
 * the same database (`reopen`). A lost settlement (its claim taken while the runner still runs) is produced by a second instance
 * recovering the claim (`recoverNow(other)`) while the runner still runs, or by the runner
 * moving the clock past its lease and reaping.
 */
import { describe, expect, it } from 'vitest';
import { isWorkflowError } from '../../../src/core/errors.ts';
import { hashJson } from '../../../src/core/json.ts';
import { Outcome, StepError } from '../../../src/core/outcome.ts';
import type { StepOutcome } from '../../../src/core/outcome.ts';
import type { RuntimeOptions } from '../../../src/runtime/options.ts';
import type { Runtime } from '../../../src/runtime/runtime.ts';
import type { LeaseHandle, Step, StepRunner } from '../../../src/runtime/types.ts';
import { T0, deferred, freshRuntime, gatedRunner, recordingHook, scriptedRunner, settle, waitFor } from '../harness.ts';
import { STEPS, Slot, jobsIn, jobsOfRun, memoRecords, runRecord } from '../peek.ts';
import { getJob, jobHistory, queueOf, recoverNow, stats, terminalMarkers } from '../../../src/inspect.ts';
import { storeOf } from '../../support/internals.ts';

/** Resolves when the step signal aborts (a runner that hangs until its delivery is given up). */
function aborted(s: Step): Promise<void> {
  return new Promise((r) => (s.signal.aborted ? r() : s.signal.addEventListener('abort', () => r(), { once: true })));
}

/**
 * A runtime `a` (started, step-output replay on unless told) and a second instance `other` on
 * the same database (not started). The `lose()` handed to `make` (for runners to call) makes
 * `other` recover the claim, so the delivery's settlement will be rejected with ClaimLost.
 */
async function twoInstances(make: (lose: () => Promise<void>) => Record<string, StepRunner>, options: Partial<RuntimeOptions> = {}) {
  const other = new Slot<Runtime>();
  const fresh = await freshRuntime({ stepOutputReplay: true, workflows: make(() => recoverNow(other.value)), ...options });
  other.set(await fresh.reopen());
  return { fresh, a: fresh.runtime, other: other.value };
}

describe('Restart, crash recovery, leases and step-output replay', () => {
  it('a graceful restart resumes at the next step without re-running committed steps', async () => {
    const runnerA = gatedRunner(() => Outcome.next('step1-payload'));
    const fresh = await freshRuntime({ concurrency: 1, workflows: { wf: runnerA } });
    const a = fresh.runtime;
    const { runId } = await a.submit({ workflow: 'wf', input: 'input' });
    await runnerA.entered();
    expect(await a.status(runId)).toMatchObject({ state: 'running', stepNumber: 0 });
    const stopping = a.stop({ drain: true }); // shutdown while step 0 is in flight
    runnerA.release();
    await stopping;
    expect(await a.status(runId)).toMatchObject({ state: 'pending', stepNumber: 1 });
    await settle(30);
    expect(runnerA.calls).toHaveLength(1); // A did not claim step 1
    await a.close();

    const hook = recordingHook();
    const runnerB = scriptedRunner([
      (s: Step) => {
        expect(s.stepNumber).toBe(1);
        expect(s.payload).toBe('step1-payload');
        return Outcome.succeed('resumed');
      },
    ]);
    const b = await fresh.reopen({ workflows: { wf: runnerB }, hooks: [hook] });
    await b.start();
    expect(await b.wait(runId)).toMatchObject({ runId, status: 'succeeded', result: 'resumed', finalStep: 1 });
    await waitFor(() => hook.outcomes.length === 1, 5000, 'hook');
    await settle(50);
    expect(hook.outcomes).toHaveLength(1);
    expect(runnerB.calls.map((s) => s.stepNumber)).toEqual([1]);
    await b.close();
  });

  it('a graceful shutdown drains the step in flight; it never abandons a claim', async () => {
    const runner = gatedRunner(() => Outcome.succeed('done'));
    const { runtime } = await freshRuntime({ workflows: { wf: runner } });
    const { runId } = await runtime.submit({ workflow: 'wf', input: 'x' });
    await runner.entered();
    expect((await stats(runtime, STEPS)).claimed).toBe(1);
    let stopped = false;
    const stopping = runtime.stop({ drain: true }).then(() => (stopped = true));
    await settle(50);
    expect(stopped).toBe(false);
    runner.release();
    await stopping;
    expect(await stats(runtime, STEPS)).toMatchObject({ claimed: 0, pending: 0, done: 1 });
    expect((await runtime.status(runId))?.state).toBe('succeeded');
    await runtime.close();
  });

  it('a crash mid-step redelivers the step with attempts + 1 at the next open', async () => {
    const hook = recordingHook();
    const entered = deferred<Step>();
    const never = deferred<void>();
    const runnerA = async (s: Step) => {
      if (s.stepNumber === 0) return Outcome.next('p1');
      await s.memo.put('progress', 'from-attempt-1');
      entered.resolve(s);
      await never.promise;
      return Outcome.succeed('stale');
    };
    const fresh = await freshRuntime({ workflows: { wf: runnerA } });
    const a = fresh.runtime;
    const { runId } = await a.submit({ workflow: 'wf', input: 'x' });
    const first = await entered.promise;
    expect(first).toMatchObject({ stepNumber: 1, attempts: 1 });
    await a.stop({ drain: false }); // the crash: step 1 never settles here

    const seen: [number, number, unknown][] = [];
    const runnerB = async (s: Step) => {
      seen.push([s.stepNumber, s.attempts, await s.memo.get('progress')]);
      return Outcome.succeed('recovered');
    };
    const b = await fresh.reopen({ workflows: { wf: runnerB }, hooks: [hook] });
    await recoverNow(b); // what start() does first; the lease (30 s) has not expired
    expect(fresh.clock.now()).toBe(T0);
    expect(await stats(b, STEPS)).toMatchObject({ pending: 1, claimed: 0 });
    expect((await jobHistory(b, first.jobId)).at(-1)).toMatchObject({ attempt: 1, outcome: 'interrupted' });
    await b.start();
    expect(await b.wait(runId)).toMatchObject({ status: 'succeeded', result: 'recovered', finalStep: 1 });
    expect(seen).toEqual([[1, 2, 'from-attempt-1']]); // step 0 is not re-run; attempt 1's memo is visible
    await waitFor(() => hook.outcomes.length === 1, 5000, 'hook');

    never.resolve(); // A's late settlement is rejected: nothing changes
    await settle(50);
    expect(hook.outcomes).toHaveLength(1);
    expect(await b.status(runId)).toMatchObject({ state: 'succeeded', result: 'recovered' });
    await b.close();
  });

  it('DECISION: a crash on the last attempt dead-letters the step at open and fails the run, with marker and notification', async () => {
    const runnerA = gatedRunner(() => Outcome.succeed('stale'));
    const fresh = await freshRuntime({ memoRetentionMs: 3_600_000, workflows: { wf: runnerA } });
    const a = fresh.runtime;
    const { runId } = await a.submit({ workflow: 'wf', runId: 'last-try', input: 'x', maxAttempts: 1 });
    const step = await runnerA.entered();
    await a.stop({ drain: false });

    const hook = recordingHook();
    const b = await fresh.reopen({ hooks: [hook], workflows: { wf: scriptedRunner([Outcome.succeed('again')]) } });
    await b.start();
    expect(await getJob(b, step.jobId)).toMatchObject({ state: 'dead', lastError: 'interrupted', attempts: 1 });
    expect(await stats(b, STEPS)).toMatchObject({ claimed: 0 });
    expect((await jobsIn(b, 'dead')).map((j) => j.id)).toEqual([step.jobId]);
    expect(await b.wait(runId)).toMatchObject({ status: 'failed', error: 'interrupted', finalStep: 0 });
    await waitFor(() => hook.outcomes.length === 1, 5000, 'hook');
    expect(hook.outcomes[0]).toMatchObject({ runId, status: 'failed', error: 'interrupted' });
    expect(await terminalMarkers(b)).toEqual([{ runId, terminalAt: T0 }]);
    expect((await b.history(runId)).at(-1)).toMatchObject({ outcome: 'interrupted', error: 'interrupted' });
    // The run id is free again, like any ended run's: a new submit starts a new run.
    expect(await b.submit({ workflow: 'wf', runId, input: 'y' })).toEqual({ runId, newlySubmitted: true });
    expect(await b.wait(runId)).toMatchObject({ status: 'succeeded', result: 'again' });

    runnerA.release();
    await settle(50);
    expect(hook.outcomes.filter((o) => o.status === 'failed')).toHaveLength(1);
    await b.close();
  });

  it('a delivery that outlives its lease is redelivered, and its late settlement applies nothing', async () => {
    const hook = recordingHook();
    const self = new Slot<Runtime>();
    let firstSignal: AbortSignal | undefined;
    const runner = scriptedRunner([
      async (s: Step) => {
        firstSignal = s.signal;
        s.effects.put('app/k', 'from-attempt-1');
        fresh.clock.advance(30_001);
        await queueOf(self.value).reap();
        return Outcome.succeed('first');
      },
      (s: Step) => {
        expect(s.attempts).toBe(2);
        return Outcome.succeed('second');
      },
    ]);
    const fresh = await freshRuntime({ workflows: { wf: runner }, hooks: [hook] });
    const { runtime } = fresh;
    self.set(runtime);
    const { runId } = await runtime.submit({ workflow: 'wf', input: 'x' });
    expect(await runtime.wait(runId)).toMatchObject({ status: 'succeeded', result: 'second' });
    await waitFor(() => hook.outcomes.length === 1, 5000, 'hook');
    await settle(50);
    expect(runner.calls.map((s) => s.attempts)).toEqual([1, 2]);
    expect(isWorkflowError(firstSignal?.reason, 'ClaimLost')).toBe(true);
    expect(hook.outcomes).toHaveLength(1);
    expect(await runtime.kv.get('app/k')).toBeUndefined();
    expect(await stats(runtime, STEPS)).toMatchObject({ pending: 0, claimed: 0, scheduled: 0, done: 2 });
    expect(runtime.isRunning).toBe(true); // the loop survived the lost claim
    await runtime.close();
  });

  it('a step runner can extend its own lease', async () => {
    const self = new Slot<Runtime>();
    let observed = 0;
    const hook = recordingHook();
    const runner = async (s: Step) => {
      await s.lease.extend(600_000);
      observed = (await queueOf(self.value).leaseExpiry(s.jobId))!;
      expect(s.lease.expiresAt).toBe(observed);
      return Outcome.succeed('');
    };
    const { runtime } = await freshRuntime({ workflows: { wf: runner }, hooks: [hook] });
    self.set(runtime);
    const { runId } = await runtime.submit({ workflow: 'wf', input: 'x' });
    await runtime.wait(runId);
    expect(observed).toBeGreaterThanOrEqual(T0 + 600_000);
    await waitFor(() => hook.outcomes.length === 1, 5000, 'hook');
    expect(hook.outcomes[0]!.status).toBe('succeeded');
    await runtime.close();

    // With a 1 s lease: extend, then the clock passes the original expiry and the reaper runs.
    const self2 = new Slot<Runtime>();
    const f = await freshRuntime({
      leaseMs: 1000,
      workflows: {
        wf: scriptedRunner([
          async (s: Step) => {
            await s.lease.extend(60_000);
            f.clock.advance(2000);
            await queueOf(self2.value).reap();
            return Outcome.succeed('kept');
          },
        ]),
      },
    });
    const rt = self2.set(f.runtime);
    const r = await rt.submit({ workflow: 'wf', input: 'y' });
    expect(await rt.wait(r.runId)).toMatchObject({ status: 'succeeded', result: 'kept' });
    expect(await stats(rt, STEPS)).toMatchObject({ done: 1, pending: 0, claimed: 0 });
    expect((await rt.history(r.runId)).map((h) => h.attempt)).toEqual([1]);
    await rt.close();
  });

  it('lease.extend only lengthens (with a 5 s margin) and fails once the claim has ended', async () => {
    const self = new Slot<Runtime>();
    const expiries: number[] = [];
    let kept: LeaseHandle | undefined;
    const runner = async (s: Step) => {
      kept = s.lease;
      const read = async () => expiries.push((await queueOf(self.value).leaseExpiry(s.jobId))!);
      await read();
      await s.lease.extend(10_000);
      await read();
      await s.lease.extend(60_000);
      await read();
      await s.lease.extend(1000);
      await read();
      return Outcome.succeed(null);
    };
    const { runtime } = await freshRuntime({ clockStart: 1_000_000, leaseMs: 30_000, workflows: { wf: runner } });
    self.set(runtime);
    const { runId } = await runtime.submit({ workflow: 'wf', input: 'x' });
    await runtime.wait(runId);
    expect(expiries).toEqual([1_030_000, 1_030_000, 1_065_000, 1_065_000]);
    const e = await kept!.extend(1000).then(
      () => undefined,
      (err: unknown) => err,
    );
    expect(isWorkflowError(e, 'ClaimLost')).toBe(true);
    await runtime.close();
  });

  it('a renewed lease is not reaped at its original expiry, and the delivery still settles', async () => {
    const self = new Slot<Runtime>();
    const extended = deferred<void>();
    const gate = deferred<void>();
    const runner = async (s: Step) => {
      await s.lease.extend(30_000);
      extended.resolve();
      await gate.promise;
      return Outcome.succeed('settled');
    };
    const fresh = await freshRuntime({ leaseMs: 1000, workflows: { wf: runner } });
    const { runtime } = fresh;
    self.set(runtime);
    const { runId } = await runtime.submit({ workflow: 'wf', input: 'x' });
    await extended.promise;
    const job = (await runRecord(runtime, runId))!.jobId!;
    expect(await queueOf(runtime).leaseExpiry(job)).toBe(T0 + 35_000);
    fresh.clock.advance(1000);
    await queueOf(runtime).reap();
    expect(await stats(runtime, STEPS)).toMatchObject({ claimed: 1, pending: 0 });
    expect(await queueOf(runtime).leaseExpiry(job)).toBe(T0 + 35_000);
    gate.resolve();
    expect(await runtime.wait(runId)).toMatchObject({ status: 'succeeded', result: 'settled' });
    fresh.clock.advance(60_000);
    await queueOf(runtime).reap();
    expect(await stats(runtime, STEPS)).toMatchObject({ done: 1, pending: 0, dead: 0, claimed: 0 });
    await runtime.close();
  });

  it('settlement is fenced on the claim: a stale delivery applies nothing once its job was re-claimed', async () => {
    const hookB = recordingHook();
    const staleGate = deferred<void>();
    const staleEntered = deferred<void>();
    const runnerA = async (s: Step) => {
      s.effects.put('app/k', 'stale');
      staleEntered.resolve();
      await staleGate.promise;
      return Outcome.succeed('stale');
    };
    const fresh = await freshRuntime({ workflows: { wf: runnerA } });
    const a = fresh.runtime;
    const { runId } = await a.submit({ workflow: 'wf', input: 'x' });
    await staleEntered.promise;
    await a.stop({ drain: false });

    const freshEntered = deferred<void>();
    const freshGate = deferred<void>();
    const b = await fresh.reopen({
      hooks: [hookB],
      workflows: {
        wf: async (s: Step) => {
          s.effects.put('app/k', 'fresh');
          freshEntered.resolve();
          await freshGate.promise;
          return Outcome.succeed('fresh');
        },
      },
    });
    await b.start(); // recovers A's claim and delivers it again
    await freshEntered.promise;
    staleGate.resolve(); // the stale delivery settles first: rejected, the fresh claim untouched
    await settle(50);
    expect(await stats(b, STEPS)).toMatchObject({ claimed: 1, done: 0, dead: 0 });
    expect(await b.kv.get('app/k')).toBeUndefined();
    freshGate.resolve();
    expect(await b.wait(runId)).toMatchObject({ status: 'succeeded', result: 'fresh' });
    await waitFor(() => hookB.outcomes.length === 1, 5000, 'hook');
    await settle(50);
    expect(hookB.outcomes).toHaveLength(1);
    expect(await b.kv.get('app/k')).toBe('fresh');
    await b.close();
  });

  it('step-output replay: a redelivered step is not re-run after its outcome was recorded', async () => {
    const step1 = deferred<Step>();
    const step1Gate = deferred<void>();
    let step0Calls = 0;
    const { a, other } = await twoInstances((lose) => ({
      wf: async (s: Step) => {
        if (s.stepNumber === 0) {
          if (++step0Calls === 1) await lose();
          return Outcome.next('step1-payload');
        }
        step1.resolve(s);
        await step1Gate.promise;
        return Outcome.succeed('done');
      },
    }));
    const { runId } = await a.submit({ workflow: 'wf', runId: 'replay-run', input: 'input' });
    const s1 = await step1.promise;
    expect(step0Calls).toBe(1);
    expect(s1).toMatchObject({ runId: 'replay-run', stepNumber: 1, payload: 'step1-payload' });
    const steps = (await jobsOfRun(a, runId)).filter((j) => j.headers['workflow.step'] === '1');
    expect(steps).toHaveLength(1);
    expect(steps[0]).toMatchObject({ state: 'claimed', payload: 'step1-payload' });
    expect(await stats(a, STEPS)).toMatchObject({ pending: 0, scheduled: 0, claimed: 1 });
    expect(await queueOf(a).claim(STEPS)).toBeUndefined();
    step1Gate.resolve();
    await a.wait(runId);
    expect((await a.history(runId)).filter((h) => h.stepNumber === 0).map((h) => [h.attempt, h.outcome, h.replayed ?? false])).toEqual([[1, 'interrupted', false], [2, 'continued', true]]);
    await a.close();
    await other.close();
  });

  it('step-output replay of a terminal outcome', async () => {
    const hook = recordingHook();
    let calls = 0;
    const x = await twoInstances(
      (lose) => ({
        wf: async () => {
          if (++calls === 1) await lose();
          return Outcome.succeed('final');
        },
      }),
      { hooks: [hook] },
    );
    const { runId } = await x.a.submit({ workflow: 'wf', runId: 'terminal-replay', input: 'input' });
    expect(await x.a.wait(runId)).toMatchObject({ status: 'succeeded', result: 'final' });
    await waitFor(() => hook.outcomes.length === 1, 5000, 'hook');
    await settle(50);
    expect(calls).toBe(1);
    expect(hook.outcomes).toHaveLength(1);
    expect(hook.outcomes[0]).toMatchObject({ status: 'succeeded', result: 'final' });
    await x.a.close();
    await x.other.close();
  });

  it('a corrupt replay record is treated as a miss and then overwritten', async () => {
    let calls = 0;
    const x = await twoInstances((lose) => ({
      wf: async () => {
        if (++calls === 1) await lose();
        return Outcome.succeed('ok');
      },
    }));
    const key = `r:${await hashJson('input')}`;
    await storeOf(x.a).write(async (t) => t.put('memos', { runId: 'corrupt-run', step: 0, key, value: 'not msgpack' }));
    const { runId } = await x.a.submit({ workflow: 'wf', runId: 'corrupt-run', input: 'input' });
    expect(await x.a.wait(runId)).toMatchObject({ status: 'succeeded', result: 'ok' });
    expect(calls).toBe(1);
    const rec = (await memoRecords(x.a, runId)).find((m) => m.key === key);
    expect(rec?.value).toMatchObject({ outcome: { kind: 'succeed', result: 'ok' } });
    expect((await x.a.history(runId)).map((h) => [h.attempt, h.replayed ?? false])).toEqual([[1, false], [2, true]]);
    await x.a.close();
    await x.other.close();
  });

  it('replay covers runner outcomes only, only when enabled, keyed by the step payload', async () => {
    const replayKeys = async (rt: Runtime, runId: string) => (await memoRecords(rt, runId)).filter((m) => m.key.startsWith('r:'));

    // Disabled (the default): a step whose settlement was lost is run again.
    {
      let calls = 0;
      const x = await twoInstances(
        (lose) => ({
          wf: async () => {
            if (++calls === 1) await lose();
            return Outcome.succeed('ok');
          },
        }),
        { stepOutputReplay: false },
      );
      const { runId } = await x.a.submit({ workflow: 'wf', input: 'i' });
      await x.a.wait(runId);
      expect(calls).toBe(2);
      expect(await replayKeys(x.a, runId)).toEqual([]);
      await x.a.close();
      await x.other.close();
    }

    // Enabled: a thrown StepError is not recorded, its retry calls the runner again.
    {
      let recordsSeenOnRetry = -1;
      const self = new Slot<Runtime>();
      const x = await twoInstances(() => ({
        wf: scriptedRunner([
          () => {
            throw StepError.transient('t');
          },
          async (s: Step) => {
            recordsSeenOnRetry = (await replayKeys(self.value, s.runId)).length;
            return Outcome.succeed('ok');
          },
        ]),
      }));
      self.set(x.a);
      const { runId } = await x.a.submit({ workflow: 'wf', input: 'i' });
      expect(await x.a.wait(runId)).toMatchObject({ status: 'succeeded' });
      expect(recordsSeenOnRetry).toBe(0);
      await x.a.close();
      await x.other.close();
    }

    // Enabled: an outcome overridden by an external cancel is not recorded.
    {
      const runner = gatedRunner(() => Outcome.next('p'));
      const x = await twoInstances(() => ({ wf: runner }));
      const { runId } = await x.a.submit({ workflow: 'wf', input: 'i' });
      await runner.entered();
      expect(await x.a.cancel(runId)).toBe(true);
      runner.release();
      expect((await x.a.wait(runId)).status).toBe('cancelled');
      expect(await replayKeys(x.a, runId)).toEqual([]);
      await x.a.close();
      await x.other.close();
    }

    // Enabled: fail and cancel verdicts are recorded and replayed.
    for (const verdict of [Outcome.fail('no'), Outcome.cancel('mine')] as StepOutcome[]) {
      let calls = 0;
      const x = await twoInstances((lose) => ({
        wf: async () => {
          if (++calls === 1) await lose();
          return verdict;
        },
      }));
      const { runId } = await x.a.submit({ workflow: 'wf', input: 'i' });
      const o = await x.a.wait(runId);
      expect(o).toMatchObject(verdict.kind === 'fail' ? { status: 'failed', error: 'no' } : { status: 'cancelled', error: 'mine' });
      expect(calls).toBe(1);
      await x.a.close();
      await x.other.close();
    }

    // Records are keyed by (run, step, payload hash): another payload never replays them.
    {
      const runner = scriptedRunner([(s: Step) => Outcome.succeed(`for-${String(s.payload)}`)]);
      const { runtime } = await freshRuntime({ stepOutputReplay: true, workflows: { wf: runner } });
      await runtime.submit({ workflow: 'wf', runId: 'same-id', input: 'a' });
      expect(await runtime.wait('same-id')).toMatchObject({ result: 'for-a' });
      await runtime.submit({ workflow: 'wf', runId: 'same-id', input: 'b' });
      expect(await runtime.wait('same-id')).toMatchObject({ result: 'for-b' });
      expect(runner.calls).toHaveLength(2);
      // The same payload again (a run id used again shares the earlier runs' memo and step-output records): replayed.
      await runtime.submit({ workflow: 'wf', runId: 'same-id', input: 'a' });
      expect(await runtime.wait('same-id')).toMatchObject({ result: 'for-a' });
      expect(runner.calls).toHaveLength(2);
      await runtime.close();
    }
  });

  it('redeliveries of a step share its job id; only attempts changes', async () => {
    const self = new Slot<Runtime>();
    const runner = scriptedRunner([
      () => {
        throw StepError.transient('retry me');
      },
      async () => {
        fresh.clock.advance(30_001); // outlive the lease: this delivery is given up
        await queueOf(self.value).reap();
        return Outcome.next('lost');
      },
      Outcome.next('s1'),
      Outcome.succeed('done'),
    ]);
    const fresh = await freshRuntime({ workflows: { wf: runner } });
    const { runtime } = fresh;
    self.set(runtime);
    const { runId } = await runtime.submit({ workflow: 'wf', input: 'payload', maxAttempts: 4 });
    expect(await runtime.wait(runId)).toMatchObject({ status: 'succeeded', finalStep: 1 });
    const step0 = runner.calls.filter((s) => s.stepNumber === 0);
    expect(step0.map((s) => s.attempts)).toEqual([1, 2, 3]);
    expect(new Set(step0.map((s) => s.jobId)).size).toBe(1);
    expect(step0.every((s) => s.runId === runId && s.payload === 'payload')).toBe(true);
    const step1 = runner.calls.filter((s) => s.stepNumber === 1);
    expect(step1).toHaveLength(1);
    expect(step1[0]!.jobId).not.toBe(step0[0]!.jobId);
    expect(step1[0]!.attempts).toBe(1);
    await runtime.close();
  });

  it('atomic step transition: the next step exists iff the settlement committed', async () => {
    const self = new Slot<Runtime>();
    const x = await twoInstances(
      (lose) => ({
        wf: async (s: Step) => {
          s.effects.put('app/progress', 'step-0-done');
          await lose();
          await self.value.stop({ drain: false });
          return Outcome.next('n');
        },
      }),
      { stepOutputReplay: false },
    );
    const a = self.set(x.a);
    const { runId } = await a.submit({ workflow: 'wf', input: 'x' });
    const step0 = (await runRecord(a, runId))!.jobId!;
    await waitFor(async () => (await jobHistory(x.a, step0)).length > 0 && !a.isRunning, 5000, 'lost settlement');
    await settle(50);
    // The rejected settlement applied nothing: no step 1, no KV write, the run still at step 0.
    expect(await jobsOfRun(a, runId)).toMatchObject([{ id: step0, state: 'pending' }]);
    expect(await a.kv.get('app/progress')).toBeUndefined();
    expect(await runRecord(a, runId)).toMatchObject({ state: 'active', stepNumber: 0, jobId: step0 });

    const seen: [number, number][] = [];
    const b = await x.fresh.reopen({
      workflows: {
        wf: async (s: Step) => {
          seen.push([s.stepNumber, s.attempts]);
          if (s.stepNumber === 0) {
            s.effects.put('app/progress', 'step-0-done');
            return Outcome.next('n');
          }
          return Outcome.succeed('end');
        },
      },
    });
    await b.start();
    expect(await b.wait(runId)).toMatchObject({ status: 'succeeded', finalStep: 1 });
    expect(seen).toEqual([
      [0, 2],
      [1, 1],
    ]);
    expect(await b.kv.get('app/progress')).toBe('step-0-done');
    expect((await b.history(runId)).filter((h) => h.outcome === 'continued')).toHaveLength(1);
    await b.close();
    await x.other.close();
  });

  it('the reaper redelivers an expired claim and, at the attempt limit, fails the run', async () => {
    const hook = recordingHook();
    const runner = async (s: Step) => {
      await aborted(s); // hang until the delivery is given up
      return Outcome.succeed('too late');
    };
    const counted = scriptedRunner([runner]);
    const { runtime, clock } = await freshRuntime({ workflows: { wf: counted }, hooks: [hook] });
    const { runId } = await runtime.submit({ workflow: 'wf', input: 'x', maxAttempts: 2 });
    await waitFor(() => counted.calls.length === 1, 5000, 'attempt 1');
    const jobId = counted.calls[0]!.jobId;
    clock.advance(30_000);
    await recoverNow(runtime);
    await waitFor(() => counted.calls.length === 2, 5000, 'attempt 2');
    expect(counted.calls[1]).toMatchObject({ jobId, attempts: 2 });
    clock.advance(30_000);
    await recoverNow(runtime);
    expect(await runtime.wait(runId)).toMatchObject({ status: 'failed', error: 'lease expired', finalStep: 0 });
    await waitFor(() => hook.outcomes.length === 1, 5000, 'hook');
    expect(hook.outcomes[0]).toMatchObject({ runId, status: 'failed', error: 'lease expired' });
    expect(await getJob(runtime, jobId)).toMatchObject({ state: 'dead', lastError: 'lease expired' });
    expect((await jobHistory(runtime, jobId)).map((h) => [h.attempt, h.outcome, h.error])).toEqual([
      [1, 'leaseExpired', null],
      [2, 'deadLettered', 'lease expired'],
    ]);
    expect((await runtime.history(runId)).at(-1)).toMatchObject({ attempt: 2, outcome: 'leaseExpired', error: 'lease expired' });
    expect(await stats(runtime, STEPS)).toMatchObject({ claimed: 0, pending: 0, dead: 1 });
    await settle(50);
    expect(counted.calls).toHaveLength(2);
    await runtime.close();
  });

  it('one corrupt claimed record does not block recovery of the others', async () => {
    let entered = 0;
    const gate = deferred<void>();
    const fresh = await freshRuntime({
      workflows: {
        wf: async () => {
          entered++;
          await gate.promise;
          return Outcome.succeed('stale');
        },
      },
    });
    const a = fresh.runtime;
    await a.submit({ workflow: 'wf', runId: 'corrupt', input: 1 });
    await a.submit({ workflow: 'wf', runId: 'healthy', input: 2 });
    await waitFor(() => entered === 2, 5000, 'both claimed');
    await a.stop({ drain: false });
    const corruptJob = (await runRecord(a, 'corrupt'))!.jobId!;
    await storeOf(a).write(async (t) => {
      const job = await t.get<Record<string, unknown>>('jobs', corruptJob);
      t.put('jobs', { ...job, attempts: 'not a number' });
    });

    const b = await fresh.reopen({ workflows: { wf: scriptedRunner([Outcome.succeed('recovered')]) } });
    await b.start();
    expect(await b.wait('healthy')).toMatchObject({ status: 'succeeded', result: 'recovered' });
    expect(await getJob(b, corruptJob)).toMatchObject({ state: 'claimed', attempts: 'not a number' });
    gate.resolve();
    await settle(30);
    await b.close();
  });

  it('DECISION: status after a restart is answered from stored state, never null for an active run', async () => {
    const fresh = await freshRuntime({ workflows: { wf: scriptedRunner([Outcome.next('p', { delayMs: 3_600_000 })]) } });
    const a = fresh.runtime;
    const delayed = await a.submit({ workflow: 'wf', runId: 'delayed', input: 'x' });
    await waitFor(async () => (await a.status(delayed.runId))?.state === 'scheduled', 5000, 'scheduled');
    await a.stop();
    await a.submit({ workflow: 'wf', runId: 'queued', input: 'y' });
    await a.close();

    const gates = { queued: deferred<void>(), delayed: deferred<void>() };
    const entered = { queued: deferred<void>(), delayed: deferred<void>() };
    const b = await fresh.reopen({
      workflows: {
        wf: async (s: Step) => {
          const id = s.runId as 'queued' | 'delayed';
          entered[id].resolve();
          await gates[id].promise;
          return s.runId === 'queued' && s.stepNumber === 0 ? Outcome.next('later', { delayMs: 1000 }) : Outcome.succeed('done');
        },
      },
    });
    expect(await b.status('delayed')).toMatchObject({ state: 'scheduled', stepNumber: 1, wakeAt: T0 + 3_600_000 });
    expect(await b.status('queued')).toMatchObject({ state: 'pending', stepNumber: 0 });
    expect((await b.list()).runs.map((r) => [r.runId, r.state]).sort()).toEqual([
      ['delayed', 'scheduled'],
      ['queued', 'pending'],
    ]);

    await b.start();
    await entered.queued.promise;
    expect(await b.status('queued')).toMatchObject({ state: 'running', stepNumber: 0, attempts: 1 });
    gates.queued.resolve();
    await waitFor(async () => (await b.status('queued'))?.state === 'scheduled', 5000, 'continued');
    expect(await b.status('queued')).toMatchObject({ state: 'scheduled', stepNumber: 1 });

    fresh.clock.advance(3_600_000);
    await entered.delayed.promise;
    expect(await b.status('delayed')).toMatchObject({ state: 'running', stepNumber: 1 });
    gates.delayed.resolve();
    expect(await b.wait('delayed')).toMatchObject({ status: 'succeeded', finalStep: 1 });
    await b.close();
  });
});
