/**
 * Terminal markers and the memo-retention sweeper.
 *
 * Markers live in their own table (`terminals`) rather than under a KV prefix; a sweep deletes
 * an expired marker and its run's memos in one transaction. `sweepNow(retentionMs)` returns
 * `{ markers }`, the number of markers (runs) cleared.
 */
import { describe, expect, it, vi } from 'vitest';
import { MockClock } from '../../src/core/clock.ts';
import { isWorkflowError } from '../../src/core/errors.ts';
import type { Json } from '../../src/core/json.ts';
import { Outcome, StepError } from '../../src/core/outcome.ts';
import type { QueueStats } from '../../src/queue/types.ts';
import type { MarkerRecord } from '../../src/runtime/records.ts';
import { Runtime } from '../../src/runtime/runtime.ts';
import type { Step } from '../../src/runtime/types.ts';
import type { Tx } from '../../src/store/tx.ts';
import { freshStoreOptions } from '../support/idb.ts';
import { deferred, recordingHook, scriptedRunner, settle, waitFor } from './harness.ts';
import { fresh } from './lifecycle.ts';
import { clearMemos, memo, stats, sweepNow, terminalMarkers } from '../../src/inspect.ts';
import { storeOf } from '../support/internals.ts';

const MIN = 60_000;

/** Ends a run without executing it: a pending run cancelled ends at once, its marker written in the same transaction. */
async function endPending(rt: Runtime, runId: string): Promise<void> {
  await rt.submit({ workflow: 'wf', input: runId, runId });
  expect(await rt.cancel(runId)).toBe(true);
}

/** Makes `store.write` hand its bodies a transaction whose `getAll` on `table` fails while `fail()` says so. */
function failListing(rt: Runtime, table: string, fail: () => boolean) {
  const store = storeOf(rt);
  const orig = store.write.bind(store);
  return vi.spyOn(store, 'write').mockImplementation((body, options) =>
    orig((t: Tx) => {
      const proxy = new Proxy(t, {
        get(target, prop) {
          if (prop === 'getAll') {
            return (name: string, ...rest: unknown[]) => {
              if (name === table && fail()) return Promise.reject(new Error(`listing ${table} failed`));
              return (target.getAll as (...a: unknown[]) => Promise<unknown[]>).call(target, name, ...rest);
            };
          }
          const v = Reflect.get(target, prop, target) as unknown;
          // Methods need their receiver (private fields); `keyRange` is a class, passed as is.
          return typeof v === 'function' && prop !== 'keyRange' ? (v as (...a: unknown[]) => unknown).bind(target) : v;
        },
      });
      return body(proxy);
    }, options),
  );
}

describe('The retention sweeper and terminal markers', () => {
  it('with retention on, a succeeded run gets exactly one terminal marker', async () => {
    const hook = recordingHook();
    const { runtime } = await fresh({ memoRetentionMs: MIN, hooks: [hook], workflows: { wf: scriptedRunner([Outcome.succeed('done')]) } });
    const { runId } = await runtime.submit({ workflow: 'wf', input: 'x' });
    await waitFor(() => hook.outcomes.length === 1, 5000, 'the hook');
    const markers = await terminalMarkers(runtime);
    expect(markers).toHaveLength(1);
    expect(markers[0]!.runId).toBe(runId);
  });

  it('with retention off, no marker is written and nothing is swept', async () => {
    const runner = scriptedRunner([
      async (s: Step) => {
        await s.memo.put('k', 'kept');
        return Outcome.succeed('done');
      },
    ]);
    const { runtime, clock } = await fresh({ workflows: { wf: runner } });
    const { runId } = await runtime.submit({ workflow: 'wf', input: 'x' });
    await runtime.wait(runId);
    expect(await terminalMarkers(runtime)).toEqual([]);
    clock.advance(30 * 24 * 3600 * 1000);
    await settle();
    expect((await sweepNow(runtime)).markers).toBe(0);
    await expect(memo(runtime, runId, 0).get('k')).resolves.toBe('kept');
  });

  it('failed runs get a marker too', async () => {
    const hook = recordingHook();
    const { runtime } = await fresh({ memoRetentionMs: MIN, hooks: [hook], workflows: { wf: scriptedRunner([Outcome.fail('boom')]) } });
    const { runId } = await runtime.submit({ workflow: 'wf', input: 'x' });
    await waitFor(() => hook.outcomes.length === 1, 5000, 'the hook');
    expect(hook.outcomes[0]).toMatchObject({ status: 'failed', error: 'boom' });
    expect((await terminalMarkers(runtime)).map((m) => m.runId)).toEqual([runId]);
  });

  it('a permanent step error commits its marker with the dead letter', async () => {
    const seen: { markers: MarkerRecord[]; stats: QueueStats }[] = [];
    const hook = recordingHook('recorder', async () => {
      seen.push({ markers: await terminalMarkers(rt), stats: await stats(rt, 'workflow-steps') });
    });
    const runner = scriptedRunner([
      () => {
        throw StepError.permanent('nope');
      },
    ]);
    const { runtime } = await fresh({ clockStart: 10_000, memoRetentionMs: MIN, hooks: [hook], workflows: { wf: runner } });
    const rt = runtime;
    const { runId } = await runtime.submit({ workflow: 'wf', input: 'x' });
    await waitFor(() => seen.length === 1, 5000, 'the hook');
    expect(hook.outcomes[0]).toMatchObject({ status: 'failed', error: 'nope' });
    expect(seen[0]!.markers).toEqual([{ runId, terminalAt: 10_000 }]);
    expect(seen[0]!.stats.dead).toBe(1);
    expect(runner.calls).toHaveLength(1);
  });

  it('a retried attempt writes no marker; only the final settlement does', async () => {
    const clock = new MockClock(10_000);
    const markersDuringAttempt2: MarkerRecord[][] = [];
    const runner = scriptedRunner([
      () => {
        throw StepError.transient('flaky');
      },
      async () => {
        markersDuringAttempt2.push(await terminalMarkers(rt));
        clock.advance(1000);
        return Outcome.succeed('done');
      },
    ]);
    const hook = recordingHook();
    const { runtime } = await fresh({ clock, memoRetentionMs: MIN, hooks: [hook], workflows: { wf: runner } });
    const rt = runtime;
    const { runId } = await runtime.submit({ workflow: 'wf', input: 'x', maxAttempts: 3 });
    await waitFor(() => hook.outcomes.length === 1, 5000, 'the hook');
    expect(hook.outcomes[0]!.status).toBe('succeeded');
    expect(runner.calls).toHaveLength(2);
    expect(markersDuringAttempt2).toEqual([[]]);
    expect(await terminalMarkers(runtime)).toEqual([{ runId, terminalAt: 11_000 }]);
  });

  it('a sweep clears only markers strictly older than now - retention', async () => {
    const { runtime: rt, clock } = await fresh({ start: false, clockStart: 1000, memoRetentionMs: 3600_000 });
    await endPending(rt, 'old');
    clock.set(9500);
    await endPending(rt, 'young');
    await memo(rt, 'old', 0).put('k', 'v');
    await memo(rt, 'young', 0).put('k', 'v');
    clock.set(10_000);
    expect(await terminalMarkers(rt)).toEqual([
      { runId: 'old', terminalAt: 1000 },
      { runId: 'young', terminalAt: 9500 },
    ]);
    expect((await sweepNow(rt, 1000)).markers).toBe(1);
    expect((await terminalMarkers(rt)).map((m) => m.runId)).toEqual(['young']);
    await expect(memo(rt, 'old', 0).get('k')).resolves.toBeUndefined();
    await expect(memo(rt, 'young', 0).get('k')).resolves.toBe('v');
  });

  it('a marker exactly `retention` old is kept by the sweeper tick (strict cutoff)', async () => {
    const hook = recordingHook();
    const { runtime, clock } = await fresh({ clockStart: 10_000, memoRetentionMs: 200, hooks: [hook] });
    const { runId } = await runtime.submit({ workflow: 'wf', input: 'x' });
    await waitFor(() => hook.outcomes.length === 1, 5000, 'the hook');
    expect(await terminalMarkers(runtime)).toEqual([{ runId, terminalAt: 10_000 }]);
    clock.advance(200); // the sweeper's tick at 10 200: age 200 = retention, not expired
    await settle(100);
    expect(await terminalMarkers(runtime)).toEqual([{ runId, terminalAt: 10_000 }]);
    clock.advance(200); // the tick at 10 400 removes it
    await waitFor(async () => (await terminalMarkers(runtime)).length === 0, 5000, 'the next tick');
  });

  it('(history form) the cutoff is strict: before 2000 -> only 1000, before 1000 -> none, before 3001 -> all', async () => {
    const { runtime: rt, clock } = await fresh({ start: false, clockStart: 1000, memoRetentionMs: 3600_000 });
    for (const [t, id] of [[1000, 'run-a'], [2000, 'run-b'], [3000, 'run-c']] as const) {
      clock.set(t);
      await endPending(rt, id);
    }
    clock.set(3000);
    expect((await sweepNow(rt, 2000)).markers).toBe(0); // cutoff 1000: the marker at 1000 is not before it
    expect((await sweepNow(rt, 1000)).markers).toBe(1); // cutoff 2000
    expect((await terminalMarkers(rt)).map((m) => m.runId)).toEqual(['run-b', 'run-c']);
    clock.set(3002);
    expect((await sweepNow(rt, 1)).markers).toBe(2); // cutoff 3001
    expect(await terminalMarkers(rt)).toEqual([]);
  });

  it('the background sweeper removes expired markers and the run\'s memo entries', async () => {
    const hook = recordingHook();
    const { runtime, clock } = await fresh({ clockStart: 10_000, memoRetentionMs: 100, hooks: [hook] });
    const { runId } = await runtime.submit({ workflow: 'wf', input: 'x' });
    await waitFor(() => hook.outcomes.length === 1, 5000, 'the hook');
    await memo(runtime, runId, 0).put('k', 'cached');
    clock.advance(300);
    await waitFor(async () => (await terminalMarkers(runtime)).length === 0, 5000, 'the sweeper');
    await expect(memo(runtime, runId, 0).get('k')).resolves.toBeUndefined();
  });

  it('the sweeper never touches runs without a marker (in-flight runs)', async () => {
    const { runtime, clock } = await fresh({ clockStart: 10_000, memoRetentionMs: 100 });
    await memo(runtime, 'in-flight-run', 0).put('k', 'cached');
    for (let i = 0; i < 5; i++) {
      clock.advance(100);
      await settle(20);
    }
    await expect(memo(runtime, 'in-flight-run', 0).get('k')).resolves.toBe('cached');
    expect((await sweepNow(runtime, 1)).markers).toBe(0);
    await expect(memo(runtime, 'in-flight-run', 0).get('k')).resolves.toBe('cached');
  });

  it('markers list oldest first (time order, not id order) and read back exactly', async () => {
    const { runtime: rt, clock } = await fresh({ start: false, clockStart: 1000, memoRetentionMs: 3600_000 });
    await endPending(rt, 'run-b');
    clock.set(2000);
    await endPending(rt, 'run-a');
    await memo(rt, 'run-a', 0).put('k', 'v');
    // Run records (and any other table) are not markers.
    expect(await rt.status('run-a')).toBeDefined();
    expect(await terminalMarkers(rt)).toEqual([
      { runId: 'run-b', terminalAt: 1000 },
      { runId: 'run-a', terminalAt: 2000 },
    ]);
  });

  it('a marker that cannot be parsed is skipped, not fatal, and never counted', async () => {
    const { runtime: rt } = await fresh({ start: false, clockStart: 10_000, memoRetentionMs: 3600_000 });
    await memo(rt, 'bystander', 0).put('k', 'v');
    await memo(rt, 'real', 0).put('k', 'v');
    // Corrupt markers written by foreign code: a numeric run id, an empty one.
    await storeOf(rt).write(async (t) => {
      t.put('terminals', { runId: 42, terminalAt: 1 });
      t.put('terminals', { runId: '', terminalAt: 2 });
      t.put('terminals', { runId: 'real', terminalAt: 3 });
    });
    expect((await sweepNow(rt, 1000)).markers).toBe(1);
    await expect(memo(rt, 'real', 0).get('k')).resolves.toBeUndefined();
    await expect(memo(rt, 'bystander', 0).get('k')).resolves.toBe('v');
    expect((await sweepNow(rt, 1000)).markers).toBe(0);
  });

  it('a failed sweep keeps the marker and the memos (one transaction); the next sweep retries; every step is idempotent', async () => {
    const { runtime: rt, clock } = await fresh({ start: false, clockStart: 1000, memoRetentionMs: 3600_000 });
    await endPending(rt, 'r1');
    await endPending(rt, 'r2');
    await memo(rt, 'r1', 0).put('k', 'v1');
    await memo(rt, 'r2', 0).put('k', 'v2');
    clock.set(10_000);
    // The marker deletion fails inside the sweep's transaction: nothing of it applies.
    const store = storeOf(rt);
    const orig = store.write.bind(store);
    const spy = vi.spyOn(store, 'write').mockImplementationOnce((body, options) =>
      orig(async (t: Tx) => {
        const r = await body(t);
        throw new Error(`storage failed after ${String(r)} markers`);
      }, options),
    );
    await expect(sweepNow(rt, 1000)).rejects.toThrow(/storage failed/);
    spy.mockRestore();
    expect((await terminalMarkers(rt)).map((m) => m.runId)).toEqual(['r1', 'r2']);
    await expect(memo(rt, 'r1', 0).get('k')).resolves.toBe('v1');
    // The next sweep retries and clears both.
    expect((await sweepNow(rt, 1000)).markers).toBe(2);
    await expect(memo(rt, 'r1', 0).get('k')).resolves.toBeUndefined();
    await expect(memo(rt, 'r2', 0).get('k')).resolves.toBeUndefined();
    // Idempotent: nothing left to clear, an empty run clears 0.
    expect((await sweepNow(rt, 1000)).markers).toBe(0);
    await expect(clearMemos(rt, 'r1')).resolves.toBe(0);
  });

  it('clearing one run\'s marker leaves the others', async () => {
    const { runtime: rt, clock } = await fresh({ start: false, clockStart: 1000, memoRetentionMs: 3600_000 });
    await endPending(rt, 'a');
    clock.set(5000);
    await endPending(rt, 'b');
    await endPending(rt, 'c');
    clock.set(6000);
    expect((await sweepNow(rt, 2000)).markers).toBe(1);
    expect((await terminalMarkers(rt)).map((m) => m.runId)).toEqual(['b', 'c']);
  });

  it('clearing a run\'s memos does not remove its marker; marker and memo writes do not collide', async () => {
    const { runtime: rt } = await fresh({ start: false, memoRetentionMs: MIN });
    await memo(rt, 'run-1', 0).put('k', 'v');
    await endPending(rt, 'run-1');
    await expect(memo(rt, 'run-1', 0).get('k')).resolves.toBe('v'); // the memo survives the marker write
    await memo(rt, 'run-1', 0).put('k2', 'v2');
    expect((await terminalMarkers(rt)).map((m) => m.runId)).toEqual(['run-1']); // the marker survives memo writes
    await expect(clearMemos(rt, 'run-1')).resolves.toBe(2);
    expect((await terminalMarkers(rt)).map((m) => m.runId)).toEqual(['run-1']);
  });

  it('the first sweep runs at startup', async () => {
    const f = await fresh({ start: false, memoRetentionMs: MIN });
    await endPending(f.runtime, 'expired-while-down');
    await memo(f.runtime, 'expired-while-down', 0).put('k', 'v');
    await f.runtime.close();
    f.clock.advance(2 * MIN); // expires while no runtime runs
    const next = await f.reopen();
    expect(await terminalMarkers(next)).toHaveLength(1);
    await next.start(); // no clock advance from here on
    await waitFor(async () => (await terminalMarkers(next)).length === 0, 5000, 'the startup sweep');
    await expect(memo(next, 'expired-while-down', 0).get('k')).resolves.toBeUndefined();
  });

  it('an empty run id can never make the sweep delete other runs\' memos', async () => {
    const { runtime: rt, clock } = await fresh({ clockStart: 10_000, memoRetentionMs: MIN });
    await memo(rt, 'bystander', 0).put('k', 'expensive');
    const e = await rt.submit({ workflow: 'wf', input: 'x', runId: '' }).catch((err: unknown) => err);
    expect(isWorkflowError(e, 'InvalidRunId')).toBe(true);
    expect(await terminalMarkers(rt)).toEqual([]);
    clock.advance(3600_000);
    await settle();
    await sweepNow(rt, MIN);
    await expect(memo(rt, 'bystander', 0).get('k')).resolves.toBe('expensive');
    // Even a marker with an empty id planted by foreign code does not reach other runs.
    await storeOf(rt).write(async (t) => t.put('terminals', { runId: '', terminalAt: 1 }));
    await sweepNow(rt, MIN);
    await expect(memo(rt, 'bystander', 0).get('k')).resolves.toBe('expensive');
    // And the inspection API refuses the empty id outright.
    await expect(clearMemos(rt, '')).rejects.toMatchObject({ name: 'InvalidRunId' });
  });

  it('a re-submitted run id shares the first run\'s retention window', async () => {
    const R = 1000;
    const T = 10_000;
    const clock = new MockClock(T);
    const gate = deferred<void>();
    const entered = deferred<void>();
    let computations = 0;
    const step1Reads: (Json | undefined)[] = [];
    let runNo = 0;
    const runner = async (s: Step) => {
      if (s.stepNumber === 0) {
        runNo++;
        if ((await s.memo.get('k')) === undefined) {
          computations++;
          await s.memo.put('k', 'computed');
        }
        return Outcome.next(runNo);
      }
      if (s.payload === 2) {
        await s.memo.put('s1', 'before-sweep');
        entered.resolve();
        await gate.promise;
      }
      step1Reads.push(await s.memo.get('s1'));
      return Outcome.succeed('done');
    };
    const { runtime: rt } = await fresh({ clock, memoRetentionMs: 3600_000, workflows: { wf: runner } });
    await rt.submit({ workflow: 'wf', input: 'in', runId: 'r' });
    await rt.wait('r');
    expect(await terminalMarkers(rt)).toEqual([{ runId: 'r', terminalAt: T }]);

    clock.set(T + 1);
    // Another input: the same one would be a retry of the ended run's submit, which starts nothing.
    await expect(rt.submit({ workflow: 'wf', input: 'in-again', runId: 'r' })).resolves.toEqual({ runId: 'r', newlySubmitted: true });
    await entered.promise;
    expect(computations).toBe(1); // step 0 of the second run found the shared entry

    clock.set(T + R + 1);
    expect((await sweepNow(rt, R)).markers).toBe(1); // the first run's marker, though r runs again
    expect(await terminalMarkers(rt)).toEqual([]);
    await expect(memo(rt, 'r', 0).get('k')).resolves.toBeUndefined();
    await expect(memo(rt, 'r', 1).get('s1')).resolves.toBeUndefined();
    expect((await rt.status('r'))?.state).toBe('running');

    gate.resolve();
    await expect(rt.wait('r')).resolves.toMatchObject({ status: 'succeeded' });
    expect(step1Reads.at(-1)).toBeUndefined(); // its memo is gone: no error, just a miss
    expect(await terminalMarkers(rt)).toEqual([{ runId: 'r', terminalAt: T + R + 1 }]);
  });

  it('one sweep pass clears every expired marker, across pages', async () => {
    const { runtime: rt, clock } = await fresh({ start: false, clockStart: 1000, memoRetentionMs: 3600_000 });
    const ids = Array.from({ length: 600 }, (_, i) => `run-${String(i).padStart(3, '0')}`);
    for (let i = 0; i < ids.length; i += 50) {
      await Promise.all(
        ids.slice(i, i + 50).map(async (id) => {
          await endPending(rt, id);
          await memo(rt, id, 0).put('k', 'v');
        }),
      );
    }
    clock.set(5000);
    await endPending(rt, 'young');
    await memo(rt, 'young', 0).put('k', 'v');
    expect(await terminalMarkers(rt)).toHaveLength(601);
    expect((await sweepNow(rt, 2000)).markers).toBe(600);
    expect((await terminalMarkers(rt)).map((m) => m.runId)).toEqual(['young']);
    const memos = await storeOf(rt).read((t) => t.getAll<{ runId: string }>('memos', undefined), ['memos']);
    expect(memos.map((m) => m.runId)).toEqual(['young']);
  });

  it('a failing tick is contained, the next tick sweeps; stopping the runtime stops the sweeper', async () => {
    const hook = recordingHook();
    const { runtime: rt, clock } = await fresh({ clockStart: 10_000, memoRetentionMs: 100, hooks: [hook] });
    const { runId } = await rt.submit({ workflow: 'wf', input: 'x' });
    await waitFor(() => hook.outcomes.length === 1, 5000, 'the hook');
    // Listing fails throughout one tick (a write batch that fails is retried alone: it fails again).
    let failing = true;
    failListing(rt, 'terminals', () => failing);
    // The sweeper's first pass (at start) may still be committing: advance in small steps until
    // a tick has run and failed, rather than assuming where its timer stands.
    await waitFor(() => {
      clock.advance(50);
      return /listing terminals failed/.test((rt.lastError as Error | undefined)?.message ?? '');
    }, 5000, 'the failing tick');
    failing = false;
    expect((await terminalMarkers(rt)).map((m) => m.runId)).toEqual([runId]);
    await waitFor(async () => {
      clock.advance(50); // the next tick sweeps normally
      return (await terminalMarkers(rt)).length === 0;
    }, 5000, 'the next tick');

    await rt.stop();
    await endPending(rt, 'after-stop');
    for (let i = 0; i < 5; i++) {
      clock.advance(1000);
      await settle(10);
    }
    expect((await terminalMarkers(rt)).map((m) => m.runId)).toEqual(['after-stop']);
  });

  it('memo retention must be at least 1 ms: configuration is rejected', async () => {
    for (const bad of [0, 0.5, -1, Number.NaN, Infinity]) {
      const db = await freshStoreOptions();
      const e = await Runtime.open({ ...db, workflows: { wf: scriptedRunner([Outcome.succeed(null)]) }, memoRetentionMs: bad }).catch((err: unknown) => err);
      expect(isWorkflowError(e, 'InvalidArgument')).toBe(true);
      expect((e as Error).message).toMatch(/memoRetentionMs/);
    }
    // And so is a sweep with a retention below 1 ms.
    const { runtime } = await fresh({ start: false });
    await expect(sweepNow(runtime, 0)).rejects.toMatchObject({ name: 'InvalidArgument' });
  });
});
