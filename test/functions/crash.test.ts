/**
 * Durable functions across crashes: a runtime stopped without draining (or whose settlement
 * never commits) and a new runtime opened on the same database, with a fresh journal cache, as
 * a restarted worker would. Completed steps never run again; an interrupted one runs again.
 */
import { describe, expect, it } from 'vitest';
import { WorkflowError, isWorkflowError } from '../../src/core/errors.ts';
import type { Tx } from '../../src/store/tx.ts';
import { workflow } from '../../src/functions/definition.ts';
import type { Runtime } from '../../src/runtime/runtime.ts';
import { fresh, gate, journalOf, waitFor, T0 } from './support.ts';
import { engineOf, storeOf } from '../support/internals.ts';

/**
 * A crash between a step's journal write and its settlement: once a delivery has written the
 * journal record of `position`, every later queue transaction of `runtime` (its settlement
 * first) hangs, as if the worker had died there. `restore` undoes it and fails what hung.
 */
function loseSettlementAfter(runtime: Runtime, position: number): { restore(): void } {
  const suffix = `:p${String(position).padStart(9, '0')}`;
  const queue = engineOf(runtime) as unknown as { transact: (...a: unknown[]) => Promise<unknown> };
  const store = storeOf(runtime) as unknown as { write: (body: (t: Tx) => Promise<unknown>, o?: unknown) => Promise<unknown> };
  const { transact } = queue;
  const { write } = store;
  const hung: ((e: unknown) => void)[] = [];
  let crashed = false;
  store.write = (body, o) =>
    write.call(
      store,
      async (t: Tx) => {
        const put = t.put.bind(t);
        t.put = (table, value) => {
          const v = value as { step?: number; key?: string };
          if (table === 'memos' && v.step === -1 && v.key?.endsWith(suffix)) crashed = true;
          put(table, value);
        };
        return body(t);
      },
      o,
    );
  queue.transact = (...a) => (crashed ? new Promise((_, reject) => hung.push(reject)) : transact.apply(queue, a));
  return {
    restore() {
      queue.transact = transact;
      store.write = write;
      for (const reject of hung) reject(new WorkflowError('ClaimLost', 'the worker died before this settlement'));
    },
  };
}

async function journalHas(runtime: Runtime, runId: string, position: number): Promise<boolean> {
  const suffix = `:p${String(position).padStart(9, '0')}`;
  return (await journalOf(runtime, runId)).some((r) => r.key.endsWith(suffix));
}

describe('durable functions: replay after a crash', () => {
  it('replays completed steps from the journal after a crash between steps', async () => {
    let first = 0;
    let second = 0;
    const stop: { runtime?: Runtime } = {};
    const wf = workflow(async (run) => {
      const a = await run.step('first', async () => {
        first++;
        void stop.runtime!.stop({ drain: false }); // the worker dies once this step settles
        return 'A';
      });
      const b = await run.step('second', async () => (second++, `${a}B`));
      return b;
    });
    const f = await fresh({ workflows: { wf } });
    stop.runtime = f.runtime;
    const { runId } = await f.runtime.submit({ workflow: 'wf', input: null });
    await waitFor(async () => (await f.runtime.status(runId))?.stepNumber === 1, 5000, 'step 0 settled');
    expect(second).toBe(0);
    const next = await f.reopen();
    await next.start();
    expect(await next.wait(runId)).toMatchObject({ status: 'succeeded', result: 'AB', finalStep: 1 });
    expect([first, second]).toEqual([1, 1]);
  });

  it('runs an interrupted step again after a crash in the middle of it, and never the steps before it', async () => {
    let first = 0;
    const slow = gate('late');
    let second = 0;
    const wf = workflow(async (run) => {
      await run.step('first', async () => ++first);
      return run.step('second', async (step) => (step.attempts === 1 ? slow.fn() : (second++, 'fresh')));
    });
    const f = await fresh({ workflows: { wf } });
    const { runId } = await f.runtime.submit({ workflow: 'wf', input: null });
    await slow.entered;
    await f.runtime.stop({ drain: false });
    const next = await f.reopen();
    await next.start();
    expect(await next.wait(runId)).toMatchObject({ status: 'succeeded', result: 'fresh' });
    expect([first, second]).toEqual([1, 1]);
    // The abandoned first delivery finishing late writes nothing: its journal write is fenced.
    const before = await journalOf(next, runId);
    slow.release();
    await new Promise((r) => setTimeout(r, 50));
    expect(await journalOf(next, runId)).toEqual(before);
  });

  it('does not run a step again whose result was recorded but whose settlement was lost', async () => {
    let paid = 0;
    const wf = workflow(async (run) => {
      const plan = await run.step('plan', async () => 'plan');
      const receipt = await run.step('charge', async () => `receipt-${++paid}`);
      return { plan, receipt };
    });
    const f = await fresh({ workflows: { wf } });
    const crash = loseSettlementAfter(f.runtime, 1);
    const { runId } = await f.runtime.submit({ workflow: 'wf', input: null });
    await waitFor(() => journalHas(f.runtime, runId, 1), 5000, 'the charge recorded');
    crash.restore();
    await f.runtime.stop({ drain: false });
    const next = await f.reopen();
    await next.start();
    expect(await next.wait(runId)).toMatchObject({ status: 'succeeded', result: { plan: 'plan', receipt: 'receipt-1' }, finalStep: 1 });
    expect(paid).toBe(1);
    const history = await next.history(runId);
    expect(history.map((h) => [h.stepNumber, h.attempt, h.outcome])).toEqual([
      [0, 1, 'continued'],
      [1, 1, 'interrupted'],
      [1, 2, 'succeeded'],
    ]);
  });

  it('keeps a sleep durable across a restart and owes only what is left of it after a lost settlement', async () => {
    let before = 0;
    let after = 0;
    const wf = workflow(async (run) => {
      await run.step('before', async () => ++before);
      await run.sleep('nap', 60_000);
      return run.step('after', async () => ++after);
    });
    const f = await fresh({ workflows: { wf } });
    // The sleep's delivery records its start, then the worker dies before its settlement commits.
    const crash = loseSettlementAfter(f.runtime, 1);
    const { runId } = await f.runtime.submit({ workflow: 'wf', input: null });
    await waitFor(() => journalHas(f.runtime, runId, 1), 5000, 'the sleep recorded');
    crash.restore();
    await f.runtime.stop({ drain: false });
    f.clock.advance(40_000);
    const next = await f.reopen();
    await next.start();
    await waitFor(async () => (await next.status(runId))?.state === 'scheduled', 5000, 'sleeping again');
    expect((await next.status(runId))?.wakeAt).toBe(T0 + 60_000);
    // A second crash while it sleeps.
    await next.stop({ drain: true });
    const third = await f.reopen();
    await third.start();
    f.clock.advance(19_999);
    await new Promise((r) => setTimeout(r, 30));
    expect(after).toBe(0);
    f.clock.advance(1);
    expect(await third.wait(runId)).toMatchObject({ status: 'succeeded', result: 1, finalStep: 2 });
    expect([before, after]).toEqual([1, 1]);
  });

  it('resumes a run waiting for an event after a restart, with the payload or with null on timeout', async () => {
    const wf = workflow(async (run, input: { key: string }) => {
      const asked = await run.step('ask', async () => `asked:${input.key}`);
      const answer = await run.waitForEvent<{ ok: boolean }>('answer', input.key, { timeoutMs: 60_000 });
      return { asked, answer };
    });
    const f = await fresh({ workflows: { wf } });
    const a = await f.runtime.submit({ workflow: 'wf', input: { key: 'k-a' } });
    const b = await f.runtime.submit({ workflow: 'wf', input: { key: 'k-b' } });
    await waitFor(async () => (await f.runtime.status(a.runId))?.state === 'waiting' && (await f.runtime.status(b.runId))?.state === 'waiting', 5000, 'waiting');
    await f.runtime.stop({ drain: false });
    const next = await f.reopen();
    await next.start();
    expect(await next.sendEvent('k-a', { ok: true })).toBe('delivered');
    expect(await next.wait(a.runId)).toMatchObject({ status: 'succeeded', result: { asked: 'asked:k-a', answer: { ok: true } }, finalStep: 2 });
    f.clock.advance(60_000);
    expect(await next.wait(b.runId)).toMatchObject({ status: 'succeeded', result: { asked: 'asked:k-b', answer: null }, finalStep: 2 });
  });

  it('keeps what a wait received when the step after it crashes, even if another event arrives meanwhile', async () => {
    const slow = gate('x');
    let seen: unknown[] = [];
    const wf = workflow(async (run) => {
      const got = await run.waitForEvent('answer', 'key-1');
      seen.push(got);
      await run.step('use', async (step) => (step.attempts === 1 ? slow.fn() : 'y'));
      return got;
    });
    const f = await fresh({ workflows: { wf } });
    const { runId } = await f.runtime.submit({ workflow: 'wf', input: null });
    await waitFor(async () => (await f.runtime.status(runId))?.state === 'waiting', 5000, 'waiting');
    await f.runtime.sendEvent('key-1', 'first');
    await slow.entered;
    await f.runtime.stop({ drain: false });
    await f.runtime.sendEvent('key-1', 'second'); // buffered: nobody waits now
    seen = [];
    const next = await f.reopen();
    await next.start();
    expect(await next.wait(runId)).toMatchObject({ status: 'succeeded', result: 'first' });
    expect(seen).toEqual(['first']);
  });

  it('fails a run whose code no longer matches its recorded steps, naming the step expected and the one found', async () => {
    const hold = gate('b');
    const v1 = workflow(async (run) => {
      await run.step('plan', async () => 'p');
      return run.step('draft', hold.fn);
    });
    const v2 = workflow(async (run) => {
      await run.step('outline', async () => 'o');
      return run.step('draft', async () => 'd');
    });
    const f = await fresh({ workflows: { wf: v1 } });
    const { runId } = await f.runtime.submit({ workflow: 'wf', input: null });
    await hold.entered;
    await f.runtime.stop({ drain: false });
    const next = await f.reopen({ workflows: { wf: v2 } });
    await next.start();
    const outcome = await next.wait(runId);
    expect(outcome.status).toBe('failed');
    expect(outcome.error).toMatch(/step 0 was recorded as step "plan", but the code now calls step "outline"/);
  });

  it('replays a run on the version it started on, and fails one whose version is gone', async () => {
    const hold = gate('v1-draft');
    const v1 = workflow({ version: '1' }, async (run) => {
      await run.step('plan', async () => 'p');
      return run.step('draft', hold.fn);
    });
    const v2 = workflow({ version: '2', previous: [v1] }, async (run) => {
      await run.step('outline', async () => 'o');
      return run.step('draft', async () => 'v2-draft');
    });
    const v3 = workflow({ version: '3' }, async () => 'v3');
    const f = await fresh({ workflows: { wf: v1 } });
    const old = await f.runtime.submit({ workflow: 'wf', input: null });
    const stranded = await f.runtime.submit({ workflow: 'wf', input: 'other' });
    await hold.entered;
    await f.runtime.stop({ drain: false });
    hold.release();
    const next = await f.reopen({ workflows: { wf: v2 }, concurrency: 1 });
    await next.start();
    expect(await next.wait(old.runId)).toMatchObject({ status: 'succeeded', result: 'v1-draft' });
    const fresh2 = await next.submit({ workflow: 'wf', input: 'new' });
    expect(await next.wait(fresh2.runId)).toMatchObject({ status: 'succeeded', result: 'v2-draft' });
    void stranded;
    // A worker without version 1 fails such a run with a message that says so.
    const hold3 = gate('x');
    const v1b = workflow({ version: '1' }, async (run) => {
      await run.step('plan', async () => 'p');
      return run.step('draft', hold3.fn);
    });
    const g = await fresh({ workflows: { wf: v1b } });
    const r = await g.runtime.submit({ workflow: 'wf', input: null });
    await hold3.entered;
    await g.runtime.stop({ drain: false });
    const g2 = await g.reopen({ workflows: { wf: v3 } });
    await g2.start();
    const outcome = await g2.wait(r.runId);
    expect(outcome.status).toBe('failed');
    expect(outcome.error).toMatch(/started on version "1" of workflow "wf", which this worker no longer has/);
  });

  it('rejects a version list that repeats a version', () => {
    const v1 = workflow({ version: '1' }, async () => null);
    let error: unknown;
    try {
      workflow({ version: '1', previous: [v1] }, async () => null);
    } catch (e) {
      error = e;
    }
    expect(isWorkflowError(error, 'InvalidArgument')).toBe(true);
  });
});
