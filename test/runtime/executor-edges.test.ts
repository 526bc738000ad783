/**
 * The executor's edges: a settlement retried past its lease, stopping while a settlement is on
 * its way, a cancel between the claim and the runner's start, and lease extensions racing the
 * watchdog. Node (fake-indexeddb) with a MockClock; storage is held or failed through spies on
 * the runtime's store.
 */
import { afterEach, describe, expect, it, vi } from 'vitest';
import { WorkflowError, isWorkflowError } from '../../src/core/errors.ts';
import { Outcome } from '../../src/core/outcome.ts';
import type { Runtime } from '../../src/runtime/runtime.ts';
import type { Step } from '../../src/runtime/types.ts';
import { T0, deferred, scriptedRunner, settle, waitFor } from './harness.ts';
import { fresh } from './lifecycle.ts';
import { jobsIn, jobsOfRun } from './peek.ts';
import { storeOf } from '../support/internals.ts';

afterEach(() => {
  vi.restoreAllMocks();
});

interface Hold {
  /** Holds the next write asked for from now on. */
  arm(): void;
  /** Resolves once the held write was asked for (its transaction has not started). */
  reached: Promise<void>;
  release(): void;
}

/** Lets the test hold one write of `rt` (the next one after `arm()`) until `release()`. */
function holdWrites(rt: Runtime, hold: { current?: Hold }): Hold {
  const store = storeOf(rt);
  const orig = store.write.bind(store);
  const reached = deferred<void>();
  const gate = deferred<void>();
  let armed = false;
  vi.spyOn(store, 'write').mockImplementation((body, options) => {
    if (!armed) return orig(body, options);
    armed = false;
    reached.resolve();
    return gate.promise.then(() => orig(body, options));
  });
  hold.current = { arm: () => (armed = true), reached: reached.promise, release: () => gate.resolve() };
  return hold.current;
}

function ended(rt: Runtime, runId: string): () => Promise<boolean> {
  return async () => ['succeeded', 'failed', 'cancelled'].includes((await rt.status(runId))?.state ?? '');
}

describe('executor edges', () => {
  it('does not reap its own claim while a settlement is retried after a storage error', async () => {
    let failing = false;
    const runner = scriptedRunner([
      () => {
        failing = true; // from now on the settlement's commits fail
        return Outcome.succeed('paid');
      },
      Outcome.succeed('paid twice'),
    ]);
    const { runtime: rt, clock } = await fresh({ leaseMs: 1000, reapIntervalMs: 100, workflows: { wf: runner } });
    const store = storeOf(rt);
    const orig = store.write.bind(store);
    // Only the settlement (it ends the run) is strict here: reaps and claims still commit.
    vi.spyOn(store, 'write').mockImplementation((body, options) =>
      failing && options?.strict === true ? Promise.reject(new WorkflowError('StoreError', 'disk trouble')) : orig(body, options),
    );
    const { runId } = await rt.submit({ workflow: 'wf', input: '', maxAttempts: 2 });
    await waitFor(() => failing, 5000, 'the runner');
    // The retries wait 50, 250, 1000 and 4000 ms: the lease (1 s) runs out long before the last
    // one, and the reaper ticks every 100 ms meanwhile. Storage comes back before the last retry.
    while (clock.now() < T0 + 6000) {
      if (clock.now() >= T0 + 5000) failing = false;
      clock.advance(50);
      await settle(5);
    }
    await waitFor(ended(rt, runId), 5000, 'the end of the run');
    expect(await rt.status(runId)).toMatchObject({ state: 'succeeded', result: 'paid' });
    expect(runner.calls).toHaveLength(1); // the paid step ran once
    expect((await rt.history(runId)).map((h) => [h.attempt, h.outcome])).toEqual([[1, 'succeeded']]);
  });

  it('claims and starts nothing once stop({ drain: false }) has returned, even for a settlement already on its way', async () => {
    const hold: { current?: Hold } = {};
    const runner = scriptedRunner([
      (s: Step) => {
        if (s.runId === 'first') hold.current!.arm(); // the next write is this step's settlement
        return Outcome.succeed(s.payload);
      },
    ]);
    const f = await fresh({ start: false, concurrency: 1, workflows: { wf: runner } });
    const rt = f.runtime;
    await rt.submit({ workflow: 'wf', runId: 'first', input: 'first' });
    await rt.submit({ workflow: 'wf', runId: 'second', input: 'second' });
    const { reached, release } = holdWrites(rt, hold);
    await rt.start();
    await reached; // the settlement that would claim the second run's step for the freed slot
    const stopped = rt.stop({ drain: false });
    release();
    await stopped;
    await settle(100);
    expect(runner.calls.map((s) => s.runId)).toEqual(['first']);
    expect(await rt.status('first')).toMatchObject({ state: 'succeeded' });
    // Given back unstarted, its attempt refunded: the next executor runs it once, as attempt 1.
    expect(await jobsOfRun(rt, 'second')).toEqual([expect.objectContaining({ state: 'pending', attempts: 0, claimToken: null })]);
    const next = await f.reopen();
    await next.start();
    await waitFor(ended(next, 'second'), 5000, 'the second run');
    expect(runner.calls.map((s) => [s.runId, s.attempts])).toEqual([
      ['first', 1],
      ['second', 1],
    ]);
  });

  it('never starts a runner whose run was cancelled between the claim and its start', async () => {
    const runner = scriptedRunner([Outcome.succeed('paid')]);
    // With step-output replay on, a delivery reads its replay record before it starts the runner.
    const { runtime: rt } = await fresh({ start: false, stepOutputReplay: true, workflows: { wf: runner } });
    const store = storeOf(rt);
    const orig = store.read.bind(store);
    const reached = deferred<void>();
    const gate = deferred<void>();
    let holding = true;
    vi.spyOn(store, 'read').mockImplementation((body, tables) => {
      if (!holding || !tables?.includes('memos')) return orig(body, tables);
      holding = false;
      reached.resolve();
      return gate.promise.then(() => orig(body, tables));
    });
    const { runId } = await rt.submit({ workflow: 'wf', input: '' });
    await rt.start();
    await reached.promise; // claimed; the runner has not started
    expect(await rt.cancel(runId)).toBe(true);
    gate.resolve();
    await waitFor(ended(rt, runId), 5000, 'the end of the run');
    expect(await rt.status(runId)).toMatchObject({ state: 'cancelled' });
    expect(runner.calls).toEqual([]);
    expect((await rt.history(runId)).map((h) => h.outcome)).toEqual(['cancelled']);
  });

  it('keeps a delivery whose lease extension is still committing when the lease runs out', async () => {
    const hold: { current?: Hold } = {};
    const runner = scriptedRunner([
      async (s: Step) => {
        hold.current!.arm(); // the next write is this extension
        await s.lease.extend(60_000);
        return Outcome.succeed('done');
      },
    ]);
    const { runtime: rt, clock } = await fresh({ start: false, leaseMs: 1000, workflows: { wf: runner } });
    const { reached, release } = holdWrites(rt, hold);
    const { runId } = await rt.submit({ workflow: 'wf', input: '' });
    await rt.start();
    await reached;
    clock.advance(1000); // the deadline passes while the extension is on its way
    await settle(20);
    release(); // it commits: the lease was extended, and the delivery goes on
    await waitFor(ended(rt, runId), 3000, 'the end of the run');
    expect(await rt.status(runId)).toMatchObject({ state: 'succeeded', result: 'done' });
    expect(runner.calls).toHaveLength(1);
    expect(await jobsIn(rt, 'claimed')).toEqual([]);
  });

  it('refuses to extend the lease of a delivery it abandoned, so the job is not left claimed', async () => {
    const refused = deferred<unknown>();
    const runner = scriptedRunner([
      async (s: Step) => {
        // A runner that ignores the abort and extends anyway.
        await new Promise((r) => s.signal.addEventListener('abort', r, { once: true }));
        refused.resolve(await s.lease.extend(60_000).then(() => 'extended', (e: unknown) => e));
        return Outcome.succeed('late');
      },
      Outcome.succeed('again'),
    ]);
    const { runtime: rt, clock } = await fresh({ leaseMs: 1000, workflows: { wf: runner } });
    const { runId } = await rt.submit({ workflow: 'wf', input: '' });
    await waitFor(() => runner.calls.length === 1, 5000, 'delivery 1');
    clock.advance(1000); // the watchdog abandons delivery 1
    const outcome = await refused.promise;
    expect(isWorkflowError(outcome, 'ClaimLost')).toBe(true);
    expect((await jobsOfRun(rt, runId))[0]).toMatchObject({ state: 'claimed', leaseUntil: T0 + 1000 });
    clock.advance(4000); // the reaper's next tick takes it back; delivery 2 runs
    await waitFor(ended(rt, runId), 5000, 'the end of the run');
    expect(await rt.status(runId)).toMatchObject({ state: 'succeeded', result: 'again' });
    expect(runner.calls.map((s) => s.attempts)).toEqual([1, 2]);
  });
});
