import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { hashJson } from '../../src/core/json.ts';
import { Outcome, StepError } from '../../src/core/outcome.ts';
import type { StepRunner } from '../../src/runtime/types.ts';
import { ended, handoff, newRunId, startRemote, statusUntil, type Remote } from './support.ts';

const delayed: StepRunner = async (step) => (step.stepNumber === 0 ? Outcome.next('later', { delayMs: 1500 }) : Outcome.succeed(step.payload));

const approval: StepRunner = async (step) => {
  if (step.stepNumber === 0) return Outcome.waitForEvent('approve', 'asked', { timeoutMs: (step.payload as { timeoutMs?: number }).timeoutMs ?? 60_000 });
  return Outcome.succeed({ event: step.event ?? 'none' });
};

let flakyCalls = 0;
const flaky: StepRunner = async () => {
  flakyCalls++;
  throw StepError.transient(`upstream busy (${flakyCalls})`);
};

const aborted: string[] = [];
const hangs: StepRunner = async (step) => {
  step.progress({ tokens: 'partial' });
  await new Promise<void>((resolve) => step.signal.addEventListener('abort', () => resolve()));
  aborted.push(step.runId);
  return Outcome.succeed('should not count');
};

let paidCalls = 0;
const seeded: StepRunner = async (step) => {
  let a = await step.memo.get('answer');
  if (a === undefined) {
    paidCalls++;
    a = 'paid';
  }
  const c = await step.memo.contentGet({ prompt: 'hi' });
  return Outcome.succeed({ a, c: c ?? null });
};

let remote: Remote;
beforeAll(async () => {
  remote = await startRemote({ workflows: { delayed, approval, flaky, hangs, seeded }, retry: { maxAttempts: 3, baseDelayMs: 20, jitter: 0 } });
}, 60_000);
afterAll(async () => {
  await remote?.close();
});

describe('remote run semantics', () => {
  it('sleeps durably on a delayed next, reporting the run scheduled meanwhile', async () => {
    const runId = newRunId();
    await remote.runs.start('alice', handoff('delayed', runId, null));
    const s = await statusUntil(remote.runs, 'alice', runId, (x) => x?.state === 'scheduled' || x?.state === 'succeeded');
    expect(s).toMatchObject({ state: 'scheduled', stepNumber: 1, attempts: 0, wakeAt: expect.any(Number) });
    expect(await ended(remote.runs, 'alice', runId)).toMatchObject({ state: 'succeeded', result: 'later', stepNumber: 1 });
  });

  it('delivers an event sent after the run began waiting', async () => {
    const runId = newRunId();
    await remote.runs.start('alice', handoff('approval', runId, {}));
    expect(await statusUntil(remote.runs, 'alice', runId, (x) => x?.state === 'waiting')).toMatchObject({ eventKey: 'approve', stepNumber: 1, attempts: 0 });
    expect(await remote.runs.sendEvent('alice', runId, 'approve', { ok: true })).toBe(true);
    expect(await ended(remote.runs, 'alice', runId)).toMatchObject({ state: 'succeeded', result: { event: { key: 'approve', payload: { ok: true } } } });
  });

  it('delivers an event buffered before the hand-off to the wait the run was in', async () => {
    const runId = newRunId();
    const state = handoff('approval', runId, 'asked', { stepNumber: 1, waiting: { key: 'approve' }, bufferedEvents: [{ key: 'approve', payload: 'early' }] });
    await remote.runs.start('alice', state);
    expect(await ended(remote.runs, 'alice', runId)).toMatchObject({ state: 'succeeded', result: { event: { key: 'approve', payload: 'early' } } });
  });

  it('runs the step after a wait with a null event when the wait times out', async () => {
    const runId = newRunId();
    await remote.runs.start('alice', handoff('approval', runId, { timeoutMs: 200 }));
    expect(await ended(remote.runs, 'alice', runId)).toMatchObject({ state: 'succeeded', result: { event: { key: 'approve', payload: null } } });
  });

  it('retries a failing step by the retry policy, then fails the run with the last error as the browser does', async () => {
    flakyCalls = 0;
    const runId = newRunId();
    await remote.runs.start('alice', handoff('flaky', runId, null));
    expect(await ended(remote.runs, 'alice', runId)).toMatchObject({ state: 'failed', reason: 'upstream busy (3)', stepNumber: 0, attempts: 3 });
    expect(flakyCalls).toBe(3);
  });

  it("keeps the run's own maxAttempts from the hand-off over the service's retry option", async () => {
    flakyCalls = 0;
    const runId = newRunId();
    await remote.runs.start('alice', { ...handoff('flaky', runId, null), maxAttempts: 2 });
    expect(await ended(remote.runs, 'alice', runId)).toMatchObject({ state: 'failed', reason: 'upstream busy (2)', attempts: 2 });
    expect(flakyCalls).toBe(2);
  });

  it('aborts the running step signal on cancel and ends the run cancelled; progress is readable meanwhile', async () => {
    const runId = newRunId();
    await remote.runs.start('alice', handoff('hangs', runId, null));
    expect(await statusUntil(remote.runs, 'alice', runId, (x) => x?.progress !== undefined)).toMatchObject({ state: 'running', progress: { stepNumber: 0, update: { tokens: 'partial' } } });
    expect(await remote.runs.cancel('alice', runId)).toBe(true);
    expect(await ended(remote.runs, 'alice', runId)).toMatchObject({ state: 'cancelled' });
    await statusUntil(remote.runs, 'alice', runId, () => aborted.includes(runId));
    expect(await remote.runs.cancel('alice', runId)).toBe(false);
    expect(await remote.runs.sendEvent('alice', runId, 'x', 1)).toBe(false);
  });

  it('starts one run per (owner, runId): a retried hand-off starts nothing', async () => {
    const runId = newRunId();
    expect(await remote.runs.start('alice', handoff('delayed', runId, null))).toEqual({ started: true });
    expect(await remote.runs.start('alice', handoff('delayed', runId, null))).toEqual({ started: false });
    await ended(remote.runs, 'alice', runId);
    expect(await remote.runs.start('alice', handoff('delayed', runId, null))).toEqual({ started: false });
  });

  it("never lets one owner see, cancel or signal another owner's run", async () => {
    const runId = newRunId();
    await remote.runs.start('alice', handoff('approval', runId, {}));
    await statusUntil(remote.runs, 'alice', runId, (x) => x?.state === 'waiting');
    expect(await remote.runs.status('bob', runId)).toBeUndefined();
    expect(await remote.runs.outcome('bob', runId, 0)).toBeUndefined();
    expect(await remote.runs.cancel('bob', runId)).toBe(false);
    expect(await remote.runs.sendEvent('bob', runId, 'approve', 'forged')).toBe(false);
    // An owner that looks like an encoded pair cannot reach it either.
    expect(await remote.runs.status(`alice:${runId}`, runId)).toBeUndefined();
    expect((await remote.runs.status('alice', runId))?.state).toBe('waiting');
    await remote.runs.sendEvent('alice', runId, 'approve', 'real');
    expect(await ended(remote.runs, 'alice', runId)).toMatchObject({ result: { event: { payload: 'real' } } });
  });

  it('reads memo entries handed off from the browser instead of paying again', async () => {
    paidCalls = 0;
    const runId = newRunId();
    const memo = [
      { stepNumber: 0, key: 'k:answer', value: 'from the browser' },
      { stepNumber: 0, key: `c:${await hashJson({ prompt: 'hi' })}`, value: 'cached completion' },
    ];
    await remote.runs.start('alice', handoff('seeded', runId, null, { attempts: 1, memo }));
    expect(await ended(remote.runs, 'alice', runId)).toMatchObject({ state: 'succeeded', result: { a: 'from the browser', c: 'cached completion' }, attempts: 2 });
    expect(paidCalls).toBe(0);
  });

  it('refuses a hand-off of a workflow the service does not run', async () => {
    await expect(remote.runs.start('alice', handoff('nope', newRunId(), null))).rejects.toMatchObject({ name: 'InvalidArgument' });
  });
});
