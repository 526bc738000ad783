/**
 * Settlements of concurrent steps share one transaction (runtime/settle-batcher.ts,
 * settle-batch.ts `settleSteps`): every fence, run record and the next claim are read in one
 * round trip for the whole batch. What must not change: each run's history, result and step
 * order, the queue's done counter, and a lost claim failing only its own settlement.
 */
import { describe, expect, it, vi } from 'vitest';
import { Outcome } from '../../../src/core/outcome.ts';
import type { Step } from '../../../src/runtime/types.ts';
import { deferred, freshRuntime, waitFor } from '../harness.ts';
import { STEPS } from '../peek.ts';
import { stats } from '../../../src/inspect.ts';
import { engineOf, storeOf } from '../../support/internals.ts';

const RUNS = 8;
const STEPS_PER_RUN = 4;

/** Holds every step until `width` steps are in their runners, then lets them all return at once. */
function barrierRunner(width: number) {
  let waiting: (() => void)[] = [];
  const seen: [string, number, number][] = [];
  const runner = async (step: Step) => {
    seen.push([step.runId, step.stepNumber, step.attempts]);
    const gate = deferred<void>();
    waiting.push(() => gate.resolve());
    if (waiting.length === width) {
      const open = waiting;
      waiting = [];
      for (const go of open) go();
    }
    await gate.promise;
    return step.stepNumber + 1 >= STEPS_PER_RUN ? Outcome.succeed({ last: step.stepNumber }) : Outcome.next(step.payload);
  };
  return { runner, seen };
}

describe('settlements of concurrent steps', () => {
  it('share transactions, and every run still advances step by step to its own result', async () => {
    const { runner, seen } = barrierRunner(RUNS);
    const { runtime } = await freshRuntime({ workflows: { wf: runner }, concurrency: RUNS, start: false });
    const ids = [];
    for (let i = 0; i < RUNS; i++) ids.push((await runtime.submit({ workflow: 'wf', input: i, runId: `run-${i}` })).runId);
    const transact = vi.spyOn(engineOf(runtime), 'transact');
    await runtime.start();
    const outcomes = await Promise.all(ids.map((id) => runtime.wait(id)));

    expect(outcomes.map((o) => [o.status, o.result, o.finalStep])).toEqual(ids.map(() => ['succeeded', { last: STEPS_PER_RUN - 1 }, STEPS_PER_RUN - 1]));
    for (const id of ids) {
      const steps = seen.filter(([r]) => r === id).map(([, n, a]) => [n, a]);
      expect(steps).toEqual([...Array(STEPS_PER_RUN).keys()].map((n) => [n, 1]));
      const history = await runtime.history(id);
      expect(history.map((h) => [h.stepNumber, h.attempt, h.outcome])).toEqual([
        [0, 1, 'continued'],
        [1, 1, 'continued'],
        [2, 1, 'continued'],
        [3, 1, 'succeeded'],
      ]);
    }
    expect((await stats(runtime, STEPS)).done).toBe(RUNS * STEPS_PER_RUN);
    // 32 settlements released 8 at a time: one transaction each would be 32 (plus the executor's own claims).
    expect(transact.mock.calls.length).toBeLessThan((RUNS * STEPS_PER_RUN) / 2);
    await runtime.close();
  });

  it('fails only the settlement whose claim was lost, and settles the others of its batch', async () => {
    const release = deferred<void>();
    const entered = new Set<string>();
    const { runtime } = await freshRuntime({
      workflows: {
        wf: async (step: Step) => {
          entered.add(step.runId);
          await release.promise;
          return Outcome.succeed(step.runId);
        },
      },
      concurrency: 3,
      leaseMs: 60_000,
      start: false,
    });
    for (const id of ['a', 'b', 'c']) await runtime.submit({ workflow: 'wf', input: null, runId: id });
    await runtime.start();
    await waitFor(() => entered.size === 3, 5000, 'three steps running');
    // Run b's claim is taken away under its running step (as a recovery after a takeover would).
    const bJob = (await storeOf(runtime).read((t) => t.getAll<{ id: string; runId?: string; state: string }>('jobs', undefined), ['jobs'])).find((j) => j.runId === 'b' && j.state === 'claimed')!;
    await storeOf(runtime).write(async (t) => {
      const job = await t.get<Record<string, unknown>>('jobs', bJob.id);
      t.put('jobs', { ...job, claimToken: 'someone-else' });
    });
    release.resolve();
    expect(await runtime.wait('a')).toMatchObject({ status: 'succeeded', result: 'a' });
    expect(await runtime.wait('c')).toMatchObject({ status: 'succeeded', result: 'c' });
    expect(await runtime.status('b')).toMatchObject({ state: 'running' });
    expect((await runtime.history('b')).length).toBe(0);
    await runtime.close();
  });
});
