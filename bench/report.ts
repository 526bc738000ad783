/** Turns per-rep cell results into medians, ratios and a readable table (driver side). */
import type {
  CellName,
  CellResult,
  ClientCellName,
  ClientCellResult,
  LatencySummary,
  ProfileResult,
  RuntimeCellName,
  RuntimeCellResult,
  TransitionProfileResult,
  WindowProfile,
} from './protocol.ts';
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

// ---- runtime and client cells -----------------------------------------------------------

export interface RuntimeCellSpec {
  cell: RuntimeCellName;
  title: string;
  runs: number;
  stepsPerRun: number;
  concurrency: number;
  depth: number;
  subscribed: boolean;
  /** A `workflow()` durable function instead of a `StepRunner`. */
  functions?: boolean;
}

export interface ClientCellSpec {
  cell: ClientCellName;
  title: string;
}

export interface RuntimeCellMedians {
  title: string;
  runs: number;
  stepsPerRun: number;
  concurrency: number;
  reps: number;
  stepsPerSec: number;
  stepsPerSecMin: number;
  stepsPerSecMax: number;
  stepsPerSecFromSubmit: number;
  submitMs: number;
  execMs: number;
  transitionMs: LatencyMedians;
  readwriteTxPerStep: number;
  readonlyTxPerStep: number;
  /** Over all reps: redelivered steps (should be 0) and runs that did not succeed (should be 0). */
  extraDeliveries: number;
  notSucceeded: number;
  /** Single-put transactions/s on the cell's own database (see RuntimeCellResult). */
  dbPutsPerSec: number;
  dbJobPutsPerSec: number;
  depth?: { foreign: number; prefillRecordsPerSec: number; minForeignScheduledAfter: number; maxDeadAfter: number };
}

export interface ClientCellMedians {
  title: string;
  reps: number;
  mode: string;
  pageTimerStepMs: number;
  submitRunsPerSec: number;
  submitRunsPerSecMin: number;
  submitRunsPerSecMax: number;
  submitMs: LatencyMedians;
  submitNoExecutorRunsPerSec: number;
  submitNoExecutorMs: LatencyMedians;
  statusCallsPerSec: number;
  statusMs: LatencyMedians;
  burstRunsPerSec: number;
  burstRunsPerSecMin: number;
  burstRunsPerSecMax: number;
  burstExecutedRunsPerSec: number;
  notSucceeded: number;
}

export function runtimeCellMedians(spec: RuntimeCellSpec, reps: RuntimeCellResult[]): RuntimeCellMedians {
  const sps = reps.map((r) => r.stepsPerSec);
  const m: RuntimeCellMedians = {
    title: spec.title,
    runs: spec.runs,
    stepsPerRun: spec.stepsPerRun,
    concurrency: spec.concurrency,
    reps: reps.length,
    stepsPerSec: median(sps),
    stepsPerSecMin: Math.min(...sps),
    stepsPerSecMax: Math.max(...sps),
    stepsPerSecFromSubmit: median(reps.map((r) => r.stepsPerSecFromSubmit)),
    submitMs: median(reps.map((r) => r.submitMs)),
    execMs: median(reps.map((r) => r.execMs)),
    transitionMs: latencyMedians(reps.map((r) => r.transition)),
    readwriteTxPerStep: median(reps.map((r) => r.readwriteTxPerStep)),
    readonlyTxPerStep: median(reps.map((r) => r.readonlyTxPerStep)),
    extraDeliveries: reps.reduce((a, r) => a + r.extraDeliveries, 0),
    notSucceeded: reps.reduce((a, r) => a + (r.runs - r.succeeded), 0),
    dbPutsPerSec: median(reps.map((r) => r.dbPutsPerSec)),
    dbJobPutsPerSec: median(reps.map((r) => r.dbJobPutsPerSec)),
  };
  const d = reps.map((r) => r.depth).filter((x) => x !== undefined);
  if (d.length > 0) {
    m.depth = {
      foreign: d[0]!.foreign,
      prefillRecordsPerSec: median(d.map((x) => x.prefillRecordsPerSec)),
      minForeignScheduledAfter: Math.min(...d.map((x) => x.foreignScheduledAfter)),
      maxDeadAfter: Math.max(...d.map((x) => x.deadAfter)),
    };
  }
  return m;
}

export function clientCellMedians(spec: ClientCellSpec, reps: ClientCellResult[]): ClientCellMedians {
  const sub = reps.map((r) => r.submitSequential.runsPerSec);
  const burst = reps.map((r) => r.burst.runsPerSec);
  return {
    title: spec.title,
    reps: reps.length,
    mode: reps[0]?.mode ?? '',
    pageTimerStepMs: reps[0]?.pageTimerStepMs ?? NaN,
    submitRunsPerSec: median(sub),
    submitRunsPerSecMin: Math.min(...sub),
    submitRunsPerSecMax: Math.max(...sub),
    submitMs: latencyMedians(reps.map((r) => r.submitSequential.latency)),
    submitNoExecutorRunsPerSec: median(reps.map((r) => r.submitNoExecutor.runsPerSec)),
    submitNoExecutorMs: latencyMedians(reps.map((r) => r.submitNoExecutor.latency)),
    statusCallsPerSec: median(reps.map((r) => r.status.callsPerSec)),
    statusMs: latencyMedians(reps.map((r) => r.status.latency)),
    burstRunsPerSec: median(burst),
    burstRunsPerSecMin: Math.min(...burst),
    burstRunsPerSecMax: Math.max(...burst),
    burstExecutedRunsPerSec: median(reps.map((r) => r.burst.executedRunsPerSec)),
    notSucceeded: reps.reduce((a, r) => a + (r.submitSequential.n + r.burst.n - r.succeeded), 0),
  };
}

export interface RuntimeRatios {
  /** 100 runs × 10 steps, concurrency 16: steps/s ÷ raw puts/s (target ≥ 2×). */
  steps100x10PerSecOverRawPutsPerSec: number;
  /** Its transition p50 ÷ raw put p50 (includes queueing: 100 runs share 16 slots). */
  transition100x10P50OverRawPutP50: number;
  /** 1 run × 200 steps, concurrency 1: steps/s ÷ raw puts/s. */
  steps1x200PerSecOverRawPutsPerSec: number;
  /** Its transition p50 ÷ raw put p50 (target ≤ 1.5×). */
  transition1x200P50OverRawPutP50: number;
  transition1x200MeanOverRawPutMean: number;
  /** 1 × 200 with a subscriber (as under serve()): transition p50 ÷ raw put p50, and steps/s ÷ without subscriber. */
  transition1x200SubP50OverRawPutP50: number;
  steps1x200SubPerSecOverUnsubscribed: number;
  /** Depth cell steps/s ÷ the same workload without depth (target: within 10% of 1). */
  depthStepsPerSecOverNoDepth: number;
  /** The same, median of per-rep ratios (rep i of both cells ran close in time). */
  depthStepsPerSecOverNoDepthPerRep: number;
  depthTransitionP50OverNoDepth: number;
  depthStepsPerSecOverRawPutsPerSec: number;
  /** Single puts/s on the depth cell's database ÷ on the no-depth cell's: the limit itself at depth. */
  depthDbPutsPerSecOverNoDepth: number;
  /** (depth steps/s ÷ its database's puts/s) ÷ (the same without depth): the runtime's own share of the depth effect. */
  depthStepsPerDbPutOverNoDepth: number;
  /** Single puts/s into `jobs` on the depth cell's database ÷ on the no-depth cell's. */
  depthDbJobPutsPerSecOverNoDepth: number;
  /** (depth steps/s ÷ its job puts/s) ÷ (the same without depth). */
  depthStepsPerDbJobPutOverNoDepth: number;
  /** Client: sequential submits/s from the page ÷ raw puts/s. */
  clientSubmitRunsPerSecOverRawPutsPerSec: number;
  clientSubmitP50OverRawPutP50: number;
  clientSubmitNoExecutorP50OverRawPutP50: number;
  clientStatusP50OverRawPutP50: number;
  clientBurstRunsPerSecOverRawPutsPerSec: number;
}

export function runtimeRatios(
  raw: CellMedians | undefined,
  rt: Partial<Record<RuntimeCellName, RuntimeCellMedians>>,
  rtReps: Partial<Record<RuntimeCellName, RuntimeCellResult[]>>,
  client: ClientCellMedians | undefined,
): RuntimeRatios {
  const div = (a: number | undefined, b: number | undefined) => (a === undefined || b === undefined || b === 0 ? NaN : a / b);
  const w1 = rt['rt-100x10'];
  const w2 = rt['rt-1x200'];
  const w3 = rt['rt-100x10-depth'];
  const a = rtReps['rt-100x10'] ?? [];
  const b = rtReps['rt-100x10-depth'] ?? [];
  const perRep = median(b.slice(0, a.length).map((r, i) => r.stepsPerSec / a[i]!.stepsPerSec));
  return {
    steps100x10PerSecOverRawPutsPerSec: div(w1?.stepsPerSec, raw?.opsPerSec),
    transition100x10P50OverRawPutP50: div(w1?.transitionMs.p50, raw?.latencyMs.p50),
    steps1x200PerSecOverRawPutsPerSec: div(w2?.stepsPerSec, raw?.opsPerSec),
    transition1x200P50OverRawPutP50: div(w2?.transitionMs.p50, raw?.latencyMs.p50),
    transition1x200MeanOverRawPutMean: div(w2?.transitionMs.mean, raw?.latencyMs.mean),
    transition1x200SubP50OverRawPutP50: div(rt['rt-1x200-sub']?.transitionMs.p50, raw?.latencyMs.p50),
    steps1x200SubPerSecOverUnsubscribed: div(rt['rt-1x200-sub']?.stepsPerSec, w2?.stepsPerSec),
    depthStepsPerSecOverNoDepth: div(w3?.stepsPerSec, w1?.stepsPerSec),
    depthStepsPerSecOverNoDepthPerRep: perRep,
    depthTransitionP50OverNoDepth: div(w3?.transitionMs.p50, w1?.transitionMs.p50),
    depthStepsPerSecOverRawPutsPerSec: div(w3?.stepsPerSec, raw?.opsPerSec),
    depthDbPutsPerSecOverNoDepth: div(w3?.dbPutsPerSec, w1?.dbPutsPerSec),
    depthStepsPerDbPutOverNoDepth: div(div(w3?.stepsPerSec, w3?.dbPutsPerSec), div(w1?.stepsPerSec, w1?.dbPutsPerSec)),
    depthDbJobPutsPerSecOverNoDepth: div(w3?.dbJobPutsPerSec, w1?.dbJobPutsPerSec),
    depthStepsPerDbJobPutOverNoDepth: div(div(w3?.stepsPerSec, w3?.dbJobPutsPerSec), div(w1?.stepsPerSec, w1?.dbJobPutsPerSec)),
    clientSubmitRunsPerSecOverRawPutsPerSec: div(client?.submitRunsPerSec, raw?.opsPerSec),
    clientSubmitP50OverRawPutP50: div(client?.submitMs.p50, raw?.latencyMs.p50),
    clientSubmitNoExecutorP50OverRawPutP50: div(client?.submitNoExecutorMs.p50, raw?.latencyMs.p50),
    clientStatusP50OverRawPutP50: div(client?.statusMs.p50, raw?.latencyMs.p50),
    clientBurstRunsPerSecOverRawPutsPerSec: div(client?.burstRunsPerSec, raw?.opsPerSec),
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

const fmtPct = (x: number) => (Number.isFinite(x) ? `${x >= 1 ? '+' : ''}${((x - 1) * 100).toFixed(1)}%` : '–');

export function renderRuntimeText(
  raw: CellMedians | undefined,
  rt: Partial<Record<RuntimeCellName, RuntimeCellMedians>>,
  client: ClientCellMedians | undefined,
  r: RuntimeRatios,
  profile: TransitionProfileResult | undefined,
): string {
  const out: string[] = [];
  const rows: string[][] = [];
  for (const m of Object.values(rt)) {
    if (!m) continue;
    rows.push([
      m.title,
      `${m.runs}×${m.stepsPerRun}`,
      String(m.concurrency),
      `${fmtInt(m.stepsPerSec)} [${fmtInt(m.stepsPerSecMin)}–${fmtInt(m.stepsPerSecMax)}]`,
      fmtInt(m.stepsPerSecFromSubmit),
      fmtMs(m.submitMs),
      fmtMs(m.transitionMs.p50),
      fmtMs(m.transitionMs.p99),
      fmtMs(m.transitionMs.mean),
      m.readwriteTxPerStep.toFixed(2),
      m.readonlyTxPerStep.toFixed(2),
      m.extraDeliveries === 0 && m.notSucceeded === 0 ? 'ok' : `${m.extraDeliveries} redelivered, ${m.notSucceeded} not succeeded`,
    ]);
  }
  if (rows.length > 0) {
    out.push(
      table(
        ['runtime cell (in the worker)', 'runs×steps', 'conc', 'steps/s median [min–max]', 'from submit', 'submit ms', 'trans p50', 'trans p99', 'trans mean', 'rw txn/step', 'ro txn/step', 'check'],
        rows,
      ),
    );
    const d = rt['rt-100x10-depth']?.depth;
    if (d) {
      out.push(
        `depth: ${fmtInt(d.foreign)} foreign jobs prefilled at ${fmtInt(d.prefillRecordsPerSec)} rec/s; afterwards min ${fmtInt(d.minForeignScheduledAfter)} still scheduled, max ${d.maxDeadAfter} dead (never claimed: ${
          d.minForeignScheduledAfter === d.foreign && d.maxDeadAfter === 0 ? 'yes' : 'NO'
        })`,
      );
    }
  }
  if (client) {
    out.push('');
    out.push(`${client.title} (worker mode: ${client.mode}, page timer step ${client.pageTimerStepMs} ms):`);
    out.push(
      table(
        ['page → worker', 'per s median [min–max]', 'p50 ms', 'p99 ms', 'mean ms'],
        [
          ['submit, sequential (executor running)', `${fmtInt(client.submitRunsPerSec)} [${fmtInt(client.submitRunsPerSecMin)}–${fmtInt(client.submitRunsPerSecMax)}] runs/s`, fmtMs(client.submitMs.p50), fmtMs(client.submitMs.p99), fmtMs(client.submitMs.mean)],
          ['submit, sequential, worker with no executor', `${fmtInt(client.submitNoExecutorRunsPerSec)} runs/s`, fmtMs(client.submitNoExecutorMs.p50), fmtMs(client.submitNoExecutorMs.p99), fmtMs(client.submitNoExecutorMs.mean)],
          ['status(runId), sequential (executor idle)', `${fmtInt(client.statusCallsPerSec)} calls/s`, fmtMs(client.statusMs.p50), fmtMs(client.statusMs.p99), fmtMs(client.statusMs.mean)],
          ['submit, burst (all in flight)', `${fmtInt(client.burstRunsPerSec)} [${fmtInt(client.burstRunsPerSecMin)}–${fmtInt(client.burstRunsPerSecMax)}] runs/s`, '', '', ''],
          ['burst: first submit → all runs terminal', `${fmtInt(client.burstExecutedRunsPerSec)} runs/s`, '', '', ''],
        ],
      ),
    );
    if (client.notSucceeded > 0) out.push(`warning: ${client.notSucceeded} client runs did not succeed`);
  }
  out.push('');
  out.push('runtime ratios (same run, against raw IDB 1 put / txn):');
  out.push(
    table(
      ['ratio', 'value', 'target'],
      [
        ['100×10 c16: steps/s / raw puts/s', fmtRatio(r.steps100x10PerSecOverRawPutsPerSec), '≥ 2×'],
        ['100×10 c16: transition p50 / raw put p50 (incl. queueing)', fmtRatio(r.transition100x10P50OverRawPutP50), ''],
        ['1×200 c1: steps/s / raw puts/s', fmtRatio(r.steps1x200PerSecOverRawPutsPerSec), ''],
        ['1×200 c1: transition p50 / raw put p50', fmtRatio(r.transition1x200P50OverRawPutP50), '≤ 1.5×'],
        ['1×200 c1: transition mean / raw put mean', fmtRatio(r.transition1x200MeanOverRawPutMean), ''],
        ['1×200 c1 subscribed: transition p50 / raw put p50', fmtRatio(r.transition1x200SubP50OverRawPutP50), '≤ 1.5×'],
        ['1×200 c1: steps/s subscribed / not subscribed', fmtRatio(r.steps1x200SubPerSecOverUnsubscribed), ''],
        ['depth: steps/s with / without (ratio of medians)', `${fmtRatio(r.depthStepsPerSecOverNoDepth)} (${fmtPct(r.depthStepsPerSecOverNoDepth)})`, '< 10% change'],
        ['depth: steps/s with / without (median of per-rep ratios)', `${fmtRatio(r.depthStepsPerSecOverNoDepthPerRep)} (${fmtPct(r.depthStepsPerSecOverNoDepthPerRep)})`, '< 10% change'],
        ['depth: transition p50 with / without', fmtRatio(r.depthTransitionP50OverNoDepth), ''],
        ['depth: steps/s / raw puts/s', fmtRatio(r.depthStepsPerSecOverRawPutsPerSec), ''],
        ['depth: single puts/s into kv on that database, with / without', `${fmtRatio(r.depthDbPutsPerSecOverNoDepth)} (${fmtPct(r.depthDbPutsPerSecOverNoDepth)})`, ''],
        ['depth: steps per database put, with / without', `${fmtRatio(r.depthStepsPerDbPutOverNoDepth)} (${fmtPct(r.depthStepsPerDbPutOverNoDepth)})`, ''],
        ['depth: single puts/s into jobs on that database, with / without', `${fmtRatio(r.depthDbJobPutsPerSecOverNoDepth)} (${fmtPct(r.depthDbJobPutsPerSecOverNoDepth)})`, ''],
        ['depth: steps per job put, with / without', `${fmtRatio(r.depthStepsPerDbJobPutOverNoDepth)} (${fmtPct(r.depthStepsPerDbJobPutOverNoDepth)})`, ''],
        ['client: sequential submits/s / raw puts/s', fmtRatio(r.clientSubmitRunsPerSecOverRawPutsPerSec), ''],
        ['client: submit p50 / raw put p50', fmtRatio(r.clientSubmitP50OverRawPutP50), ''],
        ['client: submit (no executor) p50 / raw put p50', fmtRatio(r.clientSubmitNoExecutorP50OverRawPutP50), ''],
        ['client: status p50 / raw put p50', fmtRatio(r.clientStatusP50OverRawPutP50), ''],
        ['client: burst submits/s / raw puts/s', fmtRatio(r.clientBurstRunsPerSecOverRawPutsPerSec), ''],
      ],
    ),
  );
  if (raw) out.push(`raw IDB 1 put / txn in this run: ${fmtInt(raw.opsPerSec)} puts/s, p50 ${fmtMs(raw.latencyMs.p50)} ms, mean ${fmtMs(raw.latencyMs.mean)} ms`);
  else out.push('(raw-put was not run: add it to --only for the ratios)');
  if (profile) {
    out.push('');
    out.push(renderWindowProfile(`profile of one transition: 1 run × ${profile.steps} no-op steps, concurrency 1`, 'transition', profile.transition));
    out.push('');
    out.push(renderWindowProfile(`the same with a subscriber (as under serve())`, 'transition', profile.transitionSubscribed));
    out.push('');
    out.push(renderWindowProfile(`profile of runtime.submit() in the worker: ${profile.submit.calls} sequential calls, executor stopped`, 'submit', profile.submit));
    const c = profile.concurrent;
    out.push('');
    out.push(
      `profile at concurrency ${c.concurrency} (${c.runs} × ${c.stepsPerRun}, ${fmtInt(c.stepsPerSec)} steps/s with the profiler on): ${c.settleTx} settlement transactions holding ${c.stepsPerSettleTx.toFixed(1)} steps each, ${c.otherRwTx} other rw, ${c.readonlyTx} ro (${(c.readonlyTx / (c.runs * c.stepsPerRun)).toFixed(2)} per step)`,
    );
    out.push(
      `  per settlement transaction: life ${fmtMs(c.settleTxLifeMs)} ms (requests ${fmtMs(c.settleTxRequestMs)}, commit ${fmtMs(c.settleTxCommitMs)}), ${c.settleTxWaves.toFixed(1)} request waves (${c.settleTxReadWaves.toFixed(1)} read); a settlement transaction is open ${(c.settleTxBusyShare * 100).toFixed(0)}% of the time`,
    );
  }
  return out.join('\n');
}

function renderWindowProfile(title: string, what: string, p: WindowProfile): string {
  const out: string[] = [];
  out.push(`${title} (${p.windows} kept; means, ms): ${what} ${fmtMs(p.durationMs.mean)} (p50 ${fmtMs(p.durationMs.p50)})`);
  out.push(
    `per ${what}: ${p.txPerWindow.readwrite.toFixed(2)} rw + ${p.txPerWindow.readonly.toFixed(2)} ro transactions, ${p.roundTrips.toFixed(2)} request round trips incl. commits (${p.readRoundTrips.toFixed(2)} waiting on reads); in transactions ${fmtMs(p.inTxMs)}, outside ${fmtMs(p.outsideTxMs)} (before the first txn ${fmtMs(p.beforeFirstTxMs)}, after the last ${fmtMs(p.afterLastTxMs)})`,
  );
  out.push(
    table(
      ['transaction (in order)', `per ${what}`, 'starts at', 'gap before', 'life', 'requests', 'commit', 'waves', 'read waves'],
      p.rows.map((x) => [
        `${x.label} [${x.mode}${x.mode === 'readwrite' ? `, ${x.durability}` : ''}]`,
        x.perTransition.toFixed(2),
        fmtMs(x.startOffsetMs),
        fmtMs(x.gapBeforeMs),
        fmtMs(x.lifeMs),
        fmtMs(x.requestPhaseMs),
        fmtMs(x.commitPhaseMs),
        x.waves.toFixed(2),
        x.readWaves.toFixed(2),
      ]),
    ),
  );
  out.push('request waves (most common order per kind; a wave = one round trip to the IndexedDB backend):');
  for (const x of p.rows) out.push(`  ${x.label}: ${x.waveStructure}  (${Math.round(x.waveStructureShare * 100)}% of them)`);
  return out.join('\n');
}
