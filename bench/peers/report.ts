/**
 * Driver side of the peer benchmark: per-rep results → medians over reps, ratios to the raw
 * IndexedDB single-put rate of the same run (and peer ÷ Stepwise), and a short readable table.
 */
import { median } from '../stats.ts';
import type { LatencySummary, LoopResult, StepsResult } from './protocol.ts';

export interface Latency {
  p50: number;
  p99: number;
  mean: number;
}

const round = (v: number, digits = 3): number => (Number.isFinite(v) ? Number(v.toFixed(digits)) : v);

function latency(list: LatencySummary[]): Latency {
  return { p50: round(median(list.map((l) => l.p50))), p99: round(median(list.map((l) => l.p99))), mean: round(median(list.map((l) => l.mean))) };
}

export interface LoopMedians {
  reps: number;
  opsPerSec: number;
  opsPerSecMin: number;
  opsPerSecMax: number;
  latencyMs: Latency;
  partsMs?: Record<string, Latency>;
  emptyDequeues?: number;
}

export function loopMedians(reps: LoopResult[]): LoopMedians {
  const ops = reps.map((r) => r.opsPerSec);
  const out: LoopMedians = {
    reps: reps.length,
    opsPerSec: round(median(ops), 1),
    opsPerSecMin: round(Math.min(...ops), 1),
    opsPerSecMax: round(Math.max(...ops), 1),
    latencyMs: latency(reps.map((r) => r.latency)),
  };
  const names = Object.keys(reps[0]?.parts ?? {});
  if (names.length > 0) out.partsMs = Object.fromEntries(names.map((n) => [n, latency(reps.map((r) => r.parts![n]!))]));
  if (reps.some((r) => r.emptyDequeues !== undefined)) out.emptyDequeues = reps.reduce((a, r) => a + (r.emptyDequeues ?? 0), 0);
  return out;
}

export interface StepsMedians {
  reps: number;
  runs: number;
  stepsPerRun: number;
  concurrency: number;
  stepsPerSec: number;
  stepsPerSecMin: number;
  stepsPerSecMax: number;
  /** Per-step latency: a step body's return → the next step body of the same run entering. */
  transitionMs: Latency;
  stepCallMs?: Latency;
  submitMs: number;
  /** Over all reps: should be runs × reps and 0. */
  succeeded: number;
  extraDeliveries: number;
}

export function stepsMedians(reps: StepsResult[]): StepsMedians {
  const sps = reps.map((r) => r.stepsPerSec);
  const first = reps[0]!;
  const out: StepsMedians = {
    reps: reps.length,
    runs: first.runs,
    stepsPerRun: first.stepsPerRun,
    concurrency: first.concurrency,
    stepsPerSec: round(median(sps), 1),
    stepsPerSecMin: round(Math.min(...sps), 1),
    stepsPerSecMax: round(Math.max(...sps), 1),
    transitionMs: latency(reps.map((r) => r.transition)),
    submitMs: round(median(reps.map((r) => r.submitMs)), 1),
    succeeded: reps.reduce((a, r) => a + r.succeeded, 0),
    extraDeliveries: reps.reduce((a, r) => a + r.extraDeliveries, 0),
  };
  if (reps.every((r) => r.stepCall)) out.stepCallMs = latency(reps.map((r) => r.stepCall!));
  return out;
}

/** `a ÷ b`, rounded; NaN-safe for absent cells. */
export const ratio = (a: number | undefined, b: number | undefined): number | null =>
  a === undefined || b === undefined || !Number.isFinite(a) || !Number.isFinite(b) || b === 0 ? null : round(a / b);

export interface TableRow {
  name: string;
  rate: number | undefined;
  unit: string;
  p50: number | undefined;
  p99: number | undefined;
  /** What p50/p99 are of. */
  latencyOf: string;
  note?: string;
}

export function renderTable(rows: TableRow[], rawPutPerSec: number): string {
  const fmt = (v: number | undefined, d: number) => (v === undefined || !Number.isFinite(v) ? '—' : v.toFixed(d));
  const header = `${'cell'.padEnd(44)} ${'rate'.padStart(9)} ${'unit'.padEnd(8)} ${'÷raw put'.padStart(8)} ${'p50 ms'.padStart(8)} ${'p99 ms'.padStart(8)}  latency of`;
  const lines = rows.map((r) => {
    if (r.note) return `${r.name.padEnd(44)} ${r.note}`;
    const rel = r.rate === undefined ? '—' : (r.rate / rawPutPerSec).toFixed(3);
    return `${r.name.padEnd(44)} ${fmt(r.rate, 0).padStart(9)} ${r.unit.padEnd(8)} ${rel.padStart(8)} ${fmt(r.p50, 3).padStart(8)} ${fmt(r.p99, 3).padStart(8)}  ${r.latencyOf}`;
  });
  return [header, '-'.repeat(header.length + 10), ...lines].join('\n');
}
