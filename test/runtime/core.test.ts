/**
 * The one `Runtime`, as a worker host opens it (no inspection calls), and its seam to the
 * inspection functions of `stepwise/inspect`: the standalone `Queue` API on a runtime's own
 * queue is that same queue (owner, events, recovery hooks), not a second one.
 */
import { describe, expect, it, onTestFinished } from 'vitest';
import { MockClock } from '../../src/core/clock.ts';
import { Outcome, StepError } from '../../src/core/outcome.ts';
import { queueOf, recoverNow, stats } from '../../src/inspect.ts';
import { Queue } from '../../src/queue/queue.ts';
import { Runtime } from '../../src/runtime/runtime.ts';
import type { RuntimeOptions } from '../../src/runtime/options.ts';
import { freshStoreOptions } from '../support/idb.ts';
import { T0, recordingHook, scriptedRunner, waitFor } from './harness.ts';

async function openCore(options: Partial<RuntimeOptions>): Promise<Runtime> {
  const runtime = await Runtime.open({
    workflows: { wf: scriptedRunner([Outcome.succeed('done')]) },
    retry: { baseDelayMs: 0, jitter: 0 },
    ...options,
    ...(await freshStoreOptions()),
    clock: new MockClock(T0),
  });
  onTestFinished(() => runtime.close());
  return runtime;
}

describe('Runtime', () => {
  it('hands out its own queue through queueOf: same owner, and a job that queue dead-letters ends its run', async () => {
    const clock = new MockClock(T0);
    const runtime = await Runtime.open({
      workflows: { wf: scriptedRunner([Outcome.succeed('done')]) },
      retry: { maxAttempts: 1, baseDelayMs: 0, jitter: 0 },
      leaseMs: 1000,
      ...(await freshStoreOptions()),
      clock,
    });
    onTestFinished(() => runtime.close());
    const q = queueOf(runtime);
    expect(q).toBeInstanceOf(Queue);
    expect(queueOf(runtime)).toBe(q);
    expect(q.owner).toBe(runtime.owner);
    const { runId } = await runtime.submit({ workflow: 'wf', input: 'x' });
    expect(await q.claim('workflow-steps')).toBeDefined();
    clock.advance(1000);
    expect((await q.reap()).deadLettered).toHaveLength(1);
    expect(await runtime.status(runId)).toMatchObject({ state: 'failed', error: 'lease expired' });
    expect(await stats(runtime, 'workflow-steps')).toMatchObject({ claimed: 0, dead: 1 });
    await recoverNow(runtime); // nothing left to recover: changes nothing
    expect(await stats(q, 'workflow-steps')).toMatchObject({ claimed: 0, dead: 1 });
  });

  it('refuses a target that is neither a Runtime nor a Queue', async () => {
    await expect(stats({} as Runtime, 'workflow-steps')).rejects.toMatchObject({ name: 'InvalidArgument' });
    await expect(recoverNow({} as Runtime)).rejects.toMatchObject({ name: 'InvalidArgument' });
  });

  it('runs a run to success and notifies a hook', async () => {
    const runner = scriptedRunner([Outcome.next('one'), Outcome.succeed('final')]);
    const hook = recordingHook();
    const runtime = await openCore({ workflows: { wf: runner }, hooks: [hook] });
    await runtime.start();
    const { runId } = await runtime.submit({ workflow: 'wf', input: 'start' });
    expect(await runtime.wait(runId)).toMatchObject({ status: 'succeeded', result: 'final', finalStep: 1 });
    await waitFor(() => hook.outcomes.length === 1);
    expect(hook.outcomes[0]).toMatchObject({ runId, status: 'succeeded' });
  });

  it('retries a hook that throws a transient error and dead-letters one that throws a permanent one', async () => {
    let calls = 0;
    const flaky = {
      name: 'flaky',
      onTerminal: async () => {
        calls++;
        if (calls === 1) throw StepError.transient('try again');
      },
    };
    const broken = {
      name: 'broken',
      onTerminal: async () => {
        throw StepError.permanent('never');
      },
    };
    const runtime = await openCore({ hooks: [flaky, broken] });
    await runtime.start();
    const { runId } = await runtime.submit({ workflow: 'wf', input: 'x' });
    await runtime.wait(runId);
    await waitFor(async () => calls === 2 && (await runtime.deadJobs()).length === 1);
    expect(await runtime.deadJobs()).toMatchObject([{ kind: 'notification', hook: 'broken', runId, lastError: 'never' }]);
  });
});
