/**
 * The runtime under test: no-op step chains through `Runtime` (taquba-workflow's "step
 * transitions" workload), in the benchmark worker, on a fresh database per cell.
 *
 * A cell: open the runtime → [depth prefill, see below] → untimed warm-up runs (start, drain, stop) →
 * settle → submit every timed run (concurrently) while the executor is stopped → `start()` →
 * the last runner of the last run returns → `stop({ drain: true })`, which returns once every
 * settlement in flight has committed, i.e. every run is terminal. `stop` is used rather than
 * `wait()` because `wait` subscribes to run events, and a subscribed runtime builds every
 * settled run's status inside the settlement (extra reads) — `serve()` always subscribes, so
 * the `subscribed` variant measures that path on purpose.
 *
 * The runner stamps `performance.now()` on entry and just before it returns; a transition is a
 * step's return → the next step of the same run entering its runner. With `functions`, the
 * chain is a `workflow()` whose `run.step` fns stamp the same way: a transition then also
 * covers the step's journal write and the replay of the steps before the next one.
 */
import { Outcome } from '../src/core/outcome.ts';
import { workflow } from '../src/functions/definition.ts';
import { Runtime } from '../src/runtime/runtime.ts';
import type { StepRunner } from '../src/runtime/types.ts';
import { txCounter } from './instrument.ts';
import { PAD, deleteDatabase, freshName, sleep } from './loop.ts';
import { jobRecord } from './raw-cells.ts';
import type { RuntimeCellCommand, RuntimeCellResult } from './protocol.ts';
import { sliceMeans, summarize } from './stats.ts';
import { queueOf, stats as queueStats } from '../src/inspect.ts';
import { engineOf } from '../src/inspect/queue.ts';

export const WORKFLOW = 'chain';
export const STEPS_QUEUE = 'workflow-steps';
/** Header that marks the depth cell's foreign jobs. */
export const FOREIGN_HEADER = 'bench.foreign';

export interface ChainInput {
  steps: number;
  pad: string;
}

/** Stamps every step of every run; resolves `done` when `expected` runs have returned their last step. */
export class StepRecorder {
  transitions: number[] = [];
  /** Runner entry and return times in order (the transition profile reads them). */
  enters: number[] = [];
  returns: number[] = [];
  invocations = 0;
  #lastReturn = new Map<string, number>();
  #finished = 0;
  #expected = 0;
  #resolve: () => void = () => undefined;
  done: Promise<void> = Promise.resolve();

  reset(expectedRuns: number): void {
    this.transitions = [];
    this.enters = [];
    this.returns = [];
    this.invocations = 0;
    this.#lastReturn.clear();
    this.#finished = 0;
    this.#expected = expectedRuns;
    this.done = new Promise((r) => (this.#resolve = r));
  }

  readonly runner: StepRunner = async (step) => {
    const input = step.payload as unknown as ChainInput;
    const last = step.stepNumber + 1 >= input.steps;
    this.#enter(step.runId, step.stepNumber);
    const out = last ? Outcome.succeed({ steps: step.stepNumber + 1 }) : Outcome.next(step.payload);
    this.#leave(step.runId, last);
    return out;
  };

  /**
   * The same chain as a durable function: one `run.step` per step, each a no-op stamped like
   * the runner (its `fn` runs once per step; the steps before it are replayed from the journal).
   */
  readonly workflow = workflow(async (run, input: ChainInput) => {
    for (let i = 0; i < input.steps; i++) {
      await run.step(`s${i}`, async (step) => {
        const last = i + 1 >= input.steps;
        this.#enter(step.runId, step.stepNumber);
        this.#leave(step.runId, last);
        return i;
      });
    }
    return { steps: input.steps };
  });

  #enter(runId: string, stepNumber: number): void {
    const entered = performance.now();
    this.invocations++;
    this.enters.push(entered);
    const prev = this.#lastReturn.get(runId);
    if (stepNumber > 0 && prev !== undefined) this.transitions.push(entered - prev);
  }

  #leave(runId: string, last: boolean): void {
    const returned = performance.now();
    this.returns.push(returned);
    this.#lastReturn.set(runId, returned);
    if (last && ++this.#finished === this.#expected) this.#resolve();
  }
}

const range = (n: number) => Array.from({ length: n }, (_, i) => i);

export async function submitRuns(rt: Runtime, runs: number, steps: number, prefix: string): Promise<string[]> {
  const out = await Promise.all(range(runs).map((i) => rt.submit({ workflow: WORKFLOW, runId: `${prefix}-${i}`, input: { steps, pad: PAD } })));
  return out.map((o) => o.runId);
}

/** Untimed runs on the same runtime: JIT-compiles the hot paths, then leaves the executor stopped. */
export async function warmUp(rt: Runtime, rec: StepRecorder, runs: number, steps: number, prefix: string): Promise<void> {
  if (runs <= 0) return;
  rec.reset(runs);
  await submitRuns(rt, runs, steps, prefix);
  await rt.start();
  await rec.done;
  await rt.stop({ drain: true });
}

/** Sequential single-put transactions measured on a cell's own database. */
const DB_PUTS = 300;

/**
 * `n` sequential one-put transactions on the runtime's database: into `kv` (a store without
 * indexes) and into `jobs` (a finished job of a queue no cell reads, never claimable: the store
 * every transition writes, whose indexes make each put look up the record it replaces).
 * Records removed afterwards.
 * @returns puts/s for each
 */
async function dbPutRates(rt: Runtime, n: number): Promise<{ kv: number; jobs: number }> {
  const store = engineOf(rt).store;
  let t0 = performance.now();
  for (let i = 0; i < n; i++) await store.write(async (t) => t.put('kv', { key: `bench.put.${i}`, value: PAD }));
  const kv = n / ((performance.now() - t0) / 1000);
  const ids: string[] = [];
  t0 = performance.now();
  for (let i = 0; i < n; i++) {
    const id = `bench-put-${i}-${Math.random().toString(36).slice(2)}`;
    ids.push(id);
    await store.write(async (t) => t.put('jobs', jobRecord(id, 'bench.puts', Date.now(), { state: 'done', maxAttempts: 1, attempts: 1 })));
  }
  const jobs = n / ((performance.now() - t0) / 1000);
  await store.write(async (t) => {
    t.delete('kv', t.keyRange.bound('bench.put.', 'bench.put.\uffff'));
    for (const id of ids) t.delete('jobs', id);
  });
  return { kv, jobs };
}


/** Inserts `depth` foreign jobs due in ~10 years (never claimable during a bench). */
async function prefill(rt: Runtime, depth: number, batch: number): Promise<number> {
  const far = Date.now() + 10 * 365 * 24 * 3600 * 1000;
  const t0 = performance.now();
  for (let i = 0; i < depth; i += batch) {
    const items = range(Math.min(batch, depth - i)).map((j) => ({
      payload: { foreign: i + j, pad: PAD },
      runAt: far + (i + j) * 1000,
      headers: { [FOREIGN_HEADER]: '1' },
    }));
    await queueOf(rt).enqueueBatch(STEPS_QUEUE, items);
  }
  return performance.now() - t0;
}

/**
 * The depth cell's database: prefilled once per bench run and kept (a 100k prefill takes
 * 10–25 s here, too long to repeat every rep), unless `freshDepth`. Runs of each rep use
 * their own ids; the foreign jobs are checked after every rep.
 */
let sharedDepthDb: { name: string; depth: number } | undefined;

export async function runtimeCell(cmd: RuntimeCellCommand): Promise<RuntimeCellResult> {
  const reuse = cmd.depth > 0 && !cmd.freshDepth;
  const first = reuse && sharedDepthDb?.depth !== cmd.depth;
  const name = reuse && !first ? sharedDepthDb!.name : freshName(cmd.depth > 0 ? 'bench-rt-depth' : 'bench-rt');
  const rec = new StepRecorder();
  const rt = await Runtime.open({ name, workflows: { [WORKFLOW]: cmd.functions === true ? rec.workflow : rec.runner }, concurrency: cmd.concurrency });
  const unsubscribe = cmd.subscribed ? rt.subscribe(() => undefined) : () => undefined;
  const tag = Math.random().toString(36).slice(2, 8);
  try {
    let prefillMs = NaN;
    if (cmd.depth > 0 && (first || !reuse)) {
      prefillMs = await prefill(rt, cmd.depth, cmd.depthBatch);
      if (reuse) sharedDepthDb = { name, depth: cmd.depth };
      await sleep(cmd.postPrefillSettleMs);
    }
    await warmUp(rt, rec, cmd.warmupRuns, cmd.warmupSteps, `warm-${tag}`);
    await sleep(cmd.settleMs);

    rec.reset(cmd.runs);
    const t0 = performance.now();
    const ids = await submitRuns(rt, cmd.runs, cmd.stepsPerRun, `run-${tag}`);
    const t1 = performance.now();
    const rw0 = txCounter.readwrite;
    const ro0 = txCounter.readonly;
    await rt.start();
    await rec.done;
    await rt.stop({ drain: true });
    const t2 = performance.now();
    const rw = txCounter.readwrite - rw0;
    const ro = txCounter.readonly - ro0;
    const steps = rec.invocations;

    const dbPuts = await dbPutRates(rt, DB_PUTS);

    // Untimed checks: every run ended at its last step; the foreign jobs were never touched.
    let succeeded = 0;
    for (const id of ids) {
      const s = await rt.status(id);
      if (s?.state === 'succeeded' && s.stepNumber === cmd.stepsPerRun - 1) succeeded++;
    }
    const result: RuntimeCellResult = {
      cell: cmd.cell,
      runs: cmd.runs,
      stepsPerRun: cmd.stepsPerRun,
      concurrency: cmd.concurrency,
      steps,
      submitMs: t1 - t0,
      execMs: t2 - t1,
      stepsPerSec: steps / ((t2 - t1) / 1000),
      stepsPerSecFromSubmit: steps / ((t2 - t0) / 1000),
      transition: summarize(rec.transitions),
      transitionDecileMeansMs: sliceMeans(rec.transitions),
      extraDeliveries: steps - cmd.runs * cmd.stepsPerRun,
      readwriteTxPerStep: rw / Math.max(1, steps),
      readonlyTxPerStep: ro / Math.max(1, steps),
      succeeded,
      dbPutsPerSec: dbPuts.kv,
      dbJobPutsPerSec: dbPuts.jobs,
    };
    if (cmd.depth > 0) {
      const stats = await queueStats(rt, STEPS_QUEUE);
      result.depth = {
        foreign: cmd.depth,
        prefilledThisRep: !Number.isNaN(prefillMs),
        prefillMs,
        prefillRecordsPerSec: cmd.depth / (prefillMs / 1000),
        foreignScheduledAfter: stats.scheduled,
        deadAfter: stats.dead,
      };
    }
    return result;
  } finally {
    unsubscribe();
    await rt.close();
    if (!reuse) await deleteDatabase(name);
  }
}
