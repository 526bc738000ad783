/**
 * Handing a run off (Node, fake-indexeddb, MockClock, a real gateway on 127.0.0.1 over an
 * in-memory server): the one transaction that marks the run, the state it sends, what it
 * refuses, idempotence, and that nothing local ever runs the handed-off run again.
 */
import { describe, expect, it } from 'vitest';
import { isWorkflowError } from '../../src/core/errors.ts';
import { Outcome, StepError } from '../../src/core/outcome.ts';
import { workflow } from '../../src/functions/definition.ts';
import { sweepNow } from '../../src/inspect.ts';
import { runtimeInternals, type Runtime } from '../../src/runtime/runtime.ts';
import type { Step } from '../../src/runtime/types.ts';
import { dumpTables } from '../runtime/dump.ts';
import { gatedRunner, scriptedRunner, waitFor } from '../runtime/harness.ts';
import { fetchAs } from './gateway-server.ts';
import { handoffs, rows, runRecord, setup, stepJobs } from './handoff-setup.ts';

/** Step 0 waits for `approve:<runId>`; step 1 pays for a call (memo), then backs off once. */
function agent() {
  return scriptedRunner([
    async (s: Step) => {
      await s.memo.put('plan', 'step 0 memo');
      return Outcome.waitForEvent(`approve:${s.runId}`, { draft: 'd' });
    },
    async (s: Step) => {
      await s.memo.put('paid', 'answer');
      throw StepError.transient('rate limited', { retryAfterMs: 60_000 });
    },
  ]);
}

async function settled(rt: Runtime, runId: string, state: string): Promise<void> {
  await waitFor(async () => (await rt.status(runId))?.state === state, 5000, `run ${runId} ${state}`);
}

describe('handoff', () => {
  it('hands off a waiting run in one transaction: its job and waiter go, and the server gets the step, payload, headers and the key it waits on', async () => {
    const runner = agent();
    const { runtime, runs, gateway, clock } = await setup({ workflows: { agent: runner } });
    await runtime.submit({ workflow: 'agent', input: { q: 1 }, runId: 'r1', headers: { tenant: 't1' } });
    await settled(runtime, 'r1', 'waiting');

    const out = await runtime.handoff('r1', { url: gateway.url });
    expect(out).toEqual({ runId: 'r1', url: gateway.url, since: clock.now(), acknowledged: true });
    expect(await stepJobs(runtime)).toEqual([]);
    expect(await rows(runtime, 'events')).toEqual([]);
    const run = runs.runs.values().next().value!;
    expect(run.owner).toBe('alice');
    expect(run.state).toEqual({ runId: 'r1', workflow: 'agent', stepNumber: 1, attempts: 0, maxAttempts: 3, payload: { draft: 'd' }, headers: { tenant: 't1' }, submittedAt: (await runRecord(runtime, 'r1'))!.submittedAt, waiting: { key: 'approve:r1' }, memo: [] });
    const s = await runtime.status('r1');
    expect(s).toMatchObject({ state: 'waiting', stepNumber: 1, eventKey: 'approve:r1', remote: { url: gateway.url, since: clock.now() } });
    expect((await handoffs(runtime))[0]).toMatchObject({ phase: 'remote', url: gateway.url });
  });

  it('sends the memo entries of the step it hands off and later ones, not earlier ones, and the backoff it is in', async () => {
    const runner = agent();
    const { runtime, runs, gateway } = await setup({ workflows: { agent: runner } });
    await runtime.submit({ workflow: 'agent', input: {}, runId: 'r1' });
    await settled(runtime, 'r1', 'waiting');
    await runtime.sendEvent('approve:r1', true);
    await waitFor(async () => Number.isFinite((await runtime.status('r1'))?.wakeAt) && runner.calls.length === 2, 5000, 'the backoff');
    const job = (await stepJobs(runtime))[0]!;

    await runtime.handoff('r1', { url: gateway.url });
    const sent = runs.runs.values().next().value!.state;
    expect(sent).toMatchObject({ stepNumber: 1, attempts: 1, dueAt: job.runAt, memo: [{ stepNumber: 1, key: 'k:paid', value: 'answer' }] });
    expect(sent.waiting).toMatchObject({ key: 'approve:r1' });
    expect(sent.bufferedEvents).toEqual([{ key: 'approve:r1', payload: true }]);
  });

  it("sends a workflow() run's journal with it, so the server replays the function", async () => {
    const fn = workflow(async (run) => {
      const a = await run.step('a', async () => 'first');
      const ok = await run.waitForEvent<boolean>('approval', `approve:${run.runId}`);
      return { a, ok };
    });
    const { runtime, runs, gateway } = await setup({ workflows: { agent: fn } });
    await runtime.submit({ workflow: 'agent', input: {}, runId: 'r1' });
    await settled(runtime, 'r1', 'waiting');
    const instance = (await runRecord(runtime, 'r1'))!.instanceId!;
    await runtime.handoff('r1', { url: gateway.url });
    const memo = runs.runs.values().next().value!.state.memo;
    expect(memo.length).toBeGreaterThan(0);
    expect(memo.every((m) => m.stepNumber === -1 && m.key.startsWith(`f:${instance}:`))).toBe(true);
  });

  it('refuses a workflow the server does not run with HandoffRefused and writes nothing', async () => {
    const { runtime, runs, gateway } = await setup({ workflows: { agent: agent() }, served: ['other'] });
    await runtime.submit({ workflow: 'agent', input: {}, runId: 'r1' });
    await settled(runtime, 'r1', 'waiting');
    const before = await dumpTables(runtime);
    const e = await runtime.handoff('r1', { url: gateway.url }).catch((x: unknown) => x);
    expect(isWorkflowError(e, 'HandoffRefused')).toBe(true);
    expect((e as Error).message).toMatch(/does not run workflow "agent": deploy it/);
    expect(await dumpTables(runtime)).toEqual(before);
    expect(runs.startCalls).toBe(0);
  });

  it('refuses a caller the gateway does not authenticate with HandoffRefused and writes nothing', async () => {
    const { runtime, runs, gateway } = await setup({ workflows: { agent: agent() }, handoff: { fetch: (u, i) => fetch(u, i) } });
    await runtime.submit({ workflow: 'agent', input: {}, runId: 'r1' });
    await settled(runtime, 'r1', 'waiting');
    const e = await runtime.handoff('r1', { url: gateway.url }).catch((x: unknown) => x);
    expect(isWorkflowError(e, 'HandoffRefused')).toBe(true);
    expect(await handoffs(runtime)).toEqual([]);
    expect(await stepJobs(runtime)).toHaveLength(1);
    expect(runs.startCalls).toBe(0);
  });

  it('answers RunNotFound for an unknown run, RunTerminal for an ended one, InvalidArgument for a bad URL', async () => {
    const { runtime, gateway } = await setup({ workflows: { agent: scriptedRunner([Outcome.succeed(1)]) } });
    await runtime.submit({ workflow: 'agent', input: {}, runId: 'done' });
    await settled(runtime, 'done', 'succeeded');
    await expect(runtime.handoff('nope', { url: gateway.url })).rejects.toMatchObject({ name: 'RunNotFound' });
    await expect(runtime.handoff('done', { url: gateway.url })).rejects.toMatchObject({ name: 'RunTerminal' });
    await expect(runtime.handoff('done', { url: 'ftp://x' })).rejects.toMatchObject({ name: 'InvalidArgument' });
    await expect(runtime.handoff('done', { url: 'http://user:secret@127.0.0.1/' })).rejects.toMatchObject({ name: 'InvalidArgument', message: expect.not.stringContaining('secret') });
    expect(await handoffs(runtime)).toEqual([]);
  });

  it('waits for a running step to settle, then hands off the step that follows', async () => {
    const runner = gatedRunner((s) => (s.stepNumber === 0 ? Outcome.next({ n: 2 }, { delayMs: 1000 }) : Outcome.succeed('local')));
    const { runtime, runs, gateway, clock } = await setup({ workflows: { agent: runner } });
    await runtime.submit({ workflow: 'agent', input: {}, runId: 'r1' });
    await runner.entered();
    const handing = runtime.handoff('r1', { url: gateway.url });
    await waitFor(() => clock.pendingTimers > 0, 5000, 'the hand-off to wait');
    expect(runs.startCalls).toBe(0);
    runner.release();
    let done = false;
    void handing.then(() => (done = true), () => (done = true));
    while (!done) {
      await clock.advance(100);
      await new Promise((r) => setTimeout(r, 5));
    }
    const out = await handing;
    expect(out.acknowledged).toBe(true);
    expect(runs.runs.values().next().value!.state).toMatchObject({ stepNumber: 1, attempts: 0, payload: { n: 2 } });
    expect(runner.calls).toHaveLength(1);
    expect(await stepJobs(runtime)).toEqual([]);
  });

  it('gives up with Timeout when the step keeps running, and writes nothing', async () => {
    const runner = gatedRunner(() => Outcome.succeed(1));
    const { runtime, runs, gateway, clock } = await setup({ workflows: { agent: runner } });
    await runtime.submit({ workflow: 'agent', input: {}, runId: 'r1' });
    await runner.entered();
    const handing = runtime.handoff('r1', { url: gateway.url, timeoutMs: 1000 }).catch((x: unknown) => x);
    let e: unknown;
    void handing.then((x) => (e = x));
    while (e === undefined) {
      await clock.advance(250);
      await new Promise((r) => setTimeout(r, 5));
    }
    expect(isWorkflowError(e, 'Timeout')).toBe(true);
    expect((e as Error).message).toMatch(/still running after 1000 ms/);
    expect(await handoffs(runtime)).toEqual([]);
    expect(runs.startCalls).toBe(0);
    runner.release();
  });

  it('is idempotent: a second hand-off answers the first, and the server runs one', async () => {
    const { runtime, runs, gateway } = await setup({ workflows: { agent: agent() } });
    await runtime.submit({ workflow: 'agent', input: {}, runId: 'r1' });
    await settled(runtime, 'r1', 'waiting');
    const a = await runtime.handoff('r1', { url: gateway.url });
    const b = await runtime.handoff('r1', { url: gateway.url });
    expect(b).toEqual(a);
    await expect(runtime.handoff('r1', { url: 'http://127.0.0.1:1/elsewhere' })).rejects.toMatchObject({ name: 'InvalidState' });
    expect(runs.started).toBe(1);
  });

  it('sends a hand-off that did not get through again until the gateway takes it, starting one server run', async () => {
    let failPosts = 2;
    const alice = fetchAs('alice');
    const flaky: typeof fetch = async (u, init) => {
      if (init?.method === 'POST' && String(u).endsWith('/runs') && failPosts-- > 0) throw new TypeError('fetch failed');
      return alice(u, init);
    };
    const { runtime, runs, gateway, clock } = await setup({ workflows: { agent: agent() }, handoff: { fetch: flaky, retryMs: 1000 } });
    await runtime.submit({ workflow: 'agent', input: {}, runId: 'r1' });
    await settled(runtime, 'r1', 'waiting');
    const out = await runtime.handoff('r1', { url: gateway.url });
    expect(out.acknowledged).toBe(false);
    expect((await runtime.status('r1'))?.remote).toEqual({ url: gateway.url, since: out.since });
    expect(await stepJobs(runtime)).toEqual([]);
    while ((await handoffs(runtime))[0]?.phase !== 'remote') {
      await clock.advance(1000);
      await new Promise((r) => setTimeout(r, 5));
    }
    expect(runs.started).toBe(1);
    expect((await handoffs(runtime))[0]!.state).toBeUndefined();
  });

  it('never runs a handed-off run locally again: not after recovery, a sweep, or a restart', async () => {
    const runner = agent();
    const { runtime, gateway, reopen, clock } = await setup({ workflows: { agent: runner } });
    await runtime.submit({ workflow: 'agent', input: {}, runId: 'r1' });
    await settled(runtime, 'r1', 'waiting');
    await runtime.handoff('r1', { url: gateway.url });
    // An event sent for the key now goes to the server, not to a local buffer.
    expect(await runtime.sendEvent('approve:r1', true)).toBe('delivered');
    await runtimeInternals(runtime).recover();
    await sweepNow(runtime);
    await runtime.stop({ drain: false });
    const again = await reopen({ workflows: { agent: runner } });
    await again.start();
    await clock.advance(120_000);
    await runtimeInternals(again).recover();
    await new Promise((r) => setTimeout(r, 50));
    expect(runner.calls).toHaveLength(1);
    expect(await stepJobs(again)).toEqual([]);
    expect((await again.status('r1'))?.remote?.url).toBe(gateway.url);
    expect((await again.list()).runs.map((r) => [r.runId, r.remote?.url])).toEqual([['r1', gateway.url]]);
  });
});
