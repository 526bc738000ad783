/** Messages between the driver (run.ts, through the page) and the benchmark SharedWorker. */
import type { LatencySummary } from '../protocol.ts';

export const CANDIDATES = ['today', 'dexie-idb', 'dexie', 'dexie-cached', 'idb', 'raw'] as const;
export type CandidateName = (typeof CANDIDATES)[number];
/** `raw-put`: one put per transaction on a one-store database (the physical reference). */
export type CellKind = CandidateName | 'raw-put';

export interface CellCommand {
  kind: 'cell';
  cell: CellKind;
  lanes: number;
  durationMs: number;
  maxOps: number;
  warmupOps: number;
  settleMs: number;
}

/**
 * Every listed cell's database open at once; the cells take turns in slices of `sliceMs`
 * (all `lanes` lanes of one cell, then the next cell, the order rotated each round), so each
 * one sees the same machine load. One result per cell, over all its slices.
 */
export interface SlicedCommand {
  kind: 'sliced';
  cells: CellKind[];
  lanes: number;
  sliceMs: number;
  rounds: number;
  warmupOps: number;
}

export type Command = { kind: 'hello' } | CellCommand | SlicedCommand;

export interface HelloResult {
  userAgent: string;
  crossOriginIsolated: boolean;
  timerStepMs: number;
}

export interface CellResult {
  cell: CellKind;
  lanes: number;
  ops: number;
  elapsedMs: number;
  opsPerSec: number;
  latency: LatencySummary;
  /** Step transactions found committed (history records) after the cell: every step, warm-up included. */
  checkedSteps: number | null;
}

export type Reply = { id: number; ok: true; result: unknown } | { id: number; ok: false; error: string };
