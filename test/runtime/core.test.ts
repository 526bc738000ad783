/**
 * `RuntimeCore` on a `QueueCore`: what a worker host needs without the full `Queue` and the
 * test/devtools calls of `Runtime` (issue #6, bundle size). Every other runtime suite runs the
 * same code through `Runtime`; this one checks the lean classes work on their own.
 */
import { describe, expect, it, onTestFinished } from 'vitest';
import { MockClock } from '../../src/core/clock.ts';
import { Outcome, StepError } from '../../src/core/outcome.ts';
import { Queue } from '../../src/queue/queue.ts';
import { QueueCore } from '../../src/queue/queue-core.ts';
import { Runtime } from '../../src/runtime/runtime.ts';
import { RuntimeCore } from '../../src/runtime/runtime-core.ts';
import type { RuntimeOptions } from '../../src/runtime/options.ts';
import { freshStoreOptions } from '../support/idb.ts';
import { T0, recordingHook, scriptedRunner, waitFor } from './harness.ts';

async function openCore(options: Partial<RuntimeOptions>): Promise<RuntimeCore> {
  const runtime = await RuntimeCore.open({
    workflows: { wf: scriptedRunner([Outcome.succeed('done')]) },
    retry: { baseDelayMs: 0, jitter: 0 },
    ...options,
    ...(await freshStoreOptions()),
    clock: new MockClock(T0),
  });
  onTestFinished(() => runtime.close());
  return runtime;
}

describe('RuntimeCore', () => {
  it('runs on a QueueCore, not a full Queue; Runtime runs on a Queue', async () => {
    const core = await openCore({});
    expect(core.queue).toBeInstanceOf(QueueCore);
    expect(core.queue).not.toBeInstanceOf(Queue);
    expect(core).not.toBeInstanceOf(Runtime);
    const full = await Runtime.open({ workflows: { wf: scriptedRunner([Outcome.succeed('done')]) }, ...(await freshStoreOptions()), clock: new MockClock(T0) });
    onTestFinished(() => full.close());
    expect(full).toBeInstanceOf(RuntimeCore);
    expect(full.queue).toBeInstanceOf(Queue);
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
