/**
 * Stepwise and the raw IndexedDB floor, measured on the peers' page in the same run, so every
 * peer figure has a same-run Stepwise figure and a raw single-put rate to be divided by. The
 * workloads are bench/run.ts's own code (bench/raw-cells.ts, bench/queue-cells.ts,
 * bench/runtime-cells.ts), called here on the page instead of in the benchmark SharedWorker
 * (page, dedicated worker or SharedWorker: measured, the context makes no significant difference
 * to IndexedDB cost).
 */
import { loopFigures } from '../loop.ts';
import type { CellCommand } from '../protocol.ts';
import { queueCell } from '../queue-cells.ts';
import { rawPutCell } from '../raw-cells.ts';
import { runtimeCell } from '../runtime-cells.ts';
import { summarize } from '../stats.ts';
import type { LoopCommand, LoopResult, StepsCommand, StepsResult } from './protocol.ts';

function cellCommand(cmd: LoopCommand, cell: CellCommand['cell']): CellCommand {
  return { kind: 'cell', cell, durationMs: cmd.durationMs, maxOps: 1_000_000, warmupOps: cmd.warmupOps, settleMs: cmd.settleMs, lanes: 1 };
}

/** One put per readwrite transaction (durability "default"), sequential, fresh database. */
export async function rawPut(cmd: LoopCommand): Promise<LoopResult> {
  const loop = await rawPutCell(cellCommand(cmd, 'raw-put'), 1);
  return { cell: cmd.cell, ops: loop.ops, elapsedMs: loop.elapsedMs, opsPerSec: loop.ops / (loop.elapsedMs / 1000), latency: summarize(loop.samples) };
}

/** `Queue` enqueue→claim→ack, one lane (bench/queue-cells.ts `queueCell`). */
export async function stepwiseQueue(cmd: LoopCommand): Promise<LoopResult> {
  const loop = await queueCell(cellCommand(cmd, 'queue-lane1'));
  return {
    cell: cmd.cell,
    ...loopFigures(loop),
    parts: { enqueue: summarize(loop.enqueue), claim: summarize(loop.claim), ack: summarize(loop.ack) },
    emptyDequeues: loop.emptyClaims,
  };
}

/** `Runtime` no-op step chains (bench/runtime-cells.ts `runtimeCell`, no subscriber, no depth). */
export async function stepwiseSteps(cmd: StepsCommand): Promise<StepsResult> {
  const r = await runtimeCell({
    kind: 'runtime',
    cell: cmd.cell === 'stepwise-100x10' ? 'rt-100x10' : 'rt-1x200',
    runs: cmd.runs,
    stepsPerRun: cmd.stepsPerRun,
    concurrency: cmd.concurrency,
    subscribed: false,
    depth: 0,
    depthBatch: 0,
    freshDepth: false,
    postPrefillSettleMs: 0,
    warmupRuns: cmd.warmupRuns,
    warmupSteps: cmd.warmupSteps,
    settleMs: cmd.settleMs,
  });
  return {
    cell: cmd.cell,
    runs: r.runs,
    stepsPerRun: r.stepsPerRun,
    concurrency: r.concurrency,
    steps: r.steps,
    submitMs: r.submitMs,
    execMs: r.execMs,
    stepsPerSec: r.stepsPerSec,
    transition: r.transition,
    succeeded: r.succeeded,
    extraDeliveries: r.extraDeliveries,
  };
}
