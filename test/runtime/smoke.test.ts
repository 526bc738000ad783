import { describe, expect, it } from 'vitest';
import { Outcome, StepError } from '../../src/core/outcome.ts';
import { freshRuntime, gatedRunner, recordingHook, scriptedRunner, waitFor } from './harness.ts';
import { stats } from '../../src/inspect.ts';

describe('Runtime (smoke)', () => {
  it('runs a three-step run to success and fires the hook once', async () => {
    const runner = scriptedRunner([Outcome.next('step1'), Outcome.next('step2'), Outcome.succeed('final')]);
    const hook = recordingHook();
    const { runtime } = await freshRuntime({ workflows: { wf: runner }, hooks: [hook] });
    const { runId } = await runtime.submit({ workflow: 'wf', input: 'start' });
    const outcome = await runtime.wait(runId);
    expect(outcome).toMatchObject({ runId, status: 'succeeded', result: 'final', finalStep: 2 });
    expect(runner.calls.map((s) => [s.stepNumber, s.payload])).toEqual([[0, 'start'], [1, 'step1'], [2, 'step2']]);
    await waitFor(() => hook.outcomes.length === 1);
    expect(hook.outcomes[0]).toMatchObject({ status: 'succeeded', result: 'final' });
    await runtime.close();
  });

  it('retries a transient error up to maxAttempts then fails once', async () => {
    const runner = scriptedRunner([() => { throw StepError.transient('flaky'); }]);
    const { runtime } = await freshRuntime({ workflows: { wf: runner } });
    const { runId } = await runtime.submit({ workflow: 'wf', input: 'x', maxAttempts: 3 });
    const outcome = await runtime.wait(runId);
    expect(outcome).toMatchObject({ status: 'failed', error: 'flaky' });
    expect(runner.calls.map((s) => s.attempts)).toEqual([1, 2, 3]);
    expect((await stats(runtime, 'workflow-steps')).dead).toBe(1);
    await runtime.close();
  });

  it('an external cancel overrides a running step', async () => {
    const runner = gatedRunner(() => Outcome.succeed('nope'));
    const { runtime } = await freshRuntime({ workflows: { wf: runner } });
    const { runId } = await runtime.submit({ workflow: 'wf', input: 'x' });
    const step = await runner.entered();
    expect((await runtime.status(runId))?.state).toBe('running');
    expect(await runtime.cancel(runId)).toBe(true);
    expect(step.signal.aborted).toBe(true);
    expect((await runtime.status(runId))?.state).toBe('cancelling');
    runner.release();
    const outcome = await runtime.wait(runId);
    expect(outcome.status).toBe('cancelled');
    expect(outcome.error).toBeUndefined();
    await runtime.close();
  });
});
