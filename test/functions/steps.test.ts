/** Durable functions: steps, results, retries, endings, parallel steps and recorded values. */
import { describe, expect, it } from 'vitest';
import { StepError } from '../../src/core/outcome.ts';
import { workflow } from '../../src/functions/definition.ts';
import { fresh } from './support.ts';

describe('durable functions: steps', () => {
  it('runs each run.step as one step of the run and succeeds with the return value', async () => {
    const calls: string[] = [];
    const wf = workflow(async (run, input: { n: number }) => {
      const a = await run.step('double', async () => {
        calls.push('double');
        return input.n * 2;
      });
      const b = await run.step('label', async (step) => {
        calls.push(`label@${step.stepNumber}`);
        return { text: `n=${a}`, payload: step.payload };
      });
      return { a, b };
    });
    const { runtime } = await fresh({ workflows: { wf } });
    const { runId } = await runtime.submit({ workflow: 'wf', input: { n: 21 } });
    const outcome = await runtime.wait(runId);
    expect(outcome).toMatchObject({ status: 'succeeded', finalStep: 1, result: { a: 42, b: { text: 'n=42', payload: { n: 21 } } } });
    // Each step ran once, in its own job: the step numbers are the call positions.
    expect(calls).toEqual(['double', 'label@1']);
    const history = await runtime.history(runId);
    expect(history.map((h) => [h.stepNumber, h.outcome])).toEqual([
      [0, 'continued'],
      [1, 'succeeded'],
    ]);
  });

  it('succeeds with null when the function returns nothing', async () => {
    const wf = workflow(async (run) => {
      await run.step('noop', async () => undefined);
    });
    const { runtime } = await fresh({ workflows: { wf } });
    const { runId } = await runtime.submit({ workflow: 'wf', input: null });
    expect(await runtime.wait(runId)).toMatchObject({ status: 'succeeded', finalStep: 0 });
    expect((await runtime.status(runId))?.result ?? null).toBe(null);
  });

  it('never calls a completed step again when later steps run', async () => {
    let first = 0;
    let second = 0;
    const wf = workflow(async (run) => {
      const a = await run.step('first', async () => ++first);
      const b = await run.step('second', async () => ++second);
      const c = await run.step('third', async () => a + b);
      return c;
    });
    const { runtime } = await fresh({ workflows: { wf } });
    const { runId } = await runtime.submit({ workflow: 'wf', input: null });
    expect(await runtime.wait(runId)).toMatchObject({ status: 'succeeded', result: 2, finalStep: 2 });
    expect([first, second]).toEqual([1, 1]);
  });

  it('retries a step that throws a transient error and replays none of the steps before it', async () => {
    let before = 0;
    let attempts: number[] = [];
    const wf = workflow(async (run) => {
      await run.step('before', async () => ++before);
      return run.step('flaky', async (step) => {
        attempts.push(step.attempts);
        if (step.attempts < 3) throw StepError.transient('not yet');
        return 'ok';
      });
    });
    const { runtime } = await fresh({ workflows: { wf }, retry: { maxAttempts: 3, baseDelayMs: 0, jitter: 0 } });
    const { runId } = await runtime.submit({ workflow: 'wf', input: null });
    expect(await runtime.wait(runId)).toMatchObject({ status: 'succeeded', result: 'ok', finalStep: 1 });
    expect(before).toBe(1);
    expect(attempts).toEqual([1, 2, 3]);
    expect((await runtime.history(runId)).map((h) => h.outcome)).toEqual(['continued', 'retried', 'retried', 'succeeded']);
    attempts = [];
  });

  it('fails the run when a step throws a permanent error, and when a step runs out of attempts', async () => {
    const permanent = workflow(async (run) => run.step('boom', async () => Promise.reject(StepError.permanent('bad request'))));
    const transient = workflow(async (run) => run.step('flaky', async () => Promise.reject(new Error('down'))));
    const { runtime } = await fresh({ workflows: { permanent, transient }, retry: { maxAttempts: 2, baseDelayMs: 0, jitter: 0 } });
    const a = await runtime.submit({ workflow: 'permanent', input: null });
    const b = await runtime.submit({ workflow: 'transient', input: null });
    expect(await runtime.wait(a.runId)).toMatchObject({ status: 'failed', error: 'bad request' });
    expect(await runtime.wait(b.runId)).toMatchObject({ status: 'failed', error: 'down' });
    expect((await runtime.deadJobs()).map((d) => d.runId).sort()).toEqual([a.runId, b.runId].sort());
  });

  it('ends the run failed or cancelled with the reason given to run.fail or run.cancel, without a dead letter', async () => {
    const wf = workflow(async (run, input: { verdict: 'fail' | 'cancel' | 'ok' }) => {
      const checked = await run.step('check', async () => input.verdict);
      if (checked === 'fail') return run.fail('not approved');
      if (checked === 'cancel') return run.cancel('withdrawn');
      return 'fine';
    });
    const { runtime } = await fresh({ workflows: { wf } });
    const f = await runtime.submit({ workflow: 'wf', input: { verdict: 'fail' } });
    const c = await runtime.submit({ workflow: 'wf', input: { verdict: 'cancel' } });
    const o = await runtime.submit({ workflow: 'wf', input: { verdict: 'ok' } });
    expect(await runtime.wait(f.runId)).toMatchObject({ status: 'failed', error: 'not approved', finalStep: 0 });
    expect(await runtime.wait(c.runId)).toMatchObject({ status: 'cancelled', error: 'withdrawn', finalStep: 0 });
    expect(await runtime.wait(o.runId)).toMatchObject({ status: 'succeeded', result: 'fine' });
    expect(await runtime.deadJobs()).toEqual([]);
  });

  it('runs parallel steps one after another in call order, each its own step', async () => {
    const order: string[] = [];
    const wf = workflow(async (run) => {
      const [a, b, c] = await Promise.all([
        run.step('a', async () => (order.push('a'), 'A')),
        run.step('b', async () => (order.push('b'), 'B')),
        run.step('c', async () => (order.push('c'), 'C')),
      ]);
      const d = await run.step('d', async () => (order.push('d'), a + b + c));
      return d;
    });
    const { runtime } = await fresh({ workflows: { wf } });
    const { runId } = await runtime.submit({ workflow: 'wf', input: null });
    expect(await runtime.wait(runId)).toMatchObject({ status: 'succeeded', result: 'ABC', finalStep: 3 });
    expect(order).toEqual(['a', 'b', 'c', 'd']);
  });

  it('hands out the same run.now() and run.random() values on every execution of the run', async () => {
    const seen: [number, number][] = [];
    const wf = workflow(async (run) => {
      const t = run.now();
      const r = run.random();
      seen.push([t, r]);
      await run.step('one', async () => 1);
      await run.step('two', async () => 2);
      return { t, r };
    });
    const f = await fresh({ workflows: { wf } });
    const { runId } = await f.runtime.submit({ workflow: 'wf', input: null });
    const outcome = await f.runtime.wait(runId);
    expect(seen.length).toBeGreaterThanOrEqual(2); // the code before the first step ran again for step 1
    for (const s of seen) expect(s).toEqual(seen[0]);
    expect(outcome.result).toEqual({ t: seen[0]![0], r: seen[0]![1] });
    expect(seen[0]![0]).toBe(f.clock.now());
  });

  it('gives each execution its own copy of a recorded result', async () => {
    const wf = workflow(async (run) => {
      const list = await run.step('list', async () => ({ items: ['a'] }));
      list.items.push('mutated');
      await run.step('next', async () => null);
      return list.items;
    });
    const { runtime } = await fresh({ workflows: { wf } });
    const { runId } = await runtime.submit({ workflow: 'wf', input: null });
    expect(await runtime.wait(runId)).toMatchObject({ status: 'succeeded', result: ['a', 'mutated'] });
  });

  it('fails the run with a permanent error when a step result is not JSON', async () => {
    const wf = workflow(async (run) => run.step('date', async () => new Date(0) as unknown as string));
    const { runtime } = await fresh({ workflows: { wf } });
    const { runId } = await runtime.submit({ workflow: 'wf', input: null });
    const outcome = await runtime.wait(runId);
    expect(outcome.status).toBe('failed');
    expect(outcome.error).toMatch(/InvalidPayload: the result of step "date" is not JSON/);
  });
});
