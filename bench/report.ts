/** Turns per-rep cell results into medians, ratios and a readable table (driver side). */
import type { CellName, CellResult, LatencySummary, ProfileResult } from './protocol.ts';
import { median } from './stats.ts';

export interface CellSpec {
  cell: CellName;
  lanes: number;
  title: string;
  /** What one op is, for the table. */
  op: string;
}

export interface LatencyMedians {
  p50: number;
  p99: number;
  mean: number;
}

export interface CellMedians {
  title: string;
  op: string;
  lanes: number;
  reps: number;
  opsPerSec: number;
  opsPerSecMin: number;
  opsPerSecMax: number;
  recordsPerSec: number;
  latencyMs: LatencyMedians;
  readwriteTxPerOp: number;
  enqueueMs?: LatencyMedians;
  claimMs?: LatencyMedians;
  ackMs?: LatencyMedians;
  perTransactionMs?: LatencyMedians;
  emptyClaims?: number;
}

export interface Ratios {
  /** Queue lane-1 cycle p50 ÷ raw put p50 (one cycle is 3 transactions today). */
  lane1CycleP50OverRawPutP50: number;
  /** Same with means (the SharedWorker clock steps by 0.1 ms, so p50s are coarse). */
  lane1CycleMeanOverRawPutMean: number;
  /** Pooled p50 of the queue's single transactions (enqueue, claim, ack) ÷ raw put p50. */
  perTransactionP50OverRawPutP50: number;
  /** 16-lane queue cycles/s ÷ sequential raw puts/s. */
  lanes16CyclesPerSecOverRawPutsPerSec: number;
  /** Lane-1 queue cycles/s ÷ sequential raw puts/s. */
  lane1CyclesPerSecOverRawPutsPerSec: number;
  /** Queue lane-1 cycle p50 ÷ the raw replica's cycle p50 (library overhead on the same requests). */
  lane1CycleP50OverRawReplicaP50: number;
  /** Workflow-shaped step (claim; ack + enqueue next: 2 transactions) p50 ÷ raw put p50. */
  chainStepP50OverRawPutP50: number;
}

function latencyMedians(list: (LatencySummary | undefined)[]): LatencyMedians {
  const xs = list.filter((x): x is LatencySummary => x !== undefined);
  return { p50: median(xs.map((x) => x.p50)), p99: median(xs.map((x) => x.p99)), mean: median(xs.map((x) => x.mean)) };
}

export function cellMedians(spec: CellSpec, reps: CellResult[]): CellMedians {
  const ops = reps.map((r) => r.opsPerSec);
  const m: CellMedians = {
    title: spec.title,
    op: spec.op,
    lanes: spec.lanes,
    reps: reps.length,
    opsPerSec: median(ops),
    opsPerSecMin: Math.min(...ops),
    opsPerSecMax: Math.max(...ops),
    recordsPerSec: median(reps.map((r) => r.recordsPerSec)),
    latencyMs: latencyMedians(reps.map((r) => r.latency)),
    readwriteTxPerOp: median(reps.map((r) => r.readwriteTransactions / Math.max(1, r.ops))),
  };
  if (reps.some((r) => r.perTransaction)) {
    m.enqueueMs = latencyMedians(reps.map((r) => r.enqueue));
    m.claimMs = latencyMedians(reps.map((r) => r.claim));
    m.ackMs = latencyMedians(reps.map((r) => r.ack));
    m.perTransactionMs = latencyMedians(reps.map((r) => r.perTransaction));
  }
  if (reps.some((r) => r.emptyClaims !== undefined)) m.emptyClaims = reps.reduce((a, r) => a + (r.emptyClaims ?? 0), 0);
  return m;
}

export function ratios(cells: Partial<Record<CellName, CellMedians>>): Ratios {
  const raw = cells['raw-put'];
  const q1 = cells['queue-lane1'];
  const q16 = cells['queue-16lanes'];
  const rep = cells['raw-cycle'];
  const div = (a: number | undefined, b: number | undefined) => (a === undefined || b === undefined || b === 0 ? NaN : a / b);
  return {
    lane1CycleP50OverRawPutP50: div(q1?.latencyMs.p50, raw?.latencyMs.p50),
    lane1CycleMeanOverRawPutMean: div(q1?.latencyMs.mean, raw?.latencyMs.mean),
    perTransactionP50OverRawPutP50: div(q1?.perTransactionMs?.p50, raw?.latencyMs.p50),
    lanes16CyclesPerSecOverRawPutsPerSec: div(q16?.opsPerSec, raw?.opsPerSec),
    lane1CyclesPerSecOverRawPutsPerSec: div(q1?.opsPerSec, raw?.opsPerSec),
    lane1CycleP50OverRawReplicaP50: div(q1?.latencyMs.p50, rep?.latencyMs.p50),
    chainStepP50OverRawPutP50: div(cells['queue-chain-lane1']?.latencyMs.p50, raw?.latencyMs.p50),
  };
}

// ---- text output ---------------------------------------------------------------------------

const fmtInt = (x: number) => (Number.isFinite(x) ? Math.round(x).toLocaleString('en-US') : '–');
const fmtMs = (x: number) => (Number.isFinite(x) ? x.toFixed(2) : '–');
const fmtRatio = (x: number) => (Number.isFinite(x) ? `${x.toFixed(2)}×` : '–');

function table(header: string[], rows: string[][]): string {
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => (r[i] ?? '').length)));
  const line = (cells: string[]) => cells.map((c, i) => (i === 0 ? c.padEnd(widths[i]!) : c.padStart(widths[i]!))).join('  ');
  return [line(header), widths.map((w) => '-'.repeat(w)).join('  '), ...rows.map(line)].join('\n');
}

export function renderText(cells: Partial<Record<CellName, CellMedians>>, r: Ratios, profile: ProfileResult | undefined): string {
  const out: string[] = [];
  const rows: string[][] = [];
  for (const m of Object.values(cells)) {
    if (!m) continue;
    const recs = m.recordsPerSec !== m.opsPerSec ? `${fmtInt(m.recordsPerSec)} rec/s` : '';
    rows.push([
      m.title,
      m.op,
      `${fmtInt(m.opsPerSec)} [${fmtInt(m.opsPerSecMin)}–${fmtInt(m.opsPerSecMax)}]`,
      recs,
      fmtMs(m.latencyMs.p50),
      fmtMs(m.latencyMs.p99),
      fmtMs(m.latencyMs.mean),
      m.readwriteTxPerOp.toFixed(2),
    ]);
  }
  out.push(table(['cell', 'op', 'ops/s median [min–max]', 'records/s', 'p50 ms', 'p99 ms', 'mean ms', 'rw txn/op'], rows));
  for (const key of ['queue-lane1', 'queue-chain-lane1'] as const) {
    const m = cells[key];
    if (!m?.perTransactionMs) continue;
    out.push('');
    out.push(`${m.title}, per transaction:`);
    const steps: [string, LatencyMedians | undefined][] = [
      ['enqueue', m.enqueueMs],
      ['claim', m.claimMs],
      [key === 'queue-lane1' ? 'ack' : 'ack + enqueue next', m.ackMs],
      ['pooled', m.perTransactionMs],
    ];
    const rows = steps.filter(([, l]) => l && Number.isFinite(l.p50)).map(([s, l]) => [s, fmtMs(l!.p50), fmtMs(l!.p99), fmtMs(l!.mean)]);
    out.push(table(['step', 'p50 ms', 'p99 ms', 'mean ms'], rows));
  }
  out.push('');
  out.push('ratios (same run):');
  out.push(
    table(
      ['ratio', 'value'],
      [
        ['queue lane-1 cycle p50 / raw put p50', fmtRatio(r.lane1CycleP50OverRawPutP50)],
        ['queue lane-1 cycle mean / raw put mean', fmtRatio(r.lane1CycleMeanOverRawPutMean)],
        ['queue per-transaction p50 / raw put p50', fmtRatio(r.perTransactionP50OverRawPutP50)],
        ['queue 16-lane cycles/s / raw puts/s', fmtRatio(r.lanes16CyclesPerSecOverRawPutsPerSec)],
        ['queue lane-1 cycles/s / raw puts/s', fmtRatio(r.lane1CyclesPerSecOverRawPutsPerSec)],
        ['queue lane-1 cycle p50 / raw replica cycle p50', fmtRatio(r.lane1CycleP50OverRawReplicaP50)],
        ['queue chain step (2 txns) p50 / raw put p50', fmtRatio(r.chainStepP50OverRawPutP50)],
      ],
    ),
  );
  if (profile) {
    out.push('');
    out.push(`profile of ${profile.cycles} single-lane cycles (means, ms):`);
    out.push(
      table(
        ['op', 'txns', 'total', 'requests', 'commit', 'outside txn', 'requests per op'],
        profile.ops.map((o) => [
          o.op,
          o.shape.transactions.toFixed(2),
          fmtMs(o.totalMs),
          fmtMs(o.requestPhaseMs),
          fmtMs(o.commitPhaseMs),
          fmtMs(o.outsideTxMs),
          Object.entries(o.shape.requests)
            .map(([k, v]) => `${k}×${v}`)
            .join(' '),
        ]),
      ),
    );
    const q = profile.ops.find((o) => o.op === 'queue.enqueue');
    if (q) out.push(`queue transactions: scope ${q.shape.scope.length} tables (${q.shape.scope.join(', ')}), ${q.shape.mode}, durability ${q.shape.durability}`);
  }
  return out.join('\n');
}
