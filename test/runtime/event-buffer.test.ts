/**
 * Buffered event payloads: each send is its own buffer (a step releases only the one it read),
 * and a buffer is kept `eventRetentionMs` after it was sent, then swept.
 */
import { describe, expect, it } from 'vitest';
import { isWorkflowError } from '../../src/core/errors.ts';
import { Outcome } from '../../src/core/outcome.ts';
import type { EventRecord } from '../../src/runtime/records.ts';
import { Runtime } from '../../src/runtime/runtime.ts';
import type { Step } from '../../src/runtime/types.ts';
import { freshStoreOptions } from '../support/idb.ts';
import { deferred, recordingHook, waitFor } from './harness.ts';
import { fresh } from './lifecycle.ts';
import { sweepNow } from '../../src/inspect.ts';
import { storeOf } from '../support/internals.ts';

const DAY = 24 * 3600_000;

function events(rt: Runtime): Promise<EventRecord[]> {
  return storeOf(rt).read((t) => t.getAll<EventRecord>('events', undefined), ['events']);
}

describe('a buffered event', () => {
  it('is not released by a step that read an earlier payload sent in the same millisecond', async () => {
    const observed: unknown[] = [];
    const gate = deferred<void>();
    const inStep1 = deferred<void>();
    const runner = async (s: Step) => {
      if (s.stepNumber === 0) return Outcome.waitForEvent('k', '', { timeoutMs: 60_000 });
      observed.push(s.event?.payload);
      if (observed.length === 1) {
        inStep1.resolve();
        await gate.promise;
      }
      return Outcome.succeed('');
    };
    const hook = recordingHook();
    const { runtime: rt, clock } = await fresh({ workflows: { wf: runner }, hooks: [hook] });
    await rt.submit({ workflow: 'wf', runId: 'first', input: '' });
    await waitFor(async () => (await rt.status('first'))?.state === 'waiting', 5000, 'the wait');
    // A payload buffered beside the registration, the waiter not woken: the step after the timeout reads it.
    await storeOf(rt).write(async (t) => {
      const ev = (await t.get<EventRecord>('events', 'k'))!;
      t.put('events', { ...ev, buffered: { payload: 'a', at: clock.now(), id: 'buffer-a' } });
    });
    clock.advance(60_000);
    await inStep1.promise;
    // Another send in the same millisecond, while that step runs: buffered (its job is claimed, not waiting).
    await expect(rt.sendEvent('k', 'b')).resolves.toBe('buffered');
    gate.resolve();
    await waitFor(() => hook.outcomes.length === 1, 5000, 'the first run');
    expect(observed).toEqual(['a']);
    expect((await events(rt)).map((e) => e.buffered?.payload)).toEqual(['b']);
    // The next waiter gets it.
    await rt.submit({ workflow: 'wf', runId: 'second', input: '' });
    await waitFor(() => hook.outcomes.length === 2, 5000, 'the second run');
    expect(observed).toEqual(['a', 'b']);
    expect(await events(rt)).toEqual([]);
  });

  it('is kept eventRetentionMs after it was sent, then swept; a waiter registered on its key stays', async () => {
    const { runtime: rt, clock } = await fresh({ eventRetentionMs: 60_000 });
    await rt.sendEvent('orphan', 'sent after its run ended');
    await rt.sendEvent('watched', 'x');
    await storeOf(rt).write(async (t) => {
      const ev = (await t.get<EventRecord>('events', 'watched'))!;
      t.put('events', { ...ev, waiter: { runId: 'r', jobId: 'j' } });
    });
    clock.advance(10_000);
    await rt.sendEvent('young', 'y');
    clock.advance(50_000); // the first two exactly 60 s old: kept (strict cutoff)
    expect((await sweepNow(rt)).events).toBe(0);
    expect((await events(rt)).map((e) => e.key)).toEqual(['orphan', 'watched', 'young']);
    clock.advance(1);
    expect((await sweepNow(rt)).events).toBe(2);
    expect(await events(rt)).toEqual([
      { key: 'watched', waiter: { runId: 'r', jobId: 'j' } },
      expect.objectContaining({ key: 'young', buffered: expect.objectContaining({ payload: 'y' }) }),
    ]);
  });

  it('is swept across pages by the background sweeper, 7 days after it was sent by default', async () => {
    const { runtime: rt, clock } = await fresh({ start: false });
    const keys = Array.from({ length: 300 }, (_, i) => `key-${String(i).padStart(3, '0')}`);
    for (const k of keys) await rt.sendEvent(k, k);
    clock.advance(7 * DAY + 1);
    await rt.sendEvent('young', 'y');
    await rt.start(); // the sweeper's first pass runs at start
    await waitFor(async () => (await events(rt)).length === 1, 5000, 'the sweep');
    expect((await events(rt)).map((e) => e.key)).toEqual(['young']);
  });

  it('refuses an eventRetentionMs that is not a finite number of ms >= 0', async () => {
    const db = await freshStoreOptions();
    for (const bad of [-1, Number.NaN, Infinity, '1000']) {
      const e = await Runtime.open({ ...db, workflows: {}, eventRetentionMs: bad as number }).then(
        () => undefined,
        (err: unknown) => err,
      );
      expect(isWorkflowError(e, 'InvalidArgument')).toBe(true);
    }
  });
});
