/**
 * A delivery that lost its claim (its lease expired and the step was redelivered) writes
 * nothing more: its memo puts fail `ClaimLost`, its progress is dropped.
 */
import { describe, expect, it } from 'vitest';
import { isWorkflowError } from '../../src/core/errors.ts';
import type { Json } from '../../src/core/json.ts';
import { Outcome } from '../../src/core/outcome.ts';
import type { RunEvent } from '../../src/core/types.ts';
import type { Runtime } from '../../src/runtime/runtime.ts';
import type { Step } from '../../src/runtime/types.ts';
import { deferred, settle, waitFor } from './harness.ts';
import { fresh } from './lifecycle.ts';
import { memo, queueOf, recoverNow } from '../../src/inspect.ts';
import { storeOf } from '../support/internals.ts';

/**
 * Attempt 1 blocks until `abandoned` is released, after its lease ran out and attempt 2 took
 * the step over; attempt 2 blocks on `live` once it has written its own memo and progress.
 */
function twoAttempts(onAbandoned: (s: Step) => Promise<void>) {
  const entered = deferred<void>();
  const abandoned = deferred<void>();
  const live = deferred<void>();
  const attempt2 = deferred<void>();
  const done = deferred<void>();
  const runner = async (s: Step) => {
    if (s.attempts === 1) {
      entered.resolve();
      await abandoned.promise;
      await onAbandoned(s);
      done.resolve();
      return Outcome.succeed('from the abandoned delivery');
    }
    await s.memo.put('live', 'attempt 2');
    s.progress('attempt 2 progress');
    attempt2.resolve();
    await live.promise;
    return Outcome.succeed('from attempt 2');
  };
  return { runner, entered, abandoned, live, attempt2, done };
}

async function loseFirstAttempt(rt: Runtime, clock: { advance(ms: number): void }, entered: Promise<void>): Promise<void> {
  await entered;
  clock.advance(1001);
  await queueOf(rt).reap();
}

describe('an abandoned delivery', () => {
  it('cannot put to its memo once its claim is gone: ClaimLost, nothing written', async () => {
    let putError: unknown;
    const t = twoAttempts(async (s) => {
      await s.memo.put('stale', 'attempt 1').catch((e: unknown) => (putError = e));
      await s.memo.contentPut({ request: 1 }, 'attempt 1').catch(() => undefined);
    });
    const { runtime: rt, clock } = await fresh({ leaseMs: 1000, reapIntervalMs: 1_000_000, workflows: { wf: t.runner } });
    await rt.submit({ workflow: 'wf', runId: 'r', input: '' });
    await loseFirstAttempt(rt, clock, t.entered.promise);
    await t.attempt2.promise;
    t.abandoned.resolve();
    await t.done.promise;
    expect(isWorkflowError(putError, 'ClaimLost')).toBe(true);
    await expect(memo(rt, 'r', 0).get('stale')).resolves.toBeUndefined();
    await expect(memo(rt, 'r', 0).contentGet({ request: 1 })).resolves.toBeUndefined();
    await expect(memo(rt, 'r', 0).get('live')).resolves.toBe('attempt 2');
    t.live.resolve();
    await expect(rt.wait('r')).resolves.toMatchObject({ status: 'succeeded', result: 'from attempt 2' });
  });

  it('does not replace the live attempt\'s progress, stored or shown', async () => {
    // A write queued after a checkpoint commits after it (writes are queued in order).
    const barrier = () => storeOf(rt).write(async () => undefined);
    const t = twoAttempts(async (s) => {
      s.progress('stale 1');
      await barrier(); // its checkpoint found the claim gone
      s.progress('stale 2');
      await barrier();
    });
    const { runtime: rt, clock } = await fresh({ leaseMs: 1000, reapIntervalMs: 1_000_000, workflows: { wf: t.runner } });
    await rt.submit({ workflow: 'wf', runId: 'r', input: '' });
    await loseFirstAttempt(rt, clock, t.entered.promise);
    await t.attempt2.promise;
    await waitFor(async () => (await rt.status('r'))?.progress === 'attempt 2 progress', 5000, 'attempt 2 progress stored');
    const shown: Json[] = [];
    const off = rt.subscribe((e: RunEvent) => {
      if (e.type === 'progress') shown.push(e.update);
    });
    t.abandoned.resolve();
    await t.done.promise;
    off();
    expect((await rt.status('r'))?.progress).toBe('attempt 2 progress');
    expect(shown).not.toContain('stale 2');
    t.live.resolve();
    await expect(rt.wait('r')).resolves.toMatchObject({ status: 'succeeded', result: 'from attempt 2' });
  });

  it('does not record its outcome for replay once its run has ended', async () => {
    const t = twoAttempts(async () => undefined);
    const f = await fresh({ stepOutputReplay: true, workflows: { wf: t.runner } });
    const rt = f.runtime;
    const other = await f.reopen();
    await rt.submit({ workflow: 'wf', runId: 'r', input: '' });
    await t.entered.promise;
    await recoverNow(other); // takes attempt 1's claim back as its owner's (its lease has not run out)
    f.clock.advance(1000); // the executor's next poll finds the step pending again
    await t.attempt2.promise;
    t.live.resolve();
    await waitFor(async () => (await rt.status('r'))?.state === 'succeeded', 5000, 'the run ended by attempt 2');
    const replayRecords = async () => (await storeOf(rt).read((tx) => tx.getAll<{ key: string }>('memos', undefined), ['memos'])).filter((m) => m.key.startsWith('r:'));
    const before = await replayRecords();
    t.abandoned.resolve();
    await t.done.promise;
    await settle(); // its settlement fails ClaimLost meanwhile
    expect(await replayRecords()).toEqual(before);
  });
});
