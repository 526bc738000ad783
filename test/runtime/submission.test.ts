/** Submission and idempotency. */
import { describe, expect, it } from 'vitest';
import { isWorkflowError, type WorkflowError } from '../../src/core/errors.ts';
import { Outcome, StepError } from '../../src/core/outcome.ts';
import type { StepOutcome } from '../../src/core/outcome.ts';
import { Store } from '../../src/store/store.ts';
import type { RunRecord } from '../../src/runtime/records.ts';
import { freshRuntime, gatedRunner, recordingHook, scriptedRunner, settle, waitFor } from './harness.ts';
import { STEPS, jobsIn, jobsOfRun, runRecord } from './peek.ts';
import { queueOf, stats } from '../../src/inspect.ts';

const ULID = /^[0-9A-HJKMNP-TV-Z]{26}$/;

async function rejection(p: Promise<unknown>): Promise<WorkflowError> {
  try {
    await p;
  } catch (e) {
    return e as WorkflowError;
  }
  throw new Error('expected a rejection');
}

describe('Runtime.submit', () => {
  it('a submit without a run id generates a ULID and leaves the run pending at step 0', async () => {
    const runner = scriptedRunner([Outcome.succeed('done')]);
    const hook = recordingHook();
    const { runtime } = await freshRuntime({ start: false, workflows: { wf: runner }, hooks: [hook] });
    const out = await runtime.submit({ workflow: 'wf', input: 'x' });
    expect(out.newlySubmitted).toBe(true);
    expect(out.runId).toMatch(ULID);
    expect(await runtime.status(out.runId)).toMatchObject({ runId: out.runId, state: 'pending', stepNumber: 0, attempts: 0 });
    expect(await stats(runtime, STEPS)).toMatchObject({ pending: 1, claimed: 0, scheduled: 0 });
    expect(runner.calls).toHaveLength(0);

    await runtime.start();
    await waitFor(() => hook.outcomes.length === 1, 5000, 'hook');
    expect(hook.outcomes[0]).toMatchObject({ runId: out.runId, status: 'succeeded', result: 'done' });
    await runtime.close();
  });

  it('re-submitting an active run with the same input is a no-op', async () => {
    const runner = gatedRunner(() => Outcome.succeed('late'));
    const { runtime } = await freshRuntime({ workflows: { wf: runner } });
    expect(await runtime.submit({ workflow: 'wf', runId: 'fixed-id', input: 'x' })).toEqual({ runId: 'fixed-id', newlySubmitted: true });
    await runner.entered();
    expect((await runtime.status('fixed-id'))?.state).toBe('running');

    expect(await runtime.submit({ workflow: 'wf', runId: 'fixed-id', input: 'x' })).toEqual({ runId: 'fixed-id', newlySubmitted: false });
    await settle(30);
    const jobs = await jobsOfRun(runtime, 'fixed-id');
    expect(jobs).toHaveLength(1);
    expect(await stats(runtime, STEPS)).toMatchObject({ pending: 0, claimed: 1, scheduled: 0 });
    expect(runner.calls).toHaveLength(1);
    runner.release();
    await runtime.wait('fixed-id');
    await runtime.close();
  });

  it('re-submitting an active run with a different input fails InputMismatch (permanent) and changes nothing', async () => {
    const runner = gatedRunner(() => Outcome.succeed('late'));
    const { runtime } = await freshRuntime({ workflows: { wf: runner } });
    await runtime.submit({ workflow: 'wf', runId: 'fixed-id', input: 'x' });
    const step = await runner.entered();
    const before = await runRecord(runtime, 'fixed-id');

    const e = await rejection(runtime.submit({ workflow: 'wf', runId: 'fixed-id', input: 'y' }));
    expect(isWorkflowError(e, 'InputMismatch')).toBe(true);
    expect(e.details['runId']).toBe('fixed-id');
    expect(e.isPermanent()).toBe(true);

    expect(await runRecord(runtime, 'fixed-id')).toEqual(before);
    expect(await jobsOfRun(runtime, 'fixed-id')).toHaveLength(1);
    expect((await runtime.status('fixed-id'))?.state).toBe('running');
    runner.release();
    const outcome = await runtime.wait('fixed-id');
    expect(outcome).toMatchObject({ status: 'succeeded', result: 'late' });
    expect(step.payload).toBe('x');
    await runtime.close();
  });

  it('duplicate detection survives a restart: the durable run record answers newlySubmitted false', async () => {
    const fresh = await freshRuntime({ start: false });
    await fresh.runtime.submit({ workflow: 'wf', runId: 'durable-id', input: 'x' });
    await fresh.runtime.close();

    // The record is readable with no runtime at all, straight from the database.
    const store = await Store.open(fresh.db);
    const rec = await store.read((t) => t.get<RunRecord>('runs', 'durable-id'), ['runs']);
    store.close();
    expect(rec).toMatchObject({ runId: 'durable-id', state: 'active', stepNumber: 0, workflow: 'wf' });

    const second = await fresh.reopen();
    expect(await second.submit({ workflow: 'wf', runId: 'durable-id', input: 'x' })).toEqual({ runId: 'durable-id', newlySubmitted: false });
    expect(await jobsIn(second, 'pending')).toHaveLength(1);
    await second.close();
  });

  it('duplicate detection survives a restart: a different input fails InputMismatch', async () => {
    const fresh = await freshRuntime({ start: false });
    await fresh.runtime.submit({ workflow: 'wf', runId: 'durable-id', input: 'x' });
    await fresh.runtime.close();

    const second = await fresh.reopen();
    const e = await rejection(second.submit({ workflow: 'wf', runId: 'durable-id', input: 'y' }));
    expect(isWorkflowError(e, 'InputMismatch')).toBe(true);
    expect(e.details['runId']).toBe('durable-id');
    expect(await jobsIn(second, 'pending')).toHaveLength(1);

    // [D] also after step 0 was claimed (its dedup key released) and the run moved on.
    const runner = gatedRunner(() => Outcome.succeed('ok'));
    const third = await fresh.reopen({ workflows: { wf: runner } });
    await second.close();
    await third.start();
    await runner.entered();
    expect(isWorkflowError(await rejection(third.submit({ workflow: 'wf', runId: 'durable-id', input: 'y' })), 'InputMismatch')).toBe(true);
    expect(await third.submit({ workflow: 'wf', runId: 'durable-id', input: 'x' })).toEqual({ runId: 'durable-id', newlySubmitted: false });
    runner.release();
    await third.wait('durable-id');
    await third.close();
  });

  it('concurrent submits of one run id produce exactly one run', async () => {
    const { runtime } = await freshRuntime({ start: false });
    const same = await Promise.all([runtime.submit({ workflow: 'wf', runId: 'r', input: 'x' }), runtime.submit({ workflow: 'wf', runId: 'r', input: 'x' })]);
    expect(same.map((o) => o.newlySubmitted).sort()).toEqual([false, true]);
    expect(await stats(runtime, STEPS)).toMatchObject({ pending: 1 });

    const mixed = await Promise.allSettled([runtime.submit({ workflow: 'wf', runId: 'r2', input: 'x' }), runtime.submit({ workflow: 'wf', runId: 'r2', input: 'y' })]);
    const ok = mixed.filter((r) => r.status === 'fulfilled');
    const bad = mixed.filter((r) => r.status === 'rejected');
    expect(ok).toHaveLength(1);
    expect((ok[0] as PromiseFulfilledResult<{ newlySubmitted: boolean }>).value.newlySubmitted).toBe(true);
    expect(bad).toHaveLength(1);
    expect(isWorkflowError((bad[0] as PromiseRejectedResult).reason, 'InputMismatch')).toBe(true);
    expect(await stats(runtime, STEPS)).toMatchObject({ pending: 2 });
    await runtime.close();
  });

  it('submits of distinct runs do not serialise, and keep no per-run state in memory', async () => {
    const fresh = await freshRuntime({ start: false });
    const { runtime } = fresh;
    const inputs = Array.from({ length: 20 }, (_, i) => `in-${i}`);
    const outs = await Promise.all(inputs.map((input) => runtime.submit({ workflow: 'wf', input })));
    expect(outs.every((o) => o.newlySubmitted)).toBe(true);
    expect(new Set(outs.map((o) => o.runId)).size).toBe(20);
    expect(await stats(runtime, STEPS)).toMatchObject({ pending: 20 });
    // Everything idempotency needs is stored: a fresh instance (empty memory) answers the same.
    await runtime.close();
    const other = await fresh.reopen();
    const again = await Promise.all(outs.map((o, i) => other.submit({ workflow: 'wf', runId: o.runId, input: inputs[i]! })));
    expect(again.every((o) => !o.newlySubmitted)).toBe(true);
    expect(await stats(other, STEPS)).toMatchObject({ pending: 20 });
    await other.close();
  });

  it('a run that ended by any path releases its id for re-submission with a new input', async () => {
    const endings: Record<string, () => StepOutcome> = {
      succeed: () => Outcome.succeed('ok'),
      fail: () => Outcome.fail('no'),
      cancel: () => Outcome.cancel('stop'),
      permanent: () => {
        throw StepError.permanent('broken');
      },
      exhausted: () => {
        throw StepError.transient('flaky');
      },
    };
    const expected: Record<string, string> = { succeed: 'succeeded', fail: 'failed', cancel: 'cancelled', permanent: 'failed', exhausted: 'failed' };
    const seen: { runId: string; stepNumber: number; payload: unknown }[] = [];
    const workflows = Object.fromEntries(
      Object.entries(endings).map(([name, end]) => [
        name,
        async (s: { runId: string; stepNumber: number; payload: unknown }) => {
          seen.push({ runId: s.runId, stepNumber: s.stepNumber, payload: s.payload });
          return s.payload === 'second' ? Outcome.succeed('again') : end();
        },
      ]),
    );
    const fresh = await freshRuntime({ workflows });
    const { runtime } = fresh;
    for (const name of Object.keys(endings)) {
      await runtime.submit({ workflow: name, runId: `r-${name}`, input: 'first', maxAttempts: 2 });
      const first = await runtime.wait(`r-${name}`);
      expect(first.status).toBe(expected[name]);
      const again = await runtime.submit({ workflow: name, runId: `r-${name}`, input: 'second' });
      expect(again).toEqual({ runId: `r-${name}`, newlySubmitted: true });
      expect(await runtime.wait(`r-${name}`)).toMatchObject({ status: 'succeeded', result: 'again', finalStep: 0 });
      expect(seen.at(-1)).toEqual({ runId: `r-${name}`, stepNumber: 0, payload: 'second' });
    }
    // An external cancel of a pending run, then a re-submission on a fresh runtime.
    await runtime.stop();
    await runtime.submit({ workflow: 'succeed', runId: 'r-cancelled', input: 'first' });
    expect(await runtime.cancel('r-cancelled')).toBe(true);
    await runtime.close();
    const next = await fresh.reopen();
    expect(await next.submit({ workflow: 'succeed', runId: 'r-cancelled', input: 'second' })).toEqual({ runId: 'r-cancelled', newlySubmitted: true });
    expect(await next.status('r-cancelled')).toMatchObject({ state: 'pending', stepNumber: 0 });
    await next.close();
  });

  it('a submission with an oversized kvWrite writes nothing; a committed one survives a crash', async () => {
    const MAX = 262_144;
    const fresh = await freshRuntime({ start: false, maxPayloadBytes: MAX });
    const { runtime } = fresh;
    const big = 'a'.repeat(MAX - 1); // JSON adds two quotes: 262 145 bytes
    const e = await rejection(runtime.submit({ workflow: 'wf', runId: 'r', input: 'x', kvWrites: { 'app/a': '1', 'app/big': big } }));
    expect(isWorkflowError(e, 'PayloadTooLarge')).toBe(true);
    expect(e.details).toMatchObject({ bytes: MAX + 1, maxBytes: MAX });
    expect(await stats(runtime, STEPS)).toMatchObject({ pending: 0, scheduled: 0, claimed: 0 });
    expect(await runtime.kv.get('app/a')).toBeUndefined();
    expect(await runRecord(runtime, 'r')).toBeUndefined();
    expect(await runtime.submit({ workflow: 'wf', runId: 'r', input: 'x' })).toEqual({ runId: 'r', newlySubmitted: true });

    // A standalone write and a write coupled to a submission, then a crash (no close).
    await queueOf(runtime).kv.put('app/standalone', 'v1');
    await runtime.submit({ workflow: 'wf', runId: 'r2', input: 'y', kvWrites: { 'app/coupled': 'v2' } });
    const after = await fresh.reopen();
    expect(await after.kv.get('app/standalone')).toBe('v1');
    expect(await after.kv.get('app/coupled')).toBe('v2');
    expect(await after.status('r2')).toMatchObject({ state: 'pending', stepNumber: 0 });
    expect(await stats(after, STEPS)).toMatchObject({ pending: 2 });
    await after.close();
  });
});
