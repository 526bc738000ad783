/**
 * Durable events (upstream calls them "signals").
 *
 * Mapping: `signal` → `sendEvent`, `clearSignal` → `clearEvent`, `continueOnSignal` →
 * `Outcome.waitForEvent`, `step.signal` → `step.event` (`{ key, payload }`, payload null on a
 * timeout; absent on a step not preceded by a wait). Waiter registrations and buffered payloads
 * live in the `events` table (one record per key) rather than under KV prefixes; "no
 * registration remains" is read from that table. `promoteScheduledNow()` has no equivalent: a
 * due step is promoted by the executor's next claim, which advancing the MockClock triggers.
 */
import { describe, expect, it } from 'vitest';
import type { Json } from '../../src/core/json.ts';
import { Outcome, StepError } from '../../src/core/outcome.ts';
import type { EventRecord } from '../../src/runtime/records.ts';
import type { Runtime } from '../../src/runtime/runtime.ts';
import type { Step } from '../../src/runtime/types.ts';
import { T0, deferred, recordingHook, settle, waitFor } from './harness.ts';
import { fresh } from './lifecycle.ts';
import { getJob, queueOf, stats } from '../../src/inspect.ts';
import { storeOf } from '../support/internals.ts';

const HOUR = 3600_000;

/**
 * The "signal probe": step 0 waits on `key`; step 1 records `step.event` and succeeds.
 * `beforeStep1` runs first in step 1 (e.g. to throw on attempt 1, or to block).
 */
function probe(key: string, timeoutMs?: number, beforeStep1?: (s: Step) => Promise<void> | void) {
  const observed: (Step['event'] | undefined)[] = [];
  const attempts: number[] = [];
  const runner = async (s: Step) => {
    if (s.stepNumber === 0) return Outcome.waitForEvent(key, '', timeoutMs === undefined ? {} : { timeoutMs });
    observed.push(s.event);
    attempts.push(s.attempts);
    await beforeStep1?.(s);
    return Outcome.succeed('');
  };
  return Object.assign(runner, { observed, attempts });
}

function events(rt: Runtime): Promise<EventRecord[]> {
  return storeOf(rt).read((t) => t.getAll<EventRecord>('events', undefined), ['events']);
}

async function waiting(rt: Runtime, runId: string): Promise<void> {
  await waitFor(async () => (await rt.status(runId))?.state === 'waiting', 5000, `run ${runId} waiting`);
}

describe('Events', () => {
  it('an event wakes a waiting run early and delivers its payload', async () => {
    const runner = probe('order-1', HOUR);
    const hook = recordingHook();
    const { runtime: rt, clock } = await fresh({ workflows: { wf: runner }, hooks: [hook] });
    const { runId } = await rt.submit({ workflow: 'wf', input: '' });
    await waiting(rt, runId);
    expect((await stats(rt, 'workflow-steps')).scheduled).toBe(1);
    expect(await rt.sendEvent('order-1', 'paid')).toBe('delivered');
    await waitFor(() => hook.outcomes.length === 1, 5000, 'the hook');
    expect(clock.now()).toBe(T0); // no clock advance
    expect(hook.outcomes[0]!.status).toBe('succeeded');
    expect(runner.observed).toEqual([{ key: 'order-1', payload: 'paid' }]);
    expect(await events(rt)).toEqual([]); // neither a waiter nor a buffer remains
    expect(await rt.clearEvent('order-1')).toBe(false);
  });

  it('a waiting run survives a close and reopen and can then be sent its event', async () => {
    const runner = probe('approval', HOUR);
    const f = await fresh({ workflows: { wf: runner } });
    const { runId } = await f.runtime.submit({ workflow: 'wf', input: '' });
    await waiting(f.runtime, runId);
    await f.runtime.close();

    const hook = recordingHook();
    const next = await f.reopen({ hooks: [hook] });
    expect((await stats(next, 'workflow-steps')).scheduled).toBe(1);
    expect((await next.status(runId))?.state).toBe('waiting');
    await next.start();
    expect(await next.sendEvent('approval', 'approved')).toBe('delivered');
    await waitFor(() => hook.outcomes.length === 1, 5000, 'the hook');
    expect(hook.outcomes[0]).toMatchObject({ runId, status: 'succeeded' });
    expect(runner.observed).toEqual([{ key: 'approval', payload: 'approved' }]);
  });

  it('timeout: the next step runs with a null payload and the registration is removed', async () => {
    const runner = probe('order-2', 60_000);
    const hook = recordingHook();
    const { runtime: rt, clock } = await fresh({ workflows: { wf: runner }, hooks: [hook] });
    const { runId } = await rt.submit({ workflow: 'wf', input: '' });
    await waiting(rt, runId);
    expect(await events(rt)).toEqual([{ key: 'order-2', waiter: { runId, jobId: expect.any(String) as string } }]);
    expect((await rt.status(runId))?.wakeAt).toBe(T0 + 60_000);
    clock.advance(59_999);
    await settle();
    expect(runner.observed).toEqual([]);
    clock.advance(1001);
    await waitFor(() => hook.outcomes.length === 1, 5000, 'the hook');
    expect(hook.outcomes[0]!.status).toBe('succeeded');
    expect(runner.observed).toEqual([{ key: 'order-2', payload: null }]);
    expect(await events(rt)).toEqual([]);
  });

  it('an event sent before anyone waits is buffered and consumed at registration', async () => {
    const runner = probe('order-3', HOUR);
    const hook = recordingHook();
    const { runtime: rt, clock } = await fresh({ workflows: { wf: runner }, hooks: [hook] });
    expect(await rt.sendEvent('order-3', 'early')).toBe('buffered');
    expect(await events(rt)).toEqual([{ key: 'order-3', buffered: { payload: 'early', at: T0, id: expect.any(String) as string } }]);
    await rt.submit({ workflow: 'wf', input: '' });
    await waitFor(() => hook.outcomes.length === 1, 5000, 'the hook');
    expect(clock.now()).toBe(T0);
    expect(runner.observed).toEqual([{ key: 'order-3', payload: 'early' }]);
    expect(await events(rt)).toEqual([]);
  });

  it('a second buffered event replaces the first', async () => {
    const runner = probe('order-4', HOUR);
    const hook = recordingHook();
    const { runtime: rt } = await fresh({ workflows: { wf: runner }, hooks: [hook] });
    expect(await rt.sendEvent('order-4', 'first')).toBe('buffered');
    expect(await rt.sendEvent('order-4', 'second')).toBe('buffered');
    await rt.submit({ workflow: 'wf', input: '' });
    await waitFor(() => hook.outcomes.length === 1, 5000, 'the hook');
    expect(runner.observed).toEqual([{ key: 'order-4', payload: 'second' }]);
  });

  it('clearEvent discards a buffered event', async () => {
    const { runtime: rt } = await fresh({ start: false });
    expect(await rt.sendEvent('order-5', 'stale')).toBe('buffered');
    expect(await rt.clearEvent('order-5')).toBe(true);
    expect(await rt.clearEvent('order-5')).toBe(false);
    expect(await events(rt)).toEqual([]);
    expect(await rt.clearEvent('never-sent')).toBe(false);
  });

  it('only one waiter per key: a second registration fails its own run', async () => {
    const runner = probe('order-6', HOUR);
    const hook = recordingHook();
    const { runtime: rt } = await fresh({ workflows: { wf: runner }, hooks: [hook] });
    await rt.submit({ workflow: 'wf', input: '', runId: 'run-a' });
    await waiting(rt, 'run-a');
    const [before] = await events(rt);
    await rt.submit({ workflow: 'wf', input: '', runId: 'run-b' });
    await waitFor(() => hook.outcomes.length === 1, 5000, 'the hook');
    expect(hook.outcomes[0]).toMatchObject({ runId: 'run-b', status: 'failed', finalStep: 0 });
    expect(hook.outcomes[0]!.error).toMatch(/already registered/);
    expect(hook.outcomes[0]!.error).toMatch(/order-6/);
    // run-a keeps waiting, its registration untouched.
    expect((await rt.status('run-a'))?.state).toBe('waiting');
    expect(await events(rt)).toEqual([before]);
    // run-b's step 0 was dead-lettered.
    const dead = await rt.deadJobs();
    expect(dead).toEqual([expect.objectContaining({ kind: 'step', runId: 'run-b', stepNumber: 0 })]);
    expect(dead[0]!.lastError).toMatch(/already registered/);
    // run-a still gets its event.
    expect(await rt.sendEvent('order-6', 'for-a')).toBe('delivered');
    await waitFor(() => hook.outcomes.length === 2, 5000, 'run-a');
    expect(hook.outcomes[1]).toMatchObject({ runId: 'run-a', status: 'succeeded' });
    expect(runner.observed).toEqual([{ key: 'order-6', payload: 'for-a' }]);
  });

  it('a stale registration (its step no longer scheduled) does not block a new waiter', async () => {
    const gate = deferred<void>();
    const entered = deferred<void>();
    const runner = probe('order-6s', 60_000, async (s) => {
      if (s.runId === 'run-a') {
        entered.resolve();
        await gate.promise;
      }
    });
    const hook = recordingHook();
    const { runtime: rt, clock } = await fresh({ workflows: { wf: runner }, hooks: [hook] });
    await rt.submit({ workflow: 'wf', input: '', runId: 'run-a' });
    await waiting(rt, 'run-a');
    clock.advance(60_000); // run-a's step 1 is promoted by its timeout and is now running
    await entered.promise;
    expect((await events(rt))[0]?.waiter?.runId).toBe('run-a'); // stale until run-a settles
    await rt.submit({ workflow: 'wf', input: '', runId: 'run-b' });
    await waiting(rt, 'run-b');
    expect((await events(rt))[0]?.waiter?.runId).toBe('run-b');
    expect(await rt.sendEvent('order-6s', 'for-b')).toBe('delivered');
    await waitFor(async () => (await rt.status('run-b'))?.state === 'succeeded', 5000, 'run-b');
    gate.resolve();
    await waitFor(() => hook.outcomes.length === 2, 5000, 'both runs');
    expect(hook.outcomes.map((o) => [o.runId, o.status]).sort()).toEqual([
      ['run-a', 'succeeded'],
      ['run-b', 'succeeded'],
    ]);
    expect(runner.observed).toEqual([
      { key: 'order-6s', payload: null },
      { key: 'order-6s', payload: 'for-b' },
    ]);
    expect(await events(rt)).toEqual([]);
  });

  it('a payload buffered after registration but missed by the wake is delivered at the timeout', async () => {
    const runner = probe('order-7', 60_000);
    const hook = recordingHook();
    const { runtime: rt, clock } = await fresh({ workflows: { wf: runner }, hooks: [hook] });
    const { runId } = await rt.submit({ workflow: 'wf', input: '' });
    await waiting(rt, runId);
    // The race: a buffered payload next to the registration, the waiter not woken.
    await storeOf(rt).write(async (t) => {
      const ev = (await t.get<EventRecord>('events', 'order-7'))!;
      t.put('events', { ...ev, buffered: { payload: 'late', at: clock.now() } });
    });
    expect((await rt.status(runId))?.state).toBe('waiting');
    clock.advance(61_000);
    await waitFor(() => hook.outcomes.length === 1, 5000, 'the hook');
    expect(hook.outcomes[0]!.status).toBe('succeeded');
    expect(runner.observed).toEqual([{ key: 'order-7', payload: 'late' }]);
    expect(await events(rt)).toEqual([]); // consumed with the step's settlement
  });

  it('cancelling a waiting run leaves no live registration', async () => {
    const runner = probe('order-8', HOUR);
    const hook = recordingHook();
    const { runtime: rt } = await fresh({ workflows: { wf: runner }, hooks: [hook] });
    const { runId } = await rt.submit({ workflow: 'wf', input: '' });
    await waiting(rt, runId);
    expect(await rt.cancel(runId)).toBe(true);
    await waitFor(() => hook.outcomes.length === 1, 5000, 'the hook');
    expect(hook.outcomes[0]).toMatchObject({ status: 'cancelled' });
    expect(hook.outcomes[0]!.error).toBeUndefined();
    expect(await events(rt)).toEqual([]);
    expect(await rt.sendEvent('order-8', 'orphan')).toBe('buffered');
    expect(await events(rt)).toEqual([{ key: 'order-8', buffered: { payload: 'orphan', at: T0, id: expect.any(String) as string } }]);
    expect(runner.observed).toEqual([]);
  });

  const failFirst = (s: Step) => {
    if (s.attempts === 1) throw StepError.transient('retry me');
  };

  it('a woken step observes the same event on every redelivery', async () => {
    const runner = probe('order-9', HOUR, failFirst);
    const hook = recordingHook();
    const { runtime: rt } = await fresh({ workflows: { wf: runner }, hooks: [hook] });
    const { runId } = await rt.submit({ workflow: 'wf', input: '' });
    await waiting(rt, runId);
    expect(await rt.sendEvent('order-9', 'paid')).toBe('delivered');
    await waitFor(() => hook.outcomes.length === 1, 5000, 'the hook');
    expect(hook.outcomes[0]!.status).toBe('succeeded');
    expect(runner.attempts).toEqual([1, 2]);
    expect(runner.observed).toEqual([
      { key: 'order-9', payload: 'paid' },
      { key: 'order-9', payload: 'paid' },
    ]);
  });

  it('(buffer consumed at registration) every redelivery observes the buffered payload', async () => {
    const runner = probe('order-10', HOUR, failFirst);
    const hook = recordingHook();
    const { runtime: rt } = await fresh({ workflows: { wf: runner }, hooks: [hook] });
    expect(await rt.sendEvent('order-10', 'early')).toBe('buffered');
    await rt.submit({ workflow: 'wf', input: '' });
    await waitFor(() => hook.outcomes.length === 1, 5000, 'the hook');
    expect(runner.attempts).toEqual([1, 2]);
    expect(runner.observed).toEqual([
      { key: 'order-10', payload: 'early' },
      { key: 'order-10', payload: 'early' },
    ]);
    expect(await events(rt)).toEqual([]);
  });

  it('(buffer consumed at the timeout) every redelivery observes it; it is released with the settlement', async () => {
    const runner = probe('order-11', 60_000, failFirst);
    const hook = recordingHook();
    const { runtime: rt, clock } = await fresh({ workflows: { wf: runner }, hooks: [hook] });
    const { runId } = await rt.submit({ workflow: 'wf', input: '' });
    await waiting(rt, runId);
    await storeOf(rt).write(async (t) => {
      const ev = (await t.get<EventRecord>('events', 'order-11'))!;
      t.put('events', { ...ev, buffered: { payload: 'late', at: clock.now() } });
    });
    clock.advance(60_000);
    await waitFor(() => hook.outcomes.length === 1, 5000, 'the hook');
    expect(runner.attempts).toEqual([1, 2]);
    expect(runner.observed).toEqual([
      { key: 'order-11', payload: 'late' },
      { key: 'order-11', payload: 'late' },
    ]);
    expect(await events(rt)).toEqual([]);
  });

  it('queue wake semantics the events rely on', async () => {
    const { runtime: rt, clock } = await fresh({ start: false });
    const q = queueOf(rt);
    const { id } = await q.enqueue('work', 'p', { delayMs: 60_000 });
    clock.advance(1000);
    const T = clock.now();
    expect(await q.wakeScheduled(id, 'signal')).toBe('woken');
    expect(await stats(q, 'work')).toMatchObject({ scheduled: 0, pending: 1 });
    const c = (await q.claim('work'))!;
    expect(c.job).toMatchObject({ id, wakePayload: 'signal', wokenAt: T, attempts: 1 });
    expect(c.job.runAt).toBe(T);

    const { id: id2 } = await q.enqueue('work', 'p', { delayMs: 60_000 });
    expect(await q.wakeScheduled(id2)).toBe('woken');
    expect((await q.claim('work'))!.job).toMatchObject({ id: id2, wakePayload: null, wokenAt: T });

    const { id: pending } = await q.enqueue('work', 'p');
    expect(await q.wakeScheduled(pending, 'x')).toBe('notScheduled');
    await q.claim('work');
    expect(await q.wakeScheduled(pending, 'x')).toBe('notScheduled'); // claimed
    expect(await q.wakeScheduled('no-such-job', 'x')).toBe('notFound');

    const { id: cancelled } = await q.enqueue('work', 'p', { delayMs: 60_000 });
    expect((await q.cancel(cancelled)).kind).toBe('removed');
    expect(await q.wakeScheduled(cancelled, 'x')).toBe('notFound');

    const { id: promoted } = await q.enqueue('work', 'p', { delayMs: 1000 });
    clock.advance(1000);
    const c3 = (await q.claim('work'))!; // the claim promotes it by time
    expect(c3.job).toMatchObject({ id: promoted, wakePayload: null, wokenAt: null });
    expect(await q.wakeScheduled(promoted, 'x')).toBe('notScheduled');
  });

  it('(queue form) a woken job keeps its wake payload across a nack and redelivery', async () => {
    const { runtime: rt, clock } = await fresh({ start: false, retry: { baseDelayMs: 5000, jitter: 0 } });
    const q = queueOf(rt);
    const { id } = await q.enqueue('work', 'p', { delayMs: 60_000 });
    const T = clock.now();
    expect(await q.wakeScheduled(id, 'signal')).toBe('woken');
    const c1 = (await q.claim('work'))!;
    expect((await q.nack(c1, 'boom')).kind).toBe('retried');
    expect(await q.claim('work')).toBeUndefined();
    clock.advance(5000);
    const c2 = (await q.claim('work'))!;
    expect(c2.job).toMatchObject({ id, attempts: 2, wakePayload: 'signal', wokenAt: T });
  });

  it('the timeout runs on the runtime clock, through downtime', async () => {
    const runner = probe('decision', 5 * 60_000);
    const f = await fresh({ workflows: { wf: runner } });
    const { runId } = await f.runtime.submit({ workflow: 'wf', input: '' });
    await waiting(f.runtime, runId);
    await f.runtime.close();
    f.clock.advance(10 * 60_000); // down for 10 minutes

    const hook = recordingHook();
    const next = await f.reopen({ hooks: [hook] });
    await next.start(); // no further clock advance: the first claim promotes the overdue step
    await waitFor(() => hook.outcomes.length === 1, 5000, 'the hook');
    expect(hook.outcomes[0]!.status).toBe('succeeded');
    expect(runner.observed).toEqual([{ key: 'decision', payload: null }]);
    // A decision sent afterwards is buffered under a key no waiter will consume…
    expect(await next.sendEvent('decision', 'approved')).toBe('buffered');
    await settle();
    expect(runner.observed).toHaveLength(1);
    // …until cleared.
    expect(await next.clearEvent('decision')).toBe(true);
  });

  it('sendEvent is durable once it returns (delivered or buffered), across a crash', async () => {
    const runner = probe('k-delivered', HOUR);
    const f = await fresh({ workflows: { wf: runner } });
    const { runId } = await f.runtime.submit({ workflow: 'wf', input: '' });
    await waiting(f.runtime, runId);
    await f.runtime.stop({ drain: false }); // nothing runs the woken step before the "crash"
    expect(await f.runtime.sendEvent('k-delivered', 'p')).toBe('delivered');
    expect(await f.runtime.sendEvent('k-buffered', 'q')).toBe('buffered');
    // Crash: runtime 1 is dropped without closing; a new one opens the same database.
    const hook = recordingHook();
    const next = await f.reopen({ hooks: [hook] });
    const step1 = (await getJob(next, await stepJobId(next, runId)))!;
    expect(step1).toMatchObject({ state: 'pending', wakePayload: 'p' });
    expect(await events(next)).toEqual([{ key: 'k-buffered', buffered: { payload: 'q', at: T0, id: expect.any(String) as string } }]);
    await next.start();
    await waitFor(() => hook.outcomes.length === 1, 5000, 'the hook');
    expect(runner.observed).toEqual([{ key: 'k-delivered', payload: 'p' }]);
    expect(await next.clearEvent('k-buffered')).toBe(true);
  });

  it('step.event is absent on steps not preceded by a wait', async () => {
    const seen: [number, Step['event'] | undefined][] = [];
    const runner = async (s: Step) => {
      seen.push([s.stepNumber, s.event]);
      if (s.stepNumber === 0) return Outcome.next('');
      if (s.stepNumber === 1) return Outcome.next('', { delayMs: 1000 });
      return Outcome.succeed('');
    };
    const { runtime: rt, clock } = await fresh({ workflows: { wf: runner } });
    const { runId } = await rt.submit({ workflow: 'wf', input: '' });
    await waitFor(async () => (await rt.status(runId))?.state === 'scheduled', 5000, 'the delay');
    clock.advance(1000);
    await expect(rt.wait(runId)).resolves.toMatchObject({ status: 'succeeded' });
    expect(seen).toEqual([
      [0, undefined],
      [1, undefined],
      [2, undefined],
    ]);
  });

  it('an event to a waiter whose step was already promoted is buffered; the stale registration is removed', async () => {
    const gate = deferred<void>();
    const entered = deferred<void>();
    const runner = probe('order-15', 60_000, async () => {
      entered.resolve();
      await gate.promise;
    });
    const hook = recordingHook();
    const { runtime: rt, clock } = await fresh({ workflows: { wf: runner }, hooks: [hook] });
    const { runId } = await rt.submit({ workflow: 'wf', input: '' });
    await waiting(rt, runId);
    clock.advance(60_000);
    await entered.promise; // running after its timeout; the registration is still there
    expect((await events(rt))[0]?.waiter?.runId).toBe(runId);
    expect(await rt.sendEvent('order-15', 'p')).toBe('buffered');
    expect(await events(rt)).toEqual([{ key: 'order-15', buffered: { payload: 'p', at: clock.now(), id: expect.any(String) as string } }]);
    gate.resolve();
    await waitFor(() => hook.outcomes.length === 1, 5000, 'the hook');
    expect(runner.observed).toEqual([{ key: 'order-15', payload: null }]);
    // p waits for the next waiter (or clearEvent).
    expect(await events(rt)).toEqual([{ key: 'order-15', buffered: { payload: 'p', at: clock.now(), id: expect.any(String) as string } }]);
    expect(await rt.clearEvent('order-15')).toBe(true);
  });

  it('sendEvent to a key with no waiter returns at once (no polling delay)', async () => {
    const { runtime: rt, clock } = await fresh({ start: false });
    const started = Date.now();
    expect(await rt.sendEvent('nobody', 1 as Json)).toBe('buffered');
    expect(Date.now() - started).toBeLessThan(200);
    expect(clock.now()).toBe(T0);
  });
});

/** The job id of a run's current step, read from the run record. */
async function stepJobId(rt: Runtime, runId: string): Promise<string> {
  const run = await storeOf(rt).read((t) => t.get<{ jobId?: string }>('runs', runId), ['runs']);
  return run!.jobId!;
}
