/** The timing loop every cell uses: warm up, settle, then run lanes until the window closes. */
import type { CellCommand, LatencySummary } from './protocol.ts';
import { summarize } from './stats.ts';

export const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

export interface LoopOutcome {
  ops: number;
  elapsedMs: number;
  /** Latency of each timed op, in ms. */
  samples: number[];
}

/**
 * Runs `op` `warmupOps` times untimed, waits `settleMs`, then runs `cmd.lanes` concurrent lanes,
 * each calling `op` back to back, until `durationMs` has passed or `maxOps` have started. Ops
 * that started inside the window are finished and counted; the elapsed time runs until the
 * last one ends. `op(lane)` does one operation; its latency is measured here. `onTimedStart`
 * runs between the settle pause and the first timed op (to reset per-cell counters).
 */
export async function runLoop(cmd: CellCommand, op: (lane: number) => Promise<void>, onTimedStart?: () => void): Promise<LoopOutcome> {
  for (let i = 0; i < cmd.warmupOps; i++) await op(i % Math.max(1, cmd.lanes));
  await sleep(cmd.settleMs);
  onTimedStart?.();
  const samples: number[] = [];
  let started = 0;
  const t0 = performance.now();
  const deadline = t0 + cmd.durationMs;
  const lane = async (n: number): Promise<void> => {
    while (started < cmd.maxOps && performance.now() < deadline) {
      started++;
      const a = performance.now();
      await op(n);
      samples.push(performance.now() - a);
    }
  };
  await Promise.all(Array.from({ length: Math.max(1, cmd.lanes) }, (_, n) => lane(n)));
  return { ops: samples.length, elapsedMs: performance.now() - t0, samples };
}

/** A unique database name for one cell, so every cell starts from an empty database. */
export function freshName(prefix: string): string {
  return `${prefix}-${Date.now().toString(36)}-${Math.random().toString(36).slice(2, 8)}`;
}

export function deleteDatabase(name: string): Promise<void> {
  return new Promise((resolve, reject) => {
    const r = indexedDB.deleteDatabase(name);
    r.onsuccess = () => resolve();
    r.onerror = () => reject(r.error);
    // A blocked delete finishes once the last connection closes; every cell closes its own.
    r.onblocked = () => undefined;
  });
}

/** ~200-byte filler, the record size used when the IndexedDB costs in docs/platform.md were measured. */
export const PAD = 'x'.repeat(180);

/** What every loop cell reports: its ops, its timed window, the rate and the latency summary. */
export function loopFigures(loop: LoopOutcome): { ops: number; elapsedMs: number; opsPerSec: number; latency: LatencySummary } {
  return { ops: loop.ops, elapsedMs: loop.elapsedMs, opsPerSec: loop.ops / (loop.elapsedMs / 1000), latency: summarize(loop.samples) };
}
