/**
 * Durable functions on real IndexedDB: runs in Chromium (and in Node on fake-indexeddb). A
 * function run through a crash in the middle of a step and a restart, its input schema, and the
 * reads its replays cost.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { z } from 'zod';
import { isWorkflowError } from '../../../src/core/errors.ts';
import { workflow } from '../../../src/functions/definition.ts';
import { inBrowser } from '../../support/idb.ts';
import { countMemoReads, countMemoReadsFake, fresh, gate } from '../support.ts';

let counter: ReturnType<typeof countMemoReads> | undefined;
afterEach(() => {
  counter?.restore();
  counter = undefined;
});

describe('durable functions on IndexedDB', { timeout: 60_000 }, () => {
  it('finishes a function run after a crash in the middle of a step, without running the steps before it again', async () => {
    let planned = 0;
    const drafting = gate('first draft');
    const wf = workflow({ input: z.object({ topic: z.string() }) }, async (run, input) => {
      const plan = await run.step('plan', async () => (planned++, [`intro to ${input.topic}`, 'details']));
      const draft = await run.step('draft', async (step) => (step.attempts === 1 ? drafting.fn() : `draft of ${plan.join(' + ')}`));
      await run.sleep('cool-down', 1000);
      return { plan, draft };
    });
    const f = await fresh({ workflows: { wf } });
    const { runId } = await f.runtime.submit({ workflow: 'wf', input: { topic: 'tides' } });
    await drafting.entered;
    await f.runtime.stop({ drain: false });
    const next = await f.reopen();
    await next.start();
    await expect.poll(async () => (await next.status(runId))?.state, { timeout: 10_000 }).toBe('scheduled');
    f.clock.advance(1000);
    expect(await next.wait(runId)).toMatchObject({
      status: 'succeeded',
      result: { plan: ['intro to tides', 'details'], draft: 'draft of intro to tides + details' },
      finalStep: 3, // the code after the sleep runs in the step after it
    });
    expect(planned).toBe(1);
    drafting.release();
  });

  it('rejects an input its schema refuses with InvalidInput, storing nothing', async () => {
    const wf = workflow({ input: z.object({ topic: z.string() }) }, async (_run, input) => input.topic);
    const { runtime } = await fresh({ workflows: { wf } });
    const error = await runtime.submit({ workflow: 'wf', input: { topic: 7 } }).catch((e: unknown) => e);
    expect(isWorkflowError(error, 'InvalidInput')).toBe(true);
    expect((await runtime.list()).runs).toEqual([]);
  });

  it('reads no journal record while one worker runs a 50-step function', async () => {
    const N = 50;
    const wf = workflow(async (run) => {
      let sum = 0;
      for (let i = 0; i < N; i++) sum += await run.step(`s${i}`, async () => i);
      return sum;
    });
    const { runtime } = await fresh({ workflows: { wf } });
    counter = inBrowser ? countMemoReads() : await countMemoReadsFake();
    const { runId } = await runtime.submit({ workflow: 'wf', input: null });
    expect(await runtime.wait(runId)).toMatchObject({ status: 'succeeded', result: (N * (N - 1)) / 2 });
    expect(counter.records).toBe(0);
    expect(counter.calls).toBe(N + 2);
  });
});
