import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Outcome } from '../../src/core/outcome.ts';
import { workflow } from '../../src/functions/definition.ts';
import type { StepRunner, TerminalHook } from '../../src/runtime/types.ts';
import { ended, handoff, newRunId, startRemote, type Remote } from './support.ts';

const counter: StepRunner = async (step) => {
  const n = (step.payload as { n: number }).n;
  if (step.stepNumber < 2) return Outcome.next({ n: n + 1 });
  step.effects.put('done', n);
  return Outcome.succeed({ n, step: step.stepNumber });
};

const greet = workflow(async (run, input: { name: string }) => {
  const a = await run.step('upper', async () => input.name.toUpperCase());
  const b = await run.step('exclaim', async () => `${a}!`);
  return { text: b };
});

const hookCalls: { runId: string; status: string }[] = [];
const audit: TerminalHook = {
  name: 'audit',
  async onTerminal(outcome, effects) {
    hookCalls.push({ runId: outcome.runId, status: outcome.status });
    effects.put(`audit/${outcome.runId}`, outcome.status);
  },
};

let remote: Remote;
beforeAll(async () => {
  remote = await startRemote({ workflows: { counter, greet }, hooks: [audit] });
}, 60_000);
afterAll(async () => {
  await remote?.close();
});

describe('remote runs on Restate', () => {
  it('runs a StepRunner workflow to completion with the effects its steps staged', async () => {
    const runId = newRunId();
    expect(await remote.runs.start('alice', handoff('counter', runId, { n: 0 }))).toEqual({ started: true });
    const s = await ended(remote.runs, 'alice', runId);
    expect(s).toMatchObject({ state: 'succeeded', result: { n: 2, step: 2 }, stepNumber: 2, attempts: 1, effects: [{ op: 'put', key: 'done', value: 2 }] });
    expect(await remote.runs.outcome('alice', runId, 0)).toEqual(s);
  });

  it('fires each terminal hook once per remote run', async () => {
    const runId = newRunId();
    await remote.runs.start('alice', handoff('counter', runId, { n: 1 }));
    await ended(remote.runs, 'alice', runId);
    await remote.runs.start('alice', handoff('counter', runId, { n: 1 }));
    expect(hookCalls.filter((c) => c.runId === runId)).toEqual([{ runId, status: 'succeeded' }]);
  });

  it('runs a workflow() function to completion', async () => {
    const runId = newRunId();
    await remote.runs.start('alice', handoff('greet', runId, { name: 'ada' }));
    const s = await ended(remote.runs, 'alice', runId);
    expect(s).toMatchObject({ state: 'succeeded', result: { text: 'ADA!' } });
  });
});
