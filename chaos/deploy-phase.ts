/**
 * The deploy phase: two builds of the app on one database, as during a deploy (docs/deploys.md).
 *
 * Build 1 (old) registers `chain` and `chainOld`; build 2 (new) registers `chain` and
 * `chainNew` (it removed `chainOld`). Each build's worker has its own script URL, so each gets
 * its own SharedWorker; the executor lock elects one of them. The phase starts with a tab of
 * the old build, and its first fault is the deploy: a tab of the new build opens. Runs of the
 * three workflows are submitted through tabs whose build registers them (`chain` through
 * either). Whichever build executes meets work it lacks: it must put it back unspent and yield
 * the role to the other build, never fail the run. Faults: every tab of one build closed (its
 * worker dies with steps in flight) and one reopened a while later, reloads, tabs of either
 * build opened, a crash, close-all, SIGKILL + relaunch (one tab per build reopened).
 *
 * Checks, beside the common ones (every run succeeded once with its whole chain, one terminal
 * marker, history attempts 1..n per step: a put-back spent no attempt): each run's steps ran
 * only in a build that registers its workflow, and the executor role changed hands between the
 * builds in the middle of runs.
 */
import { Checks, groupBy, type Verification } from './checks.ts';
import type { FaultKind, Faults } from './faults.ts';
import { NEW_WORKFLOW, OLD_WORKFLOW, WORKFLOW, workflowsOf, type ChaosWorkflow, type EffectRecord } from './protocol.ts';
import type { Build, TabSpec, Tabs } from './tabs.ts';
import { sleep, type Rng } from './util.ts';
import type { ExpectedRun } from './verify.ts';

/** The workflow of the deploy phase's i-th run: 2 in 5 `chain`, 2 in 5 `chainNew`, 1 in 5 `chainOld`. */
export function deployWorkflow(i: number): ChaosWorkflow {
  return ([WORKFLOW, NEW_WORKFLOW, WORKFLOW, NEW_WORKFLOW, OLD_WORKFLOW] as const)[i % 5]!;
}

/** The build whose tabs may submit a run of `workflow` (`undefined`: either). */
export function submitBuild(workflow: ChaosWorkflow | undefined): Build | undefined {
  if (workflow === NEW_WORKFLOW) return '2';
  if (workflow === OLD_WORKFLOW) return '1';
  return undefined;
}

/** A tab a deploy-phase fault opens: of either build. */
export function deployTab(rng: Rng): TabSpec {
  return { build: rng.next() < 0.5 ? '1' : '2' };
}

/** The deploy phase's own fault actions. */
export function deployFaults(tabs: Tabs, faults: Faults, rng: Rng): Partial<Record<FaultKind, () => Promise<string>>> {
  return {
    async deploy() {
      faults.counts.deploy++;
      const tab = await tabs.open({ build: '2' });
      return `deploy: opened tab ${tab.n} of the new build beside ${tabs.live('1').length} tab(s) of the old one`;
    },
    async closeBuild() {
      const builds = tabs.builds();
      const build = rng.pick(builds);
      const other: Build = build === '1' ? '2' : '1';
      // Someone must take the role over: open the other build first if no tab of it is open.
      const opened = tabs.live(other).length === 0 ? `opened tab ${(await tabs.open({ build: other })).n} of build ${other}, then ` : '';
      const victims = tabs.live(build);
      const pause = rng.int(500, 3000);
      faults.counts.closeBuild++;
      for (const tab of victims) await tabs.close(tab);
      await sleep(pause);
      const tab = await tabs.open({ build });
      return `${opened}closed every tab of build ${build} (${victims.map((t) => t.n).join(', ')}), reopened tab ${tab.n} of it after ${pause} ms`;
    },
  };
}

/** Each run's steps ran only in builds that register its workflow, and the role changed hands mid-run. */
export function checkDeploy(expected: readonly ExpectedRun[], effects: readonly EffectRecord[]): Verification {
  const checks = new Checks();
  const byRun = groupBy(effects, (e) => e.runId);
  const workflowOf = new Map(expected.map((r) => [r.runId, r.workflow ?? WORKFLOW]));

  const misplaced: string[] = [];
  for (const e of effects) {
    const w = workflowOf.get(e.runId);
    if (w !== undefined && !workflowsOf(e.build).includes(w)) {
      misplaced.push(`${e.runId} (${w}): step ${e.step} attempt ${e.attempt} ran on instance ${e.instance} of build ${e.build ?? 'none'}, which does not register ${w}`);
    }
  }
  const badRuns = new Set(misplaced.map((m) => m.split(' ')[0]));
  checks.check('each run ran only in builds that register its workflow', expected.length - badRuns.size, expected.length, misplaced);

  // A handover: consecutive effects (ledger order) by two worker instances.
  const ordered = [...effects].sort((a, b) => a.seq - b.seq);
  let handovers = 0;
  let crossBuild = 0;
  for (let i = 1; i < ordered.length; i++) {
    if (ordered[i]!.instance === ordered[i - 1]!.instance) continue;
    handovers++;
    if (ordered[i]!.build !== ordered[i - 1]!.build) crossBuild++;
  }
  const crossed = expected.filter((r) => new Set((byRun.get(r.runId) ?? []).map((e) => e.build)).size > 1);
  const byBuild = groupBy(effects, (e) => e.build ?? 'none');
  checks.figures['effects by build 1 (old)'] = byBuild.get('1')?.length ?? 0;
  checks.figures['effects by build 2 (new)'] = byBuild.get('2')?.length ?? 0;
  checks.figures['executor handovers (consecutive effects by two instances)'] = handovers;
  checks.figures['executor handovers between builds'] = crossBuild;
  checks.figures['runs whose steps ran in both builds'] = crossed.length;
  for (const w of [WORKFLOW, NEW_WORKFLOW, OLD_WORKFLOW]) checks.figures[`runs of ${w}`] = expected.filter((r) => (r.workflow ?? WORKFLOW) === w).length;
  checks.check(
    'the executor role changed hands between builds mid-run',
    crossed.length,
    expected.length,
    crossed.length > 0 ? [] : ['no run had steps executed by both builds: the phase did not test a handover mid-run'],
    `${crossed.length} run(s) crossed a handover; ${crossBuild} handover(s) between builds, ${handovers} in all`,
  );
  return checks.result();
}
