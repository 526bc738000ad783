/**
 * The deploy phase's checks (chaos/deploy-phase.ts) must not be vacuous: a deploy where each
 * run's steps ran in builds that register its workflow and some run crossed a handover between
 * the builds passes; a step of a workflow run by a build that lacks it, and a phase in which no
 * run crossed a handover, are reported.
 */
import { describe, expect, it } from 'vitest';
import { checkDeploy, deployWorkflow, submitBuild } from '../../chaos/deploy-phase.ts';
import type { EffectRecord } from '../../chaos/protocol.ts';
import type { ExpectedRun } from '../../chaos/verify.ts';

const runs: ExpectedRun[] = [
  { runId: 'd0', nonce: 'a', steps: 2, workflow: 'chain' },
  { runId: 'd1', nonce: 'b', steps: 2, workflow: 'chainNew' },
  { runId: 'd2', nonce: 'c', steps: 2, workflow: 'chainOld' },
];

let seq = 0;
function effect(runId: string, step: number, build: '1' | '2'): EffectRecord {
  return { runId, step, attempt: 1, key: 'effect', jobId: `${runId}/${step}`, nonce: 'n', chain: [], instance: `w${build}`, build, seq: ++seq, at: seq };
}

const failed = (effects: EffectRecord[]) => checkDeploy(runs, effects).rows.filter((r) => !r.ok).map((r) => r.check);

describe('chaos deploy checks', () => {
  it('passes a deploy where each run ran where its workflow is registered and a run crossed a handover', () => {
    const v = checkDeploy(runs, [effect('d0', 0, '1'), effect('d2', 0, '1'), effect('d0', 1, '2'), effect('d1', 0, '2'), effect('d1', 1, '2'), effect('d2', 1, '1')]);
    expect(v.violations).toEqual([]);
    expect(v.figures['runs whose steps ran in both builds']).toBe(1);
    expect(v.figures['executor handovers between builds']).toBe(2);
  });

  it('reports a step of a workflow run by a build that does not register it', () => {
    expect(failed([effect('d0', 0, '1'), effect('d0', 1, '2'), effect('d1', 0, '1'), effect('d1', 1, '2'), effect('d2', 0, '1'), effect('d2', 1, '1')])).toEqual([
      'each run ran only in builds that register its workflow',
    ]);
    expect(failed([effect('d0', 0, '1'), effect('d0', 1, '2'), effect('d1', 0, '2'), effect('d1', 1, '2'), effect('d2', 0, '2'), effect('d2', 1, '1')])).toEqual([
      'each run ran only in builds that register its workflow',
    ]);
  });

  it('reports a deploy phase in which no run crossed a handover between the builds', () => {
    expect(failed([effect('d0', 0, '1'), effect('d0', 1, '1'), effect('d1', 0, '2'), effect('d1', 1, '2'), effect('d2', 0, '1'), effect('d2', 1, '1')])).toEqual([
      'the executor role changed hands between builds mid-run',
    ]);
  });

  it('submits each workflow through a tab of a build that registers it', () => {
    const workflows = Array.from({ length: 10 }, (_, i) => deployWorkflow(i));
    expect(new Set(workflows)).toEqual(new Set(['chain', 'chainNew', 'chainOld']));
    expect(workflows.map(submitBuild)).toEqual(workflows.map((w) => ({ chain: undefined, chainNew: '2', chainOld: '1' })[w]));
  });
});
