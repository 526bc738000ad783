/**
 * Step effects and the app KV (the queue-level KV checks are in test/queue/kv.test.ts).
 *
 * Mapping: `kvGet(key)` → `runtime.kv.get(key)` (`undefined` when absent), `kvPut` →
 * `queueOf(runtime).kv.put`; `KvValueTooLarge` → `PayloadTooLarge` (the cap is `maxPayloadBytes`,
 * measured as UTF-8 JSON). A "lost settlement" is made as in test/runtime/errors.test.ts: a
 * second runtime on the same database recovers the claim while the runner is still running.
 */
import { describe, expect, it } from 'vitest';
import { isWorkflowError } from '../../src/core/errors.ts';
import type { Json } from '../../src/core/json.ts';
import { Outcome, StepError, type StepOutcome } from '../../src/core/outcome.ts';
import type { Runtime } from '../../src/runtime/runtime.ts';
import type { Effects, Step } from '../../src/runtime/types.ts';
import { rejectsWritingNothing } from './dump.ts';
import { recordingHook, scriptedRunner, settle, waitFor } from './harness.ts';
import { fresh } from './lifecycle.ts';
import { queueOf, recoverNow, stats, terminalMarkers } from '../../src/inspect.ts';
import { storeOf } from '../support/internals.ts';

/** Every step stages `app/step-<n> = done`, then returns its scripted outcome (or throws). */
function stagingRunner(script: (StepOutcome | (() => never))[]) {
  return scriptedRunner(
    script.map((o) => (s: Step) => {
      s.effects.put(`app/step-${s.stepNumber}`, 'done');
      return typeof o === 'function' ? o() : o;
    }),
  );
}

/** What a call threw (or undefined). */
function thrown(call: () => unknown): unknown {
  try {
    call();
  } catch (e) {
    return e;
  }
  return undefined;
}

async function drained(rt: Runtime): Promise<void> {
  await waitFor(async () => {
    const s = await stats(rt, 'workflow-steps');
    return s.pending === 0 && s.claimed === 0 && s.scheduled === 0;
  }, 5000, 'the steps queue to drain');
}

describe('Effects and the app KV', () => {
  it('submit-time kvWrites apply only when the submission is new', async () => {
    const { runtime: rt } = await fresh({ start: false });
    await expect(rt.submit({ workflow: 'wf', runId: 'kv-run', input: 'in', kvWrites: { 'app/first': '1' } })).resolves.toEqual({ runId: 'kv-run', newlySubmitted: true });
    await expect(rt.submit({ workflow: 'wf', runId: 'kv-run', input: 'in', kvWrites: { 'app/second': '2' } })).resolves.toEqual({ runId: 'kv-run', newlySubmitted: false });
    await expect(rt.kv.get('app/first')).resolves.toBe('1');
    await expect(rt.kv.get('app/second')).resolves.toBeUndefined();
  });

  it('a reserved key in submit kvWrites is rejected and nothing is written', async () => {
    const { runtime: rt } = await fresh({ start: false });
    const e = await rejectsWritingNothing(rt, () => rt.submit({ workflow: 'wf', input: '', kvWrites: { 'app/ok': 1, 'workflow/x': 'v' } }));
    expect(isWorkflowError(e, 'ReservedKvKey')).toBe(true);
    expect((await stats(rt, 'workflow-steps')).pending).toBe(0);
    await expect(rt.kv.get('app/ok')).resolves.toBeUndefined();
  });

  it('staged effects commit with the step\'s settlement (continue and succeed)', async () => {
    const hook = recordingHook();
    const { runtime: rt } = await fresh({ hooks: [hook], workflows: { wf: stagingRunner([Outcome.next('next'), Outcome.succeed('')]) } });
    await rt.submit({ workflow: 'wf', input: '' });
    await waitFor(() => hook.outcomes.length === 1, 5000, 'the hook');
    expect(hook.outcomes[0]!.status).toBe('succeeded');
    await expect(rt.kv.get('app/step-0')).resolves.toBe('done');
    await expect(rt.kv.get('app/step-1')).resolves.toBe('done');
  });

  it('effects are visible exactly when the settlement commits, not before', async () => {
    const seenInStep1: (Json | undefined)[] = [];
    const runner = scriptedRunner([
      async (s: Step) => {
        s.effects.put('app/a', 'staged');
        seenInStep1.push(await rt.kv.get('app/a')); // staged, not applied
        return Outcome.next('');
      },
      async () => {
        seenInStep1.push(await rt.kv.get('app/a')); // applied with step 0's settlement
        return Outcome.succeed('');
      },
    ]);
    const rt = (await fresh({ workflows: { wf: runner } })).runtime;
    const { runId } = await rt.submit({ workflow: 'wf', input: '' });
    await rt.wait(runId);
    expect(seenInStep1).toEqual([undefined, 'staged']);
  });

  it('staged effects commit when the runner fails the run by verdict', async () => {
    const hook = recordingHook();
    const { runtime: rt } = await fresh({ hooks: [hook], workflows: { wf: stagingRunner([Outcome.fail('denied')]) } });
    await rt.submit({ workflow: 'wf', input: '' });
    await waitFor(() => hook.outcomes.length === 1, 5000, 'the hook');
    expect(hook.outcomes[0]).toMatchObject({ status: 'failed', error: 'denied' });
    await expect(rt.kv.get('app/step-0')).resolves.toBe('done');
    expect((await stats(rt, 'workflow-steps')).dead).toBe(0); // a verdict, not a dead letter
  });

  it('a runner-issued cancel keeps its staged effects', async () => {
    const hook = recordingHook();
    const { runtime: rt } = await fresh({ hooks: [hook], workflows: { wf: stagingRunner([Outcome.cancel('obsolete')]) } });
    await rt.submit({ workflow: 'wf', input: '' });
    await waitFor(() => hook.outcomes.length === 1, 5000, 'the hook');
    expect(hook.outcomes[0]).toMatchObject({ status: 'cancelled', error: 'obsolete' });
    await expect(rt.kv.get('app/step-0')).resolves.toBe('done');
  });

  it('an external cancel discards the overridden outcome\'s effects', async () => {
    let started!: () => void;
    const entered = new Promise<void>((r) => (started = r));
    const runner = scriptedRunner([
      async (s: Step) => {
        s.effects.put('app/override', 'staged');
        started();
        await new Promise<void>((r) => s.signal.addEventListener('abort', () => r(), { once: true }));
        return Outcome.next('');
      },
    ]);
    const hook = recordingHook();
    const { runtime: rt } = await fresh({ hooks: [hook], workflows: { wf: runner } });
    const { runId } = await rt.submit({ workflow: 'wf', input: '' });
    await entered;
    expect(await rt.cancel(runId)).toBe(true);
    await waitFor(() => hook.outcomes.length === 1, 5000, 'the hook');
    expect(hook.outcomes[0]).toMatchObject({ status: 'cancelled' });
    expect(hook.outcomes[0]!.error).toBeUndefined();
    await drained(rt);
    await expect(rt.kv.get('app/override')).resolves.toBeUndefined();
    expect(runner.calls.map((s) => s.stepNumber)).toEqual([0]);
  });

  it('a step error applies no staged effects', async () => {
    const hook = recordingHook();
    const runner = stagingRunner([
      () => {
        throw StepError.permanent('permanent failure');
      },
    ]);
    const { runtime: rt } = await fresh({ hooks: [hook], workflows: { wf: runner } });
    await rt.submit({ workflow: 'wf', input: '' });
    await waitFor(() => hook.outcomes.length === 1, 5000, 'the hook');
    expect(hook.outcomes[0]).toMatchObject({ status: 'failed', error: 'permanent failure' });
    expect((await stats(rt, 'workflow-steps')).dead).toBe(1);
    await expect(rt.kv.get('app/step-0')).resolves.toBeUndefined();
  });

  it('a retried attempt\'s effects are dropped; the successful attempt\'s are applied once', async () => {
    const runner = scriptedRunner([
      (s: Step) => {
        s.effects.put('app/attempt', String(s.attempts));
        s.effects.put(`app/counter-${s.attempts}`, 'x');
        if (s.attempts === 1) throw StepError.transient('flaky');
        return Outcome.succeed('');
      },
    ]);
    const { runtime: rt } = await fresh({ workflows: { wf: runner } });
    const { runId } = await rt.submit({ workflow: 'wf', input: '' });
    await expect(rt.wait(runId)).resolves.toMatchObject({ status: 'succeeded' });
    await expect(rt.kv.get('app/attempt')).resolves.toBe('2');
    await expect(rt.kv.get('app/counter-1')).resolves.toBeUndefined();
    await expect(rt.kv.get('app/counter-2')).resolves.toBe('x');
  });

  it('an always-transient step applies no staged key from any attempt, even the exhausted one', async () => {
    const runner = scriptedRunner([
      (s: Step) => {
        s.effects.put(`app/attempt-${s.attempts}`, 'x');
        throw StepError.transient('always');
      },
    ]);
    const { runtime: rt } = await fresh({ workflows: { wf: runner } });
    const { runId } = await rt.submit({ workflow: 'wf', input: '', maxAttempts: 2 });
    await expect(rt.wait(runId)).resolves.toMatchObject({ status: 'failed', error: 'always' });
    expect(runner.calls).toHaveLength(2);
    expect((await rt.kv.scan('app/')).entries).toEqual([]);
  });

  it('a replayed outcome re-applies the effects recorded with it', async () => {
    let step0Calls = 0;
    const runner = async (s: Step) => {
      if (s.stepNumber > 0) return Outcome.succeed('');
      step0Calls++;
      s.effects.put('app/replayed', 'v');
      s.effects.delete('app/stale');
      if (step0Calls === 1) {
        await recoverNow(b); // b takes the claim away: a's settlement will be lost
        await a.stop({ drain: false });
      }
      return Outcome.next('step1');
    };
    const f = await fresh({ stepOutputReplay: true, workflows: { wf: runner } });
    const a = f.runtime;
    const b = await f.reopen();
    await queueOf(a).kv.put('app/stale', 'old');
    const { runId } = await a.submit({ workflow: 'wf', runId: 'replay-effects', input: '' });
    await waitFor(() => step0Calls === 1, 5000, 'delivery 1');
    await settle(50);
    expect(await a.status(runId)).toMatchObject({ state: 'pending', stepNumber: 0 });
    await expect(a.kv.get('app/replayed')).resolves.toBeUndefined(); // nothing applied yet
    await expect(a.kv.get('app/stale')).resolves.toBe('old');

    await b.start();
    await expect(b.wait(runId)).resolves.toMatchObject({ status: 'succeeded' });
    expect(step0Calls).toBe(1); // replayed, not re-run
    await expect(b.kv.get('app/replayed')).resolves.toBe('v');
    await expect(b.kv.get('app/stale')).resolves.toBeUndefined();
    expect((await b.history(runId)).find((h) => h.stepNumber === 0 && h.outcome === 'continued')).toMatchObject({ replayed: true, attempt: 2 });
  });

  it('staging after the step returned fails with EffectsSealed', async () => {
    let kept: Effects | undefined;
    const runner = scriptedRunner([
      (s: Step) => {
        kept = s.effects;
        return Outcome.succeed('');
      },
    ]);
    const hook = recordingHook();
    const { runtime: rt } = await fresh({ hooks: [hook], workflows: { wf: runner } });
    await rt.submit({ workflow: 'wf', input: '' });
    await waitFor(() => hook.outcomes.length === 1, 5000, 'the hook');
    const e = thrown(() => kept!.put('app/late', 'v'));
    expect(isWorkflowError(e, 'EffectsSealed')).toBe(true);
    expect(isWorkflowError(thrown(() => kept!.delete('app/late')), 'EffectsSealed')).toBe(true);
    await settle();
    await expect(rt.kv.get('app/late')).resolves.toBeUndefined();
  });

  it('a write staged by a late async continuation of the runner is refused too', async () => {
    let late: unknown;
    const runner = scriptedRunner([
      (s: Step) => {
        // Fire-and-forget work that outlives the step.
        void (async () => {
          await new Promise((r) => setTimeout(r, 20));
          late = thrown(() => s.effects.put('app/late', 'v'));
        })();
        return Outcome.succeed('');
      },
    ]);
    const { runtime: rt } = await fresh({ workflows: { wf: runner } });
    const { runId } = await rt.submit({ workflow: 'wf', input: '' });
    await rt.wait(runId);
    await waitFor(() => late !== undefined, 5000, 'the late write');
    expect(isWorkflowError(late, 'EffectsSealed')).toBe(true);
    await expect(rt.kv.get('app/late')).resolves.toBeUndefined();
  });

  it('reserved keys are rejected at staging time', async () => {
    const errors: unknown[] = [];
    const runner = scriptedRunner([
      (s: Step) => {
        errors.push(thrown(() => s.effects.put('workflow/x', 'v')));
        errors.push(thrown(() => s.effects.delete('workflow/x')));
        s.effects.put('app/ok', 'v');
        return Outcome.succeed('');
      },
    ]);
    const { runtime: rt } = await fresh({ workflows: { wf: runner } });
    const { runId } = await rt.submit({ workflow: 'wf', input: '' });
    await expect(rt.wait(runId)).resolves.toMatchObject({ status: 'succeeded' });
    expect(errors.map((e) => (e as Error | undefined)?.name)).toEqual(['ReservedKvKey', 'ReservedKvKey']);
    // The refused calls staged nothing; the rest of the step's effects apply.
    expect((await rt.kv.scan('')).entries).toEqual([{ key: 'app/ok', value: 'v' }]);
  });

  it('oversized values are rejected at staging time; there is no cap on the total', async () => {
    const MAX = 262_144;
    const errors: unknown[] = [];
    const runner = scriptedRunner([
      (s: Step) => {
        errors.push(thrown(() => s.effects.put('k-too-big', 'a'.repeat(MAX - 1)))); // 262 145 bytes as JSON
        errors.push(thrown(() => s.effects.put('k-max', 'a'.repeat(MAX - 2)))); // exactly 262 144
        for (let i = 0; i < 4; i++) s.effects.put(`k-${i}`, 'b'.repeat(200_000)); // 800 KB in all
        return Outcome.succeed('');
      },
    ]);
    const { runtime: rt } = await fresh({ maxPayloadBytes: MAX, workflows: { wf: runner } });
    const { runId } = await rt.submit({ workflow: 'wf', input: '' });
    await expect(rt.wait(runId)).resolves.toMatchObject({ status: 'succeeded' });
    expect((errors[0] as Error).name).toBe('PayloadTooLarge');
    expect(errors[1]).toBeUndefined();
    await expect(rt.kv.get('k-too-big')).resolves.toBeUndefined();
    expect(((await rt.kv.get('k-max')) as string).length).toBe(MAX - 2);
    for (let i = 0; i < 4; i++) expect(((await rt.kv.get(`k-${i}`)) as string).length).toBe(200_000);
  });

  it('a key cannot be staged for both a write and a delete in one step; the same operation twice is allowed', async () => {
    const errors: unknown[] = [];
    const runner = scriptedRunner([
      (s: Step) => {
        s.effects.put('a', 'v');
        errors.push(thrown(() => s.effects.delete('a')));
        s.effects.delete('b');
        errors.push(thrown(() => s.effects.put('b', 'v')));
        s.effects.put('c', 'first');
        s.effects.put('c', 'last');
        s.effects.delete('d');
        s.effects.delete('d');
        return Outcome.succeed('');
      },
    ]);
    const { runtime: rt } = await fresh({ workflows: { wf: runner } });
    const { runId } = await rt.submit({ workflow: 'wf', input: '', kvWrites: { b: 'kept?', d: 'gone' } });
    await expect(rt.wait(runId)).resolves.toMatchObject({ status: 'succeeded' });
    expect(errors.map((e) => (e as Error | undefined)?.name)).toEqual(['ConflictingKvEffect', 'ConflictingKvEffect']);
    await expect(rt.kv.get('a')).resolves.toBe('v');
    await expect(rt.kv.get('b')).resolves.toBeUndefined(); // the delete stands
    await expect(rt.kv.get('c')).resolves.toBe('last');
    await expect(rt.kv.get('d')).resolves.toBeUndefined();
  });

  it('a sealed handle rejects staging through any reference to it', async () => {
    let clone: Effects | undefined;
    let bound: ((k: string, v: Json) => void) | undefined;
    const runner = scriptedRunner([
      (s: Step) => {
        clone = s.effects;
        bound = s.effects.put.bind(s.effects);
        s.effects.put('a', 'v');
        return Outcome.succeed('');
      },
    ]);
    const { runtime: rt } = await fresh({ workflows: { wf: runner } });
    const { runId } = await rt.submit({ workflow: 'wf', input: '' });
    await rt.wait(runId);
    expect((thrown(() => clone!.put('b', 'v')) as Error).name).toBe('EffectsSealed');
    expect((thrown(() => clone!.delete('b')) as Error).name).toBe('EffectsSealed');
    expect((thrown(() => bound!('b', 'v')) as Error).name).toBe('EffectsSealed');
    expect((await rt.kv.scan('')).entries).toEqual([{ key: 'a', value: 'v' }]);
  });

  it('every reference shares one accumulator', async () => {
    const runner = scriptedRunner([
      (s: Step) => {
        const clone = s.effects;
        const { effects: again } = s;
        clone.put('a', 'v');
        again.delete('b');
        // A staged value is a snapshot: mutating the object afterwards changes nothing.
        const obj = { n: 1, list: [1] };
        s.effects.put('obj', obj);
        obj.n = 2;
        obj.list.push(2);
        return Outcome.succeed('');
      },
    ]);
    const { runtime: rt } = await fresh({ workflows: { wf: runner } });
    const { runId } = await rt.submit({ workflow: 'wf', input: '', kvWrites: { b: 'old' } });
    await rt.wait(runId);
    await expect(rt.kv.get('a')).resolves.toBe('v');
    await expect(rt.kv.get('b')).resolves.toBeUndefined();
    await expect(rt.kv.get('obj')).resolves.toEqual({ n: 1, list: [1] });
  });

  it('the runtime keeps its own state out of the app KV; callers cannot write the reserved prefix', async () => {
    const hook = recordingHook('h', (o, e) => e.put(`app/hook/${o.runId}`, o.status));
    const runner = async (s: Step) => {
      if (s.stepNumber === 0) return Outcome.waitForEvent(`key-${s.runId}`, '', { timeoutMs: 1000 });
      if (s.stepNumber === 1) {
        await s.memo.put('m', 1);
        s.effects.put('app/user', s.runId);
        return Outcome.next('');
      }
      if (s.payload === 'fail') throw StepError.permanent('x');
      return Outcome.succeed('');
    };
    const { runtime: rt, clock } = await fresh({ memoRetentionMs: 3600_000, hooks: [hook], workflows: { wf: runner } });
    await rt.sendEvent('buffered-for-nobody', 1);
    const a = await rt.submit({ workflow: 'wf', input: '', runId: 'a', kvWrites: { 'app/submitted': true } });
    await waitFor(async () => (await rt.status(a.runId))?.state === 'waiting', 5000, 'waiting');
    expect(await rt.sendEvent('key-a', 'go')).toBe('delivered');
    await rt.submit({ workflow: 'wf', input: '', runId: 'b' });
    await waitFor(async () => (await rt.status('b'))?.state === 'waiting', 5000, 'waiting');
    clock.advance(1000);
    await waitFor(() => hook.outcomes.length === 2, 5000, 'both runs');
    // The hooks' effects commit with their notifications' acks, just after the calls.
    await waitFor(async () => (await rt.kv.get('app/hook/a')) !== undefined && (await rt.kv.get('app/hook/b')) !== undefined, 5000, 'hook effects');
    // Runs, events, markers, memos and notifications exist, yet the KV holds only caller keys.
    const keys = (await storeOf(rt).read((t) => t.getAllKeys('kv', undefined), ['kv'])) as string[];
    expect(keys.sort()).toEqual(['app/hook/a', 'app/hook/b', 'app/submitted', 'app/user']);
    expect((await terminalMarkers(rt)).length).toBe(2);
    // Callers cannot reach the reserved prefix through any runtime path.
    expect(isWorkflowError(await rt.submit({ workflow: 'wf', input: 1, kvWrites: { 'workflow/runs/a': 'x' } }).catch((e: unknown) => e), 'ReservedKvKey')).toBe(true);
    await expect(rt.kv.scan('workflow/')).resolves.toEqual({ entries: [] });
  });
});
