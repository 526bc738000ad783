/**
 * A run ends once per run instance, durably: each instance's end is notified (a run id used
 * again is another instance), a retried submit of an ended run does not run it again, and every
 * write that ends a run commits with strict durability, whichever path ends it.
 */
import { IDBObjectStore as FakeObjectStore } from 'fake-indexeddb';
import { afterEach, describe, expect, it } from 'vitest';
import { Outcome } from '../../src/core/outcome.ts';
import type { RunRecord } from '../../src/runtime/records.ts';
import type { Runtime } from '../../src/runtime/runtime.ts';
import type { Step } from '../../src/runtime/types.ts';
import { gatedRunner, recordingHook, scriptedRunner, settle, waitFor } from './harness.ts';
import { fresh } from './lifecycle.ts';
import { queueOf, stats } from '../../src/inspect.ts';
import { storeOf } from '../support/internals.ts';

const STEPS = 'workflow-steps';

async function notificationJobs(rt: Runtime): Promise<unknown[]> {
  const jobs = await storeOf(rt).read((t) => t.getAll<{ headers: Record<string, string>; state: string }>('jobs', undefined), ['jobs']);
  return jobs.filter((j) => j.headers['workflow.terminal'] !== undefined && j.state !== 'done');
}

describe('a run id used again', () => {
  it('notifies the end of each run that used the id, with that run\'s own outcome, while the first is still pending', async () => {
    const hook = recordingHook();
    const { runtime: rt } = await fresh({ start: false, hooks: [hook] });
    await rt.submit({ workflow: 'wf', runId: 'reused', input: 1, headers: { run: 'first' } });
    expect(await rt.cancel('reused')).toBe(true);
    await rt.submit({ workflow: 'wf', runId: 'reused', input: 2, headers: { run: 'second' } });
    expect(await rt.cancel('reused')).toBe(true);
    expect(await notificationJobs(rt)).toHaveLength(2);
    await rt.start();
    await waitFor(() => hook.outcomes.length === 2, 5000, 'both notifications');
    await settle();
    expect(hook.outcomes.map((o) => [o.runId, o.status, o.headers['run']]).sort()).toEqual([
      ['reused', 'cancelled', 'first'],
      ['reused', 'cancelled', 'second'],
    ]);
  });
});

describe('a retried submit', () => {
  it('answers a submit of an ended run with the same input without running it again, while the run is kept', async () => {
    const hook = recordingHook();
    const runner = scriptedRunner([Outcome.succeed('done')]);
    const { runtime: rt, clock } = await fresh({ hooks: [hook], workflows: { wf: runner }, keepDoneRunsMs: 60_000 });
    await rt.submit({ workflow: 'wf', runId: 'r', input: { q: 'why', n: 1 }, kvWrites: { 'app/a': 'first' } });
    const first = await rt.wait('r');
    await waitFor(() => hook.outcomes.length === 1, 5000, 'the hook');
    clock.advance(59_999);
    // The same input (another key order: the canonical hash is equal) is the same submission.
    await expect(rt.submit({ workflow: 'wf', runId: 'r', input: { n: 1, q: 'why' }, kvWrites: { 'app/a': 'second' } })).resolves.toEqual({
      runId: 'r',
      newlySubmitted: false,
    });
    await settle();
    expect(runner.calls).toHaveLength(1);
    expect(hook.outcomes).toHaveLength(1);
    expect(await rt.wait('r')).toEqual(first);
    expect(await rt.kv.get('app/a')).toBe('first');
    expect(await stats(rt, STEPS)).toMatchObject({ pending: 0, scheduled: 0, claimed: 0 });
    // Another input starts a new run under the id.
    await expect(rt.submit({ workflow: 'wf', runId: 'r', input: 'other' })).resolves.toEqual({ runId: 'r', newlySubmitted: true });
    await waitFor(() => hook.outcomes.length === 2, 5000, 'the second run');
    expect(runner.calls).toHaveLength(2);
  });

  it('starts a new run for the same input once the ended run is past keepDoneRunsMs', async () => {
    const runner = scriptedRunner([Outcome.succeed('done')]);
    const { runtime: rt, clock } = await fresh({ workflows: { wf: runner }, keepDoneRunsMs: 60_000 });
    await rt.submit({ workflow: 'wf', runId: 'r', input: 'x' });
    await rt.wait('r');
    clock.advance(60_000);
    await expect(rt.submit({ workflow: 'wf', runId: 'r', input: 'x' })).resolves.toEqual({ runId: 'r', newlySubmitted: true });
    await waitFor(() => runner.calls.length === 2, 5000, 'the second run');
  });
});

/** Records the durability of every transaction that writes an ended run record (fake-indexeddb). */
function watchRunEnds(): { durabilities: string[] } {
  const seen = { durabilities: [] as string[] };
  const proto = FakeObjectStore.prototype as unknown as { put: (this: IDBObjectStore, value: unknown, key?: IDBValidKey) => IDBRequest };
  const put = proto.put;
  proto.put = function (this: IDBObjectStore, value: unknown, key?: IDBValidKey) {
    if (this.name === 'runs' && (value as RunRecord).state !== 'active') seen.durabilities.push(this.transaction.durability);
    return put.call(this, value, key);
  };
  restore = () => (proto.put = put);
  return seen;
}
let restore: (() => void) | undefined;
afterEach(() => {
  restore?.();
  restore = undefined;
});

describe('every write that ends a run', () => {
  it('is strict for a step that settles after its run was cancelled while it ran', async () => {
    const runner = gatedRunner(() => Outcome.next('more'));
    const { runtime: rt } = await fresh({ workflows: { wf: runner } });
    const seen = watchRunEnds();
    await rt.submit({ workflow: 'wf', runId: 'c', input: '' });
    await runner.entered();
    expect(await rt.cancel('c')).toBe(true);
    runner.release();
    await expect(rt.wait('c')).resolves.toMatchObject({ status: 'cancelled' });
    expect(seen.durabilities).toEqual(['strict']);
  });

  it('is strict for a step the reaper dead-letters at its attempt limit', async () => {
    const f = await fresh({ leaseMs: 1000, reapIntervalMs: 1_000_000, workflows: { wf: gatedRunner(() => Outcome.succeed('late')) } });
    const { runtime: rt, clock } = f;
    const seen = watchRunEnds();
    await rt.submit({ workflow: 'wf', runId: 'reaped', input: '', maxAttempts: 1 });
    await waitFor(async () => (await rt.status('reaped'))?.state === 'running', 5000, 'the step running');
    clock.advance(1001);
    await queueOf(rt).reap();
    await expect(rt.wait('reaped')).resolves.toMatchObject({ status: 'failed', error: 'lease expired' });
    expect(seen.durabilities).toEqual(['strict']);
  });

  it('is strict for a step that recovery at start dead-letters at its attempt limit', async () => {
    const runner = gatedRunner(() => Outcome.succeed('never'));
    const f = await fresh({ workflows: { wf: runner } });
    await f.runtime.submit({ workflow: 'wf', runId: 'interrupted', input: '', maxAttempts: 1 });
    await runner.entered();
    await f.runtime.stop({ drain: false });
    const seen = watchRunEnds();
    const next = await f.reopen({ workflows: { wf: (_s: Step) => Promise.resolve(Outcome.succeed('again')) } });
    await next.start();
    await expect(next.wait('interrupted')).resolves.toMatchObject({ status: 'failed', error: 'interrupted' });
    expect(seen.durabilities).toEqual(['strict']);
  });
});
