/**
 * Terminal hooks under a lease, like steps: a slow hook is never run twice beside itself, one
 * whose notification another instance took over is told so through its signal, and every
 * delivery of a hook (not every notification job) is tracked for draining. Node
 * (fake-indexeddb) with a MockClock.
 */
import { afterEach, describe, expect, it, vi } from 'vitest';
import { isWorkflowError } from '../../src/core/errors.ts';
import type { Runtime } from '../../src/runtime/runtime.ts';
import type { TerminalHook } from '../../src/runtime/types.ts';
import { webhookHook } from '../../src/runtime/webhook.ts';
import type { JobRecord } from '../../src/store/db.ts';
import { deferred, settle, waitFor } from './harness.ts';
import { fresh } from './lifecycle.ts';
import { isNotification } from './peek.ts';
import { recoverNow } from '../../src/inspect.ts';
import { storeOf } from '../support/internals.ts';

afterEach(() => {
  vi.restoreAllMocks();
});

async function notificationJobs(rt: Runtime): Promise<JobRecord[]> {
  return (await storeOf(rt).read((t) => t.getAll<JobRecord>('jobs', undefined), ['jobs'])).filter(isNotification);
}

describe('terminal hooks under a lease', () => {
  it('does not run a hook twice while its first call still runs, however many leases it takes', async () => {
    const gate = deferred<void>();
    const calls: number[] = [];
    const hook: TerminalHook = {
      name: 'slow',
      async onTerminal(_o, effects) {
        const call = calls.push(calls.length + 1);
        if (call === 1) await gate.promise; // e.g. a slow webhook POST
        effects.put('app/hooked', call);
      },
    };
    const { runtime: rt, clock } = await fresh({ leaseMs: 1000, reapIntervalMs: 100, hooks: [hook] });
    await rt.submit({ workflow: 'wf', input: '' });
    await waitFor(() => calls.length === 1, 5000, 'the first call');
    // Leases pass one after another: each time, the reaper comes when the lease would have run out.
    for (let i = 0; i < 5; i++) {
      const [job] = await notificationJobs(rt);
      if (job?.leaseUntil === undefined) break; // not claimed any more: the next expectation tells why
      const until = job.leaseUntil;
      clock.set(until - 1);
      await settle(20);
      clock.set(until);
      await recoverNow(rt);
      await settle(20);
    }
    expect(calls).toEqual([1]);
    expect(await notificationJobs(rt)).toEqual([expect.objectContaining({ state: 'claimed', attempts: 1 })]);
    gate.resolve();
    await waitFor(async () => (await rt.kv.get('app/hooked')) === 1, 5000, 'the acknowledgement');
    expect(await notificationJobs(rt)).toEqual([]);
    expect(calls).toEqual([1]);
  });

  it("aborts a hook's signal when another instance takes its notification over", async () => {
    const signals: AbortSignal[] = [];
    const hook: TerminalHook = {
      name: 'watching',
      onTerminal: (_o, _e, signal) => {
        signals.push(signal);
        return new Promise((_resolve, reject) => signal.addEventListener('abort', () => reject(signal.reason as Error), { once: true }));
      },
    };
    const f = await fresh({ leaseMs: 3000, hooks: [hook] });
    await f.runtime.submit({ workflow: 'wf', input: '' });
    await waitFor(() => signals.length === 1, 5000, 'the hook');
    await recoverNow(await f.reopen()); // another instance takes the claim back
    f.clock.advance(1000); // the next renewal (a third of the lease) finds the claim gone
    await waitFor(() => signals[0]!.aborted, 2000, 'the abort');
    expect(isWorkflowError(signals[0]!.reason, 'ClaimLost')).toBe(true);
  });

  it('aborts the webhook POST of a delivery whose claim another instance took over', async () => {
    const posts: AbortSignal[] = [];
    const fetchFake = ((_url: string | URL | Request, init?: RequestInit) => {
      const signal = init!.signal!;
      posts.push(signal);
      return new Promise<Response>((_resolve, reject) => signal.addEventListener('abort', () => reject(new Error('aborted')), { once: true }));
    }) as typeof fetch;
    const f = await fresh({ leaseMs: 3000, hooks: [webhookHook({ url: 'https://hooks.example/x', fetch: fetchFake })] });
    await f.runtime.submit({ workflow: 'wf', input: '' });
    await waitFor(() => posts.length === 1, 5000, 'the POST');
    await recoverNow(await f.reopen());
    f.clock.advance(1000);
    await waitFor(() => posts[0]!.aborted, 2000, 'the abort of the POST');
  });

  it('drains a hook delivery that overlaps an older delivery of the same notification', async () => {
    const second = deferred<void>();
    const calls: number[] = [];
    const hold: { armed: boolean; reached: ReturnType<typeof deferred<void>>; gate: ReturnType<typeof deferred<void>> } = {
      armed: false,
      reached: deferred<void>(),
      gate: deferred<void>(),
    };
    const hook: TerminalHook = {
      name: 'twice',
      async onTerminal(_o, effects) {
        const call = calls.push(calls.length + 1);
        if (call === 1) hold.armed = true; // the next write is this call's acknowledgement
        if (call === 2) await second.promise;
        effects.put('app/hooked', call);
      },
    };
    const f = await fresh({ hooks: [hook] });
    const a = f.runtime;
    const store = storeOf(a);
    const orig = store.write.bind(store);
    vi.spyOn(store, 'write').mockImplementation((body, options) => {
      if (!hold.armed) return orig(body, options);
      hold.armed = false;
      hold.reached.resolve();
      return hold.gate.promise.then(() => orig(body, options));
    });
    await a.submit({ workflow: 'wf', input: '' });
    await hold.reached.promise; // call 1 returned; its acknowledgement waits
    await recoverNow(await f.reopen()); // another instance takes the notification back
    f.clock.advance(1000); // a's next poll claims it again: call 2 starts
    await waitFor(() => calls.length === 2, 5000, 'the second delivery');
    hold.gate.resolve(); // delivery 1's acknowledgement is fenced off (ClaimLost) and it ends
    await settle(50);
    let drained = false;
    const stopping = a.stop({ drain: true }).then(() => (drained = true));
    await settle(100);
    expect(drained).toBe(false); // delivery 2 still runs
    second.resolve();
    await stopping;
    await expect(a.kv.get('app/hooked')).resolves.toBe(2);
    expect(await notificationJobs(a)).toEqual([]);
  });
});
