/**
 * A handed-off run while it is remote and when it ends (Node, fake-indexeddb, MockClock, a real
 * gateway on 127.0.0.1 over an in-memory server): its status and progress in watchers, cancel
 * and events forwarded, and its outcome landing as its one terminal state, exactly once.
 */
import { describe, expect, it } from 'vitest';
import { Outcome } from '../../src/core/outcome.ts';
import type { RunEvent } from '../../src/core/types.ts';
import { runtimeInternals, type Runtime } from '../../src/runtime/runtime.ts';
import { land } from '../../src/runtime/remote-landing.ts';
import type { Step } from '../../src/runtime/types.ts';
import { recordingHook, scriptedRunner, waitFor } from '../runtime/harness.ts';
import { handoffs, rows, setup } from './handoff-setup.ts';

const waitsForApproval = () => scriptedRunner([async (s: Step) => Outcome.waitForEvent(`approve:${s.runId}`, { draft: 'd' })]);

async function handedOff(options: Parameters<typeof setup>[0] = {}) {
  const hook = recordingHook('notify');
  const s = await setup({ workflows: { agent: waitsForApproval() }, hooks: [hook], ...options });
  await s.runtime.submit({ workflow: 'agent', input: {}, runId: 'r1' });
  await waitFor(async () => (await s.runtime.status('r1'))?.state === 'waiting', 5000, 'waiting');
  await s.runtime.handoff('r1', { url: s.gateway.url });
  return { ...s, hook };
}

async function terminalMarkers(rt: Runtime): Promise<number> {
  return (await rows(rt, 'terminals')).length;
}

describe('a handed-off run', () => {
  it("lands the server's outcome as the run's one terminal state: wait resolves, the hook runs once, the effects apply", async () => {
    const { runtime, runs, hook } = await handedOff({ memoRetentionMs: 3_600_000 });
    const waiting = runtime.wait('r1');
    runs.finish('alice', 'r1', 'succeeded', { result: { report: 'done' }, stepNumber: 2, effects: [{ op: 'put', key: 'report', value: 'x' }, { op: 'put', key: 'workflow/internal', value: 1 }] });
    const outcome = await waiting;
    expect(outcome).toMatchObject({ runId: 'r1', status: 'succeeded', result: { report: 'done' }, finalStep: 2 });
    await waitFor(() => hook.outcomes.length === 1, 5000, 'the hook');
    await runtimeInternals(runtime).recover();
    expect(hook.outcomes).toHaveLength(1);
    expect(await runtime.kv.get('report')).toBe('x');
    expect(await runtime.kv.get('workflow/internal')).toBeUndefined();
    expect(await handoffs(runtime)).toEqual([]);
    expect(await terminalMarkers(runtime)).toBe(1);
    const s = await runtime.status('r1');
    expect(s).toMatchObject({ state: 'succeeded', stepNumber: 2, result: { report: 'done' } });
    expect(s?.remote).toBeUndefined();
  });

  it('ends the run failed, once, when the gateway rejects the hand-off itself as bad input, instead of sending it forever', async () => {
    const hook = recordingHook('notify');
    const { runtime, runs, gateway } = await setup({ workflows: { agent: waitsForApproval() }, hooks: [hook], gateway: { maxBodyBytes: 64 }, memoRetentionMs: 3_600_000 });
    await runtime.submit({ workflow: 'agent', input: {}, runId: 'r1' });
    await waitFor(async () => (await runtime.status('r1'))?.state === 'waiting', 5000, 'waiting');
    await expect(runtime.handoff('r1', { url: gateway.url })).rejects.toMatchObject({ name: 'HandoffRefused' });
    const outcome = await runtime.wait('r1');
    expect(outcome.status).toBe('failed');
    expect(outcome.error).toContain('HTTP 413');
    await waitFor(() => hook.outcomes.length === 1, 5000, 'the hook');
    expect(runs.runs.size).toBe(0);
    expect(await handoffs(runtime)).toEqual([]);
    expect(await terminalMarkers(runtime)).toBe(1);
  });

  it('lands an outcome that came while every tab was closed, once the browser comes back', async () => {
    const { runtime, runs, hook, reopen } = await handedOff();
    await runtime.stop({ drain: true });
    runs.finish('alice', 'r1', 'failed', { reason: 'the model refused' });
    expect((await runtime.status('r1'))?.state).toBe('waiting');
    const back = await reopen({ hooks: [hook] });
    await back.start();
    const outcome = await back.wait('r1');
    expect(outcome).toMatchObject({ status: 'failed', error: 'the model refused' });
    await waitFor(() => hook.outcomes.length === 1, 5000, 'the hook');
    expect(await handoffs(back)).toEqual([]);
  });

  it('lands once: a second landing of the same outcome writes nothing', async () => {
    const { runtime, runs, hook } = await handedOff();
    await runtime.stop({ drain: true });
    runs.finish('alice', 'r1', 'succeeded', { result: 1 });
    const ctx = runtimeInternals(runtime).ctx;
    const remote = (await runs.status('alice', 'r1'))!;
    expect(await land(ctx, 'r1', remote)).toBe(true);
    const after = JSON.stringify(await rows(runtime, 'runs')) + JSON.stringify(await rows(runtime, 'jobs'));
    expect(await land(ctx, 'r1', { ...remote, result: 2 })).toBe(false);
    expect(JSON.stringify(await rows(runtime, 'runs')) + JSON.stringify(await rows(runtime, 'jobs'))).toBe(after);
    await runtime.start();
    await waitFor(() => hook.outcomes.length === 1, 5000, 'the hook');
    expect(hook.outcomes.map((o) => o.result)).toEqual([1]);
  });

  it('shows its remote state and progress in status, list and watchers', async () => {
    const { runtime, runs, clock, gateway } = await handedOff();
    const seen: RunEvent[] = [];
    runtime.subscribe((e) => seen.push(e));
    runs.update('alice', 'r1', { state: 'running', stepNumber: 1, attempts: 1, progress: { stepNumber: 1, update: { tokens: 'Hel' } } });
    await waitFor(async () => {
      await clock.advance(1000);
      return seen.some((e) => e.type === 'progress');
    }, 5000, 'a progress event');
    expect(seen).toContainEqual({ type: 'progress', runId: 'r1', stepNumber: 1, update: { tokens: 'Hel' } });
    const status = seen.find((e) => e.type === 'status' && e.status.state === 'running');
    expect(status).toMatchObject({ status: { runId: 'r1', stepNumber: 1, attempts: 1, progress: { tokens: 'Hel' }, remote: { url: gateway.url } } });
    expect(await runtime.status('r1')).toMatchObject({ state: 'running', progress: { tokens: 'Hel' } });
    expect((await runtime.list({ state: 'running' })).runs.map((r) => r.runId)).toEqual(['r1']);
  });

  it('forwards cancel to the server, and the cancelled outcome lands', async () => {
    const { runtime, runs, hook } = await handedOff();
    expect(await runtime.cancel('r1')).toBe(true);
    expect(runs.runs.values().next().value!.cancels).toBe(1);
    expect(await runtime.wait('r1')).toMatchObject({ status: 'cancelled' });
    await waitFor(() => hook.outcomes.length === 1, 5000, 'the hook');
    expect(await runtime.cancel('r1')).toBe(false);
  });

  it('forwards an event for the key it waits on to the server, and keeps other keys local', async () => {
    const { runtime, runs } = await handedOff();
    expect(await runtime.sendEvent('approve:r1', { ok: true })).toBe('delivered');
    expect(await runtime.sendEvent('unrelated', 1)).toBe('buffered');
    expect(runs.runs.values().next().value!.events).toEqual([{ key: 'approve:r1', payload: { ok: true } }]);
    expect((await rows<{ key: string }>(runtime, 'events')).map((e) => e.key)).toEqual(['unrelated']);
  });

  it('forwards an event buffered here once the remote run starts waiting on its key, and then drops it locally', async () => {
    const { runtime, runs, clock } = await handedOff();
    runs.update('alice', 'r1', { state: 'running', stepNumber: 1, attempts: 1 });
    await waitFor(async () => {
      await clock.advance(1000);
      return (await runtime.status('r1'))?.state === 'running';
    }, 5000, 'the running status');
    expect(await runtime.sendEvent('later:r1', { n: 1 })).toBe('buffered');
    runs.update('alice', 'r1', { state: 'waiting', stepNumber: 2, attempts: 0, eventKey: 'later:r1' });
    await waitFor(async () => {
      await clock.advance(1000);
      return runs.runs.values().next().value!.events.length === 1;
    }, 5000, 'the forwarded event');
    expect(runs.runs.values().next().value!.events).toEqual([{ key: 'later:r1', payload: { n: 1 } }]);
    await waitFor(async () => (await rows(runtime, 'events')).length === 0, 5000, 'the local buffer to empty');
  });
});
