/**
 * Validation of bad input (run ids, reserved headers, error permanence, malformed step jobs; the
 * queue-level checks of payload sizes, job ids, queue error permanence and queue names are in
 * test/queue), then every name of the closed `WorkflowErrorName` set that the runtime API can
 * raise, each reached through the API and checked to have written nothing (a dump of every
 * table before and after), then runners that misbehave: throw a string, return garbage, or
 * never settle.
 *
 * Names: `ReservedHeaderInSubmit` → `ReservedHeader`, `Serialization` → `InvalidPayload`,
 * `KvValueTooLarge` → `PayloadTooLarge`. `QuotaExceeded` (a full disk) is not reached here.
 */
import { describe, expect, it, vi } from 'vitest';
import { WorkflowError, isWorkflowError, type WorkflowErrorName } from '../../src/core/errors.ts';
import type { Json } from '../../src/core/json.ts';
import { Outcome, StepError, type StepOutcome } from '../../src/core/outcome.ts';
import type { RunOutcome } from '../../src/core/types.ts';
import { Runtime } from '../../src/runtime/runtime.ts';
import type { Step } from '../../src/runtime/types.ts';
import { freshStoreOptions } from '../support/idb.ts';
import { dumpTables, rejectsWritingNothing } from './dump.ts';
import { deferred, gatedRunner, recordingHook, scriptedRunner, settle, waitFor } from './harness.ts';
import { fresh } from './lifecycle.ts';
import { getJob, memo, queueOf, recoverNow, stats, sweepNow } from '../../src/inspect.ts';
import { storeOf } from '../support/internals.ts';

const STEPS = 'workflow-steps';

/** Asserts `e` is a WorkflowError named `name` with the given permanence; returns it. */
function expectError(e: unknown, name: WorkflowErrorName, permanent = true): WorkflowError {
  expect(isWorkflowError(e, name), `expected ${name}, got ${String((e as Error | undefined)?.name)}: ${String((e as Error | undefined)?.message)}`).toBe(true);
  const err = e as WorkflowError;
  expect(err.isPermanent()).toBe(permanent);
  return err;
}

/** Submits through `rt` and expects `name`, with nothing written. */
async function submitFails(rt: Runtime, spec: unknown, name: WorkflowErrorName): Promise<WorkflowError> {
  return expectError(await rejectsWritingNothing(rt, () => rt.submit(spec as Parameters<Runtime['submit']>[0])), name);
}

async function idle(options: Parameters<typeof fresh>[0] = {}): Promise<Runtime> {
  const f = await fresh({ start: false, ...options });
  // Something to be unchanged: an existing run, a KV key, a buffered event.
  await f.runtime.submit({ workflow: 'wf', runId: 'existing', input: 'in', kvWrites: { 'app/k': 1 } });
  await f.runtime.sendEvent('some-key', 'buffered');
  return f.runtime;
}

function thrown(call: () => unknown): unknown {
  try {
    call();
  } catch (e) {
    return e;
  }
  return undefined;
}

describe('Validation of bad input', () => {
  it('caller-supplied run ids must be 1-128 characters of [A-Za-z0-9_-]; nothing is written', async () => {
    const rt = await idle();
    const cases: [string, RegExp][] = [
      ['', /must not be empty/],
      ['run/1', /\[A-Za-z0-9_-\]/],
      ['run 1', /\[A-Za-z0-9_-\]/],
      ['run:1', /\[A-Za-z0-9_-\]/],
      ['ünï', /\[A-Za-z0-9_-\]/],
      ['a'.repeat(129), /maximum length of 128/],
    ];
    for (const [runId, reason] of cases) {
      const e = await submitFails(rt, { workflow: 'wf', runId, input: 'x' }, 'InvalidRunId');
      expect(e.message).toMatch(reason);
      expect(e.details['problem']).toMatch(reason);
      expect(e.details['runId']).toBeDefined();
    }
    await submitFails(rt, { workflow: 'wf', runId: 42, input: 'x' }, 'InvalidRunId');
    await expect(rt.submit({ workflow: 'wf', runId: 'a'.repeat(128), input: 'x' })).resolves.toEqual({ runId: 'a'.repeat(128), newlySubmitted: true });
    await expect(rt.submit({ workflow: 'wf', runId: 'A-z_09', input: 'x' })).resolves.toMatchObject({ newlySubmitted: true });
    // Generated ids follow the same grammar.
    const { runId } = await rt.submit({ workflow: 'wf', input: 'gen' });
    expect(runId).toMatch(/^[0-9A-Z]{26}$/);
    // Every API taking a run id checks it the same way.
    for (const call of [() => rt.status('run/1'), () => rt.cancel('run 1'), () => rt.wait(''), () => rt.history('a'.repeat(129))]) {
      expectError(await rejectsWritingNothing(rt, call), 'InvalidRunId');
    }
    expectError(thrown(() => memo(rt, 'run:1', 0)), 'InvalidRunId');
  });

  it('user headers must not use the reserved `workflow.` prefix; nothing is written', async () => {
    const rt = await idle();
    const e = await submitFails(rt, { workflow: 'wf', input: 'x', headers: { 'workflow.run_id': 'evil' } }, 'ReservedHeader');
    expect(e.details['header']).toBe('workflow.run_id');
    expect(e.message).toContain('workflow.run_id');
    expect((await stats(rt, STEPS)).pending).toBe(1); // only the existing run
  });

  it('the reserved-header rule is an exact, case-sensitive prefix match on the key', async () => {
    const rt = await idle();
    for (const key of ['workflow.x', 'workflow.']) await submitFails(rt, { workflow: 'wf', input: 'x', headers: { ok: '1', [key]: 'v' } }, 'ReservedHeader');

    const accepted = { 'Workflow.x': 'a', workflowx: 'b', 'x.workflow.y': 'c', callback_url: 'https://example.com/done', values: 'workflow.anything' };
    const seen: Step['headers'][] = [];
    const hook = recordingHook();
    const { runtime } = await fresh({
      hooks: [hook],
      workflows: {
        wf: scriptedRunner([
          (s: Step) => {
            seen.push(s.headers);
            return s.stepNumber === 0 ? Outcome.next('') : Outcome.succeed('');
          },
        ]),
      },
    });
    const { runId } = await runtime.submit({ workflow: 'wf', input: 'x', headers: accepted });
    await waitFor(() => hook.outcomes.length === 1, 5000, 'the hook');
    expect(seen).toEqual([accepted, accepted]);
    expect(hook.outcomes[0]!.headers).toEqual(accepted);
    expect((await runtime.status(runId))?.headers).toEqual(accepted);
  });

  it('error permanence: input and state errors are permanent, storage errors transient', async () => {
    // Raised by the runtime API (the tests below reach each one and check it wrote nothing).
    const permanent: WorkflowErrorName[] = [
      'InvalidRunId', 'InputMismatch', 'ReservedHeader', 'ReservedKvKey', 'InvalidPayload', 'PayloadTooLarge', 'UnknownWorkflow',
      'RunTerminal', 'EventWaiterExists', 'ConflictingKvEffect', 'EffectsSealed', 'ClaimLost', 'InvalidArgument', 'RunNotFound', 'CancelRequested',
    ];
    for (const n of permanent) expect(new WorkflowError(n, 'x').isPermanent(), n).toBe(true);
    for (const n of ['StoreClosed', 'StoreError', 'QuotaExceeded', 'Timeout'] as const) expect(new WorkflowError(n, 'x').isPermanent(), n).toBe(false);
  });

  it('a permanent error escaping a runner dead-letters the step at once; a storage error is retried', async () => {
    let failWrites = false;
    const runner = scriptedRunner([
      async (s: Step) => {
        if (s.payload === 'serialization') await s.memo.contentPut({ f: (() => 1) as unknown as Json }, 'v'); // InvalidPayload escapes
        if (s.payload === 'storage' && s.attempts === 1) {
          failWrites = true;
          try {
            await s.memo.put('k', 'v'); // the write fails with StoreError and escapes
          } finally {
            failWrites = false;
          }
        }
        return Outcome.succeed(s.attempts);
      },
    ]);
    const rt = (await fresh({ workflows: { wf: runner } })).runtime;
    const store = storeOf(rt);
    const orig = store.write.bind(store);
    vi.spyOn(store, 'write').mockImplementation((body, options) => (failWrites ? Promise.reject(new WorkflowError('StoreError', 'disk on fire')) : orig(body, options)));
    const a = await rt.submit({ workflow: 'wf', input: 'serialization', maxAttempts: 3 });
    await expect(rt.wait(a.runId)).resolves.toMatchObject({ status: 'failed', error: expect.stringMatching(/not JSON/) as string });
    expect(runner.calls.filter((s) => s.runId === a.runId)).toHaveLength(1);
    const b = await rt.submit({ workflow: 'wf', input: 'storage', maxAttempts: 3 });
    await expect(rt.wait(b.runId)).resolves.toMatchObject({ status: 'succeeded', result: 2 });
    expect((await rt.history(b.runId)).map((h) => [h.attempt, h.outcome, h.error])).toEqual([
      [1, 'retried', 'disk on fire'],
      [2, 'succeeded', undefined],
    ]);
  });

  it('a malformed step job is dead-lettered without calling the runner; no hook fires', async () => {
    const runner = scriptedRunner([Outcome.succeed('')]);
    const hook = recordingHook();
    const { runtime: rt } = await fresh({ start: false, hooks: [hook], workflows: { wf: runner } });
    const noRunId = await queueOf(rt).enqueue(STEPS, 'x', { headers: { 'workflow.step': '0', 'workflow.workflow': 'wf' } });
    const badStep = await queueOf(rt).enqueue(STEPS, 'x', { headers: { 'workflow.run_id': 'r1', 'workflow.step': 'not-a-u32', 'workflow.workflow': 'wf' } });
    const badRunId = await queueOf(rt).enqueue(STEPS, 'x', { headers: { 'workflow.run_id': 'bad id', 'workflow.step': '0' } });
    const badNotification = await queueOf(rt).enqueue(STEPS, 'garbage', { headers: { 'workflow.terminal': 'recorder', 'workflow.run_id': 'r2' } });
    const unknownHook = await queueOf(rt).enqueue(STEPS, { runId: 'r3', workflow: 'wf', status: 'succeeded', headers: {}, finalStep: 0 }, { headers: { 'workflow.terminal': 'nobody' } });
    await rt.start();
    await waitFor(async () => (await stats(rt, STEPS)).dead === 4, 5000, 'four dead jobs');
    await settle();
    expect(runner.calls).toEqual([]);
    expect(hook.outcomes).toEqual([]);
    const dead = new Map((await rt.deadJobs()).map((d) => [d.jobId, d]));
    expect(dead.get(noRunId.id)).toMatchObject({ attempts: 1, lastError: expect.stringContaining('workflow.run_id') as string });
    expect(dead.get(badStep.id)).toMatchObject({ attempts: 1, lastError: expect.stringContaining('workflow.step') as string });
    expect(dead.get(badRunId.id)).toMatchObject({ attempts: 1, lastError: expect.stringContaining('workflow.run_id') as string });
    expect(dead.get(badNotification.id)).toMatchObject({ kind: 'notification', attempts: 1, lastError: expect.stringContaining('not a run outcome') as string });
    // A hook this runtime does not register may be another build's (a deploy): put back unspent, not dead (docs/deploys.md).
    expect(dead.has(unknownHook.id)).toBe(false);
    await waitFor(async () => (await getJob(rt, unknownHook.id))?.state === 'scheduled', 5000, 'the unknown hook\'s notification to be put back');
    expect(await getJob(rt, unknownHook.id)).toMatchObject({ attempts: 0, lastError: null });
    // No run was created or ended by them.
    expect((await rt.list()).runs).toEqual([]);
  });
});

describe('Every error the runtime API raises writes nothing', () => {
  it('InvalidRunId (a malformed run id) and ReservedHeader (a `workflow.` header) on every submit path', async () => {
    const rt = await idle();
    await submitFails(rt, { workflow: 'wf', runId: 'x'.repeat(200), input: 1, headers: { 'workflow.a': 'b' } }, 'InvalidRunId');
    await submitFails(rt, { workflow: 'wf', input: 1, headers: { 'workflow.a': 'b' }, kvWrites: { a: 1 } }, 'ReservedHeader');
  });

  it('InputMismatch: the same run id with another input, while the run is active', async () => {
    const rt = await idle();
    const e = await submitFails(rt, { workflow: 'wf', runId: 'existing', input: 'other', kvWrites: { 'app/new': 1 } }, 'InputMismatch');
    expect(e.details['runId']).toBe('existing');
    // Canonical input hash: the same input with keys reordered is not a mismatch.
    await rt.submit({ workflow: 'wf', runId: 'obj', input: { a: 1, b: [1, { c: 2, d: 3 }] } });
    await expect(rt.submit({ workflow: 'wf', runId: 'obj', input: { b: [1, { d: 3, c: 2 }], a: 1 } })).resolves.toEqual({ runId: 'obj', newlySubmitted: false });
  });

  it('ReservedKvKey: submit kvWrites under `workflow/`', async () => {
    const rt = await idle();
    const e = await submitFails(rt, { workflow: 'wf', input: 1, kvWrites: { 'app/ok': 1, 'workflow/runs/x': 2 } }, 'ReservedKvKey');
    expect(e.details['key']).toBe('workflow/runs/x');
  });

  it('InvalidPayload: a submit input, a kv value or an event payload that is not JSON', async () => {
    const rt = await idle();
    const cyclic: Record<string, unknown> = {};
    cyclic['me'] = cyclic;
    const bad: unknown[] = [undefined, Number.NaN, Infinity, () => 1, 10n, Symbol('s'), new Date(0), new Map(), cyclic, [1, undefined], { a: undefined }, new Uint8Array(2)];
    for (const input of bad) await submitFails(rt, { workflow: 'wf', input }, 'InvalidPayload');
    await submitFails(rt, { workflow: 'wf' }, 'InvalidPayload'); // no input at all
    await submitFails(rt, { workflow: 'wf', input: 1, kvWrites: { 'app/x': () => 1 } }, 'InvalidPayload');
    for (const payload of bad) expectError(await rejectsWritingNothing(rt, () => rt.sendEvent('some-key', payload as Json)), 'InvalidPayload');
  });

  it('PayloadTooLarge: input, kv value, headers, event payload above the cap', async () => {
    const rt = await idle({ maxPayloadBytes: 1000 });
    const e = await submitFails(rt, { workflow: 'wf', input: 'x'.repeat(999) }, 'PayloadTooLarge'); // 1001 bytes as JSON
    expect(e.details).toMatchObject({ bytes: 1001, maxBytes: 1000 });
    await expect(rt.submit({ workflow: 'wf', input: 'x'.repeat(998) })).resolves.toMatchObject({ newlySubmitted: true }); // exactly 1000
    await submitFails(rt, { workflow: 'wf', input: 'é'.repeat(500) }, 'PayloadTooLarge'); // 500 chars, 1002 UTF-8 bytes
    await submitFails(rt, { workflow: 'wf', input: 1, kvWrites: { 'app/big': 'x'.repeat(2000) } }, 'PayloadTooLarge');
    await submitFails(rt, { workflow: 'wf', input: 1, headers: { big: 'h'.repeat(20_000) } }, 'PayloadTooLarge');
    expectError(await rejectsWritingNothing(rt, () => rt.sendEvent('some-key', 'x'.repeat(5000))), 'PayloadTooLarge');
  });

  it('UnknownWorkflow: a workflow no runner is registered for', async () => {
    const rt = await idle();
    const e = await submitFails(rt, { workflow: 'nope', input: 1 }, 'UnknownWorkflow');
    expect(e.details['workflow']).toBe('nope');
    await submitFails(rt, { workflow: 'toString', input: 1 }, 'UnknownWorkflow'); // not an inherited property either
  });

  it('RunTerminal: requeueing the dead step job of a run that has ended', async () => {
    const hook = recordingHook();
    const runner = scriptedRunner([
      () => {
        throw StepError.permanent('broken');
      },
    ]);
    const { runtime: rt } = await fresh({ hooks: [hook], workflows: { wf: runner } });
    const { runId } = await rt.submit({ workflow: 'wf', input: 1 });
    await waitFor(() => hook.outcomes.length === 1, 5000, 'the hook');
    await rt.stop();
    const [dead] = await rt.deadJobs();
    expect(dead).toMatchObject({ kind: 'step', runId });
    const e = expectError(await rejectsWritingNothing(rt, () => rt.requeueDead(dead!.jobId)), 'RunTerminal');
    expect(e.details['jobId']).toBe(dead!.jobId);
    // Nor for an unknown job (JobNotFound, queue-level).
    expectError(await rejectsWritingNothing(rt, () => rt.requeueDead('no-such-job')), 'JobNotFound');
    expect(hook.outcomes).toHaveLength(1);
  });

  it('EventWaiterExists: a second waiter fails its own run; the first registration is untouched', async () => {
    const hook = recordingHook();
    const runner = async (s: Step) => (s.stepNumber === 0 ? Outcome.waitForEvent('shared', '') : Outcome.succeed(''));
    const { runtime: rt } = await fresh({ hooks: [hook], workflows: { wf: runner } });
    await rt.submit({ workflow: 'wf', runId: 'first', input: 1 });
    await waitFor(async () => (await rt.status('first'))?.state === 'waiting', 5000, 'first waiting');
    const events = (await dumpTables(rt)).events;
    await rt.submit({ workflow: 'wf', runId: 'second', input: 1 });
    await waitFor(() => hook.outcomes.length === 1, 5000, 'the second run to fail');
    // Not thrown to a caller: it ends the offending run (its step is dead-lettered).
    expect(hook.outcomes[0]).toMatchObject({ runId: 'second', status: 'failed' });
    expect(hook.outcomes[0]!.error).toMatch(/already registered/);
    expect((await dumpTables(rt)).events).toEqual(events);
  });

  it('ConflictingKvEffect and EffectsSealed: the refused staging call changes nothing', async () => {
    let kept: Step['effects'] | undefined;
    const errors: unknown[] = [];
    const runner = scriptedRunner([
      (s: Step) => {
        kept = s.effects;
        s.effects.put('app/a', 1);
        errors.push(thrown(() => s.effects.delete('app/a')));
        s.effects.delete('app/b');
        errors.push(thrown(() => s.effects.put('app/b', 2)));
        return Outcome.succeed('');
      },
    ]);
    const { runtime: rt } = await fresh({ workflows: { wf: runner } });
    const { runId } = await rt.submit({ workflow: 'wf', input: 1, kvWrites: { 'app/a': 0, 'app/b': 0 } });
    await rt.wait(runId);
    expectError(errors[0], 'ConflictingKvEffect');
    expectError(errors[1], 'ConflictingKvEffect');
    expect((await rt.kv.scan('app/')).entries).toEqual([{ key: 'app/a', value: 1 }]);
    const before = await dumpTables(rt);
    expectError(thrown(() => kept!.put('app/late', 1)), 'EffectsSealed');
    expectError(thrown(() => kept!.delete('app/a')), 'EffectsSealed');
    await settle();
    expect(await dumpTables(rt)).toEqual(before);
  });

  it('ClaimLost: extending the lease of a delivery that lost its claim', async () => {
    const runner = gatedRunner(() => Outcome.succeed(''));
    const { runtime: rt, clock } = await fresh({ leaseMs: 1000, reapIntervalMs: 60_000, workflows: { wf: runner } });
    await rt.submit({ workflow: 'wf', input: 1 });
    const step = await runner.entered();
    clock.advance(1000); // the lease runs out: the step is told, and abandoned
    await waitFor(() => step.signal.aborted, 5000, 'the abort');
    expect(isWorkflowError(step.signal.reason, 'ClaimLost')).toBe(true);
    await rt.stop({ drain: false });
    await recoverNow(rt); // the reaper takes the claim back
    const e = expectError(await rejectsWritingNothing(rt, () => step.lease.extend(10_000)), 'ClaimLost');
    expect(e.details['jobId']).toBe(step.jobId);
  });

  it('CancelRequested: extending the lease after the run was cancelled', async () => {
    const runner = gatedRunner(() => Outcome.succeed(''));
    const { runtime: rt } = await fresh({ workflows: { wf: runner } });
    const { runId } = await rt.submit({ workflow: 'wf', input: 1 });
    const step = await runner.entered();
    await step.lease.extend(60_000); // fine while not cancelled
    expect(await rt.cancel(runId)).toBe(true);
    expect(step.signal.aborted).toBe(true);
    expectError(await rejectsWritingNothing(rt, () => step.lease.extend(60_000)), 'CancelRequested');
    runner.release();
    await expect(rt.wait(runId)).resolves.toMatchObject({ status: 'cancelled' });
  });

  it('StoreClosed: every call after close, classified transient', async () => {
    const f = await fresh({ start: false });
    const rt = f.runtime;
    await rt.submit({ workflow: 'wf', runId: 'r', input: 1 });
    const witness = await f.reopen();
    const before = await dumpTables(witness);
    await rt.close();
    const calls: (() => Promise<unknown>)[] = [
      () => rt.submit({ workflow: 'wf', input: 2 }),
      () => rt.status('r'),
      () => rt.cancel('r'),
      () => rt.list(),
      () => rt.sendEvent('k', 1),
      () => rt.clearEvent('k'),
      () => rt.history('r'),
      () => rt.deadJobs(),
      () => rt.kv.get('a'),
      () => rt.wait('r'),
      () => rt.start(),
    ];
    for (const call of calls) expectError(await call().catch((e: unknown) => e), 'StoreClosed', false);
    expect(await dumpTables(witness)).toEqual(before);
  });

  it('InvalidArgument: malformed options, specs and queries', async () => {
    const rt = await idle();
    const specs: unknown[] = [
      null,
      'wf',
      { workflow: 42, input: 1 },
      { workflow: 'wf', input: 1, priority: 1.5 },
      { workflow: 'wf', input: 1, maxAttempts: 0 },
      { workflow: 'wf', input: 1, headers: { a: 1 } },
      { workflow: 'wf', input: 1, headers: ['x'] },
      { workflow: 'wf', input: 1, kvWrites: [] },
      { workflow: 'wf', input: 1, kvWrites: { '': 1 } },
      { workflow: 'wf', input: 1, surprise: true },
    ];
    for (const spec of specs) await submitFails(rt, spec, 'InvalidArgument');
    const calls: (() => Promise<unknown>)[] = [
      () => rt.list({ limit: 0 }),
      () => rt.list({ state: 'bogus' as never }),
      () => rt.list({ cursor: 'not-a-cursor' }),
      () => rt.wait('existing', { timeoutMs: -1 }),
      () => rt.sendEvent('', 1),
      () => rt.sendEvent('k'.repeat(513), 1),
      () => rt.clearEvent(''),
      () => sweepNow(rt, 0),
    ];
    for (const call of calls) expectError(await rejectsWritingNothing(rt, call), 'InvalidArgument');
    expectError(thrown(() => memo(rt, 'existing', -1)), 'InvalidArgument');
    expectError(thrown(() => rt.subscribe(42 as never)), 'InvalidArgument');
    const db = await freshStoreOptions();
    for (const bad of [{ concurrency: 0 }, { leaseMs: -1 }, { retry: { jitter: 2 } }, { hooks: [{ name: 'x' }] }, { workflows: { wf: 'nope' } }, { queueName: '' }]) {
      const options = { ...db, workflows: { wf: scriptedRunner([Outcome.succeed(null)]) }, ...bad } as unknown as Parameters<typeof Runtime.open>[0];
      expectError(await Runtime.open(options).catch((e: unknown) => e), 'InvalidArgument');
    }
  });

  it('InvalidArgument: lease.extend with a bad duration', async () => {
    const runner = gatedRunner(() => Outcome.succeed(''));
    const { runtime: rt } = await fresh({ workflows: { wf: runner } });
    await rt.submit({ workflow: 'wf', input: 1 });
    const step = await runner.entered();
    for (const ms of [-1, Number.NaN, Infinity]) expectError(await rejectsWritingNothing(rt, () => step.lease.extend(ms)), 'InvalidArgument');
    runner.release();
  });

  it('RunNotFound: waiting on a run that does not exist', async () => {
    const rt = await idle();
    const e = expectError(await rejectsWritingNothing(rt, () => rt.wait('no-such-run')), 'RunNotFound');
    expect(e.details['runId']).toBe('no-such-run');
    await expect(rt.status('no-such-run')).resolves.toBeUndefined();
    await expect(rt.cancel('no-such-run')).resolves.toBe(false);
  });

  it('Timeout: wait gives up after timeoutMs on the runtime clock, classified transient', async () => {
    const { runtime: rt, clock } = await fresh({ start: false });
    await rt.submit({ workflow: 'wf', runId: 'slow', input: 1 });
    const before = await dumpTables(rt);
    let settled = false;
    const waiting = rt.wait('slow', { timeoutMs: 1000 }).catch((e: unknown) => e);
    void waiting.then(() => (settled = true));
    await settle();
    clock.advance(999);
    await settle();
    expect(settled).toBe(false);
    clock.advance(1);
    const e = expectError(await waiting, 'Timeout', false);
    expect(e.details['runId']).toBe('slow');
    expect(await dumpTables(rt)).toEqual(before);
  });
});

describe('Runners that misbehave', () => {
  async function runWith(runner: (s: Step) => Promise<StepOutcome>, maxAttempts = 3): Promise<{ rt: Runtime; outcome: RunOutcome; calls: number }> {
    let calls = 0;
    const counted = (s: Step) => {
      calls++;
      return runner(s);
    };
    const { runtime: rt } = await fresh({ workflows: { wf: counted } });
    const { runId } = await rt.submit({ workflow: 'wf', input: 'in', maxAttempts });
    const outcome = await rt.wait(runId);
    return { rt, outcome, calls };
  }

  it('a runner that throws a string: transient, retried, then the run fails with that message', async () => {
    const { rt, outcome, calls } = await runWith(() => {
      throw 'plain string';  
    });
    expect(outcome).toMatchObject({ status: 'failed', error: 'plain string' });
    expect(calls).toBe(3);
    expect((await rt.history(outcome.runId)).map((h) => h.outcome)).toEqual(['retried', 'retried', 'deadLettered']);
    expect(await rt.deadJobs()).toEqual([expect.objectContaining({ kind: 'step', lastError: 'plain string', attempts: 3 })]);
  });

  it('a runner that throws null, undefined or a plain object: transient, with a readable message', async () => {
    for (const value of [null, undefined, { code: 7 }, 42]) {
      const { outcome, calls } = await runWith(() => {
        throw value;  
      }, 2);
      expect(outcome.status).toBe('failed');
      expect(typeof outcome.error).toBe('string');
      expect(calls).toBe(2);
    }
  });

  it('a runner that returns garbage: the step is dead-lettered at once (permanent) and the run fails', async () => {
    const cyclic: Record<string, unknown> = {};
    cyclic['me'] = cyclic;
    const garbage: [unknown, RegExp][] = [
      [undefined, /invalid outcome/],
      [null, /invalid outcome/],
      ['succeed', /invalid outcome/],
      [{ kind: 'bogus' }, /unknown kind "bogus"/],
      [{}, /a plain object: return Outcome.succeed\(result\)/],
      [{ kind: 'succeed', result: undefined }, /InvalidPayload/],
      [{ kind: 'succeed', result: () => 1 }, /InvalidPayload/],
      [{ kind: 'succeed', result: 10n }, /InvalidPayload/],
      [{ kind: 'next', payload: cyclic }, /InvalidPayload/],
      [{ kind: 'next', payload: new Date(0) }, /InvalidPayload/],
      [{ kind: 'next', payload: Number.NaN }, /InvalidPayload/],
      [{ kind: 'next', payload: 1, delayMs: -5 }, /delayMs/],
      [{ kind: 'waitForEvent', key: '', payload: 1 }, /event key/],
      [{ kind: 'fail', reason: 42 }, /reason/],
      [{ kind: 'succeed', result: 'x'.repeat(2 * 1024 * 1024) }, /PayloadTooLarge/],
    ];
    for (const [value, message] of garbage) {
      const { rt, outcome, calls } = await runWith(async () => value as StepOutcome);
      expect(outcome.status, JSON.stringify(message.source)).toBe('failed');
      expect(outcome.error).toMatch(message);
      expect(calls).toBe(1);
      expect(await rt.deadJobs()).toEqual([expect.objectContaining({ kind: 'step', attempts: 1 })]);
      expect((await rt.kv.scan('')).entries).toEqual([]);
    }
  });

  it('a runner that never settles is bounded by leaseMs: abandoned, reaped, redelivered, then failed', async () => {
    const seen: Step[] = [];
    const runner = (s: Step) => {
      seen.push(s);
      return new Promise<StepOutcome>(() => undefined);
    };
    const hook = recordingHook();
    const { runtime: rt, clock } = await fresh({ leaseMs: 1000, reapIntervalMs: 1000, hooks: [hook], workflows: { wf: runner } });
    const { runId } = await rt.submit({ workflow: 'wf', input: 1, maxAttempts: 2 });
    await waitFor(() => seen.length === 1, 5000, 'delivery 1');
    expect(await rt.status(runId)).toMatchObject({ state: 'running', attempts: 1 });
    clock.advance(1000);
    await waitFor(() => seen.length === 2, 5000, 'delivery 2');
    expect(seen[0]!.signal.aborted).toBe(true);
    expect(isWorkflowError(seen[0]!.signal.reason, 'ClaimLost')).toBe(true);
    expect(seen[1]).toMatchObject({ attempts: 2, jobId: seen[0]!.jobId });
    clock.advance(1000);
    await waitFor(() => hook.outcomes.length === 1, 5000, 'the run to fail');
    expect(hook.outcomes[0]).toMatchObject({ runId, status: 'failed', error: 'lease expired', finalStep: 0 });
    expect(seen).toHaveLength(2);
    expect(seen[1]!.signal.aborted).toBe(true);
    expect((await rt.history(runId)).map((h) => [h.attempt, h.outcome])).toEqual([[1, 'leaseExpired'], [2, 'leaseExpired']]);
    expect(await rt.deadJobs()).toEqual([expect.objectContaining({ kind: 'step', runId, lastError: 'lease expired', attempts: 2 })]);
  });

  it('a runner that never settles but extends its lease keeps its claim', async () => {
    const deferredOutcome = deferred<StepOutcome>();
    let step: Step | undefined;
    const runner = async (s: Step) => {
      step = s;
      return deferredOutcome.promise;
    };
    const { runtime: rt, clock } = await fresh({ leaseMs: 1000, reapIntervalMs: 1000, workflows: { wf: runner } });
    const { runId } = await rt.submit({ workflow: 'wf', input: 1 });
    await waitFor(() => step !== undefined, 5000, 'delivery 1');
    await step!.lease.extend(10_000);
    clock.advance(5000);
    await settle();
    expect(step!.signal.aborted).toBe(false);
    expect(await rt.status(runId)).toMatchObject({ state: 'running', attempts: 1 });
    deferredOutcome.resolve(Outcome.succeed('late but fine'));
    await expect(rt.wait(runId)).resolves.toMatchObject({ status: 'succeeded', result: 'late but fine' });
  });
});
