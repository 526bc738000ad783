/**
 * Two builds of an app on one database (a deploy): the instance holding the executor role may
 * lack the workflow of a run, or the hook of a notification, that the other build accepted. Such
 * a job is put back unspent (src/runtime/parking.ts), never failed, and runs where it is known.
 */
import { describe, expect, it } from 'vitest';
import { Outcome } from '../../src/core/outcome.ts';
import type { Runtime } from '../../src/runtime/runtime.ts';
import type { JobRecord } from '../../src/store/db.ts';
import { recordingHook, scriptedRunner, settle, waitFor } from './harness.ts';
import { fresh } from './lifecycle.ts';
import { jobsIn, jobsOfRun } from './peek.ts';
import { storeOf } from '../support/internals.ts';

function allJobs(rt: Runtime): Promise<JobRecord[]> {
  return storeOf(rt).read((t) => t.getAll<JobRecord>('jobs', undefined), ['jobs']);
}

describe('a deploy: the executor lacks what another build accepted', () => {
  it('puts a run of a workflow it lacks back unspent, and the run succeeds once an instance that knows it executes', async () => {
    const oldWork = scriptedRunner([Outcome.succeed('old')]);
    const { runtime: oldBuild, clock, reopen } = await fresh({ workflows: { shared: oldWork } });
    const fresher = scriptedRunner([Outcome.next('half'), Outcome.succeed('new')]);
    const newBuild = await reopen({ workflows: { shared: oldWork, added: fresher } });
    let parks = 0;
    oldBuild.parking.onParked(() => parks++);

    await newBuild.submit({ workflow: 'added', runId: 'r', input: 'x' });
    await waitFor(async () => (await jobsIn(newBuild, 'scheduled')).length === 1, 5000, 'the old executor to park the job');
    // Ten minutes on the old executor alone: the run stays active, at its step, with no attempt spent.
    for (let i = 0; i < 120; i++) {
      clock.advance(5000);
      await settle(2);
    }
    expect(await newBuild.status('r')).toMatchObject({ runId: 'r', stepNumber: 0 });
    expect((await newBuild.status('r'))!.state).toMatch(/^(pending|scheduled)$/);
    const [job] = await jobsOfRun(newBuild, 'r');
    expect(job).toMatchObject({ attempts: 0, state: 'scheduled', lastError: null });
    expect(await newBuild.history('r')).toEqual([]);
    expect(await newBuild.deadJobs()).toEqual([]);
    // No busy loop: its pause grows, to 30 s (about 25 parks in ten minutes, not one per poll).
    expect(parks).toBeGreaterThan(10);
    expect(parks).toBeLessThan(40);

    // The deploy goes on: the old build stops executing (handing the job back due now) and the new one takes over.
    await oldBuild.stop();
    expect((await newBuild.status('r'))!.state).toBe('pending');
    await newBuild.start();
    await expect(newBuild.wait('r')).resolves.toMatchObject({ status: 'succeeded', result: 'new', finalStep: 1 });
    expect(fresher.calls.map((s) => [s.stepNumber, s.attempts])).toEqual([
      [0, 1],
      [1, 1],
    ]);
  });

  it('puts a terminal notification of a hook it lacks back unspent, and the hook runs once where it is registered', async () => {
    const { runtime: oldBuild, reopen } = await fresh({ start: false });
    const hook = recordingHook('audit');
    const newBuild = await reopen({ hooks: [hook] });
    await newBuild.submit({ workflow: 'wf', runId: 'r', input: 'x' });
    expect(await newBuild.cancel('r')).toBe(true); // ends the run: one notification for 'audit'

    await oldBuild.start();
    await waitFor(async () => (await allJobs(oldBuild)).some((j) => j.state === 'scheduled'), 5000, 'the notification to be parked');
    const [note] = await allJobs(oldBuild);
    expect(note).toMatchObject({ state: 'scheduled', attempts: 0, headers: { 'workflow.terminal': 'audit' } });
    expect(await oldBuild.deadJobs()).toEqual([]);

    await oldBuild.stop();
    await newBuild.start();
    await waitFor(() => hook.outcomes.length === 1, 5000, 'the hook');
    expect(hook.outcomes[0]).toMatchObject({ runId: 'r', status: 'cancelled' });
    await settle(20);
    expect(hook.outcomes).toHaveLength(1);
  });
});
