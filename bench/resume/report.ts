/**
 * The resume benchmark's numbers: per-cell p50/p99/max over reps, per-scenario phase medians,
 * and the readable table (Node side). p50 is the median (mean of the two middle values for an
 * even count), p99 the nearest rank: with a handful of reps it is the worst sample but one or
 * the worst, so max is printed beside it.
 */
import { median, percentile } from '../stats.ts';
import type { Sample } from './scenarios.ts';

export interface CellStats {
  p50: number;
  p99: number;
  max: number;
  min: number;
  /** ms, in rep order. */
  samples: number[];
  /** Reps that failed (timeout, error), not in `samples`. */
  failures: number;
}

export interface PhaseStats {
  /** Phase → p50 and max ms, in the order the phases happen. */
  phases: Record<string, { p50: number; max: number }>;
  /** The same for the extra spans of the scenario (e.g. reload → client connected). */
  extra: Record<string, { p50: number; max: number }>;
  /** The rep whose total is the median: its transactions after the executor lock grant. */
  medianRep: Sample | undefined;
  /** `indexedDB.open` request → success (inside the dbOpen phase). */
  idbOpenMs: { p50: number; max: number };
  /** Most worker constructions after t0 in one rep (2 or more: the client knocked again). */
  maxWorkerCtors: number;
}

const r1 = (ms: number) => Math.round(ms * 10) / 10;

export function cellStats(samples: number[], failures: number): CellStats {
  const sorted = [...samples].sort((a, b) => a - b);
  return {
    p50: r1(median(sorted)),
    p99: r1(percentile(sorted, 99)),
    max: r1(sorted.at(-1) ?? NaN),
    min: r1(sorted[0] ?? NaN),
    samples: samples.map(r1),
    failures,
  };
}

function spans(samples: Sample[], pick: (s: Sample) => Record<string, number>): Record<string, { p50: number; max: number }> {
  const out: Record<string, { p50: number; max: number }> = {};
  for (const name of Object.keys(pick(samples[0]!))) {
    const xs = samples.map((s) => pick(s)[name] ?? NaN);
    out[name] = { p50: r1(median(xs)), max: r1(Math.max(...xs)) };
  }
  return out;
}

export function phaseStats(samples: Sample[]): PhaseStats | undefined {
  if (samples.length === 0) return undefined;
  const byTotal = [...samples].sort((a, b) => a.ms - b.ms);
  return {
    phases: spans(samples, (s) => s.phases),
    extra: spans(samples, (s) => s.extra),
    medianRep: byTotal[(byTotal.length - 1) >> 1],
    idbOpenMs: { p50: r1(median(samples.map((s) => s.idbOpenMs))), max: r1(Math.max(...samples.map((s) => s.idbOpenMs))) },
    maxWorkerCtors: Math.max(...samples.map((s) => s.workerCtors)),
  };
}

export interface CellRow {
  name: string;
  title: string;
  target?: number;
}

const signed = (ms: number) => (ms >= 0 ? `+${ms}` : String(ms));
const fmt = (ms: number) => (Number.isFinite(ms) ? ms.toFixed(1) : '–').padStart(8);

export function renderTable(rows: CellRow[], cells: Record<string, CellStats>, phases: Record<string, PhaseStats | undefined>): string {
  const lines = [`${'cell'.padEnd(64)}      p50      p99      max   n  target`];
  for (const row of rows) {
    const c = cells[row.name];
    if (!c) continue;
    const verdict = row.target === undefined ? '' : `≤ ${row.target} ${c.p50 <= row.target ? 'met' : 'MISSED'}`;
    const n = `${c.samples.length}${c.failures ? `(+${c.failures} failed)` : ''}`;
    lines.push(`${row.title.padEnd(64)} ${fmt(c.p50)} ${fmt(c.p99)} ${fmt(c.max)} ${n.padStart(3)}  ${verdict}`);
  }
  for (const [scenario, p] of Object.entries(phases)) {
    if (!p) continue;
    lines.push('', `phases of ${scenario} (ms, p50 / max; medians of phases need not add up to the median total)`);
    let sum = 0;
    for (const [name, s] of Object.entries(p.phases)) {
      sum += s.p50;
      lines.push(`  ${name.padEnd(16)} ${fmt(s.p50)} ${fmt(s.max)}`);
    }
    lines.push(`  ${'(sum of p50s)'.padEnd(16)} ${fmt(sum)}`);
    for (const [name, s] of Object.entries(p.extra)) lines.push(`  extra: ${name.padEnd(9)} ${fmt(s.p50)} ${fmt(s.max)}`);
    const m = p.medianRep;
    if (m) {
      lines.push(`  worker constructions after t0 (max over reps): ${p.maxWorkerCtors}; indexedDB.open within dbOpen: p50 ${p.idbOpenMs.p50}, max ${p.idbOpenMs.max}`);
      lines.push(`  median rep, ms from the executor lock grant: executing at ${signed(m.executingAfterGrant)}, runner at ${signed(m.runnerAfterGrant)}; transactions (start duration mode scope requests):`);
      for (const t of m.txs) lines.push(`    ${signed(t.startMs).padEnd(6)} ${String(t.durationMs).padStart(5)}  ${t.mode.padEnd(9)} ${t.scope.padEnd(5)} ${t.requests.join(' ')}`);
    }
  }
  return lines.join('\n');
}
