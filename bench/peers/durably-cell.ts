/**
 * Peer step runtime: `@coji/durably` in its browser mode (SQLite WASM on OPFS through SQLocal's
 * Kysely dialect; needs a cross-origin isolated page), on the page, a fresh database file per cell.
 *
 * The nearest equivalent of Stepwise's "R runs × S no-op steps at concurrency C": one job whose
 * body calls `step.run('s<i>', noop)` S times in order, R runs triggered (concurrently, one
 * `trigger()` each) before the worker starts, `maxConcurrentRuns: C`. durably's unit of
 * concurrency is the run (a run holds its slot until its last step); Stepwise's is the step, and
 * with one step per run in flight the two bound the same thing. Every `step.run` reads the run and
 * the step's cached result, then persists the result in a transaction (what makes it resumable).
 * Worker timing (poll, lease renewal, lease) comes with the command (bench/peers.ts
 * DURABLY_TIMINGS); everything else is durably's default (step rows deleted when a run completes).
 *
 * Timed: `start()` → the R-th `run:complete` event → `stop()`. A transition is a step body's
 * return → the next step body of the same run entering (as Stepwise's runtime cells measure).
 */
import { createDurably, defineJob } from '@coji/durably';
import { SQLocalKysely } from 'sqlocal/kysely';
import { z } from 'zod';
import { PAD, sleep } from '../loop.ts';
import { summarize } from '../stats.ts';
import { DOCS_BROWSER_TIMING } from './durably-timing.ts';
import type { StepsCommand, StepsResult } from './protocol.ts';

/** Stamps every step body; `done` resolves after `expected` `run:complete` events. */
class Recorder {
  transitions: number[] = [];
  stepCalls: number[] = [];
  invocations = 0;
  lastReturn = new Map<string, number>();
  completed = 0;
  expected = 0;
  resolve: () => void = () => undefined;
  reject: (e: Error) => void = () => undefined;
  done: Promise<void> = Promise.resolve();

  reset(expected: number): void {
    this.transitions = [];
    this.stepCalls = [];
    this.invocations = 0;
    this.lastReturn.clear();
    this.completed = 0;
    this.expected = expected;
    this.done = new Promise((res, rej) => ((this.resolve = res), (this.reject = rej)));
  }
}

function openDurably(file: string, rec: Recorder, concurrency: number, timing: NonNullable<StepsCommand['durably']>) {
  const sqlocal = new SQLocalKysely(file);
  const chain = defineJob({
    name: 'chain',
    input: z.object({ steps: z.number(), pad: z.string() }),
    output: z.object({ steps: z.number() }),
    run: async (step, input) => {
      for (let i = 0; i < input.steps; i++) {
        const called = performance.now();
        await step.run(`s${i}`, () => {
          const entered = performance.now();
          rec.invocations++;
          const prev = rec.lastReturn.get(step.runId);
          if (i > 0 && prev !== undefined) rec.transitions.push(entered - prev);
          rec.lastReturn.set(step.runId, performance.now());
          return i;
        });
        rec.stepCalls.push(performance.now() - called);
      }
      return { steps: input.steps };
    },
  });
  const durably = createDurably({
    dialect: sqlocal.dialect,
    maxConcurrentRuns: concurrency,
    ...timing,
    jobs: { chain },
  });
  durably.on('run:complete', () => {
    if (++rec.completed === rec.expected) rec.resolve();
  });
  durably.on('run:fail', (e) => rec.reject(new Error(`durably run ${e.runId} failed: ${e.error}`)));
  return { sqlocal, durably };
}

type Opened = ReturnType<typeof openDurably>;

async function trigger(d: Opened['durably'], runs: number, steps: number): Promise<string[]> {
  const out = await Promise.all(Array.from({ length: runs }, () => d.jobs.chain.trigger({ steps, pad: PAD })));
  return out.map((r) => r.id);
}

/** Triggers `runs`, starts the worker, waits for every completion, stops it. */
async function execute(d: Opened['durably'], rec: Recorder, runs: number, steps: number) {
  rec.reset(runs);
  const t0 = performance.now();
  const ids = await trigger(d, runs, steps);
  const t1 = performance.now();
  d.start();
  await rec.done;
  await d.stop();
  return { ids, submitMs: t1 - t0, execMs: performance.now() - t1 };
}

export async function durablyCell(cmd: StepsCommand): Promise<StepsResult> {
  const file = `peers-durably-${Date.now().toString(36)}-${Math.random().toString(36).slice(2, 8)}.sqlite3`;
  const rec = new Recorder();
  const { sqlocal, durably } = openDurably(file, rec, cmd.concurrency, cmd.durably ?? DOCS_BROWSER_TIMING);
  try {
    await durably.migrate();
    if (cmd.warmupRuns > 0) await execute(durably, rec, cmd.warmupRuns, cmd.warmupSteps);
    await sleep(cmd.settleMs);
    const { ids, submitMs, execMs } = await execute(durably, rec, cmd.runs, cmd.stepsPerRun);
    let succeeded = 0;
    for (const id of ids) if ((await durably.getRun(id))?.status === 'completed') succeeded++;
    return {
      cell: cmd.cell,
      runs: cmd.runs,
      stepsPerRun: cmd.stepsPerRun,
      concurrency: cmd.concurrency,
      steps: rec.invocations,
      submitMs,
      execMs,
      stepsPerSec: rec.invocations / (execMs / 1000),
      transition: summarize(rec.transitions),
      stepCall: summarize(rec.stepCalls),
      succeeded,
      extraDeliveries: rec.invocations - cmd.runs * cmd.stepsPerRun,
    };
  } finally {
    await durably.stop();
    // Deletes the OPFS file and ends SQLocal's worker.
    await sqlocal.deleteDatabaseFile(undefined, true);
  }
}
