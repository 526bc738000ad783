/**
 * Which instance follows a handed-off run (Node, fake-indexeddb, MockClock, a real gateway on
 * 127.0.0.1 over an in-memory server): the executor, also for a run another instance of the
 * same database handed off, found by its periodic read of the `handoffs` table.
 */
import { describe, expect, it } from 'vitest';
import { Outcome } from '../../src/core/outcome.ts';
import type { Step } from '../../src/runtime/types.ts';
import { scriptedRunner, waitFor } from '../runtime/harness.ts';
import { handoffs, setup } from './handoff-setup.ts';

const waitsForApproval = () => scriptedRunner([async (s: Step) => Outcome.waitForEvent(`approve:${s.runId}`, { draft: 'd' })]);

describe('following a handed-off run', () => {
  it('is done by the executor for a run another instance handed off, once it next reads the handoffs table', async () => {
    const { runtime, runs, gateway, clock, reopen } = await setup({ workflows: { agent: waitsForApproval() } });
    const other = await reopen(); // opened, not started: it never follows a run itself
    await runtime.submit({ workflow: 'agent', input: {}, runId: 'r1' });
    await waitFor(async () => (await runtime.status('r1'))?.state === 'waiting', 5000, 'waiting');
    expect(await other.handoff('r1', { url: gateway.url })).toMatchObject({ acknowledged: true });
    runs.finish('alice', 'r1', 'succeeded', { result: { report: 'done' } });
    await waitFor(async () => {
      await clock.advance(5000);
      return (await handoffs(runtime)).length === 0;
    }, 5000, 'the landing');
    expect(await runtime.wait('r1')).toMatchObject({ status: 'succeeded', result: { report: 'done' } });
  });
});
