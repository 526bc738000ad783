/**
 * The per-step memo. Runs in Node (fake-indexeddb) and in real Chromium, so nothing here may use
 * a Node-only API.
 *
 * Upstream builds a bare MemoStore; ours has none: `memoOf(runtime, runId, step)` is the same
 * store a step's `step.memo` writes to, read outside any step, and `clearMemos(runtime, runId)`
 * is upstream's `clearMemosForRun`.
 */
import { describe, expect, it } from 'vitest';
import { isWorkflowError, type WorkflowError } from '../../../src/core/errors.ts';
import type { Json } from '../../../src/core/json.ts';
import { Outcome, StepError } from '../../../src/core/outcome.ts';
import type { MemoRecord } from '../../../src/runtime/records.ts';
import type { Step } from '../../../src/runtime/types.ts';
import { dumpTables } from '../dump.ts';
import { recordingHook, scriptedRunner, waitFor } from '../harness.ts';
import { fresh } from '../lifecycle.ts';
import { clearMemos, memo as memoOf } from '../../../src/inspect.ts';

async function idle() {
  return (await fresh({ start: false })).runtime;
}

describe('Step memo', () => {
  it('reading a key never written returns null', async () => {
    const rt = await idle();
    await expect(memoOf(rt, 'run-1', 0).get('missing')).resolves.toBeUndefined();
  });

  it('put then get round-trips', async () => {
    const rt = await idle();
    const memo = memoOf(rt, 'run-1', 0);
    await memo.put('k', 'hello');
    await expect(memo.get('k')).resolves.toBe('hello');
    // Any JSON value, not only strings.
    await memo.put('obj', { a: [1, 2, { b: null }], c: true });
    await expect(memo.get('obj')).resolves.toEqual({ a: [1, 2, { b: null }], c: true });
  });

  it('put overwrites the prior value', async () => {
    const rt = await idle();
    const memo = memoOf(rt, 'run-1', 0);
    await memo.put('k', 'first');
    await memo.put('k', 'second');
    await expect(memo.get('k')).resolves.toBe('second');
  });

  it('runs are isolated', async () => {
    const rt = await idle();
    await memoOf(rt, 'run-a', 0).put('k', 'value-a');
    await memoOf(rt, 'run-b', 0).put('k', 'value-b');
    await expect(memoOf(rt, 'run-a', 0).get('k')).resolves.toBe('value-a');
    await expect(memoOf(rt, 'run-b', 0).get('k')).resolves.toBe('value-b');
  });

  it('steps are isolated; memo is not a channel between the steps of a run', async () => {
    const rt = await idle();
    await memoOf(rt, 'run-1', 0).put('k', 'step-0');
    await memoOf(rt, 'run-1', 1).put('k', 'step-1');
    await expect(memoOf(rt, 'run-1', 0).get('k')).resolves.toBe('step-0');
    await expect(memoOf(rt, 'run-1', 1).get('k')).resolves.toBe('step-1');

    // In a run: step 1's step.memo does not see what step 0 wrote.
    const seen: (Json | undefined)[] = [];
    const runner = scriptedRunner([
      async (s: Step) => {
        await s.memo.put('k', 'written-by-step-0');
        seen.push(await s.memo.get('k'));
        return Outcome.next('go');
      },
      async (s: Step) => {
        seen.push(await s.memo.get('k'));
        return Outcome.succeed('done');
      },
    ]);
    const { runtime } = await fresh({ workflows: { wf: runner } });
    const { runId } = await runtime.submit({ workflow: 'wf', input: null, runId: 'isolated' });
    await expect(runtime.wait(runId)).resolves.toMatchObject({ status: 'succeeded' });
    expect(seen).toEqual(['written-by-step-0', undefined]);
    await expect(memoOf(runtime, runId, 0).get('k')).resolves.toBe('written-by-step-0');
    await expect(memoOf(runtime, runId, 1).get('k')).resolves.toBeUndefined();
  });

  it('distinct keys map to distinct entries', async () => {
    const rt = await idle();
    const memo = memoOf(rt, 'run-1', 0);
    await memo.put('k1', 'one');
    await memo.put('k2', 'two');
    await expect(memo.get('k1')).resolves.toBe('one');
    await expect(memo.get('k2')).resolves.toBe('two');
  });

  it('any string is a valid key', async () => {
    const rt = await idle();
    const memo = memoOf(rt, 'run-1', 0);
    const keys = ['', 'with/slash', 'with spaces', 'üñíçødé', 'a'.repeat(10_000), 'k:prefix-lookalike', 'c:also'];
    for (const [i, key] of keys.entries()) await memo.put(key, `v${i}`);
    for (const [i, key] of keys.entries()) await expect(memo.get(key)).resolves.toBe(`v${i}`);
  });

  it('an empty value is stored and distinct from absence', async () => {
    const rt = await idle();
    const memo = memoOf(rt, 'run-1', 0);
    await memo.put('k', '');
    await expect(memo.get('k')).resolves.toBe('');
    await memo.put('n', null);
    // A stored null is a value: it reads back as null, while absence reads as undefined.
    await expect(memo.get('n')).resolves.toBeNull();
    await expect(memo.get('absent')).resolves.toBeUndefined();
  });

  it('content-addressed put/get round-trips', async () => {
    const rt = await idle();
    const memo = memoOf(rt, 'run-1', 0);
    await memo.contentPut({ operation: 'draft', payload: 'hello' }, 'value');
    await expect(memo.contentGet({ operation: 'draft', payload: 'hello' })).resolves.toBe('value');
  });

  it('content keys distinguish inputs and are canonical (key order does not matter)', async () => {
    const rt = await idle();
    const memo = memoOf(rt, 'run-1', 0);
    await memo.contentPut({ operation: 'draft', payload: 'hello' }, 'first');
    await expect(memo.contentGet({ operation: 'draft', payload: 'hello' })).resolves.toBe('first');
    await expect(memo.contentGet({ operation: 'review', payload: 'hello' })).resolves.toBeUndefined();
    // Canonical encoding: the same map with its keys in another order is the same input.
    await expect(memo.contentGet({ payload: 'hello', operation: 'draft' })).resolves.toBe('first');
    // Content entries and plain keys live apart.
    await expect(memo.get('draft')).resolves.toBeUndefined();
  });

  it('content entries remain step-scoped', async () => {
    const rt = await idle();
    const input = { operation: 'draft', payload: 'hello' };
    await memoOf(rt, 'run-1', 0).contentPut(input, 'step-0');
    await expect(memoOf(rt, 'run-1', 0).contentGet(input)).resolves.toBe('step-0');
    await expect(memoOf(rt, 'run-1', 1).contentGet(input)).resolves.toBeUndefined();
  });

  it('an unserializable content input fails InvalidPayload, classified permanent, writing nothing', async () => {
    const rt = await idle();
    const memo = memoOf(rt, 'run-1', 0);
    const cyclic: Record<string, unknown> = { a: 1 };
    cyclic['self'] = cyclic;
    const bad: unknown[] = [cyclic, { f: () => 1 }, { n: 10n }, { x: Number.NaN }, { d: new Date(0) }, undefined];
    const before = await dumpTables(rt);
    for (const input of bad) {
      for (const call of [() => memo.contentGet(input as Json), () => memo.contentPut(input as Json, 'v')]) {
        const e = await call().then(
          () => undefined,
          (err: unknown) => err,
        );
        expect(isWorkflowError(e, 'InvalidPayload')).toBe(true);
        expect((e as WorkflowError).isPermanent()).toBe(true);
      }
    }
    // A non-JSON value is refused the same way.
    await expect(memo.put('k', (() => 1) as unknown as Json)).rejects.toMatchObject({ name: 'InvalidPayload' });
    expect(await dumpTables(rt)).toEqual(before);
  });

  it('two runtimes over the same database see the same entries (no cache)', async () => {
    const f = await fresh({ start: false });
    const writer = f.runtime;
    const reader = await f.reopen();
    await expect(memoOf(reader, 'run-1', 0).get('k')).resolves.toBeUndefined();
    await memoOf(writer, 'run-1', 0).put('k', 'shared');
    await expect(memoOf(reader, 'run-1', 0).get('k')).resolves.toBe('shared');
    await memoOf(writer, 'run-1', 0).put('k', 'changed');
    await expect(memoOf(reader, 'run-1', 0).get('k')).resolves.toBe('changed');
  });

  it('memo survives across attempts of the same step', async () => {
    const reads: (Json | null)[] = [];
    const runner = scriptedRunner([
      async (s: Step) => {
        if (s.attempts === 1) {
          await s.memo.put('cached', 'first-attempt-value');
          throw StepError.transient('force a retry');
        }
        const v = (await s.memo.get('cached')) ?? null;
        reads.push(v);
        return Outcome.succeed(v);
      },
    ]);
    const hook = recordingHook();
    const { runtime } = await fresh({ workflows: { wf: runner }, hooks: [hook] });
    const { runId } = await runtime.submit({ workflow: 'wf', input: 'start', maxAttempts: 3 });
    await waitFor(() => hook.outcomes.length === 1, 5000, 'the hook');
    expect(runner.calls.map((s) => s.attempts)).toEqual([1, 2]);
    expect(reads).toEqual(['first-attempt-value']);
    expect(hook.outcomes).toHaveLength(1);
    expect(hook.outcomes[0]).toMatchObject({ runId, status: 'succeeded', result: 'first-attempt-value' });
  });

  it('clearing a run removes its memo and step-output entries', async () => {
    const runner = scriptedRunner([
      async (s: Step) => {
        await s.memo.put('k', 'memo');
        return Outcome.succeed('out');
      },
    ]);
    const { runtime } = await fresh({ workflows: { wf: runner }, stepOutputReplay: true });
    await runtime.submit({ workflow: 'wf', input: 'payload', runId: 'run-1' });
    await runtime.wait('run-1');
    const memosOf = async (runId: string) => ((await dumpTables(runtime)).memos as MemoRecord[]).filter((m) => m.runId === runId);
    // One user entry and one step-output (replay) record.
    expect((await memosOf('run-1')).map((m) => m.key.slice(0, 2)).sort()).toEqual(['k:', 'r:']);
    await expect(clearMemos(runtime, 'run-1')).resolves.toBe(2);
    await expect(memoOf(runtime, 'run-1', 0).get('k')).resolves.toBeUndefined();
    expect(await memosOf('run-1')).toEqual([]);
  });

  it('clearing a run removes only that run', async () => {
    const rt = await idle();
    await memoOf(rt, 'run-a', 0).put('k', 'a-0');
    await memoOf(rt, 'run-a', 1).put('k', 'a-1');
    await memoOf(rt, 'run-b', 0).put('k', 'b-0');
    await expect(clearMemos(rt, 'run-a')).resolves.toBe(2);
    await expect(memoOf(rt, 'run-a', 0).get('k')).resolves.toBeUndefined();
    await expect(memoOf(rt, 'run-a', 1).get('k')).resolves.toBeUndefined();
    await expect(memoOf(rt, 'run-b', 0).get('k')).resolves.toBe('b-0');
  });

  it('clearing a run with no entries returns 0', async () => {
    const rt = await idle();
    await memoOf(rt, 'other', 0).put('k', 'v');
    await expect(clearMemos(rt, 'run-with-no-memos')).resolves.toBe(0);
    await expect(memoOf(rt, 'other', 0).get('k')).resolves.toBe('v');
  });

  it('a run id is not treated as a prefix of another', async () => {
    const rt = await idle();
    await memoOf(rt, 'run', 0).put('k', 'short');
    await memoOf(rt, 'run-suffix', 0).put('k', 'long');
    await memoOf(rt, 'run_', 3).put('k', 'underscore');
    await expect(clearMemos(rt, 'run')).resolves.toBe(1);
    await expect(memoOf(rt, 'run', 0).get('k')).resolves.toBeUndefined();
    await expect(memoOf(rt, 'run-suffix', 0).get('k')).resolves.toBe('long');
    await expect(memoOf(rt, 'run_', 3).get('k')).resolves.toBe('underscore');
  });

  it('step-output records are scoped by the step payload hash', async () => {
    const runner = scriptedRunner([(s: Step) => Outcome.succeed(`out-${String(s.payload)}`)]);
    const { runtime } = await fresh({ workflows: { wf: runner }, stepOutputReplay: true });
    await runtime.submit({ workflow: 'wf', input: 'payload-a', runId: 'run-1' });
    await expect(runtime.wait('run-1')).resolves.toMatchObject({ result: 'out-payload-a' });
    expect(runner.calls).toHaveLength(1);

    // Same run id and step, another payload: no record for it, the runner runs.
    await runtime.submit({ workflow: 'wf', input: 'payload-b', runId: 'run-1' });
    await expect(runtime.wait('run-1')).resolves.toMatchObject({ result: 'out-payload-b' });
    expect(runner.calls).toHaveLength(2);

    // Payload "payload-a" again: its own record is found and replayed.
    await runtime.submit({ workflow: 'wf', input: 'payload-a', runId: 'run-1' });
    await expect(runtime.wait('run-1')).resolves.toMatchObject({ result: 'out-payload-a' });
    expect(runner.calls).toHaveLength(2);
    const last = (await runtime.history('run-1')).at(-1);
    expect(last).toMatchObject({ stepNumber: 0, outcome: 'succeeded', replayed: true });
  });

  it('a re-submitted run id shares the first run\'s memo entries (and replay records)', async () => {
    const seen: (Json | undefined)[] = [];
    const runner = scriptedRunner([
      async (s: Step) => {
        seen.push(await s.memo.get('k'));
        await s.memo.put('k', 'v');
        return Outcome.succeed(`result-of-${String(s.payload)}`);
      },
    ]);
    const { runtime } = await fresh({ workflows: { wf: runner }, stepOutputReplay: true });
    await runtime.submit({ workflow: 'wf', input: 'i1', runId: 'r' });
    await expect(runtime.wait('r')).resolves.toMatchObject({ status: 'succeeded', result: 'result-of-i1' });
    expect(seen).toEqual([undefined]);

    // A new run under the same id (another input, so no replay): step 0 reads the first run's entry.
    await expect(runtime.submit({ workflow: 'wf', input: 'i2', runId: 'r' })).resolves.toEqual({ runId: 'r', newlySubmitted: true });
    await expect(runtime.wait('r')).resolves.toMatchObject({ status: 'succeeded', result: 'result-of-i2' });
    expect(seen).toEqual([undefined, 'v']);

    // The first run's input again: its recorded step-0 outcome is replayed, the runner is not called.
    await runtime.submit({ workflow: 'wf', input: 'i1', runId: 'r' });
    await expect(runtime.wait('r')).resolves.toMatchObject({ status: 'succeeded', result: 'result-of-i1' });
    expect(runner.calls).toHaveLength(2);
  });
});
